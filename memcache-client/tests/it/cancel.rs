//! Cancellation under load: requests dropped at arbitrary points never hand their replies to anyone else.

use memcache_client::StoreOptions;

use crate::support::{Memcached, Rng, client};

const TASKS: u64 = 64;
const ROUNDS: u64 = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_requests_never_desynchronise() {
    let server = Memcached::start();
    let client = client(&server);
    for t in 0..TASKS {
        assert!(
            client.set(&format!("key{t}"), format!("value{t}"), StoreOptions::default()).await.unwrap().is_stored()
        );
    }
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut rng = Rng::seeded(0x5eed ^ (t + 1));
                let (key, expected) = (format!("key{t}"), format!("value{t}"));
                let mut cancelled = 0;
                for _ in 0..ROUNDS {
                    let is_set = rng.below(4) == 0;
                    let request = async {
                        if is_set {
                            client.set(&key, &expected, StoreOptions::default()).await.map(|_| None)
                        } else {
                            client.get(&key).await.map(|item| item.map(|i| i.value))
                        }
                    };
                    if rng.below(3) == 0 {
                        // Cancel at an arbitrary point: after 0..N polls of the request future.
                        let polls = rng.below(4);
                        let mut request = std::pin::pin!(request);
                        for _ in 0..polls {
                            if futures_poll_once(request.as_mut()).await.is_some() {
                                break;
                            }
                        }
                        cancelled += 1;
                        continue;
                    }
                    if let Some(value) = request.await.unwrap() {
                        assert_eq!(value, expected, "task {t} got another key's reply");
                    }
                }
                cancelled
            })
        })
        .collect();
    let mut cancelled = 0;
    for task in tasks {
        cancelled += task.await.unwrap();
    }
    assert!(cancelled > TASKS * ROUNDS / 4, "about a third should have been cancelled, got {cancelled}");
    // Afterwards every key still reads its own value on the same client.
    for t in 0..TASKS {
        assert_eq!(client.get(&format!("key{t}")).await.unwrap().unwrap().value, format!("value{t}"));
    }
    let hits = client.get_many((0..TASKS).map(|t| format!("key{t}"))).await.unwrap().into_complete().unwrap();
    assert_eq!(hits.len() as u64, TASKS);
}

/// Polls a future once; `Some` if it completed.
async fn futures_poll_once<F: std::future::Future>(fut: std::pin::Pin<&mut F>) -> Option<F::Output> {
    let mut fut = Some(fut);
    std::future::poll_fn(move |cx| {
        let f = fut.take().expect("polled once");
        std::task::Poll::Ready(match f.poll(cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        })
    })
    .await
}

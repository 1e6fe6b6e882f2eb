//! A single-future executor that advances a manual clock when nothing else can make progress.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use super::ManualClock;

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Runs `future` to completion on this thread, without a clock: for code that never sleeps.
///
/// # Panics
/// If the future waits for something that can never happen (nothing woke it): in the sandbox that is a deadlock,
/// such as a second store transaction begun while the first is still open.
pub fn block_on<F: Future>(future: F) -> F::Output {
    drive(future, None)
}

/// Runs `future` to completion; whenever it waits and nothing woke it, moves `clock` to its next sleeper's
/// deadline (as tokio's paused time does when the runtime is idle). Time passes only through sleeps, so the run is
/// deterministic.
///
/// # Panics
/// As [`block_on`], when nothing is sleeping either.
pub fn block_on_with_clock<F: Future>(clock: &ManualClock, future: F) -> F::Output {
    drive(future, Some(clock))
}

fn drive<F: Future>(future: F, clock: Option<&ManualClock>) -> F::Output {
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        flag.0.store(false, Ordering::SeqCst);
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        if flag.0.load(Ordering::SeqCst) {
            continue;
        }
        if clock.is_some_and(ManualClock::advance_to_next_sleeper) {
            continue;
        }
        panic!("sandbox deadlock: the future is waiting and nothing can wake it (no sleeper, no pending wake-up)");
    }
}

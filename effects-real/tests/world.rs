//! The production world and its outbound client, on real sockets (loopback only).

use effects::{Cache, Clock, Effects, Method, Outbound, OutboundError, Random, Request, Store};
use effects_real::{HyperOutbound, World, WorldConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

typed_ids::id! {
    /// An order.
    pub OrderId: typed_ids::uuid::Uuid, prefix = "ord";
}

#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
struct Note(String);
impl effects::Record for Note {
    const COLLECTION: &'static str = "notes";
}

#[tokio::test]
async fn default_world_runs_a_handler_in_process() {
    let world = World::connect(&WorldConfig::default()).await.unwrap();
    let a: OrderId = world.new_id();
    let b: OrderId = world.new_id();
    assert_ne!(a, b);
    assert_eq!(a.get().get_version_num(), 7);
    assert!(world.clock().now().unix_millis() > 1_700_000_000_000);
    assert_ne!(world.random().next_u64(), world.random().next_u64());
    world.store().upsert(&a.to_string(), &Note("n".into())).await.unwrap();
    assert_eq!(world.store().get::<Note>(&a.to_string()).await, Ok(Some(Note("n".into()))));
    let _ = world.cache().set("k", &"v".to_owned(), 60).await.unwrap();
    assert_eq!(world.cache().get::<String>("k").await.unwrap().as_deref(), Some("v"));
}

#[tokio::test]
async fn world_with_memcached() {
    let server = memkit_testkit::Memcached::start();
    let world = World::connect(&WorldConfig::default().memcached(server.addr())).await.unwrap();
    assert!(matches!(world.cache(), effects_real::WorldCache::Memcached(_)));
    let _ = world.cache().set("k", &"v".to_owned(), 60).await.unwrap();
    assert_eq!(world.cache().get::<String>("k").await.unwrap().as_deref(), Some("v"));
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn database_url_picks_the_store() {
    let default = World::connect(&WorldConfig::default()).await.unwrap();
    assert_eq!(default.store().backend(), effects_real::Backend::Sqlite);

    let pg = memkit_testkit::Postgres::start();
    let world = World::connect(&WorldConfig::default().database_url(pg.url())).await.unwrap();
    assert_eq!(world.store().backend(), effects_real::Backend::Postgres);
    world.store().upsert("n", &Note("in postgres".into())).await.unwrap();
    // A second world on the same URL (another process, in production) sees it.
    let other = World::connect(&WorldConfig::default().database_url(pg.url())).await.unwrap();
    assert_eq!(other.store().get::<Note>("n").await, Ok(Some(Note("in postgres".into()))));
}

#[tokio::test]
async fn unreachable_postgres_is_a_store_error() {
    // A socket directory with no server in it: refused at once.
    let url = format!("postgresql://postgres@localhost/postgres?host={}", env!("CARGO_TARGET_TMPDIR"));
    let result = World::connect(&WorldConfig::default().database_url(url)).await;
    assert!(matches!(result, Err(effects_real::WorldError::Store(effects::StoreError::Unavailable { .. }))));
}

#[tokio::test]
async fn bad_memcached_address_is_a_cache_error() {
    let result = World::connect(&WorldConfig::default().memcached("not an address")).await;
    assert!(matches!(result, Err(effects_real::WorldError::Cache(_))));
}

#[tokio::test]
async fn hyper_outbound_round_trip() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let mut read = 0;
        while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") || !buf[..read].ends_with(b"{\"a\":1}") {
            read += socket.read(&mut buf[read..]).await.unwrap();
        }
        socket
            .write_all(b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\nx-test: yes\r\nconnection: close\r\n\r\nok")
            .await
            .unwrap();
        String::from_utf8_lossy(&buf[..read]).into_owned()
    });
    let outbound = HyperOutbound::default();
    let request = Request::post_json(format!("http://{addr}/charge"), &serde_json::json!({"a": 1})).unwrap();
    let response = outbound.send(request).await.unwrap();
    assert_eq!((response.status, &response.body[..], response.header("X-Test")), (201, &b"ok"[..], Some("yes")));
    let seen = server.await.unwrap();
    assert!(seen.starts_with("POST /charge HTTP/1.1\r\n"), "{seen}");
}

#[tokio::test]
async fn hyper_outbound_errors_are_classified() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap();
    drop(listener);
    let outbound = HyperOutbound::default();
    let refused = outbound.send(Request::get(format!("http://{closed}/"))).await;
    assert!(matches!(refused, Err(OutboundError::Connect { .. })), "{refused:?}");
    let tls = outbound.send(Request::new(Method::Get, "https://example.invalid/")).await;
    assert!(matches!(tls, Err(OutboundError::InvalidRequest { .. })), "{tls:?}");
}

#[tokio::test(start_paused = true)]
async fn hyper_outbound_times_out() {
    // A server that accepts and never answers; tokio's paused clock makes the timeout instant.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let _server = tokio::spawn(async move {
        let (_socket, _) = listener.accept().await.unwrap();
        std::future::pending::<()>().await;
    });
    let request = Request::get(format!("http://{addr}/slow")).timeout(std::time::Duration::from_secs(3));
    let result = HyperOutbound::default().send(request).await;
    assert!(matches!(result, Err(OutboundError::Timeout { .. })), "{result:?}");
}

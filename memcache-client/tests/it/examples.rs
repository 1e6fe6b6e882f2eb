//! The programs in `examples/` run here against memcached servers of the test's own, through the same `run`
//! function their `main` calls with `MEMCACHED_SERVERS`: an example that stops working fails the suite.

use crate::support::{Memcached, client};
use crate::tls::{Pki, start};

// Each example's `main` is not called here.
#[allow(dead_code)]
#[path = "../../examples/many_servers.rs"]
mod many_servers;
#[allow(dead_code)]
#[path = "../../examples/multi_get.rs"]
mod multi_get;
#[allow(dead_code)]
#[path = "../../examples/one_server.rs"]
mod one_server;
#[allow(dead_code)]
#[path = "../../examples/tls.rs"]
mod tls;
#[allow(dead_code)]
#[path = "../../examples/typed.rs"]
mod typed;

#[tokio::test]
async fn one_server_example_leaves_the_counter_at_one_and_the_greeting_deleted() {
    let server = Memcached::start();
    one_server::run(&server.addr()).await.expect("the example runs");
    let client = client(&server);
    assert_eq!(client.get("example:visits").await.unwrap().expect("counter").value, "1");
    assert!(client.get("example:greeting").await.unwrap().is_none());
}

#[tokio::test]
async fn many_servers_example_spreads_keys_by_weight() {
    let (heavy, light) = (Memcached::start(), Memcached::start());
    many_servers::run(&format!("{}:2,{}:1", heavy.addr(), light.addr())).await.expect("the example runs");
    let (on_heavy, on_light) = (heavy.stat("curr_items"), light.stat("curr_items"));
    assert_eq!(on_heavy + on_light, 300);
    assert!(on_heavy > on_light && on_light > 0, "weights 2:1 but {on_heavy} and {on_light} keys");
}

#[tokio::test]
async fn multi_get_example_runs() {
    let server = Memcached::start();
    multi_get::run(&server.addr()).await.expect("the example runs");
    assert_eq!(server.stat("curr_items"), 5);
}

#[tokio::test]
async fn typed_example_computes_once_and_caches_the_value() {
    let server = Memcached::start();
    typed::run(&server.addr()).await.expect("the example runs");
    let raw = client(&server).get("example.Product:v1:42").await.unwrap().expect("cached");
    assert_eq!(raw.flags, memcache_client::typed::ENVELOPE_FLAGS);
}

#[tokio::test]
async fn tls_example_stores_over_tls() {
    let pki = Pki::new();
    let server = start(&pki.server_args());
    tls::run(&server.addr(), pki.ca_pem.as_bytes()).await.expect("the example runs");
    // The value is there: read back over TLS with the test's own client.
    let mut config = memcache_client::Config::default();
    config.tls = Some(pki.client_tls());
    let client = crate::support::client_with(&server, config);
    assert_eq!(client.get("example:secret").await.unwrap().expect("stored").value, "over TLS");
}

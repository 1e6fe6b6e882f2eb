//! Many servers with weights: keys spread by ketama (as libmemcached and twemproxy place them), a server that fails
//! repeatedly ejected from the ring.
//!
//! Start two memcached (`memcached -p 11211 & memcached -p 11212 &`), then:
//! `cargo run -p memcache-client --example many_servers`. `MEMCACHED_SERVERS` takes another list,
//! `HOST:PORT[:WEIGHT]` comma-separated (default `127.0.0.1:11211:2,127.0.0.1:11212:1`: the first server holds
//! about two thirds of the keys).

use std::collections::BTreeMap;

use memcache_client::{Client, Config, Distribution, Error, FailurePolicy, ServerAddr, StoreOptions};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let servers =
        std::env::var("MEMCACHED_SERVERS").unwrap_or_else(|_| "127.0.0.1:11211:2,127.0.0.1:11212:1".to_owned());
    run(&servers).await
}

/// The example itself; the integration tests run it against memcached servers of their own.
pub(crate) async fn run(servers: &str) -> Result<(), Error> {
    let mut config = Config::default();
    config.distribution = Distribution::Ketama;
    // A server that fails `failure_limit` times in a row leaves the ring for `retry_interval`; its keys move to
    // the others (the default, FailFast, fails them fast instead).
    config.failure_policy = FailurePolicy::Eject;
    let client = Client::with_config(ServerAddr::parse_list(servers)?, config)?;

    let mut per_server: BTreeMap<String, usize> = BTreeMap::new();
    for i in 0..300 {
        let key = format!("example:user:{i}");
        assert!(client.set(&key, i.to_string(), StoreOptions::default().ttl(60)).await?.is_stored());
        *per_server.entry(client.server_for(key.as_bytes()).to_string()).or_default() += 1;
    }
    for (server, keys) in &per_server {
        println!("{server}: {keys} of 300 keys");
    }
    let item = client.get("example:user:7").await?.expect("just stored");
    println!(
        "example:user:7 = {:?}, on {}",
        String::from_utf8_lossy(&item.value),
        client.server_for(b"example:user:7")
    );
    Ok(())
}

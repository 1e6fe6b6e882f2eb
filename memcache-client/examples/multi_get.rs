//! Multi-get: many keys in one round trip per server, with a result (or an error) per key.
//!
//! Start a memcached (`memcached -p 11211 &`), then: `cargo run -p memcache-client --example multi_get`
//! (`MEMCACHED_SERVERS=host:port,...` for other servers; the keys fan out per server).

use memcache_client::{Client, Error, StoreOptions};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let servers = std::env::var("MEMCACHED_SERVERS").unwrap_or_else(|_| "127.0.0.1:11211".to_owned());
    run(&servers).await
}

/// The example itself; the integration tests run it against a memcached of their own.
pub(crate) async fn run(servers: &str) -> Result<(), Error> {
    let client = Client::new(servers)?;
    for i in 0..5 {
        let (key, value) = (format!("example:product:{i}"), format!("product {i}"));
        assert!(client.set(&key, value, StoreOptions::default().ttl(60)).await?.is_stored());
    }
    client.delete("example:product:99").await?;

    let keys: Vec<String> = [0, 1, 2, 3, 4, 99].iter().map(|i| format!("example:product:{i}")).collect();
    let found = client.get_many(keys.iter().map(String::as_str)).await?;
    for key in &keys {
        match (found.get(key), found.error(key)) {
            (Some(item), _) => println!("{key} = {:?}", String::from_utf8_lossy(&item.value)),
            // A server that failed fails only its own keys; the others' values are still here.
            (None, Some(error)) => println!("{key}: {error}"),
            (None, None) => println!("{key}: miss"),
        }
    }
    println!("{} hits, every server answered: {}", found.hits().len(), found.is_complete());
    Ok(())
}

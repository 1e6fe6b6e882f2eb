//! Typed values with `get_or_compute`: serde types in an envelope that names their type, schema version and
//! codec, computed once per key however many callers miss at the same time.
//!
//! Start a memcached (`memcached -p 11211 &`), then: `cargo run -p memcache-client --example typed`
//! (`MEMCACHED_SERVERS=host:port` for another server).

use std::sync::atomic::{AtomicUsize, Ordering};

use memcache_client::typed::versioned_key;
use memcache_client::{Client, Error, cacheable};
use serde::{Deserialize, Serialize};

/// A product as the database returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Product {
    name: String,
    price_cents: u64,
}

// The stable name and schema version every cached value carries; bump the version when the shape changes.
cacheable!(Product, "example.Product", version = 1);

/// Stands in for a slow database query; counts how often it runs.
async fn load_product(id: u64, loads: &AtomicUsize) -> Result<Product, Error> {
    loads.fetch_add(1, Ordering::SeqCst);
    Ok(Product { name: format!("product {id}"), price_cents: 1_099 })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let servers = std::env::var("MEMCACHED_SERVERS").unwrap_or_else(|_| "127.0.0.1:11211".to_owned());
    run(&servers).await
}

/// The example itself; the integration tests run it against a memcached of their own.
pub(crate) async fn run(servers: &str) -> Result<(), Error> {
    let client = Client::new(servers)?;
    let products = client.typed::<Product>();
    // `example.Product:v1:42`: each schema version has its own keys, so a deploy never ping-pongs a value.
    let key = versioned_key::<Product>(42);
    products.delete(&key).await?;

    let loads = AtomicUsize::new(0);
    // Ten callers miss at once: one loads from the "database", the others wait for its value.
    let callers = (0..10).map(|_| products.get_or_compute(&key, 300, || load_product(42, &loads)));
    let results = futures_util::future::join_all(callers).await;
    for product in results {
        assert_eq!(product?.price_cents, 1_099);
    }
    println!("10 concurrent reads of {key}: the database was queried {} time(s)", loads.load(Ordering::SeqCst));
    assert_eq!(loads.load(Ordering::SeqCst), 1, "one computation per key, however many callers miss");

    let cached = products.get(&key).await?.expect("cached by get_or_compute");
    println!("{key} = {cached:?}");
    Ok(())
}

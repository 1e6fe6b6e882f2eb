//! What a typed cache value declares about itself, shared by `memcache-client` (the typed client on real
//! memcached) and `effects` (the IO-free capability traits handlers are written against).
//!
//! - [`Cacheable`]: serde, plus a stable type name and a schema version; declare it with [`cacheable!`].
//! - [`fingerprint`]: a hash of a type's serde shape, which catches a shape change made without a version bump.
//!   A type it cannot trace is a [`SchemaError`], never a cache without its check.
//! - [`Schema`]: name, version and fingerprint together, what a writer declares and a reader expects.
//! - [`StoreOutcome`]: what a storage command did (`Stored`, `NotStored`, `Exists`, `NotFound`).
//! - [`DecodePolicy`]: what a typed read does with a value it must not decode (an error, or a miss).
//!
//! One trait for both crates means one declaration per type: a value written through `effects`' cache on
//! memcached is read by `memcache_client`'s typed client, and the other way round. This crate does no IO (no
//! tokio, no sockets, no clock), so `effects` can depend on it without letting handlers reach the network.
//! Users rarely name it: `memcache_client` and `effects` re-export everything here, `cacheable!` included.
//!
//! ```
//! use cache_schema::{Cacheable, Schema, cacheable};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Product { name: String, price: u64 }
//! cacheable!(Product, "shop.Product", version = 3);
//!
//! let schema = Schema::of::<Product>()?;
//! assert_eq!((schema.type_name, schema.version), ("shop.Product", 3));
//! assert_eq!(schema.fingerprint, Product::schema_fingerprint()?);
//!
//! // The same name and version with another serde shape: the fingerprint tells them apart.
//! #[derive(Serialize, Deserialize)]
//! #[serde(rename = "Product")]
//! struct ProductWithCurrency { name: String, price: u64, currency: String }
//! cacheable!(ProductWithCurrency, "shop.Product", version = 3);
//! assert_ne!(Schema::of::<ProductWithCurrency>()?.fingerprint, schema.fingerprint);
//!
//! // A type the tracer cannot feed by itself is an error naming it, not a cache without a check.
//! #[derive(Serialize, Deserialize)]
//! #[serde(untagged)]
//! enum Loose { Number(u64), Text(String) }
//! cacheable!(Loose, "app.Loose", version = 1);
//! let error = Schema::of::<Loose>().unwrap_err();
//! assert!(matches!(error, cache_schema::SchemaError::Untraceable { type_name: "app.Loose", .. }));
//! # Ok::<(), cache_schema::SchemaError>(())
//! ```

mod cacheable;
mod error;
pub mod fingerprint;
mod outcome;
mod policy;
mod schema;

pub use cacheable::Cacheable;
pub use error::SchemaError;
pub use outcome::StoreOutcome;
pub use policy::DecodePolicy;
pub use schema::Schema;

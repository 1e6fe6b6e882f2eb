//! Capability traits so REST handlers are written once and run against the real world in production and against
//! a deterministic sandbox in tests — and so that handler code which reaches for real IO does not build.
//!
//! A handler is generic over [`Effects`], the bundle of capabilities it may use: a [`Clock`], a [`Random`]
//! stream (ID generation draws from it), a typed [`Cache`], a transactional [`Store`], [`Outbound`] HTTP and
//! [`Events`] (logs and metrics). That is all it can do: code typed `E: Effects` can only do what `Effects`
//! offers (Haskell's `World m => m ()`; TigerBeetle's replica generic over its time and storage).
//!
//! - **Sandbox** ([`sandbox::Sandbox`]): a manual clock, a seeded random stream, an in-memory cache with
//!   memcached's semantics, an in-memory store with the same transactions as SQLite, scripted outbound responses,
//!   captured events, deterministic fault injection, and a trace of every effect. Same seed, same trace.
//! - **Production** lives in the `effects-real` crate (system clock, OS randomness, memcached, SQLite, hyper,
//!   tracing/metrics). This crate has no IO dependency at all.
//!
//! ```
//! use effects::sandbox::Sandbox;
//! use effects::{Cache, Clock, Effects, Events, Record, Store, cacheable};
//! use serde::{Deserialize, Serialize};
//!
//! typed_ids::id! {
//!     /// An order.
//!     pub OrderId: typed_ids::uuid::Uuid, prefix = "ord";
//! }
//!
//! #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
//! struct Order { id: String, total: u64, placed_at: u64 }
//! cacheable!(Order, "shop.Order", version = 1);
//! impl Record for Order { const COLLECTION: &'static str = "orders"; }
//!
//! /// A handler: generic over the capabilities, it cannot reach anything else.
//! async fn place_order<E: Effects>(fx: &E, total: u64) -> Result<Order, effects::StoreError> {
//!     let id: OrderId = fx.new_id();
//!     let order = Order { id: id.to_string(), total, placed_at: fx.clock().now().unix_millis() };
//!     fx.store().upsert(&order.id, &order).await?;
//!     let _ = fx.cache().set(&format!("order:{}", order.id), &order, 300).await; // best effort
//!     fx.events().counter("orders_placed_total", vec![], 1);
//!     Ok(order)
//! }
//!
//! let sandbox = Sandbox::new(7);
//! let order = sandbox.run(place_order(&sandbox, 1999)).unwrap();
//! assert_eq!(order.placed_at, sandbox.clock().now().unix_millis());
//! assert_eq!(sandbox.events().counter_total("orders_placed_total"), 1);
//! // Same seed, same ID: the run is a pure function of the seed.
//! let again = Sandbox::new(7);
//! assert_eq!(again.run(place_order(&again, 1999)).unwrap().id, order.id);
//! ```
//!
//! # Keeping handlers inside the capabilities
//!
//! Two mechanisms, of different strength:
//!
//! 1. **The crate graph (type level).** Put handlers in a crate whose `[dependencies]` are this crate plus
//!    IO-free crates (serde, typed-ids, ...). Rust code can only name its crate's *direct* dependencies, so
//!    `tokio::net::TcpStream`, `sqlx::query`, `hyper_util::client`, `rand::thread_rng` or
//!    `effects_real::World` are unresolved names there: a compile error, whatever the binary links in. Cargo's
//!    feature unification cannot undo this, which is why the production implementations are a separate crate
//!    rather than a `real` feature here (a feature switched on by the binary would be on for the handlers too).
//!    Shown by `tests/ui/fail/*.rs` (trybuild).
//! 2. **Clippy (lint level).** `std` is always available, so `std::time::SystemTime::now()`, `std::fs`,
//!    `std::net`, `std::env`, `std::thread::sleep` and `Instant::now()` compile anywhere. Copy
//!    [`HANDLER_CLIPPY_TOML`] into the handler crate's directory as `clippy.toml` (clippy reads the package
//!    directory's file first, so the production crates keep theirs) and CI's
//!    `cargo clippy --workspace -- -D warnings` refuses them. Shown by `tests/escape.rs`, which runs clippy on a
//!    fixture handler crate.
//!
//! **Limits**, honestly: the lint level is only as strong as CI running clippy with `-D warnings`; `#[allow]` in
//! the source or a `build.rs` defeats it, so review those in handler crates. `unsafe` code and FFI could escape
//! anything (the workspace forbids `unsafe_code`). A dependency of the handler crate that itself does IO (say a
//! crate that reads env vars on its own) is not caught: keep the handler crate's dependency list short and IO-free.
//! `HashMap` iteration order is random per process; it is listed in the clippy file because handlers should use
//! `BTreeMap` wherever order reaches an output — a deterministic trace needs that.

mod cache;
mod clock;
mod events;
pub mod memory;
mod outbound;
mod random;
pub mod sandbox;
mod store;

pub use cache::{
    Cache, CacheError, CasToken, DEFAULT_MAX_VALUE_SIZE, ENVELOPE_HEADER, MAX_KEY_LEN, MAX_RELATIVE_TTL, RejectReason,
    check_key,
};
/// Declares a type [`Cacheable`] with its stable name and schema version, checked when the program compiles.
///
/// The macro lives in the IO-free `cache-schema` crate, which `memcache-client` shares, so one declaration serves
/// this crate's [`Cache`] and the client's typed layer; a handler crate that depends on this crate alone can use it.
///
/// ```
/// use effects::{Cacheable, cacheable};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// struct Customer { name: String, credits: u64 }
/// cacheable!(Customer, "shop.Customer", version = 3);
///
/// assert_eq!((Customer::TYPE_NAME, Customer::VERSION), ("shop.Customer", 3));
/// assert_eq!(effects::Schema::of::<Customer>()?.fingerprint, effects::fingerprint::traced::<Customer>()?);
/// # Ok::<(), effects::SchemaError>(())
/// ```
pub use cache_schema::cacheable;
pub use cache_schema::{Cacheable, DecodePolicy, Schema, SchemaError, StoreOutcome, fingerprint};
pub use clock::{Clock, Timestamp};
pub use events::{Event, Events, Labels, Level};
pub use outbound::{Method, Outbound, OutboundError, Request, Response};
pub use random::{IdClock, IdRandom, Random, new_id, uuid_v7};
pub use store::{Record, Store, StoreError, Transaction, decode_record, encode_record};

/// The `clippy.toml` for handler crates: copy it into the crate's directory. It closes the holes `std` leaves
/// open (see the crate docs); `tests/escape.rs` checks that it does.
pub const HANDLER_CLIPPY_TOML: &str = include_str!("../handler-clippy.toml");

/// Everything a handler may do. Handlers are generic over it (`async fn handler<E: Effects>(fx: &E, ...)`);
/// production passes `effects_real::World`, tests pass a [`sandbox::Sandbox`]. Dispatch is static: a handler
/// compiled for the world costs the same as code calling the implementations directly (see BENCHMARKS.md).
pub trait Effects: Send + Sync {
    /// The clock.
    type Clock: Clock;
    /// The random stream.
    type Random: Random;
    /// The cache.
    type Cache: Cache;
    /// The store.
    type Store: Store;
    /// Outbound HTTP.
    type Outbound: Outbound;
    /// Logs and metrics.
    type Events: Events;

    /// The clock.
    fn clock(&self) -> &Self::Clock;
    /// The random stream.
    fn random(&self) -> &Self::Random;
    /// The cache.
    fn cache(&self) -> &Self::Cache;
    /// The store.
    fn store(&self) -> &Self::Store;
    /// Outbound HTTP.
    fn outbound(&self) -> &Self::Outbound;
    /// Logs and metrics.
    fn events(&self) -> &Self::Events;

    /// A new time-ordered (UUIDv7) ID from this world's clock and random stream.
    fn new_id<I: typed_ids::UuidId>(&self) -> I {
        random::new_id(self.clock(), self.random())
    }
}

/// `Effects` through a pointer to a bundle: the same capabilities.
macro_rules! forward_effects {
    ($($pointer:ty),*) => {$(
        impl<E: Effects + ?Sized> Effects for $pointer {
            type Clock = E::Clock;
            type Random = E::Random;
            type Cache = E::Cache;
            type Store = E::Store;
            type Outbound = E::Outbound;
            type Events = E::Events;

            fn clock(&self) -> &Self::Clock {
                (**self).clock()
            }
            fn random(&self) -> &Self::Random {
                (**self).random()
            }
            fn cache(&self) -> &Self::Cache {
                (**self).cache()
            }
            fn store(&self) -> &Self::Store {
                (**self).store()
            }
            fn outbound(&self) -> &Self::Outbound {
                (**self).outbound()
            }
            fn events(&self) -> &Self::Events {
                (**self).events()
            }
        }
    )*};
}

forward_effects!(&E, std::sync::Arc<E>);

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
//!    feature unification cannot undo this: the production implementations are a separate crate rather than a
//!    `real` feature here, and the IO-free crates a handler may name re-export no crate whole — typed-ids offers
//!    `typed_ids::uuid::{Uuid, Version}` and, for its `id!` macro, only trait vocabulary (`Serialize`,
//!    `sqlx::Type`, `ToSchema`, ...), so `typed_ids::__private::axum` or `typed_ids::uuid::Timestamp` stay
//!    unresolved even when a sibling crate switches every feature on. Shown by `tests/ui/fail/*.rs` (trybuild)
//!    and by the `unreachable-handler` fixture of `tests/escape.rs`.
//! 2. **Clippy (lint level).** `std` is always available, so `std::fs`, `std::net`, `std::env`, `SystemTime`
//!    compile anywhere. Copy [`HANDLER_CLIPPY_TOML`] into the handler crate's directory as `clippy.toml` (clippy
//!    reads the package directory's file first, so the production crates keep theirs) and CI's
//!    `cargo clippy --workspace -- -D warnings` refuses them. The list is derived from std's own API by
//!    `tests/seal_list` (which fails when the installed std has a way out the list lacks) and tried from outside
//!    by `tests/escape.rs`, with one refused case per family and a clean handler that must pass untouched.
//!
//! What the clippy list refuses, by family (whole types where clippy allows it, so a type is refused wherever it
//! is named, and every method of it, so a value reached without naming it — `UNIX_EPOCH.elapsed()` — is too):
//!
//! - **the clock**: `SystemTime`, `Instant` (read time through [`Effects::clock`]);
//! - **the disk**: everything in `std::fs`, `std::os::{unix,linux}::fs`, `std::os::fd`, `std::path::absolute`,
//!   and the `Path`/`PathBuf` methods that ask the file system (`exists`, `metadata`, `read_dir`, ...);
//! - **the network**: `TcpStream`, `TcpListener`, `UdpSocket`, `ToSocketAddrs` (a DNS lookup),
//!   `std::net::hostname`, `std::os::unix::net`, `std::os::linux::net`; addresses stay usable as values;
//! - **the environment**: everything in `std::env`, and `io::Error::last_os_error`;
//! - **processes and threads**: everything in `std::process`, `std::thread` and their `std::os` extensions;
//! - **the standard streams**: `stdin`/`stdout`/`stderr`, pipes, `print!`, `println!`, `eprint!`,
//!   `eprintln!`, `dbg!` (log through [`Effects::events`]): reading stdin is input the seed does not fix, and
//!   writing stdout is output outside the trace that can block or fail;
//! - **per-process values**: `std::backtrace` (addresses, `RUST_BACKTRACE`), `std::random`;
//! - **hash order**: std's `HashMap`, `HashSet` and `RandomState` by name, and the `RandomState` constructors
//!   (`HashMap::new`, ...): their iteration order changes from process to process. Use `BTreeMap`/`BTreeSet`
//!   where order reaches an output, or [`collections::HashMap`]/[`collections::HashSet`], the same std types
//!   with a fixed hasher, whose order is the same in every process (`tests/determinism.rs` shows a handler
//!   iterating one gives byte-identical traces in separate processes);
//! - **global mutable state**: `thread_local!`, panic hooks, and the `const` constructors of every `std::sync`
//!   type (`AtomicU64::new`, `Mutex::new`, `OnceLock::new`, `LazyLock::new`, ...). A `static` can only be built
//!   by a `const` constructor, so this refuses a `static` counter, lock or cell — state that one run would leave
//!   to the next in the same process, so two runs with one seed would differ — while a handler keeps using a
//!   *local* atomic or lock built with `Default::default()` or `From` (the shop shares a hit/miss flag with a
//!   `Send` closure that way). The deprecated `ATOMIC_*_INIT`/`ONCE_INIT` constants are refused by rustc's
//!   `deprecated` lint under `-D warnings`. Immutable statics and constants are fine;
//! - **uuid's own constructors** (`Uuid::new_v4`, `now_v7`, `now_v6`, `now_v1`), which exist when any crate in
//!   the build turns on uuid's `v4`/`v7` features: make IDs with [`Effects::new_id`].
//!
//! **What it cannot cover, and how a reviewer spots each:**
//!
//! - *`#[allow]`/`#[expect]` of a `clippy::disallowed_*` lint* (or `-A` in CI's clippy flags): grep handler
//!   crates for `disallowed_` and CI for the clippy invocation; a clippy.toml missing from a handler crate is
//!   the same hole (compare it with [`HANDLER_CLIPPY_TOML`]; `tests/seal_list` does for the shop's).
//! - *A dependency that does IO on its own* (a crate that reads an env var, opens a file, seeds a `HashMap`
//!   randomly or hands out one): clippy lints the handler's code, not its dependencies'. Keep the handler
//!   crate's `[dependencies]` short and IO-free; review every addition to it (`cargo tree -p <handler>`).
//! - *`unsafe` code*: FFI (`extern "C" { fn time(..) }`), `static mut`, raw pointers and CPU intrinsics reach
//!   anything. clippy.toml cannot set lint levels, so the handler crate must carry `#![forbid(unsafe_code)]`
//!   (the workspace's `[workspace.lints]` do for the shop): grep for `unsafe` and check the crate root.
//! - *A `build.rs` or a proc macro of the handler crate*: they run at build time with full access; a handler
//!   crate has neither (look for `build =`/`build.rs` and `proc-macro = true`).
//! - *Addresses*: formatting a pointer (`{:p}`) or casting one to an integer yields a per-process value
//!   (ASLR) that clippy cannot see; the sandbox's separate-process determinism test is what catches it.
//! - *Compile-time inputs* (`env!`, `include_str!`): fixed when the crate builds, the same for every run.

mod cache;
mod clock;
pub mod collections;
mod events;
pub mod health;
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

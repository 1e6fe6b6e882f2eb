//! A pipelined, tokio-based [memcached](https://memcached.org) client.
//!
//! ```no_run
//! use memcache_client::{Client, StoreOptions};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), memcache_client::Error> {
//!     let client = Client::new("127.0.0.1:11211")?;
//!     client.set("greeting", "hello", StoreOptions::default().ttl(60)).await?;
//!     let item = client.get("greeting").await?.expect("just stored");
//!     assert_eq!(item.value, "hello");
//!
//!     assert_eq!(client.incr("visits", 1).await?, None); // absent: a value, not an error
//!     Ok(())
//! }
//! ```
//!
//! That is the whole program, given `tokio = { version = "1", features = ["macros", "rt-multi-thread"] }` beside
//! this crate in `Cargo.toml` and a memcached to talk to (`memcached -p 11211 &`). The crate's `examples/` go
//! further; each runs with `cargo run -p memcache-client --example NAME` against `MEMCACHED_SERVERS` (default
//! `127.0.0.1:11211`), and the integration tests run every one of them:
//!
//! | example | shows |
//! |---|---|
//! | `one_server` | store, read, count, delete; misses and `NOT_STORED` as values |
//! | `many_servers` | weighted servers (`HOST:PORT:WEIGHT`), ketama placement, ejecting a failing server ([`Config`]) |
//! | `multi_get` | [`Client::get_many`]: one round trip per server, a result or an error per key ([`MultiGet`]) |
//! | `typed` | serde values that carry their schema ([`Client::typed`]), read-through [`TypedClient::get_or_compute`] |
//! | `tls` | TLS to `memcached -Z` ([`Config::tls`], `MEMCACHED_TLS_CA`) |
//!
//! - [`Client`]: cheap to clone, `Send + Sync`; an async method for every command. It speaks the meta protocol
//!   (`mg`, `ms`, ...) on the hot path, which memcached answers in batches, and the classic text protocol when
//!   [`Config::protocol`] says so, for servers older than 1.6.
//! - One connection per server carries many concurrent requests: requests from all tasks are written together and
//!   replies matched in order. A request that times out or whose future is dropped never desynchronises the
//!   connection. Each meta request also carries an opaque token (`O<n>`) that the server echoes; a reply with
//!   another token (injected, lost or duplicated on the way) closes the connection with [`Error::Protocol`]
//!   rather than reaching the wrong caller. memcached 1.6 echoes it on every reply, misses included; a proxy
//!   that drops it must be used with the text protocol.
//! - Many servers: keys are placed by weighted ketama exactly as libmemcached and twemproxy place them (or
//!   pymemcache's rendezvous, or modula: [`Distribution`]); multi-key reads fan out per server and return per-key
//!   errors ([`MultiGet`]); a failing server is marked down and either fails fast ([`Error::ServerDown`]) or is
//!   ejected from the ring ([`FailurePolicy`]); [`Client::set_servers`] changes the list at run time.
//! - Keys and values are checked before anything is sent ([`Error::InvalidKey`], [`Error::ValueTooLarge`]): no key
//!   can smuggle a command onto the wire. Arbitrary bytes can still be keys, as a [`BinaryKey`].
//! - Misses, `NOT_STORED`, `EXISTS` and `NOT_FOUND` are values ([`Option`], [`StoreOutcome`], `bool`), not errors.
//! - [`typed`]: values that carry their schema. [`Client::typed`] stores serde types in an envelope naming their
//!   type, schema version, schema fingerprint and codec; data written by another type or another version is
//!   rejected ([`Error::Rejected`], whose [`Rejection`] says why: `UnexpectedVersion`, ...) or treated as a miss,
//!   never decoded into garbage. Read-through caching with stampede protection: [`TypedClient::get_or_compute`].
//! - TLS ([`Config::tls`], [`TlsConfig`], rustls with the `ring` provider) for servers started with `-Z`, and
//!   memcached's ASCII authentication ([`Config::auth`], [`Credentials`]) for servers started with `-Y authfile`:
//!   every connection authenticates before it carries a request ([`Error::Tls`], [`Error::AuthFailed`]).
//! - [`proto`] is the sans-IO codec underneath, usable on its own.
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `tls` | yes | [`Config::tls`] and `TlsConfig`: rustls with the `ring` provider |
//! | `bincode` | yes | the `Bincode` codec, the default of [`Client::typed`] (without it, [`Client::typed_with`] and another codec) |
//! | `metrics` | yes | the `memcache_typed_rejected_total` counter, through the `metrics` facade |
//! | `postcard` | no | the `Postcard` codec, the maintained alternative to bincode |
//!
//! `default-features = false` leaves the client over plain TCP and Unix sockets, typed values with a codec of your
//! own choosing, and no rustls, ring, bincode or metrics in the build.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod client;
mod cmd;
mod config;
mod connection;
mod error;
mod item;
mod key;
mod multi;
pub mod proto;
mod ring;
mod server;
#[cfg(feature = "tls")]
mod tls;
mod topology;
pub mod typed;

pub use auth::Credentials;
/// Declares a type [`Cacheable`] with its stable name and schema version, checked when the program compiles.
///
/// The macro lives in the IO-free `cache-schema` crate, which `effects` shares, so one declaration serves both
/// this client and `effects`' cache; depending on this crate alone is enough to use it.
///
/// ```
/// use memcache_client::{Cacheable, cacheable};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// struct Customer { name: String, credits: u64 }
/// cacheable!(Customer, "shop.Customer", version = 3);
///
/// assert_eq!((Customer::TYPE_NAME, Customer::VERSION), ("shop.Customer", 3));
/// let schema = memcache_client::typed::Schema::of::<Customer>()?;
/// assert_eq!(schema.fingerprint, memcache_client::typed::fingerprint::traced::<Customer>()?);
/// # Ok::<(), memcache_client::typed::SchemaError>(())
/// ```
pub use cache_schema::cacheable;
pub use client::Client;
pub use config::{Config, DEFAULT_MAX_VALUE_SIZE, Distribution, Endpoint, FailurePolicy, Protocol, ServerAddr};
pub use error::{Error, ErrorKind};
pub use item::{Cas, Item, StoreOptions, StoreOutcome};
pub use key::{AsKey, BinaryKey, InvalidKeyReason, MAX_KEY_LEN};
pub use multi::MultiGet;
#[cfg(feature = "tls")]
pub use tls::TlsConfig;
pub use typed::{Cacheable, DecodePolicy, Rejection, TypedClient};

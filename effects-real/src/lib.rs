//! Production implementations of the [`effects`] capabilities, and the [`World`] that bundles them.
//!
//! | capability | implementation |
//! |---|---|
//! | [`Clock`](effects::Clock) | [`SystemClock`]: the system clock, tokio's timer |
//! | [`Random`](effects::Random) | [`OsRandom`]: the operating system's generator |
//! | [`Cache`](effects::Cache) | [`WorldCache`]: [`MemcachedCache`] on real memcached, or the [`InProcessCache`] |
//! | [`Store`](effects::Store) | [`WorldStore`]: [`SqliteStore`] (the embedded default) or `PostgresStore`, by URL |
//! | [`Outbound`](effects::Outbound) | [`HyperOutbound`]: hyper's HTTP/1 client |
//! | [`Events`](effects::Events) | [`TracingEvents`]: `tracing` and `metrics` |
//!
//! Only the binary depends on this crate; handler crates depend on `effects` alone, so they cannot name anything
//! here (see the `effects` crate docs for why this is a separate crate and not a feature).
//!
//! Features, all on by default: `sqlite` ([`SqliteStore`], sqlx), `http` ([`HyperOutbound`], hyper's client) and
//! `memcached` ([`MemcachedCache`], `memcache-client`). [`World`] needs `sqlite` and `http`; without `memcached` its
//! cache is always the in-process one. A program that assembles its own `Effects` from some of the parts can turn
//! the rest off (`default-features = false, features = [...]`).
//!
//! ```
//! use effects::{Cache, Effects};
//! use effects_real::{World, WorldConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), effects_real::WorldError> {
//! // No memcached configured: the in-process cache; SQLite in memory.
//! let world = World::connect(&WorldConfig::default()).await?;
//! world.cache().set("greeting", &"hello".to_owned(), 60).await.unwrap();
//! assert_eq!(world.cache().get::<String>("greeting").await.unwrap().as_deref(), Some("hello"));
//! # Ok(()) }
//! ```

mod cache;
mod clock;
mod events;
#[cfg(feature = "memcached")]
mod memcached;
#[cfg(feature = "http")]
mod outbound;
#[cfg(feature = "postgres")]
mod postgres;
mod random;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
mod store;

#[cfg(all(feature = "sqlite", feature = "http"))]
use std::sync::Arc;
#[cfg(all(feature = "sqlite", feature = "http"))]
use std::time::Duration;

pub use cache::{InProcessCache, WorldCache, in_process_cache};
pub use clock::SystemClock;
#[cfg(all(feature = "sqlite", feature = "http"))]
use effects::memory::MemoryCacheConfig;
#[cfg(all(feature = "sqlite", feature = "http"))]
use effects::{DecodePolicy, Effects, StoreError};
pub use events::TracingEvents;
#[cfg(feature = "memcached")]
pub use memcached::MemcachedCache;
#[cfg(feature = "http")]
pub use outbound::HyperOutbound;
#[cfg(feature = "postgres")]
pub use postgres::{DEFAULT_MAX_CONNECTIONS, PostgresStore, PostgresTx};
pub use random::OsRandom;
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteStore, SqliteTx};
#[cfg(feature = "sqlite")]
pub use store::{Backend, WorldStore, WorldTx};

#[cfg(all(feature = "sqlite", feature = "http"))]
/// How to build a [`World`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WorldConfig {
    /// memcached servers (`host:port[,host:port...]`); `None` uses the in-process cache. Feature `memcached`.
    #[cfg(feature = "memcached")]
    pub memcached: Option<String>,
    /// The database URL: `postgres://...` (or `postgresql://...`) for PostgreSQL, anything else for SQLite
    /// (`sqlite://path`, `sqlite::memory:`); see [`WorldStore`]. Default `sqlite::memory:`.
    pub database_url: String,
    /// The default timeout of outbound HTTP calls. Default 10 s.
    pub outbound_timeout: Duration,
    /// What cache reads do with values another type or version wrote. Default: treat as a miss.
    pub cache_policy: DecodePolicy,
}

#[cfg(all(feature = "sqlite", feature = "http"))]
impl Default for WorldConfig {
    fn default() -> Self {
        Self {
            #[cfg(feature = "memcached")]
            memcached: None,
            database_url: "sqlite::memory:".into(),
            outbound_timeout: Duration::from_secs(10),
            cache_policy: DecodePolicy::default(),
        }
    }
}

#[cfg(all(feature = "sqlite", feature = "http"))]
impl WorldConfig {
    /// This configuration with memcached at `servers`.
    #[cfg(feature = "memcached")]
    #[must_use]
    pub fn memcached(mut self, servers: impl Into<String>) -> Self {
        self.memcached = Some(servers.into());
        self
    }

    /// This configuration with another database URL.
    #[must_use]
    pub fn database_url(mut self, url: impl Into<String>) -> Self {
        self.database_url = url.into();
        self
    }
}

#[cfg(all(feature = "sqlite", feature = "http"))]
/// Why a [`World`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorldError {
    /// The memcached configuration is invalid.
    #[cfg(feature = "memcached")]
    #[error("memcached: {0}")]
    Cache(#[from] memcache_client::Error),
    /// The database could not be opened.
    #[error("database: {0}")]
    Store(#[from] StoreError),
}

#[cfg(all(feature = "sqlite", feature = "http"))]
#[derive(Debug)]
struct Parts {
    clock: SystemClock,
    random: OsRandom,
    cache: WorldCache,
    store: WorldStore,
    outbound: HyperOutbound,
    events: TracingEvents,
}

/// The production [`Effects`]: real time, real randomness, real memcached (or the in-process cache), SQLite or
/// PostgreSQL, HTTP, tracing and metrics. Cheap to clone; pass it as axum state.
#[cfg(all(feature = "sqlite", feature = "http"))]
#[derive(Debug, Clone)]
pub struct World {
    parts: Arc<Parts>,
}

#[cfg(all(feature = "sqlite", feature = "http"))]
impl World {
    /// Builds the world from `config`: creates the memcached client (it connects lazily) and opens the database.
    ///
    /// # Errors
    /// [`WorldError::Cache`] for bad memcached addresses; [`WorldError::Store`] if the database cannot be opened.
    pub async fn connect(config: &WorldConfig) -> Result<Self, WorldError> {
        #[cfg(feature = "memcached")]
        let cache = match &config.memcached {
            Some(servers) => WorldCache::Memcached(
                MemcachedCache::new(memcache_client::Client::new(servers)?).with_policy(config.cache_policy),
            ),
            None => WorldCache::InProcess(in_process_cache(MemoryCacheConfig::default().policy(config.cache_policy))),
        };
        #[cfg(not(feature = "memcached"))]
        let cache = WorldCache::InProcess(in_process_cache(MemoryCacheConfig::default().policy(config.cache_policy)));
        let store = WorldStore::connect(&config.database_url).await?;
        Ok(Self::from_parts(cache, store, HyperOutbound::new(config.outbound_timeout)))
    }

    /// A world from ready-made parts.
    pub fn from_parts(cache: WorldCache, store: impl Into<WorldStore>, outbound: HyperOutbound) -> Self {
        let store = store.into();
        let parts = Parts { clock: SystemClock, random: OsRandom, cache, store, outbound, events: TracingEvents };
        Self { parts: Arc::new(parts) }
    }
}

#[cfg(all(feature = "sqlite", feature = "http"))]
impl Effects for World {
    type Clock = SystemClock;
    type Random = OsRandom;
    type Cache = WorldCache;
    type Store = WorldStore;
    type Outbound = HyperOutbound;
    type Events = TracingEvents;

    fn clock(&self) -> &SystemClock {
        &self.parts.clock
    }
    fn random(&self) -> &OsRandom {
        &self.parts.random
    }
    fn cache(&self) -> &WorldCache {
        &self.parts.cache
    }
    fn store(&self) -> &WorldStore {
        &self.parts.store
    }
    fn outbound(&self) -> &HyperOutbound {
        &self.parts.outbound
    }
    fn events(&self) -> &TracingEvents {
        &self.parts.events
    }
}

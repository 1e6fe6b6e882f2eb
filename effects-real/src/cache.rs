//! The world's cache: memcached when configured, else in process.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use effects::memory::{MemoryCache, MemoryCacheConfig};
use effects::{Cache, CacheError, Cacheable, CasToken, StoreOutcome};

#[cfg(feature = "memcached")]
use crate::MemcachedCache;
use crate::SystemClock;

/// The embedded cache: `effects`' [`MemoryCache`] on the system clock — the same code the sandbox runs and the
/// contract suite holds to memcached, so the embedded default and the tests cannot disagree. It is one mutex over
/// a `BTreeMap` with least-recently-used eviction; a dedicated concurrent cache (moka) would scale better across
/// cores, but a service that needs that should run memcached anyway.
pub type InProcessCache = MemoryCache<SystemClock>;

/// An [`InProcessCache`] whose rejected values are counted in `cache_typed_rejected_total` and logged, as the
/// client does for memcached.
pub fn in_process_cache(config: MemoryCacheConfig) -> InProcessCache {
    MemoryCache::with_config(SystemClock, config).on_reject(Arc::new(|type_name, reason| {
        metrics::counter!("cache_typed_rejected_total", "type" => type_name, "reason" => reason.as_str()).increment(1);
        tracing::warn!(type_name, reason = reason.as_str(), "cached value rejected");
    }))
}

/// The [`World`](crate::World)'s cache: one type for both deployments.
#[derive(Debug)]
pub enum WorldCache {
    /// Real memcached (feature `memcached`).
    #[cfg(feature = "memcached")]
    Memcached(MemcachedCache),
    /// In process, when no memcached is configured.
    InProcess(InProcessCache),
}

macro_rules! delegate {
    ($self:ident, $c:ident => $call:expr) => {
        match $self {
            #[cfg(feature = "memcached")]
            WorldCache::Memcached($c) => $call.await,
            WorldCache::InProcess($c) => $call.await,
        }
    };
}

impl Cache for WorldCache {
    async fn get<T: Cacheable>(&self, key: &str) -> Result<Option<T>, CacheError> {
        delegate!(self, c => c.get::<T>(key))
    }

    async fn gets<T: Cacheable>(&self, key: &str) -> Result<Option<(T, CasToken)>, CacheError> {
        delegate!(self, c => c.gets::<T>(key))
    }

    async fn get_many<T: Cacheable>(&self, keys: &[&str]) -> Result<BTreeMap<String, T>, CacheError> {
        delegate!(self, c => c.get_many::<T>(keys))
    }

    async fn set<T: Cacheable>(&self, key: &str, value: &T, ttl: u32) -> Result<StoreOutcome, CacheError> {
        delegate!(self, c => c.set(key, value, ttl))
    }

    async fn add<T: Cacheable>(&self, key: &str, value: &T, ttl: u32) -> Result<StoreOutcome, CacheError> {
        delegate!(self, c => c.add(key, value, ttl))
    }

    async fn replace<T: Cacheable>(&self, key: &str, value: &T, ttl: u32) -> Result<StoreOutcome, CacheError> {
        delegate!(self, c => c.replace(key, value, ttl))
    }

    async fn cas<T: Cacheable>(
        &self,
        key: &str,
        value: &T,
        cas: CasToken,
        ttl: u32,
    ) -> Result<StoreOutcome, CacheError> {
        delegate!(self, c => c.cas(key, value, cas, ttl))
    }

    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        delegate!(self, c => c.delete(key))
    }

    async fn touch(&self, key: &str, ttl: u32) -> Result<bool, CacheError> {
        delegate!(self, c => c.touch(key, ttl))
    }

    async fn get_or_compute<T, F, Fut, E>(&self, key: &str, ttl: u32, compute: F) -> Result<T, E>
    where
        T: Cacheable,
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = Result<T, E>> + Send,
        E: Send,
    {
        delegate!(self, c => c.get_or_compute(key, ttl, compute))
    }
}

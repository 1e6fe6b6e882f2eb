//! The sandbox cache: a [`MemoryCache`] on the manual clock, with faults and a trace.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use super::gate::Gate;
use super::{CacheFault, CapturedEvents, Faults, ManualClock, Trace};
use crate::cache::{Cache, CacheError, CasToken};
use crate::events::Events;
use crate::memory::{MemoryCache, MemoryCacheConfig};
use crate::{Cacheable, StoreOutcome};

/// The sandbox's cache: memcached's semantics ([`MemoryCache`]) with TTLs on the [`ManualClock`], injected faults
/// ([`Faults::cache`]) and every call in the trace. Rejected values count in the captured metric
/// `cache_typed_rejected_total` (labels `type`, `reason`), as the client counts them.
#[derive(Debug)]
pub struct SandboxCache {
    inner: MemoryCache<ManualClock>,
    faults: Faults,
    trace: Trace,
    gate: Gate,
}

impl SandboxCache {
    pub(crate) fn new(
        clock: ManualClock,
        config: MemoryCacheConfig,
        faults: Faults,
        trace: Trace,
        events: CapturedEvents,
        gate: Gate,
    ) -> Self {
        let hook_trace = trace.clone();
        let inner = MemoryCache::with_config(clock, config).on_reject(Arc::new(move |type_name, reason| {
            hook_trace.record(format_args!("cache.reject type={type_name} reason={}", reason.as_str()));
            events.counter(
                "cache_typed_rejected_total",
                vec![("type", type_name.to_owned()), ("reason", reason.as_str().to_owned())],
                1,
            );
        }));
        Self { inner, faults, trace, gate }
    }

    /// The memory cache underneath, for seeding data without faults or trace.
    pub fn memory(&self) -> &MemoryCache<ManualClock> {
        &self.inner
    }

    /// Plants a value as another deploy would write it: type `T`'s name at schema `version`. Readers of `T` at
    /// its own version reject it ([`RejectReason::UnexpectedVersion`](crate::RejectReason::UnexpectedVersion)).
    pub fn plant_other_version<T: Cacheable>(&self, key: &str, version: u32, value: &T, ttl: u32) {
        self.trace.record(format_args!("cache.plant key={key} type={} version={version}", T::TYPE_NAME));
        // An untraceable type plants the unchecked fingerprint: its readers refuse everything anyway.
        let fingerprint = T::schema_fingerprint().unwrap_or(crate::fingerprint::UNCHECKED);
        self.inner.insert_foreign(key, T::TYPE_NAME, version, fingerprint, value, ttl);
    }

    /// Plants raw bytes, as a client without the typed layer would write them.
    pub fn plant_raw(&self, key: &str, bytes: &[u8], ttl: u32) {
        self.trace.record(format_args!("cache.plant key={key} raw len={}", bytes.len()));
        self.inner.insert_raw(key, bytes, ttl);
    }

    /// The yield point before a call.
    async fn yield_point(&self, op: &str, key: &str) {
        self.gate.point(|| format!("cache.{op} key={key}")).await;
    }

    /// The fault to apply to this call, if any (a timeout moves the clock on first).
    fn fault(&self, op: &str, key: &str) -> Result<(), CacheError> {
        match self.faults.cache_fault() {
            None => Ok(()),
            Some(CacheFault::Down) => {
                self.trace.record(format_args!("cache.{op} key={key} -> fault down"));
                Err(CacheError::Unavailable { message: "sandbox fault: cache down".into() })
            }
            Some(CacheFault::Timeout(after)) => {
                self.inner.clock().advance(after);
                self.trace.record(format_args!("cache.{op} key={key} -> fault timeout"));
                Err(CacheError::Timeout { message: format!("sandbox fault: no reply in {after:?}") })
            }
        }
    }

    fn log<V>(&self, op: &str, key: &str, result: &Result<V, CacheError>, ok: impl FnOnce(&V) -> String) {
        match result {
            Ok(v) => self.trace.record(format_args!("cache.{op} key={key} -> {}", ok(v))),
            Err(e) => self.trace.record(format_args!("cache.{op} key={key} -> err {}", e.kind())),
        }
    }
}

fn hit<T>(v: &Option<T>) -> String {
    if v.is_some() { "hit".into() } else { "miss".into() }
}

fn outcome(o: &StoreOutcome) -> String {
    format!("{o:?}")
}

impl Cache for SandboxCache {
    async fn get<T: Cacheable>(&self, key: &str) -> Result<Option<T>, CacheError> {
        self.yield_point("get", key).await;
        self.fault("get", key)?;
        let result = self.inner.get(key).await;
        self.log("get", key, &result, hit);
        result
    }

    async fn gets<T: Cacheable>(&self, key: &str) -> Result<Option<(T, CasToken)>, CacheError> {
        self.yield_point("gets", key).await;
        self.fault("gets", key)?;
        let result = self.inner.gets(key).await;
        self.log("gets", key, &result, |v| match v {
            Some((_, cas)) => format!("hit cas={}", cas.0),
            None => "miss".into(),
        });
        result
    }

    async fn get_many<T: Cacheable>(&self, keys: &[&str]) -> Result<BTreeMap<String, T>, CacheError> {
        let joined = keys.join(",");
        self.yield_point("get_many", &joined).await;
        self.fault("get_many", &joined)?;
        let result = self.inner.get_many(keys).await;
        self.log("get_many", &joined, &result, |v| format!("{} hits", v.len()));
        result
    }

    async fn set<T: Cacheable>(&self, key: &str, value: &T, ttl: u32) -> Result<StoreOutcome, CacheError> {
        self.yield_point("set", key).await;
        self.fault("set", key)?;
        let result = self.inner.set(key, value, ttl).await;
        self.log("set", key, &result, outcome);
        result
    }

    async fn add<T: Cacheable>(&self, key: &str, value: &T, ttl: u32) -> Result<StoreOutcome, CacheError> {
        self.yield_point("add", key).await;
        self.fault("add", key)?;
        let result = self.inner.add(key, value, ttl).await;
        self.log("add", key, &result, outcome);
        result
    }

    async fn replace<T: Cacheable>(&self, key: &str, value: &T, ttl: u32) -> Result<StoreOutcome, CacheError> {
        self.yield_point("replace", key).await;
        self.fault("replace", key)?;
        let result = self.inner.replace(key, value, ttl).await;
        self.log("replace", key, &result, outcome);
        result
    }

    async fn cas<T: Cacheable>(
        &self,
        key: &str,
        value: &T,
        cas: CasToken,
        ttl: u32,
    ) -> Result<StoreOutcome, CacheError> {
        self.yield_point("cas", key).await;
        self.fault("cas", key)?;
        let result = self.inner.cas(key, value, cas, ttl).await;
        self.log("cas", key, &result, outcome);
        result
    }

    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        self.yield_point("delete", key).await;
        self.fault("delete", key)?;
        let result = self.inner.delete(key).await;
        self.log("delete", key, &result, |v| v.to_string());
        result
    }

    async fn touch(&self, key: &str, ttl: u32) -> Result<bool, CacheError> {
        self.yield_point("touch", key).await;
        self.fault("touch", key)?;
        let result = self.inner.touch(key, ttl).await;
        self.log("touch", key, &result, |v| v.to_string());
        result
    }

    async fn get_or_compute<T, F, Fut, E>(&self, key: &str, ttl: u32, compute: F) -> Result<T, E>
    where
        T: Cacheable,
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = Result<T, E>> + Send,
        E: Send,
    {
        self.yield_point("get_or_compute", key).await;
        if self.fault("get_or_compute", key).is_err() {
            // As the client: an unavailable cache never fails the read; compute uncached.
            return compute().await;
        }
        let computed = std::sync::atomic::AtomicBool::new(false);
        let (computed_ref, gate) = (&computed, &self.gate);
        let result = self
            .inner
            .get_or_compute(key, ttl, || async move {
                computed_ref.store(true, std::sync::atomic::Ordering::Relaxed);
                let value = compute().await;
                // Storing the computed value is a call of its own on memcached: another task may run between
                // the load and the store (the stale-set race).
                gate.point(|| format!("cache.get_or_compute key={key} store")).await;
                value
            })
            .await;
        let what = match (&result, computed.into_inner()) {
            (Ok(_), false) => "hit",
            (Ok(_), true) => "computed",
            (Err(_), _) => "compute failed",
        };
        self.trace.record(format_args!("cache.get_or_compute key={key} -> {what}"));
        result
    }
}

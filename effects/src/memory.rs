//! [`MemoryCache`]: memcached's semantics in process memory, over any [`Clock`].
//!
//! The sandbox runs it on a [`ManualClock`](crate::sandbox::ManualClock), so TTLs expire when a test advances
//! time; `effects-real` runs it on the system clock as the embedded cache when no memcached is configured. It is
//! the same code in both places, and the contract suite in `effects-real` holds it to real memcached.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::DecodePolicy;
use crate::cache::{
    Cache, CacheError, CasToken, DEFAULT_MAX_VALUE_SIZE, ENVELOPE_HEADER, MAX_RELATIVE_TTL, RejectReason, check_key,
};
use crate::clock::Clock;
use crate::{Cacheable, Schema, StoreOutcome};

/// Settings for a [`MemoryCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemoryCacheConfig {
    /// The largest encoded value (envelope included) accepted. Default [`DEFAULT_MAX_VALUE_SIZE`].
    pub max_value_size: usize,
    /// Total bytes held before the least recently used items are evicted. Default 64 MiB (memcached's `-m 64`).
    pub capacity: usize,
    /// What reads do with values they must not decode.
    pub policy: DecodePolicy,
}

impl Default for MemoryCacheConfig {
    fn default() -> Self {
        Self { max_value_size: DEFAULT_MAX_VALUE_SIZE, capacity: 64 * 1024 * 1024, policy: DecodePolicy::default() }
    }
}

impl MemoryCacheConfig {
    /// This configuration with another item size limit.
    #[must_use]
    pub fn max_value_size(mut self, bytes: usize) -> Self {
        self.max_value_size = bytes;
        self
    }

    /// This configuration with another capacity.
    #[must_use]
    pub fn capacity(mut self, bytes: usize) -> Self {
        self.capacity = bytes;
        self
    }

    /// This configuration with another decode policy.
    #[must_use]
    pub fn policy(mut self, policy: DecodePolicy) -> Self {
        self.policy = policy;
        self
    }
}

/// Called with the reader's type name and the reason whenever a read refuses a value (for metrics and logs).
pub type RejectHook = Arc<dyn Fn(&'static str, RejectReason) + Send + Sync>;

/// Per-item bookkeeping counted against the capacity, like memcached's item header.
const ITEM_OVERHEAD: usize = 48;

struct Entry {
    /// `None` for a value not written by the typed layer.
    writer: Option<(String, u32, u64)>,
    payload: Vec<u8>,
    cas: u64,
    expires_ms: Option<u64>,
    last_used: u64,
    size: usize,
}

#[derive(Default)]
struct State {
    entries: BTreeMap<String, Entry>,
    /// Last-use tick to key: the first entry is the least recently used.
    lru: BTreeMap<u64, String>,
    used: usize,
    next_cas: u64,
    tick: u64,
}

/// A value read and decoded, or why it was refused (with the item's CAS, for deleting exactly it).
type Decoded<T> = Result<(T, CasToken), (RejectReason, u64)>;

/// How a store is conditioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Set,
    Add,
    Replace,
    Cas(u64),
}

/// A typed cache in process memory with memcached's semantics: TTL (by `C`), CAS, `add`/`replace`, an item size
/// limit, least-recently-used eviction beyond a capacity, and versioned rejection with the client's rules (type
/// name, version, schema fingerprint).
///
/// ```
/// use effects::memory::MemoryCache;
/// use effects::sandbox::{ManualClock, block_on};
/// use effects::{Cache, Timestamp};
/// use std::time::Duration;
///
/// let clock = ManualClock::new(Timestamp::from_unix_millis(1_700_000_000_000));
/// let cache = MemoryCache::new(clock.clone());
/// block_on(async {
///     cache.set("greeting", &"hello".to_owned(), 60).await.unwrap();
///     assert_eq!(cache.get::<String>("greeting").await.unwrap().as_deref(), Some("hello"));
///     clock.advance(Duration::from_secs(60));
///     assert_eq!(cache.get::<String>("greeting").await.unwrap(), None);
/// });
/// ```
pub struct MemoryCache<C> {
    clock: C,
    config: MemoryCacheConfig,
    state: Mutex<State>,
    on_reject: Option<RejectHook>,
}

impl<C> fmt::Debug for MemoryCache<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryCache").field("config", &self.config).finish_non_exhaustive()
    }
}

impl<C: Clock> MemoryCache<C> {
    /// An empty cache with the default configuration.
    pub fn new(clock: C) -> Self {
        Self::with_config(clock, MemoryCacheConfig::default())
    }

    /// An empty cache with `config`.
    pub fn with_config(clock: C, config: MemoryCacheConfig) -> Self {
        Self { clock, config, state: Mutex::new(State { next_cas: 1, ..State::default() }), on_reject: None }
    }

    /// Calls `hook` on every rejected value.
    #[must_use]
    pub fn on_reject(mut self, hook: RejectHook) -> Self {
        self.on_reject = Some(hook);
        self
    }

    /// The clock the cache expires items by.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// Stores raw bytes under `key` as another client would (no envelope): typed reads reject it as
    /// [`RejectReason::NotEnveloped`].
    pub fn insert_raw(&self, key: &str, bytes: &[u8], ttl: u32) {
        let _ = self.put(key, None, bytes.to_vec(), ttl, Mode::Set);
    }

    /// Stores `value` as if written by a type named `type_name` at `version` with `fingerprint`: for simulating
    /// another deploy's data (see [`RejectReason::UnexpectedVersion`]).
    pub fn insert_foreign<T: serde::Serialize>(
        &self,
        key: &str,
        type_name: &str,
        version: u32,
        fingerprint: u64,
        value: &T,
        ttl: u32,
    ) {
        let payload = bincode::serde::encode_to_vec(value, bincode::config::standard()).unwrap_or_default();
        let _ = self.put(key, Some((type_name.to_owned(), version, fingerprint)), payload, ttl, Mode::Set);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Live items (expired ones not yet purged are counted until they are next touched).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no items are held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn now_ms(&self) -> u64 {
        self.clock.now().unix_millis()
    }

    /// The expiry of a value stored now with `ttl`, by memcached's rules.
    fn expiry(&self, ttl: u32) -> Option<u64> {
        match ttl {
            0 => None,
            t if t <= MAX_RELATIVE_TTL => Some(self.now_ms() + u64::from(t) * 1000),
            // An absolute Unix time; one in the past expires the item at once.
            t => Some(u64::from(t) * 1000),
        }
    }

    /// The live entry under `key`, bumping its recency; purges it if expired.
    fn live<'s>(&self, state: &'s mut State, key: &str) -> Option<&'s mut Entry> {
        let now = self.now_ms();
        let expired = state.entries.get(key).is_some_and(|e| e.expires_ms.is_some_and(|at| at <= now));
        if expired {
            remove(state, key);
            return None;
        }
        state.tick += 1;
        let tick = state.tick;
        let entry = state.entries.get_mut(key)?;
        state.lru.remove(&entry.last_used);
        state.lru.insert(tick, key.to_owned());
        entry.last_used = tick;
        Some(entry)
    }

    fn put(
        &self,
        key: &str,
        writer: Option<(String, u32, u64)>,
        payload: Vec<u8>,
        ttl: u32,
        mode: Mode,
    ) -> StoreOutcome {
        let expires_ms = self.expiry(ttl);
        let mut state = self.lock();
        let existing = self.live(&mut state, key).map(|e| e.cas);
        match (mode, existing) {
            (Mode::Add, Some(_)) | (Mode::Replace, None) => return StoreOutcome::NotStored,
            (Mode::Cas(_), None) => return StoreOutcome::NotFound,
            (Mode::Cas(want), Some(have)) if want != have => return StoreOutcome::Exists,
            _ => {}
        }
        remove(&mut state, key);
        let size = ITEM_OVERHEAD + key.len() + payload.len() + writer.as_ref().map_or(0, |(n, ..)| n.len());
        while state.used + size > self.config.capacity {
            let Some((_, victim)) = state.lru.pop_first() else { break };
            remove(&mut state, &victim);
        }
        let cas = state.next_cas;
        state.next_cas += 1;
        state.tick += 1;
        let tick = state.tick;
        state.used += size;
        state.lru.insert(tick, key.to_owned());
        state.entries.insert(key.to_owned(), Entry { writer, payload, cas, expires_ms, last_used: tick, size });
        StoreOutcome::Stored
    }

    fn store<T: Cacheable>(&self, key: &str, value: &T, ttl: u32, mode: Mode) -> Result<StoreOutcome, CacheError> {
        check_key(key)?;
        let schema = Schema::of::<T>()?;
        let payload = bincode::serde::encode_to_vec(value, bincode::config::standard())
            .map_err(|e| CacheError::Encode { key: key.to_owned(), type_name: T::TYPE_NAME, message: e.to_string() })?;
        let size = ENVELOPE_HEADER + T::TYPE_NAME.len() + payload.len();
        if size > self.config.max_value_size {
            return Err(CacheError::ValueTooLarge { key: key.to_owned(), size, limit: self.config.max_value_size });
        }
        let writer = Some((schema.type_name.to_owned(), schema.version, schema.fingerprint));
        Ok(self.put(key, writer, payload, ttl, mode))
    }

    /// Reads and decodes, without applying the policy: `Err((reason, cas))` for a value `T` must not decode.
    fn read<T: Cacheable>(&self, key: &str) -> Result<Option<Decoded<T>>, CacheError> {
        check_key(key)?;
        let expected = Schema::of::<T>()?;
        let mut state = self.lock();
        let Some(entry) = self.live(&mut state, key) else { return Ok(None) };
        let decoded = match &entry.writer {
            None => Err(RejectReason::NotEnveloped),
            Some((name, version, fingerprint)) => match RejectReason::check(&expected, name, *version, *fingerprint) {
                Some(reason) => Err(reason),
                None => bincode::serde::decode_from_slice::<T, _>(&entry.payload, bincode::config::standard())
                    .map(|(value, _)| value)
                    .map_err(|_| RejectReason::Decode),
            },
        };
        Ok(Some(decoded.map(|v| (v, CasToken(entry.cas))).map_err(|reason| (reason, entry.cas))))
    }

    /// [`Cache::gets`] without the async wrapper.
    ///
    /// # Errors
    /// As [`Cache::gets`].
    pub fn gets_now<T: Cacheable>(&self, key: &str) -> Result<Option<(T, CasToken)>, CacheError> {
        match self.read::<T>(key)? {
            None => Ok(None),
            Some(Ok(hit)) => Ok(Some(hit)),
            Some(Err((reason, cas))) => {
                if let Some(hook) = &self.on_reject {
                    hook(T::TYPE_NAME, reason);
                }
                match self.config.policy {
                    DecodePolicy::Strict => {
                        Err(CacheError::Rejected { key: key.to_owned(), type_name: T::TYPE_NAME, reason })
                    }
                    policy => {
                        if policy.deletes() {
                            let mut state = self.lock();
                            if state.entries.get(key).is_some_and(|e| e.cas == cas) {
                                remove(&mut state, key);
                            }
                        }
                        Ok(None)
                    }
                }
            }
        }
    }

    fn delete_now(&self, key: &str) -> Result<bool, CacheError> {
        check_key(key)?;
        let mut state = self.lock();
        Ok(self.live(&mut state, key).is_some() && remove(&mut state, key))
    }

    fn touch_now(&self, key: &str, ttl: u32) -> Result<bool, CacheError> {
        check_key(key)?;
        let expires_ms = self.expiry(ttl);
        let mut state = self.lock();
        let Some(entry) = self.live(&mut state, key) else { return Ok(false) };
        entry.expires_ms = expires_ms;
        Ok(true)
    }
}

fn remove(state: &mut State, key: &str) -> bool {
    match state.entries.remove(key) {
        Some(entry) => {
            state.lru.remove(&entry.last_used);
            state.used -= entry.size;
            true
        }
        None => false,
    }
}

impl<C: Clock> Cache for MemoryCache<C> {
    async fn get<T: Cacheable>(&self, key: &str) -> Result<Option<T>, CacheError> {
        Ok(self.gets_now::<T>(key)?.map(|(v, _)| v))
    }

    async fn gets<T: Cacheable>(&self, key: &str) -> Result<Option<(T, CasToken)>, CacheError> {
        self.gets_now(key)
    }

    async fn get_many<T: Cacheable>(&self, keys: &[&str]) -> Result<BTreeMap<String, T>, CacheError> {
        let mut out = BTreeMap::new();
        for key in keys {
            if let Some((value, _)) = self.gets_now::<T>(key)? {
                out.insert((*key).to_owned(), value);
            }
        }
        Ok(out)
    }

    async fn set<T: Cacheable>(&self, key: &str, value: &T, ttl: u32) -> Result<StoreOutcome, CacheError> {
        self.store(key, value, ttl, Mode::Set)
    }

    async fn add<T: Cacheable>(&self, key: &str, value: &T, ttl: u32) -> Result<StoreOutcome, CacheError> {
        self.store(key, value, ttl, Mode::Add)
    }

    async fn replace<T: Cacheable>(&self, key: &str, value: &T, ttl: u32) -> Result<StoreOutcome, CacheError> {
        self.store(key, value, ttl, Mode::Replace)
    }

    async fn cas<T: Cacheable>(
        &self,
        key: &str,
        value: &T,
        cas: CasToken,
        ttl: u32,
    ) -> Result<StoreOutcome, CacheError> {
        self.store(key, value, ttl, Mode::Cas(cas.0))
    }

    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        self.delete_now(key)
    }

    async fn touch(&self, key: &str, ttl: u32) -> Result<bool, CacheError> {
        self.touch_now(key, ttl)
    }

    async fn get_or_compute<T, F, Fut, E>(&self, key: &str, ttl: u32, compute: F) -> Result<T, E>
    where
        T: Cacheable,
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = Result<T, E>> + Send,
        E: Send,
    {
        // Any read failure (a bad key, a rejected value, even under Strict, a type without a fingerprint) falls
        // through to computing; the store after it refuses an untraceable type in turn, so nothing is cached
        // without its check.
        match self.read::<T>(key) {
            Ok(Some(Ok((value, _)))) => return Ok(value),
            Ok(Some(Err((reason, _)))) => {
                if let Some(hook) = &self.on_reject {
                    hook(T::TYPE_NAME, reason);
                }
            }
            Ok(None) | Err(_) => {}
        }
        let value = compute().await?;
        let _ = self.store(key, &value, ttl, Mode::Set);
        Ok(value)
    }
}

//! The in-memory store.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex as StdMutex, MutexGuard};

use futures_util::lock::{Mutex, OwnedMutexGuard};

use super::gate::Gate;
use super::{Faults, StoreFault, Trace};
use crate::store::{Record, Store, StoreError, Transaction, decode_record, encode_record};

type Key = (String, String);
type Data = BTreeMap<Key, Vec<u8>>;

/// A [`Store`] in memory with SQLite's transactional behaviour: one transaction at a time (a second `begin` waits
/// until the first commits, rolls back or is dropped), reads see the transaction's own writes, commit applies them
/// atomically, drop discards them. Records are kept as JSON, as SQLite keeps them, so serialisation fails alike.
/// Clones share the data.
///
/// ```
/// use effects::sandbox::{MemoryStore, block_on};
/// use effects::{Record, Store, Transaction};
///
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// struct Note(String);
/// impl Record for Note { const COLLECTION: &'static str = "notes"; }
///
/// let store = MemoryStore::new();
/// block_on(async {
///     let mut tx = store.begin().await.unwrap();
///     tx.insert("a", &Note("hello".into())).await.unwrap();
///     drop(tx); // rolled back
///     assert_eq!(store.get::<Note>("a").await.unwrap(), None);
/// });
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    /// The committed records. Held only for the length of one operation, never across an `await`.
    data: Arc<StdMutex<Data>>,
    /// The single writer's lock, held by a transaction from `begin` to its end.
    writer: Arc<Mutex<()>>,
    hooks: Option<Hooks>,
}

/// What a sandboxed store reports to: fault switches, the trace, and the simulator's yield points.
#[derive(Debug, Clone)]
struct Hooks {
    faults: Faults,
    trace: Trace,
    gate: Gate,
}

impl MemoryStore {
    /// An empty store with no faults and no trace.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn sandboxed(faults: Faults, trace: Trace, gate: Gate) -> Self {
        Self { hooks: Some(Hooks { faults, trace, gate }), ..Self::default() }
    }

    fn data(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The committed record under `key`, read outside any transaction (it does not wait for the writer), without
    /// faults, trace or yield point: for simulation invariants that look at the store between steps.
    ///
    /// # Errors
    /// [`StoreError::Serialization`] if the stored bytes do not decode as `R`.
    pub fn peek<R: Record>(&self, key: &str) -> Result<Option<R>, StoreError> {
        self.data().get(&key_of::<R>(key)).map(|bytes| decode_record(key, bytes)).transpose()
    }

    /// Every committed record of `R`'s collection whose key starts with `prefix`, in key order; as
    /// [`MemoryStore::peek`].
    ///
    /// # Errors
    /// [`StoreError::Serialization`] if stored bytes do not decode as `R`.
    pub fn peek_prefix<R: Record>(&self, prefix: &str) -> Result<Vec<(String, R)>, StoreError> {
        let data = self.data();
        let start = (R::COLLECTION.to_owned(), prefix.to_owned());
        data.range(start..)
            .take_while(|((c, k), _)| c == R::COLLECTION && k.starts_with(prefix))
            .map(|((_, k), bytes)| Ok((k.clone(), decode_record(k, bytes)?)))
            .collect()
    }
}

/// The yield point, then the fault check and the trace line, for one store call.
async fn check(hooks: &Option<Hooks>, op: impl FnOnce() -> String) -> Result<(), StoreError> {
    let Some(Hooks { faults, trace, gate }) = hooks else { return Ok(()) };
    let op = op();
    gate.point(|| format!("store.{op}")).await;
    match faults.store_fault() {
        Some(StoreFault::Unavailable) => {
            trace.record(format_args!("store.{op} -> fault unavailable"));
            Err(StoreError::Unavailable { message: "sandbox fault: store unavailable".into() })
        }
        Some(StoreFault::Conflict) => {
            trace.record(format_args!("store.{op} -> fault conflict"));
            Err(StoreError::Conflict { message: "sandbox fault: concurrent transaction, rolled back".into() })
        }
        None => {
            trace.record(format_args!("store.{op}"));
            Ok(())
        }
    }
}

impl Store for MemoryStore {
    type Tx = MemoryTx;

    async fn begin(&self) -> Result<MemoryTx, StoreError> {
        check(&self.hooks, || "begin".to_owned()).await?;
        let writer = self.writer.clone().lock_owned().await;
        Ok(MemoryTx { _writer: writer, store: self.clone(), pending: BTreeMap::new() })
    }
}

/// A [`MemoryStore`] transaction: holds the store's writer lock until it ends.
#[derive(Debug)]
pub struct MemoryTx {
    _writer: OwnedMutexGuard<()>,
    store: MemoryStore,
    /// Writes not yet committed: `None` deletes.
    pending: BTreeMap<Key, Option<Vec<u8>>>,
}

impl MemoryTx {
    fn current(&self, key: &Key) -> Option<Vec<u8>> {
        match self.pending.get(key) {
            Some(write) => write.clone(),
            None => self.store.data().get(key).cloned(),
        }
    }
}

fn key_of<R: Record>(key: &str) -> Key {
    (R::COLLECTION.to_owned(), key.to_owned())
}

impl Transaction for MemoryTx {
    async fn get<R: Record>(&mut self, key: &str) -> Result<Option<R>, StoreError> {
        check(&self.store.hooks, || format!("get {}/{key}", R::COLLECTION)).await?;
        self.current(&key_of::<R>(key)).map(|bytes| decode_record(key, &bytes)).transpose()
    }

    async fn insert<R: Record>(&mut self, key: &str, record: &R) -> Result<(), StoreError> {
        check(&self.store.hooks, || format!("insert {}/{key}", R::COLLECTION)).await?;
        let bytes = encode_record(key, record)?;
        let k = key_of::<R>(key);
        if self.current(&k).is_some() {
            return Err(StoreError::AlreadyExists { collection: R::COLLECTION, key: key.to_owned() });
        }
        self.pending.insert(k, Some(bytes));
        Ok(())
    }

    async fn update<R: Record>(&mut self, key: &str, record: &R) -> Result<(), StoreError> {
        check(&self.store.hooks, || format!("update {}/{key}", R::COLLECTION)).await?;
        let bytes = encode_record(key, record)?;
        let k = key_of::<R>(key);
        if self.current(&k).is_none() {
            return Err(StoreError::NotFound { collection: R::COLLECTION, key: key.to_owned() });
        }
        self.pending.insert(k, Some(bytes));
        Ok(())
    }

    async fn upsert<R: Record>(&mut self, key: &str, record: &R) -> Result<(), StoreError> {
        check(&self.store.hooks, || format!("upsert {}/{key}", R::COLLECTION)).await?;
        let bytes = encode_record(key, record)?;
        self.pending.insert(key_of::<R>(key), Some(bytes));
        Ok(())
    }

    async fn delete<R: Record>(&mut self, key: &str) -> Result<bool, StoreError> {
        check(&self.store.hooks, || format!("delete {}/{key}", R::COLLECTION)).await?;
        let k = key_of::<R>(key);
        let existed = self.current(&k).is_some();
        self.pending.insert(k, None);
        Ok(existed)
    }

    async fn scan<R: Record>(
        &mut self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, R)>, StoreError> {
        check(&self.store.hooks, || format!("scan {}/{prefix}* after={after:?} limit={limit}", R::COLLECTION)).await?;
        let in_range =
            |(c, k): &Key| c == R::COLLECTION && k.starts_with(prefix) && after.is_none_or(|a| k.as_str() > a);
        let start = (R::COLLECTION.to_owned(), after.map_or_else(|| prefix.to_owned(), ToOwned::to_owned));
        let data = self.store.data();
        let mut merged: BTreeMap<&str, Option<&Vec<u8>>> = BTreeMap::new();
        for (k, v) in data.range(start.clone()..).take_while(|(k, _)| k.0 == R::COLLECTION) {
            if in_range(k) {
                merged.insert(&k.1, Some(v));
            }
        }
        for (k, v) in self.pending.range(start..).take_while(|(k, _)| k.0 == R::COLLECTION) {
            if in_range(k) {
                merged.insert(&k.1, v.as_ref());
            }
        }
        merged
            .into_iter()
            .filter_map(|(k, v)| v.map(|bytes| (k, bytes)))
            .take(limit)
            .map(|(k, bytes)| Ok((k.to_owned(), decode_record(k, bytes)?)))
            .collect()
    }

    async fn commit(mut self) -> Result<(), StoreError> {
        check(&self.store.hooks, || format!("commit {} writes", self.pending.len())).await?;
        let mut data = self.store.data();
        for (key, write) in std::mem::take(&mut self.pending) {
            match write {
                Some(bytes) => data.insert(key, bytes),
                None => data.remove(&key),
            };
        }
        Ok(())
    }

    async fn rollback(self) -> Result<(), StoreError> {
        if let Some(Hooks { trace, gate, .. }) = &self.store.hooks {
            gate.point(|| "store.rollback".to_owned()).await;
            trace.record(format_args!("store.rollback"));
        }
        Ok(())
    }
}

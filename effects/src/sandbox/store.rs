//! The in-memory store.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::lock::{Mutex, OwnedMutexGuard};

use super::{Faults, Trace};
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
    data: Arc<Mutex<Data>>,
    hooks: Option<(Faults, Trace)>,
}

impl MemoryStore {
    /// An empty store with no faults and no trace.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn sandboxed(faults: Faults, trace: Trace) -> Self {
        Self { data: Arc::default(), hooks: Some((faults, trace)) }
    }
}

fn check(hooks: &Option<(Faults, Trace)>, op: std::fmt::Arguments<'_>) -> Result<(), StoreError> {
    let Some((faults, trace)) = hooks else { return Ok(()) };
    if faults.store_fault() {
        trace.record(format_args!("store.{op} -> fault unavailable"));
        return Err(StoreError::Unavailable { message: "sandbox fault: store unavailable".into() });
    }
    trace.record(format_args!("store.{op}"));
    Ok(())
}

impl Store for MemoryStore {
    type Tx = MemoryTx;

    async fn begin(&self) -> Result<MemoryTx, StoreError> {
        check(&self.hooks, format_args!("begin"))?;
        let guard = self.data.clone().lock_owned().await;
        Ok(MemoryTx { guard, pending: BTreeMap::new(), hooks: self.hooks.clone() })
    }
}

/// A [`MemoryStore`] transaction: holds the store's lock until it ends.
#[derive(Debug)]
pub struct MemoryTx {
    guard: OwnedMutexGuard<Data>,
    /// Writes not yet committed: `None` deletes.
    pending: BTreeMap<Key, Option<Vec<u8>>>,
    hooks: Option<(Faults, Trace)>,
}

impl MemoryTx {
    fn current(&self, key: &Key) -> Option<&Vec<u8>> {
        match self.pending.get(key) {
            Some(write) => write.as_ref(),
            None => self.guard.get(key),
        }
    }
}

fn key_of<R: Record>(key: &str) -> Key {
    (R::COLLECTION.to_owned(), key.to_owned())
}

impl Transaction for MemoryTx {
    async fn get<R: Record>(&mut self, key: &str) -> Result<Option<R>, StoreError> {
        check(&self.hooks, format_args!("get {}/{key}", R::COLLECTION))?;
        self.current(&key_of::<R>(key)).map(|bytes| decode_record(key, bytes)).transpose()
    }

    async fn insert<R: Record>(&mut self, key: &str, record: &R) -> Result<(), StoreError> {
        check(&self.hooks, format_args!("insert {}/{key}", R::COLLECTION))?;
        let bytes = encode_record(key, record)?;
        let k = key_of::<R>(key);
        if self.current(&k).is_some() {
            return Err(StoreError::AlreadyExists { collection: R::COLLECTION, key: key.to_owned() });
        }
        self.pending.insert(k, Some(bytes));
        Ok(())
    }

    async fn update<R: Record>(&mut self, key: &str, record: &R) -> Result<(), StoreError> {
        check(&self.hooks, format_args!("update {}/{key}", R::COLLECTION))?;
        let bytes = encode_record(key, record)?;
        let k = key_of::<R>(key);
        if self.current(&k).is_none() {
            return Err(StoreError::NotFound { collection: R::COLLECTION, key: key.to_owned() });
        }
        self.pending.insert(k, Some(bytes));
        Ok(())
    }

    async fn upsert<R: Record>(&mut self, key: &str, record: &R) -> Result<(), StoreError> {
        check(&self.hooks, format_args!("upsert {}/{key}", R::COLLECTION))?;
        let bytes = encode_record(key, record)?;
        self.pending.insert(key_of::<R>(key), Some(bytes));
        Ok(())
    }

    async fn delete<R: Record>(&mut self, key: &str) -> Result<bool, StoreError> {
        check(&self.hooks, format_args!("delete {}/{key}", R::COLLECTION))?;
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
        check(&self.hooks, format_args!("scan {}/{prefix}* after={after:?} limit={limit}", R::COLLECTION))?;
        let in_range =
            |(c, k): &Key| c == R::COLLECTION && k.starts_with(prefix) && after.is_none_or(|a| k.as_str() > a);
        let start = (R::COLLECTION.to_owned(), after.map_or_else(|| prefix.to_owned(), ToOwned::to_owned));
        let mut merged: BTreeMap<&str, Option<&Vec<u8>>> = BTreeMap::new();
        for (k, v) in self.guard.range(start.clone()..).take_while(|(k, _)| k.0 == R::COLLECTION) {
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
        check(&self.hooks, format_args!("commit {} writes", self.pending.len()))?;
        for (key, write) in std::mem::take(&mut self.pending) {
            match write {
                Some(bytes) => self.guard.insert(key, bytes),
                None => self.guard.remove(&key),
            };
        }
        Ok(())
    }

    async fn rollback(self) -> Result<(), StoreError> {
        if let Some((_, trace)) = &self.hooks {
            trace.record(format_args!("store.rollback"));
        }
        Ok(())
    }
}

//! A transactional repository of serde records, fit for a SQL database.
//!
//! Records live in collections, each a map from a text key to a record, read and written inside a
//! [`Transaction`]: reads see the transaction's own writes, [`Transaction::commit`] makes them visible at once and
//! atomically, and dropping a transaction without committing rolls it back. Transactions are serialisable: one
//! runs at a time (SQLite's single writer; the in-memory store takes the same lock; PostgreSQL, shared by many
//! processes, an advisory lock that spans them all), and a second `begin` waits.
//! Keys order byte-wise in [`Transaction::scan`], the same in memory and in SQLite.

use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A record type: serde, plus the collection (table) it lives in.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// #[derive(Serialize, Deserialize)]
/// struct Order { customer: String, total: u64 }
/// impl effects::Record for Order {
///     const COLLECTION: &'static str = "orders";
/// }
/// ```
pub trait Record: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The collection's name, stable across deploys.
    const COLLECTION: &'static str;
}

/// Everything that can go wrong in a store call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// [`Transaction::insert`] of a key that exists.
    #[error("{collection}/{key} already exists")]
    AlreadyExists {
        /// The collection.
        collection: &'static str,
        /// The key.
        key: String,
    },
    /// [`Transaction::update`] of a key that does not exist.
    #[error("{collection}/{key} not found")]
    NotFound {
        /// The collection.
        collection: &'static str,
        /// The key.
        key: String,
    },
    /// A record could not be serialised, or stored bytes did not decode as the record type.
    #[error("{collection}/{key}: {message}")]
    Serialization {
        /// The collection.
        collection: &'static str,
        /// The key.
        key: String,
        /// The serde message.
        message: String,
    },
    /// The database cannot be reached or refused the operation; the transaction is void.
    #[error("store unavailable: {message}")]
    Unavailable {
        /// What happened.
        message: String,
    },
    /// The transaction lost a race with a concurrent one and was rolled back: SQLite's `SQLITE_BUSY` (the
    /// database stayed locked past the busy timeout) or PostgreSQL's serialization failure (SQLSTATE 40001) or
    /// deadlock (40P01). Nothing was written; running the whole transaction again, with fresh reads, may succeed
    /// ([`StoreError::is_retryable`]).
    #[error("store conflict, transaction rolled back: {message}")]
    Conflict {
        /// What the database said.
        message: String,
    },
}

impl StoreError {
    /// A short, stable name for metrics labels, logs and HTTP error codes.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::AlreadyExists { .. } => "already_exists",
            StoreError::NotFound { .. } => "not_found",
            StoreError::Serialization { .. } => "serialization",
            StoreError::Unavailable { .. } => "unavailable",
            StoreError::Conflict { .. } => "conflict",
        }
    }

    /// Whether the transaction lost a race ([`StoreError::Conflict`]): retry it from `begin`, re-reading
    /// everything it read. Never retry with values read in the failed attempt.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Conflict { .. })
    }

    /// Whether the store itself failed (as opposed to a condition on the data).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }
}

/// Serialises a record the way every store keeps it (JSON), so the in-memory store and SQLite fail alike.
///
/// # Errors
/// [`StoreError::Serialization`].
pub fn encode_record<R: Record>(key: &str, record: &R) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(record).map_err(|e| StoreError::Serialization {
        collection: R::COLLECTION,
        key: key.to_owned(),
        message: e.to_string(),
    })
}

/// The inverse of [`encode_record`].
///
/// # Errors
/// [`StoreError::Serialization`].
pub fn decode_record<R: Record>(key: &str, bytes: &[u8]) -> Result<R, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Serialization {
        collection: R::COLLECTION,
        key: key.to_owned(),
        message: e.to_string(),
    })
}

/// A store of [`Record`]s: begins transactions, and offers one-shot reads and writes that each run in their own.
pub trait Store: Send + Sync {
    /// A transaction on this store.
    type Tx: Transaction;

    /// Begins a transaction; waits while another one runs.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    fn begin(&self) -> impl Future<Output = Result<Self::Tx, StoreError>> + Send;

    /// Reads one record in a transaction of its own.
    ///
    /// # Errors
    /// As [`Transaction::get`], or [`StoreError::Unavailable`].
    fn get<R: Record>(&self, key: &str) -> impl Future<Output = Result<Option<R>, StoreError>> + Send {
        async move {
            let mut tx = self.begin().await?;
            let record = tx.get::<R>(key).await?;
            tx.commit().await?;
            Ok(record)
        }
    }

    /// Inserts or replaces one record in a transaction of its own.
    ///
    /// # Errors
    /// As [`Transaction::upsert`], or [`StoreError::Unavailable`].
    fn upsert<R: Record>(&self, key: &str, record: &R) -> impl Future<Output = Result<(), StoreError>> + Send {
        async move {
            let mut tx = self.begin().await?;
            tx.upsert(key, record).await?;
            tx.commit().await
        }
    }
}

/// One transaction. Dropping it without [`commit`](Transaction::commit) rolls it back.
pub trait Transaction: Send {
    /// The record under `key`, seeing this transaction's own writes.
    ///
    /// # Errors
    /// [`StoreError::Serialization`] if the stored bytes do not decode as `R`; [`StoreError::Unavailable`].
    fn get<R: Record>(&mut self, key: &str) -> impl Future<Output = Result<Option<R>, StoreError>> + Send;

    /// Inserts a new record.
    ///
    /// # Errors
    /// [`StoreError::AlreadyExists`] if `key` exists; [`StoreError::Serialization`]; [`StoreError::Unavailable`].
    fn insert<R: Record>(&mut self, key: &str, record: &R) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Replaces an existing record.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if `key` does not exist; [`StoreError::Serialization`]; [`StoreError::Unavailable`].
    fn update<R: Record>(&mut self, key: &str, record: &R) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Inserts or replaces a record.
    ///
    /// # Errors
    /// [`StoreError::Serialization`]; [`StoreError::Unavailable`].
    fn upsert<R: Record>(&mut self, key: &str, record: &R) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Deletes a record; `true` if it existed.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    fn delete<R: Record>(&mut self, key: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Up to `limit` records of `R`'s collection whose keys start with `prefix` and sort after `after` (for
    /// keyset pagination), in byte order of their keys.
    ///
    /// # Errors
    /// [`StoreError::Serialization`]; [`StoreError::Unavailable`].
    fn scan<R: Record>(
        &mut self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<(String, R)>, StoreError>> + Send;

    /// Makes every write of this transaction visible, atomically.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`]; nothing was written then.
    fn commit(self) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Discards every write of this transaction (as dropping it does).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    fn rollback(self) -> impl Future<Output = Result<(), StoreError>> + Send;
}

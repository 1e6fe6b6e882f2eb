//! The store on SQLite, through sqlx.

use std::str::FromStr;
use std::time::Duration;

use effects::{Record, Store, StoreError, Transaction, decode_record, encode_record};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{Row, Sqlite};

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS effects_records (
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (collection, key)
) WITHOUT ROWID";

/// [`Store`] on SQLite: one table `effects_records (collection, key, value)` with records as JSON, keys in
/// byte order (SQLite's `BINARY` collation). One connection, so transactions run one at a time — SQLite allows one
/// writer anyway, and an in-memory database (`sqlite::memory:`) lives in a single connection. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

/// SQLite's primary result codes for a lock held by another connection: `SQLITE_BUSY` and `SQLITE_LOCKED`.
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;

/// Maps a sqlx error: the database being locked by another writer (past the busy timeout) is a
/// [`StoreError::Conflict`] the caller may retry; anything else leaves the store unavailable.
fn unavailable(error: sqlx::Error) -> StoreError {
    // sqlx reports SQLite's extended result code as text; its low byte is the primary code
    // (SQLITE_BUSY_SNAPSHOT = 517 is a busy, for instance).
    let primary = error
        .as_database_error()
        .and_then(|e| e.code())
        .and_then(|code| code.parse::<i64>().ok())
        .map(|code| code & 0xff);
    match primary {
        Some(SQLITE_BUSY | SQLITE_LOCKED) => StoreError::Conflict { message: error.to_string() },
        _ => StoreError::Unavailable { message: error.to_string() },
    }
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://path/to/db.sqlite` or `sqlite::memory:`) and
    /// creates the table.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] if the URL is bad or the database cannot be opened.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(unavailable)?
            .create_if_missing(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            // An in-memory database dies with its connection: never let the pool recycle it.
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        sqlx::query(SCHEMA).execute(&pool).await.map_err(unavailable)?;
        Ok(Self { pool })
    }

    /// A fresh in-memory database.
    ///
    /// # Errors
    /// As [`SqliteStore::connect`].
    pub async fn in_memory() -> Result<Self, StoreError> {
        Self::connect("sqlite::memory:").await
    }

    /// The pool underneath (one connection).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

impl Store for SqliteStore {
    type Tx = SqliteTx;

    async fn begin(&self) -> Result<SqliteTx, StoreError> {
        Ok(SqliteTx { tx: self.pool.begin().await.map_err(unavailable)? })
    }
}

/// A [`SqliteStore`] transaction; dropping it rolls back.
#[derive(Debug)]
pub struct SqliteTx {
    tx: sqlx::Transaction<'static, Sqlite>,
}

impl Transaction for SqliteTx {
    async fn get<R: Record>(&mut self, key: &str) -> Result<Option<R>, StoreError> {
        let row = sqlx::query("SELECT value FROM effects_records WHERE collection = ? AND key = ?")
            .bind(R::COLLECTION)
            .bind(key)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(unavailable)?;
        row.map(|row| decode_record(key, &row.get::<Vec<u8>, _>(0))).transpose()
    }

    async fn insert<R: Record>(&mut self, key: &str, record: &R) -> Result<(), StoreError> {
        let bytes = encode_record(key, record)?;
        let done =
            sqlx::query("INSERT INTO effects_records (collection, key, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
                .bind(R::COLLECTION)
                .bind(key)
                .bind(bytes)
                .execute(&mut *self.tx)
                .await
                .map_err(unavailable)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::AlreadyExists { collection: R::COLLECTION, key: key.to_owned() });
        }
        Ok(())
    }

    async fn update<R: Record>(&mut self, key: &str, record: &R) -> Result<(), StoreError> {
        let bytes = encode_record(key, record)?;
        let done = sqlx::query("UPDATE effects_records SET value = ? WHERE collection = ? AND key = ?")
            .bind(bytes)
            .bind(R::COLLECTION)
            .bind(key)
            .execute(&mut *self.tx)
            .await
            .map_err(unavailable)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { collection: R::COLLECTION, key: key.to_owned() });
        }
        Ok(())
    }

    async fn upsert<R: Record>(&mut self, key: &str, record: &R) -> Result<(), StoreError> {
        let bytes = encode_record(key, record)?;
        sqlx::query(
            "INSERT INTO effects_records (collection, key, value) VALUES (?, ?, ?) \
             ON CONFLICT (collection, key) DO UPDATE SET value = excluded.value",
        )
        .bind(R::COLLECTION)
        .bind(key)
        .bind(bytes)
        .execute(&mut *self.tx)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    async fn delete<R: Record>(&mut self, key: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM effects_records WHERE collection = ? AND key = ?")
            .bind(R::COLLECTION)
            .bind(key)
            .execute(&mut *self.tx)
            .await
            .map_err(unavailable)?;
        Ok(done.rows_affected() > 0)
    }

    async fn scan<R: Record>(
        &mut self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, R)>, StoreError> {
        // `key >= prefix` lets SQLite use the primary key; the substr test is the exact prefix match.
        let rows = sqlx::query(
            "SELECT key, value FROM effects_records \
             WHERE collection = ? AND key >= ? AND substr(key, 1, length(?)) = ? AND (? IS NULL OR key > ?) \
             ORDER BY key LIMIT ?",
        )
        .bind(R::COLLECTION)
        .bind(prefix)
        .bind(prefix)
        .bind(prefix)
        .bind(after)
        .bind(after)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(unavailable)?;
        rows.into_iter()
            .map(|row| {
                let key: String = row.get(0);
                let record = decode_record(&key, &row.get::<Vec<u8>, _>(1))?;
                Ok((key, record))
            })
            .collect()
    }

    async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(unavailable)
    }

    async fn rollback(self) -> Result<(), StoreError> {
        self.tx.rollback().await.map_err(unavailable)
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use sqlx::error::{DatabaseError, ErrorKind};

    use super::*;

    /// A database error carrying an SQLite extended result code, as sqlx reports one.
    #[derive(Debug)]
    struct Coded(&'static str);

    impl std::fmt::Display for Coded {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "(code: {}) database is locked", self.0)
        }
    }

    impl std::error::Error for Coded {}

    impl DatabaseError for Coded {
        fn message(&self) -> &str {
            "database is locked"
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> ErrorKind {
            ErrorKind::Other
        }
    }

    #[test]
    fn a_busy_or_locked_database_is_a_retryable_conflict() {
        // SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_TIMEOUT, SQLITE_LOCKED.
        for code in ["5", "517", "773", "6"] {
            let err = unavailable(sqlx::Error::Database(Box::new(Coded(code))));
            assert!(matches!(err, StoreError::Conflict { .. }) && err.is_retryable(), "{code}: {err:?}");
        }
        // SQLITE_CANTOPEN, SQLITE_ERROR, a code that is not a number.
        for code in ["14", "1", "x"] {
            let err = unavailable(sqlx::Error::Database(Box::new(Coded(code))));
            assert!(matches!(err, StoreError::Unavailable { .. }) && !err.is_retryable(), "{code}: {err:?}");
        }
        assert!(matches!(unavailable(sqlx::Error::PoolTimedOut), StoreError::Unavailable { .. }));
    }
}

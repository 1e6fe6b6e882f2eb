//! The store on PostgreSQL, through sqlx: one database shared by any number of processes.

use std::str::FromStr;

use effects::{Record, Store, StoreError, Transaction, decode_record, encode_record};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Row};

/// The schema, one migration per entry; entry `i` is version `i + 1` in `effects_schema`. Append only: a
/// deployed migration never changes.
///
/// Keys are `COLLATE "C"`, so they compare and sort byte-wise (UTF-8) whatever the database's locale, as in
/// SQLite and in memory.
const MIGRATIONS: &[&str] = &["CREATE TABLE effects_records (
    collection TEXT NOT NULL,
    key TEXT COLLATE \"C\" NOT NULL,
    value BYTEA NOT NULL,
    PRIMARY KEY (collection, key)
)"];

/// Advisory lock that makes instances starting together migrate one after another (arbitrary, fixed).
const MIGRATION_LOCK: i64 = 0x6d65_6d6b_6974_0001;
/// Advisory lock every transaction holds from `begin` to its end (arbitrary, fixed).
const TRANSACTION_LOCK: i64 = 0x6d65_6d6b_6974_0002;

/// How many connections each process keeps at most, by default.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;

/// [`Store`] on PostgreSQL: one table `effects_records (collection, key, value)` with records as JSON bytes and
/// keys in byte order, shared by every process that connects to the database. Cheap to clone.
///
/// **Isolation.** The store contract promises serialisable transactions that run one at a time. Every
/// transaction here takes one transaction-level advisory lock (`pg_advisory_xact_lock`) as its first statement
/// and holds it until it commits or rolls back, so transactions run one after another across *all* processes
/// sharing the database: a read-modify-write such as a purchase's debit cannot interleave with another, and no
/// transaction ever meets a serialisation failure that it would have to retry (callers cannot retry: the
/// transaction's logic is theirs). PostgreSQL releases the lock when a connection dies, so a crashed process
/// does not wedge the others. The one-shot [`Store::get`] runs one `SELECT` outside any lock: a single statement
/// sees every commit made before it started, which is all a lone read can ask for.
///
/// **Migrations.** [`PostgresStore::connect`] applies the schema's missing migrations under an advisory lock,
/// recording them in `effects_schema`, so instances starting together migrate once.
///
/// **Errors.** Connection and server failures are [`StoreError::Unavailable`]. A serialisation failure or a
/// deadlock (SQLSTATE `40001`, `40P01`), which the lock rules out, would be [`StoreError::Conflict`] (retryable,
/// as SQLite's busy database is), with the SQLSTATE in the message.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

fn store_error(error: sqlx::Error) -> StoreError {
    let code = error.as_database_error().and_then(|e| e.code()).map(|code| code.into_owned());
    match code.as_deref() {
        // serialization_failure, deadlock_detected: the transaction lost a race and was rolled back.
        Some(code @ ("40001" | "40P01")) => StoreError::Conflict { message: format!("{error} (SQLSTATE {code})") },
        Some(code) => StoreError::Unavailable { message: format!("{error} (SQLSTATE {code})") },
        None => StoreError::Unavailable { message: error.to_string() },
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`, or any form
    /// `PgConnectOptions` parses) with up to [`DEFAULT_MAX_CONNECTIONS`] connections, and applies missing
    /// migrations.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] if the URL is bad, the server cannot be reached or a migration fails.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, DEFAULT_MAX_CONNECTIONS).await
    }

    /// As [`PostgresStore::connect`], with at most `max_connections` connections from this process. Each
    /// transaction in flight holds one (also while it waits for the transaction lock); size it so that the sum
    /// over all instances stays under the server's `max_connections`.
    ///
    /// # Errors
    /// As [`PostgresStore::connect`].
    pub async fn connect_with(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(store_error)?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(options)
            .await
            .map_err(store_error)?;
        migrate(&pool).await?;
        Ok(Self { pool })
    }

    /// The pool underneath.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The schema version this database is at (the number of migrations applied).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0)::BIGINT FROM effects_schema")
            .fetch_one(&self.pool)
            .await
            .map_err(store_error)
    }
}

/// Applies the migrations `effects_schema` does not list, in one transaction under [`MIGRATION_LOCK`].
async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    let mut tx = pool.begin().await.map_err(store_error)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
    sqlx::query("CREATE TABLE IF NOT EXISTS effects_schema (version BIGINT PRIMARY KEY)")
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
    let applied: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0)::BIGINT FROM effects_schema")
        .fetch_one(&mut *tx)
        .await
        .map_err(store_error)?;
    for (version, sql) in (1_i64..).zip(MIGRATIONS).skip(usize::try_from(applied).unwrap_or(usize::MAX)) {
        sqlx::query(sql).execute(&mut *tx).await.map_err(store_error)?;
        sqlx::query("INSERT INTO effects_schema (version) VALUES ($1)")
            .bind(version)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tracing::info!(version, "store: applied PostgreSQL migration");
    }
    tx.commit().await.map_err(store_error)
}

impl Store for PostgresStore {
    type Tx = PostgresTx;

    async fn begin(&self) -> Result<PostgresTx, StoreError> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(TRANSACTION_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        Ok(PostgresTx { tx })
    }

    async fn get<R: Record>(&self, key: &str) -> Result<Option<R>, StoreError> {
        let row = sqlx::query("SELECT value FROM effects_records WHERE collection = $1 AND key = $2")
            .bind(R::COLLECTION)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        row.map(|row| decode_record(key, &row.get::<Vec<u8>, _>(0))).transpose()
    }
}

/// A [`PostgresStore`] transaction, holding the transaction lock; dropping it rolls back and releases the lock.
#[derive(Debug)]
pub struct PostgresTx {
    tx: sqlx::Transaction<'static, Postgres>,
}

impl Transaction for PostgresTx {
    async fn get<R: Record>(&mut self, key: &str) -> Result<Option<R>, StoreError> {
        let row = sqlx::query("SELECT value FROM effects_records WHERE collection = $1 AND key = $2")
            .bind(R::COLLECTION)
            .bind(key)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(store_error)?;
        row.map(|row| decode_record(key, &row.get::<Vec<u8>, _>(0))).transpose()
    }

    async fn insert<R: Record>(&mut self, key: &str, record: &R) -> Result<(), StoreError> {
        let bytes = encode_record(key, record)?;
        let done = sqlx::query(
            "INSERT INTO effects_records (collection, key, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(R::COLLECTION)
        .bind(key)
        .bind(bytes)
        .execute(&mut *self.tx)
        .await
        .map_err(store_error)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::AlreadyExists { collection: R::COLLECTION, key: key.to_owned() });
        }
        Ok(())
    }

    async fn update<R: Record>(&mut self, key: &str, record: &R) -> Result<(), StoreError> {
        let bytes = encode_record(key, record)?;
        let done = sqlx::query("UPDATE effects_records SET value = $1 WHERE collection = $2 AND key = $3")
            .bind(bytes)
            .bind(R::COLLECTION)
            .bind(key)
            .execute(&mut *self.tx)
            .await
            .map_err(store_error)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { collection: R::COLLECTION, key: key.to_owned() });
        }
        Ok(())
    }

    async fn upsert<R: Record>(&mut self, key: &str, record: &R) -> Result<(), StoreError> {
        let bytes = encode_record(key, record)?;
        sqlx::query(
            "INSERT INTO effects_records (collection, key, value) VALUES ($1, $2, $3) \
             ON CONFLICT (collection, key) DO UPDATE SET value = excluded.value",
        )
        .bind(R::COLLECTION)
        .bind(key)
        .bind(bytes)
        .execute(&mut *self.tx)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn delete<R: Record>(&mut self, key: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM effects_records WHERE collection = $1 AND key = $2")
            .bind(R::COLLECTION)
            .bind(key)
            .execute(&mut *self.tx)
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn scan<R: Record>(
        &mut self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, R)>, StoreError> {
        // `key >= prefix` lets PostgreSQL use the primary key; `starts_with` is the exact prefix match.
        let rows = sqlx::query(
            "SELECT key, value FROM effects_records \
             WHERE collection = $1 AND key >= $2 AND starts_with(key, $2) AND ($3::TEXT IS NULL OR key > $3) \
             ORDER BY key LIMIT $4",
        )
        .bind(R::COLLECTION)
        .bind(prefix)
        .bind(after)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(store_error)?;
        rows.into_iter()
            .map(|row| {
                let key: String = row.get(0);
                let record = decode_record(&key, &row.get::<Vec<u8>, _>(1))?;
                Ok((key, record))
            })
            .collect()
    }

    async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(store_error)
    }

    async fn rollback(self) -> Result<(), StoreError> {
        self.tx.rollback().await.map_err(store_error)
    }
}

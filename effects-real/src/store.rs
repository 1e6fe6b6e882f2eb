//! The [`World`](crate::World)'s store: SQLite or PostgreSQL, chosen by the database URL.

use effects::{Record, Store, StoreError, Transaction};

#[cfg(feature = "postgres")]
use crate::postgres::{PostgresStore, PostgresTx};
use crate::sqlite::{SqliteStore, SqliteTx};

/// The store a [`World`](crate::World) uses: [`SqliteStore`] for `sqlite:` URLs (the embedded default, one
/// process), [`PostgresStore`](crate::PostgresStore) for `postgres://` and `postgresql://` URLs (any number of
/// processes sharing one database). Both keep the same contract, so handlers cannot tell them apart.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum WorldStore {
    /// SQLite through sqlx.
    Sqlite(SqliteStore),
    /// PostgreSQL through sqlx.
    #[cfg(feature = "postgres")]
    Postgres(PostgresStore),
}

/// Which backend a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// SQLite: any URL that does not name PostgreSQL (`sqlite://path`, `sqlite::memory:`).
    Sqlite,
    /// `postgres://...` or `postgresql://...`.
    Postgres,
}

impl Backend {
    /// The backend `url` names: PostgreSQL for `postgres://` and `postgresql://`, SQLite for anything else
    /// (SQLite then refuses what it cannot open).
    ///
    /// ```
    /// use effects_real::Backend;
    /// assert_eq!(Backend::of_url("sqlite://shop.db"), Backend::Sqlite);
    /// assert_eq!(Backend::of_url("postgres://shop@127.0.0.1/shop"), Backend::Postgres);
    /// ```
    pub fn of_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

impl WorldStore {
    /// Opens the store `url` names, applying its schema migrations.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database cannot be opened or migrated, or for a `postgres://` URL in
    /// a build without the `postgres` feature.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        match Backend::of_url(url) {
            Backend::Sqlite => Ok(WorldStore::Sqlite(SqliteStore::connect(url).await?)),
            #[cfg(feature = "postgres")]
            Backend::Postgres => Ok(WorldStore::Postgres(PostgresStore::connect(url).await?)),
            #[cfg(not(feature = "postgres"))]
            Backend::Postgres => Err(StoreError::Unavailable {
                message: "this build has no PostgreSQL support (effects-real's `postgres` feature)".into(),
            }),
        }
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self {
            WorldStore::Sqlite(_) => Backend::Sqlite,
            #[cfg(feature = "postgres")]
            WorldStore::Postgres(_) => Backend::Postgres,
        }
    }
}

impl From<SqliteStore> for WorldStore {
    fn from(store: SqliteStore) -> Self {
        WorldStore::Sqlite(store)
    }
}

#[cfg(feature = "postgres")]
impl From<PostgresStore> for WorldStore {
    fn from(store: PostgresStore) -> Self {
        WorldStore::Postgres(store)
    }
}

impl Store for WorldStore {
    type Tx = WorldTx;

    async fn begin(&self) -> Result<WorldTx, StoreError> {
        match self {
            WorldStore::Sqlite(s) => Ok(WorldTx::Sqlite(s.begin().await?)),
            #[cfg(feature = "postgres")]
            WorldStore::Postgres(s) => Ok(WorldTx::Postgres(s.begin().await?)),
        }
    }

    async fn get<R: Record>(&self, key: &str) -> Result<Option<R>, StoreError> {
        match self {
            WorldStore::Sqlite(s) => s.get(key).await,
            #[cfg(feature = "postgres")]
            WorldStore::Postgres(s) => s.get(key).await,
        }
    }

    async fn upsert<R: Record>(&self, key: &str, record: &R) -> Result<(), StoreError> {
        match self {
            WorldStore::Sqlite(s) => s.upsert(key, record).await,
            #[cfg(feature = "postgres")]
            WorldStore::Postgres(s) => s.upsert(key, record).await,
        }
    }
}

/// A [`WorldStore`] transaction; dropping it rolls back.
#[derive(Debug)]
#[non_exhaustive]
pub enum WorldTx {
    /// On SQLite.
    Sqlite(SqliteTx),
    /// On PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgres(PostgresTx),
}

/// Forwards a call to whichever transaction this is.
macro_rules! forward {
    ($self:expr, $tx:ident => $call:expr) => {
        match $self {
            WorldTx::Sqlite($tx) => $call,
            #[cfg(feature = "postgres")]
            WorldTx::Postgres($tx) => $call,
        }
    };
}

impl Transaction for WorldTx {
    async fn get<R: Record>(&mut self, key: &str) -> Result<Option<R>, StoreError> {
        forward!(self, tx => tx.get(key).await)
    }

    async fn insert<R: Record>(&mut self, key: &str, record: &R) -> Result<(), StoreError> {
        forward!(self, tx => tx.insert(key, record).await)
    }

    async fn update<R: Record>(&mut self, key: &str, record: &R) -> Result<(), StoreError> {
        forward!(self, tx => tx.update(key, record).await)
    }

    async fn upsert<R: Record>(&mut self, key: &str, record: &R) -> Result<(), StoreError> {
        forward!(self, tx => tx.upsert(key, record).await)
    }

    async fn delete<R: Record>(&mut self, key: &str) -> Result<bool, StoreError> {
        forward!(self, tx => tx.delete::<R>(key).await)
    }

    async fn scan<R: Record>(
        &mut self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, R)>, StoreError> {
        forward!(self, tx => tx.scan(prefix, after, limit).await)
    }

    async fn commit(self) -> Result<(), StoreError> {
        forward!(self, tx => tx.commit().await)
    }

    async fn rollback(self) -> Result<(), StoreError> {
        forward!(self, tx => tx.rollback().await)
    }
}

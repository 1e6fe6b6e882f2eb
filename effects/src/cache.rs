//! A typed, versioned cache with memcached's semantics.

use std::collections::BTreeMap;
use std::future::Future;

use cache_schema::{Cacheable, Schema, SchemaError, StoreOutcome};

/// A CAS token: the item's version as [`Cache::gets`] read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CasToken(pub u64);

/// Why a typed read refused a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectReason {
    /// Not written by the typed layer (raw bytes, other client flags).
    NotEnveloped,
    /// Written by another type.
    UnexpectedType,
    /// Written by another schema version of this type.
    UnexpectedVersion,
    /// Same type and version, another serde shape: the type changed without a version bump.
    SchemaMismatch,
    /// Written with another codec.
    UnexpectedCodec,
    /// A damaged envelope.
    Corrupt,
    /// The envelope checked out but the payload did not decode.
    Decode,
}

impl RejectReason {
    /// The stable name, the same as `memcache_client::Rejection::as_str` (`"unexpected_version"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::NotEnveloped => "not_enveloped",
            RejectReason::UnexpectedType => "unexpected_type",
            RejectReason::UnexpectedVersion => "unexpected_version",
            RejectReason::SchemaMismatch => "schema_mismatch",
            RejectReason::UnexpectedCodec => "unexpected_codec",
            RejectReason::Corrupt => "corrupt",
            RejectReason::Decode => "decode",
        }
    }

    /// The first check `expected` fails for a value written under `found`, if any. Fingerprints must be equal:
    /// a checked reader never accepts an unchecked writer's value, nor the other way round.
    pub fn check(expected: &Schema, found_type: &str, found_version: u32, found_fingerprint: u64) -> Option<Self> {
        if found_type != expected.type_name {
            Some(RejectReason::UnexpectedType)
        } else if found_version != expected.version {
            Some(RejectReason::UnexpectedVersion)
        } else if expected.fingerprint != found_fingerprint {
            Some(RejectReason::SchemaMismatch)
        } else {
            None
        }
    }
}

/// Everything that can go wrong in a cache call. Misses, `NOT_STORED` and `EXISTS` are values, not errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The key is empty, longer than 250 bytes, or holds whitespace or control bytes. Nothing was sent.
    #[error("invalid cache key {key:?}: {reason}")]
    InvalidKey {
        /// The key as given.
        key: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The encoded value is larger than the item size limit. Nothing was stored.
    #[error("value for {key:?} is {size} bytes, over the {limit}-byte item limit")]
    ValueTooLarge {
        /// The key.
        key: String,
        /// The encoded size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The value could not be serialised.
    #[error("value for {key:?} did not encode as {type_name}: {message}")]
    Encode {
        /// The key.
        key: String,
        /// The type name.
        type_name: &'static str,
        /// The codec's message.
        message: String,
    },
    /// Under [`DecodePolicy::Strict`](crate::DecodePolicy::Strict): the value under `key` must not be decoded as
    /// this type.
    #[error("value under {key:?} rejected as {type_name}: {}", reason.as_str())]
    Rejected {
        /// The key.
        key: String,
        /// The reader's type name.
        type_name: &'static str,
        /// Why.
        reason: RejectReason,
    },
    /// The type has no schema fingerprint (its shape could not be traced), so none of its values is read or
    /// written: fix its `cacheable!` declaration as the reason says. Never a miss, whatever the policy.
    #[error(transparent)]
    Untraceable(#[from] SchemaError),
    /// The cache cannot be reached (connection refused or lost).
    #[error("cache unavailable: {message}")]
    Unavailable {
        /// What happened.
        message: String,
    },
    /// No reply within the timeout.
    #[error("cache timed out: {message}")]
    Timeout {
        /// What timed out.
        message: String,
    },
    /// The server answered with an error.
    #[error("cache server error: {message}")]
    Server {
        /// The server's message.
        message: String,
    },
}

impl CacheError {
    /// Whether the call timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, CacheError::Timeout { .. })
    }

    /// Whether the cache could not be reached or did not answer in time: a handler should carry on uncached.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, CacheError::Unavailable { .. } | CacheError::Timeout { .. })
    }

    /// Whether the value was rejected by the typed layer.
    pub fn is_rejected_value(&self) -> bool {
        matches!(self, CacheError::Rejected { .. })
    }

    /// A short, stable name for metrics labels and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            CacheError::InvalidKey { .. } => "invalid_key",
            CacheError::ValueTooLarge { .. } => "value_too_large",
            CacheError::Encode { .. } => "encode",
            CacheError::Rejected { reason, .. } => reason.as_str(),
            CacheError::Untraceable(_) => "untraceable",
            CacheError::Unavailable { .. } => "unavailable",
            CacheError::Timeout { .. } => "timeout",
            CacheError::Server { .. } => "server_error",
        }
    }
}

/// The longest key memcached accepts.
pub const MAX_KEY_LEN: usize = 250;

/// Expiry times above this many seconds (30 days) are absolute Unix times, as in memcached.
pub const MAX_RELATIVE_TTL: u32 = 60 * 60 * 24 * 30;

/// The default item size limit for the encoded value (envelope included): memcached's 1 MiB less room for the
/// item header, the same as `memcache_client::DEFAULT_MAX_VALUE_SIZE`.
pub const DEFAULT_MAX_VALUE_SIZE: usize = 1024 * 1024 - 512;

/// The bytes the client's envelope adds around the payload, not counting the type name: the 21-byte header and
/// the 8-byte checksum the typed client writes by default (envelope format 2).
pub const ENVELOPE_HEADER: usize = 21 + 8;

/// Checks `key` the way memcached (and the client) do.
///
/// # Errors
/// [`CacheError::InvalidKey`].
pub fn check_key(key: &str) -> Result<(), CacheError> {
    let reason = if key.is_empty() {
        "empty"
    } else if key.len() > MAX_KEY_LEN {
        "longer than 250 bytes"
    } else if key.bytes().any(|b| b <= b' ' || b == 0x7f) {
        "contains whitespace or control bytes"
    } else {
        return Ok(());
    };
    Err(CacheError::InvalidKey { key: key.to_owned(), reason })
}

/// A typed cache with memcached's semantics: TTLs in seconds (0 never expires; over 30 days an absolute Unix
/// time), CAS, `add`/`replace`, an item size limit, and versioned values that a reader of another type, version or
/// schema refuses (see [`DecodePolicy`](crate::DecodePolicy)).
///
/// Implementations: [`MemoryCache`](crate::memory::MemoryCache) (the sandbox's and the embedded default), and
/// `effects_real::MemcachedCache` on real memcached. One contract suite runs against all of them.
pub trait Cache: Send + Sync {
    /// The value under `key`; `None` on a miss, or (unless [`DecodePolicy::Strict`](crate::DecodePolicy::Strict)) a
    /// value this type must not decode.
    ///
    /// # Errors
    /// [`CacheError::InvalidKey`], [`CacheError::Unavailable`], [`CacheError::Timeout`], [`CacheError::Rejected`]
    /// under `Strict`, [`CacheError::Untraceable`] under every policy.
    fn get<T: Cacheable>(&self, key: &str) -> impl Future<Output = Result<Option<T>, CacheError>> + Send;

    /// The value under `key` with its CAS token, for [`Cache::cas`].
    ///
    /// # Errors
    /// As [`Cache::get`].
    fn gets<T: Cacheable>(&self, key: &str) -> impl Future<Output = Result<Option<(T, CasToken)>, CacheError>> + Send;

    /// The hits among `keys`, by key (a `BTreeMap`, so iteration order is deterministic).
    ///
    /// # Errors
    /// As [`Cache::get`].
    fn get_many<T: Cacheable>(
        &self,
        keys: &[&str],
    ) -> impl Future<Output = Result<BTreeMap<String, T>, CacheError>> + Send;

    /// Stores `value` under `key` for `ttl` seconds.
    ///
    /// # Errors
    /// [`CacheError::InvalidKey`], [`CacheError::ValueTooLarge`], [`CacheError::Encode`],
    /// [`CacheError::Untraceable`], or unavailability.
    fn set<T: Cacheable>(
        &self,
        key: &str,
        value: &T,
        ttl: u32,
    ) -> impl Future<Output = Result<StoreOutcome, CacheError>> + Send;

    /// Stores only if `key` is absent ([`StoreOutcome::NotStored`] otherwise).
    ///
    /// # Errors
    /// As [`Cache::set`].
    fn add<T: Cacheable>(
        &self,
        key: &str,
        value: &T,
        ttl: u32,
    ) -> impl Future<Output = Result<StoreOutcome, CacheError>> + Send;

    /// Stores only if `key` exists ([`StoreOutcome::NotStored`] otherwise).
    ///
    /// # Errors
    /// As [`Cache::set`].
    fn replace<T: Cacheable>(
        &self,
        key: &str,
        value: &T,
        ttl: u32,
    ) -> impl Future<Output = Result<StoreOutcome, CacheError>> + Send;

    /// Stores only if the item still has token `cas`: [`StoreOutcome::Exists`] if it changed,
    /// [`StoreOutcome::NotFound`] if it is gone.
    ///
    /// # Errors
    /// As [`Cache::set`].
    fn cas<T: Cacheable>(
        &self,
        key: &str,
        value: &T,
        cas: CasToken,
        ttl: u32,
    ) -> impl Future<Output = Result<StoreOutcome, CacheError>> + Send;

    /// Deletes `key`; `true` if it existed.
    ///
    /// # Errors
    /// [`CacheError::InvalidKey`] or unavailability.
    fn delete(&self, key: &str) -> impl Future<Output = Result<bool, CacheError>> + Send;

    /// Sets a new expiry for `key`; `true` if it exists.
    ///
    /// # Errors
    /// [`CacheError::InvalidKey`] or unavailability.
    fn touch(&self, key: &str, ttl: u32) -> impl Future<Output = Result<bool, CacheError>> + Send;

    /// The cached value under `key`, or `compute`'s result, cached for `ttl` seconds.
    ///
    /// The cache never makes this fail: when it is unavailable, `compute` runs and its result is returned
    /// uncached; a value this type must not decode is recomputed. Only `compute`'s error comes back, and nothing
    /// is cached then. A type without a schema fingerprint ([`CacheError::Untraceable`]) is never cached: `compute`
    /// runs every time.
    ///
    /// # Errors
    /// `compute`'s error.
    fn get_or_compute<T, F, Fut, E>(
        &self,
        key: &str,
        ttl: u32,
        compute: F,
    ) -> impl Future<Output = Result<T, E>> + Send
    where
        T: Cacheable,
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = Result<T, E>> + Send,
        E: Send;
}

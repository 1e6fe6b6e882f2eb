//! The cache on real memcached, through `memcache_client`'s typed layer.

use std::collections::BTreeMap;
use std::future::Future;

use effects::{Cache, CacheError, Cacheable, CasToken, DecodePolicy, RejectReason, StoreOutcome, check_key};
use memcache_client::typed::{Bincode, TypedClient};
use memcache_client::{Cas, Client, Rejection};

/// [`Cache`] on memcached: the client's typed envelopes (bincode), its decode policy, metrics and stampede-protected
/// `get_or_compute`. Cheap to clone.
#[derive(Debug, Clone)]
pub struct MemcachedCache {
    client: Client,
    policy: DecodePolicy,
}

impl MemcachedCache {
    /// A cache over `client` with the default policy (rejected values are misses).
    pub fn new(client: Client) -> Self {
        Self { client, policy: DecodePolicy::default() }
    }

    /// This cache with another decode policy.
    #[must_use]
    pub fn with_policy(mut self, policy: DecodePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The client underneath.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn typed<T: Cacheable>(&self) -> TypedClient<T, Bincode> {
        self.client.typed::<T>().with_policy(self.policy)
    }

    async fn store<T: Cacheable>(
        &self,
        key: &str,
        value: &T,
        ttl: u32,
        mode: Mode,
    ) -> Result<StoreOutcome, CacheError> {
        check_key(key)?;
        let typed = self.typed::<T>();
        let outcome = match mode {
            Mode::Set => typed.set(key, value, ttl).await,
            Mode::Add => typed.add(key, value, ttl).await,
            Mode::Replace => typed.replace(key, value, ttl).await,
            Mode::Cas(CasToken(token)) => typed.cas(key, value, Cas(token), ttl).await,
        };
        outcome.map_err(map_error)
    }
}

#[derive(Clone, Copy)]
enum Mode {
    Set,
    Add,
    Replace,
    Cas(CasToken),
}

/// Maps the client's error onto the capability's, keeping the distinctions handlers act on.
pub(crate) fn map_error(error: memcache_client::Error) -> CacheError {
    use memcache_client::Error as E;
    let lossy = |key: &[u8]| String::from_utf8_lossy(key).into_owned();
    match error {
        _ if error.is_timeout() => CacheError::Timeout { message: error.to_string() },
        E::InvalidKey { key, reason } => CacheError::InvalidKey {
            key: lossy(&key),
            reason: match reason {
                memcache_client::InvalidKeyReason::Empty => "empty",
                memcache_client::InvalidKeyReason::TooLong { .. } => "longer than 250 bytes",
                _ => "contains whitespace or control bytes",
            },
        },
        E::ValueTooLarge { key, size, limit } => CacheError::ValueTooLarge { key: lossy(&key), size, limit },
        E::Encode { key, type_name, message } => CacheError::Encode { key: lossy(&key), type_name, message },
        E::Untraceable(error) => CacheError::Untraceable(error),
        E::Rejected { key, reason } => {
            CacheError::Rejected { key: lossy(&key), type_name: "", reason: reject_reason(&reason) }
        }
        error if error.is_retryable() => CacheError::Unavailable { message: error.to_string() },
        error => CacheError::Server { message: error.to_string() },
    }
}

/// The capability's name for why the client refused a value.
fn reject_reason(reason: &Rejection) -> RejectReason {
    match reason {
        Rejection::NotEnveloped { .. } => RejectReason::NotEnveloped,
        Rejection::UnexpectedType { .. } => RejectReason::UnexpectedType,
        Rejection::UnexpectedVersion { .. } => RejectReason::UnexpectedVersion,
        Rejection::SchemaMismatch { .. } => RejectReason::SchemaMismatch,
        Rejection::UnexpectedCodec { .. } => RejectReason::UnexpectedCodec,
        Rejection::Corrupt { .. } => RejectReason::Corrupt,
        Rejection::Decode { .. } => RejectReason::Decode,
        // A reason added to the client after this was written: the value is still refused (it is a rejection, so
        // a miss under the default policy), and "damaged" is the closest claim that promises nothing about its
        // type or version.
        _ => RejectReason::Corrupt,
    }
}

/// `map_error`, naming the reader's type in rejections.
fn map_for<T: Cacheable>(error: memcache_client::Error) -> CacheError {
    match map_error(error) {
        CacheError::Rejected { key, reason, .. } => CacheError::Rejected { key, type_name: T::TYPE_NAME, reason },
        other => other,
    }
}

impl Cache for MemcachedCache {
    async fn get<T: Cacheable>(&self, key: &str) -> Result<Option<T>, CacheError> {
        Ok(self.gets::<T>(key).await?.map(|(v, _)| v))
    }

    async fn gets<T: Cacheable>(&self, key: &str) -> Result<Option<(T, CasToken)>, CacheError> {
        check_key(key)?;
        let hit = self.typed::<T>().gets(key).await.map_err(map_for::<T>)?;
        Ok(hit.map(|(v, Cas(c))| (v, CasToken(c))))
    }

    async fn get_many<T: Cacheable>(&self, keys: &[&str]) -> Result<BTreeMap<String, T>, CacheError> {
        // One `gets` per key, pipelined on the client's connection: this does not depend on the shape of the
        // client's multi-get result, which is being reworked.
        let typed = self.typed::<T>();
        let mut out = BTreeMap::new();
        for key in keys {
            check_key(key)?;
            if let Some((value, _)) = typed.gets(*key).await.map_err(map_for::<T>)? {
                out.insert((*key).to_owned(), value);
            }
        }
        Ok(out)
    }

    async fn set<T: Cacheable>(&self, key: &str, value: &T, ttl: u32) -> Result<StoreOutcome, CacheError> {
        self.store(key, value, ttl, Mode::Set).await
    }

    async fn add<T: Cacheable>(&self, key: &str, value: &T, ttl: u32) -> Result<StoreOutcome, CacheError> {
        self.store(key, value, ttl, Mode::Add).await
    }

    async fn replace<T: Cacheable>(&self, key: &str, value: &T, ttl: u32) -> Result<StoreOutcome, CacheError> {
        self.store(key, value, ttl, Mode::Replace).await
    }

    async fn cas<T: Cacheable>(
        &self,
        key: &str,
        value: &T,
        cas: CasToken,
        ttl: u32,
    ) -> Result<StoreOutcome, CacheError> {
        self.store(key, value, ttl, Mode::Cas(cas)).await
    }

    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        check_key(key)?;
        self.client.delete(key).await.map_err(map_error)
    }

    async fn touch(&self, key: &str, ttl: u32) -> Result<bool, CacheError> {
        check_key(key)?;
        self.client.touch(key, ttl).await.map_err(map_error)
    }

    async fn get_or_compute<T, F, Fut, E>(&self, key: &str, ttl: u32, compute: F) -> Result<T, E>
    where
        T: Cacheable,
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = Result<T, E>> + Send,
        E: Send,
    {
        if check_key(key).is_err() {
            return compute().await;
        }
        self.typed::<T>().get_or_compute(key, ttl, compute).await
    }
}

#[cfg(test)]
mod tests {
    use effects::{CacheError, RejectReason};
    use memcache_client::{Error, Rejection};

    use super::map_error;

    /// Each of the client's reasons keeps its own name in the capability: handlers and metrics tell a deploy in
    /// progress (a version) from damage.
    #[test]
    fn rejections_keep_their_reason() {
        let cases = [
            (Rejection::NotEnveloped { flags: 0 }, RejectReason::NotEnveloped),
            (Rejection::UnexpectedType { expected: "a", found: "b".into() }, RejectReason::UnexpectedType),
            (Rejection::UnexpectedVersion { type_name: "a", expected: 2, found: 1 }, RejectReason::UnexpectedVersion),
            (
                Rejection::SchemaMismatch { type_name: "a", version: 1, expected: 1, found: 2 },
                RejectReason::SchemaMismatch,
            ),
            (Rejection::UnexpectedCodec { expected: "bincode2", found: 2 }, RejectReason::UnexpectedCodec),
            (Rejection::Corrupt { reason: "checksum mismatch" }, RejectReason::Corrupt),
            (Rejection::Decode { type_name: "a", message: "eof".into() }, RejectReason::Decode),
        ];
        for (rejection, expected) in cases {
            let mapped = map_error(Error::Rejected { key: "k:1".into(), reason: rejection });
            assert_eq!(mapped, CacheError::Rejected { key: "k:1".into(), type_name: "", reason: expected });
        }
    }
}

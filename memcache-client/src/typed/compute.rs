//! Read-through caching with stampede protection, on the meta protocol's recache flags.
//!
//! `mg <key> v f c t N<lock>` on a miss creates an empty placeholder and hands exactly one caller the `W` (won)
//! flag; every other caller sees `Z` (a winner exists) and waits for the value instead of hammering the backend.
//! `R<secs>` hands one caller `W` shortly before a value expires, so it is recomputed while the others keep
//! reading it. A value this type must not decode (another version during a deploy) is marked stale with
//! `md <key> I` so that, again, exactly one caller recomputes it (`X` + `W`) while the rest wait or serve it.
//!
//! Our placeholder is told from a stored value by the flags the server returns, never by the value's bytes: an
//! item is waited on only while another caller holds its win (`Z`) and it has no bytes. Any other item is a stored
//! value, decoded and, if it must not be (an empty string another client wrote is common), recomputed once and
//! replaced like any foreign value.

use std::future::Future;
use std::time::Duration;

use super::{Cacheable, Codec, TypedClient, note_rejection};
use crate::Cas;
use crate::key::AsKey;
use crate::proto::{MetaCode, MetaFlag, MetaResponse};

/// How [`TypedClient::get_or_compute_with`] waits and recaches.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ComputeOptions {
    /// Seconds the placeholder of a miss (or a stale mark) lives: if the winner dies before storing, another
    /// caller wins after this long. Default 30.
    pub lock_ttl: u32,
    /// Recompute when the value has fewer than this many seconds left, while others keep reading it (`R` flag).
    /// Default `None`: recompute only after expiry.
    pub recache_within: Option<u32>,
    /// How long a caller waits for another caller's computation before computing itself (without storing).
    /// Default 2 s.
    pub max_wait: Duration,
    /// How often a waiting caller looks again. Default 10 ms.
    pub poll_interval: Duration,
    /// Whether a caller that did not win may return a stale value (`X`) while the winner recomputes. Default
    /// true (stale-while-revalidate).
    pub serve_stale: bool,
}

impl Default for ComputeOptions {
    fn default() -> Self {
        Self {
            lock_ttl: 30,
            recache_within: None,
            max_wait: Duration::from_secs(2),
            poll_interval: Duration::from_millis(10),
            serve_stale: true,
        }
    }
}

impl ComputeOptions {
    /// These options with another `max_wait`.
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// These options with `recache_within` set.
    pub fn recache_within(mut self, secs: u32) -> Self {
        self.recache_within = Some(secs);
        self
    }

    /// These options with another `serve_stale`.
    pub fn serve_stale(mut self, serve_stale: bool) -> Self {
        self.serve_stale = serve_stale;
        self
    }
}

impl<T: Cacheable, C: Codec> TypedClient<T, C> {
    /// Returns the cached value under `key`, or runs `compute`, caches its result for `ttl` seconds and returns
    /// it — with one computation per key however many callers miss at once. See [`ComputeOptions`].
    ///
    /// The cache never makes this fail: if memcached is unreachable, `compute` runs and its result is returned
    /// uncached; a value this type must not decode is recomputed (whatever the [`DecodePolicy`](super::DecodePolicy)).
    /// Only `compute`'s own error comes back. If `T` has no schema fingerprint ([`Error::Untraceable`](crate::Error)),
    /// nothing is read or cached: `compute` runs every time, and an error is logged and counted
    /// (`memcache_typed_rejected_total{reason="untraceable"}`) on every call. With the text protocol there is no
    /// stampede protection: a miss computes and stores with `add`.
    ///
    /// # Errors
    /// `compute`'s error.
    ///
    /// ```no_run
    /// # use serde::{Deserialize, Serialize};
    /// # #[derive(Serialize, Deserialize)] struct Product { price: u64 }
    /// # memcache_client::cacheable!(Product, "shop.Product", version = 1);
    /// # async fn load_from_db(id: u64) -> Result<Product, std::io::Error> { Ok(Product { price: id }) }
    /// # async fn demo(client: memcache_client::Client) -> Result<(), std::io::Error> {
    /// let products = client.typed::<Product>();
    /// let product = products.get_or_compute("shop.Product:42", 300, || load_from_db(42)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_or_compute<K, F, Fut, E>(&self, key: &K, ttl: u32, compute: F) -> Result<T, E>
    where
        K: AsKey + ?Sized,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.get_or_compute_with(key, ttl, &ComputeOptions::default(), compute).await
    }

    /// [`TypedClient::get_or_compute`] with explicit [`ComputeOptions`].
    ///
    /// # Errors
    /// `compute`'s error.
    pub async fn get_or_compute_with<K, F, Fut, E>(
        &self,
        key: &K,
        ttl: u32,
        options: &ComputeOptions,
        compute: F,
    ) -> Result<T, E>
    where
        K: AsKey + ?Sized,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Err(error) = self.schema() {
            // `E` is the caller's error and cannot carry ours: never cache without the check, and say so loudly.
            note_rejection(T::TYPE_NAME, &error);
            return compute().await;
        }
        if self.client.config().protocol != crate::Protocol::Meta {
            return self.get_or_compute_text(key, ttl, compute).await;
        }
        let deadline = tokio::time::Instant::now() + options.max_wait;
        let mut flags = vec![MetaFlag::Vivify(options.lock_ttl)];
        if let Some(secs) = options.recache_within {
            flags.push(MetaFlag::Recache(secs));
        }
        loop {
            let reply = match self.client.meta_get_with(key, &flags).await {
                Ok(reply) => reply,
                Err(error) => {
                    tracing::warn!(%error, "cache unavailable for read-through; computing uncached");
                    return compute().await;
                }
            };
            let cas = reply.flags.cas.map(Cas);
            let empty = reply.value.as_ref().is_none_or(|v| v.is_empty());
            if reply.flags.won {
                return self.compute_and_store(key, ttl, cas, empty, compute).await;
            }
            if !awaits_winner(&reply) {
                let value = reply.value.as_deref().unwrap_or_default();
                let flags = reply.flags.client_flags.unwrap_or(0);
                match self.decode(key.key_bytes(), flags, value) {
                    Ok(value) if !reply.flags.stale || options.serve_stale => return Ok(value),
                    Ok(_) => {} // stale and not to be served: wait for the winner
                    Err(error) => {
                        note_rejection(T::TYPE_NAME, &error);
                        // Mark it stale so the next look hands exactly one caller the win.
                        if !reply.flags.stale {
                            let mark = [MetaFlag::Invalidate, MetaFlag::Ttl(options.lock_ttl)];
                            let mark = [&mark[..], cas.map(|Cas(c)| MetaFlag::CompareCas(c)).as_slice()].concat();
                            if self.client.meta_delete_with(key, &mark).await.is_ok() {
                                continue;
                            }
                        }
                    }
                }
            }
            // Another caller is computing: wait for it, within the budget.
            let now = tokio::time::Instant::now();
            if now + options.poll_interval > deadline {
                tracing::debug!("waited max_wait for another caller's computation; computing uncached");
                return compute().await;
            }
            tokio::time::sleep(options.poll_interval).await;
        }
    }

    /// Runs `compute` as the winner and stores the result, only over the item we won (compared by CAS). `empty`: the
    /// item has no bytes, so on a failed computation it is deleted to free the waiters.
    async fn compute_and_store<K, F, Fut, E>(
        &self,
        key: &K,
        ttl: u32,
        cas: Option<Cas>,
        empty: bool,
        compute: F,
    ) -> Result<T, E>
    where
        K: AsKey + ?Sized,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let value = match compute().await {
            Ok(value) => value,
            Err(error) => {
                if empty && let Some(Cas(c)) = cas {
                    // Free the waiters now rather than after lock_ttl: the next caller will try again.
                    let _ = self.client.meta_delete_with(key, &[MetaFlag::CompareCas(c)]).await;
                }
                return Err(error);
            }
        };
        match self.encode(key.key_bytes(), &value) {
            Ok(bytes) => {
                let mut flags = vec![MetaFlag::ClientFlags(super::ENVELOPE_FLAGS), MetaFlag::Ttl(ttl)];
                flags.extend(cas.map(|Cas(c)| MetaFlag::CompareCas(c)));
                if let Err(error) = self.client.meta_set_with(key, &bytes, &flags).await {
                    tracing::warn!(%error, "could not cache a computed value");
                }
            }
            Err(error) => tracing::warn!(%error, "could not encode a computed value"),
        }
        Ok(value)
    }

    async fn get_or_compute_text<K, F, Fut, E>(&self, key: &K, ttl: u32, compute: F) -> Result<T, E>
    where
        K: AsKey + ?Sized,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Ok(Some(item)) = self.client.get(key).await {
            match self.decode(key.key_bytes(), item.flags, &item.value) {
                Ok(value) => return Ok(value),
                Err(error) => note_rejection(T::TYPE_NAME, &error),
            }
        }
        let value = compute().await?;
        if let Ok(bytes) = self.encode(key.key_bytes(), &value) {
            let _ = self.client.set(key, bytes, self.options(ttl)).await;
        }
        Ok(value)
    }
}

/// Whether to wait for another caller's value: no item, or an item without bytes whose win another caller holds
/// (`Z`), which is the placeholder a vivifying miss creates (or an item being replaced). Judged by the server's
/// flags only: an empty value that nobody is recomputing (no `Z`) is a stored value like any other.
fn awaits_winner(reply: &MetaResponse) -> bool {
    reply.code != MetaCode::Value || (reply.flags.win_sent && reply.value.as_ref().is_none_or(|v| v.is_empty()))
}

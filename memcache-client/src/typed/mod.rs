//! Typed values that carry their schema.
//!
//! During a rolling deploy, old and new code share one cache. A reader must never decode bytes that another type,
//! or another version of its own type, wrote: "successfully" decoding them into garbage is the failure this module
//! exists to prevent. Every value is stored inside an [`envelope`] naming its type, schema version, schema
//! [`fingerprint`] and codec, and marked by its client flags; a reader checks all of them before decoding.
//!
//! ```no_run
//! use memcache_client::{Client, cacheable};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Product { name: String, price: u64 }
//! cacheable!(Product, "shop.Product", version = 1);
//!
//! # async fn demo() -> Result<(), memcache_client::Error> {
//! let client = Client::new("127.0.0.1:11211")?;
//! let products = client.typed::<Product>();
//! products.set("product:42", &Product { name: "Lamp".into(), price: 1999 }, 300).await?;
//! let lamp = products.get("product:42").await?; // None if absent *or* written by another type/version
//! # let _ = lamp;
//! # Ok(()) }
//! ```
//!
//! ## What the schema check covers
//!
//! The fingerprint is traced from `T`'s serde shape and its full Rust type (see [`fingerprint`] for the exact rules):
//! a field added, removed, renamed, reordered or retyped, an enum variant changed anywhere, a generic argument
//! changed, or the type moved to another module, is a [`Rejection::SchemaMismatch`] without any version bump. It
//! cannot see a change of meaning with the same shape, nor serde attributes that alter the encoding but not the shape.
//! A type it cannot trace fails closed: [`Client::typed`] still returns a handle, but every call on it returns
//! [`Error::Untraceable`] naming the type and the reason (under every [`DecodePolicy`]; `get_or_compute` computes
//! uncached), until the declaration gives samples or opts out in writing:
//!
//! ```
//! use memcache_client::cacheable;
//! use serde::{Deserialize, Serialize};
//!
//! /// `Deserialize` only accepts "sku-<digits>": the tracer cannot make one up, so the declaration gives a sample.
//! #[derive(Serialize, Deserialize, Clone)]
//! #[serde(try_from = "String", into = "String")]
//! struct Sku(u32);
//! # impl TryFrom<String> for Sku { type Error = String;
//! #     fn try_from(s: String) -> Result<Self, String> {
//! #         s.strip_prefix("sku-").and_then(|n| n.parse().ok()).map(Sku).ok_or(s)
//! #     }
//! # }
//! # impl From<Sku> for String { fn from(s: Sku) -> String { format!("sku-{}", s.0) } }
//! #[derive(Serialize, Deserialize)]
//! struct Stock { sku: Sku, count: u32 }
//! cacheable!(Stock, "shop.Stock", version = 1, samples = [Stock { sku: Sku(1), count: 0 }]);
//! assert!(memcache_client::typed::Schema::of::<Stock>().is_ok());
//! ```
//!
//! ## Integrity
//!
//! A handle writes envelope format 2 by default: the envelope followed by an XXH3-64 of it
//! ([`Integrity::Xxh3`]), so a value damaged on its way (a buggy writer, a broken proxy) is rejected as
//! [`Rejection::Corrupt`] rather than decoded into a record with altered fields. XXH3 was chosen over CRC32 by
//! measurement, and kept on by default because its cost is small next to a round trip (BENCHMARKS.md).
//! [`TypedClient::with_integrity`] turns it off for writing; readers verify every checksum they find and still read
//! format 1.
//!
//! ## Versions during a deploy
//!
//! The envelope alone makes sharing a key across versions *safe*: a reader treats the other version's value as a
//! miss and recomputes. But old and new readers then overwrite each other's values on every miss ("ping-pong")
//! until the deploy finishes. When a deploy changes a hot type, give each version its own key with
//! [`versioned_key`] (`shop.Product:v2:42`): both versions stay cached side by side, and the old keys simply expire.
//! Keep the shared key (envelope alone) for rarely-changed types where a short burst of misses is acceptable.
//!
//! ## Codecs: bincode (default) and postcard
//!
//! [`Client::typed`] encodes with bincode 2, the format existing caches hold. bincode is unmaintained (RustSec
//! advisory RUSTSEC-2025-0141: its authors ended development; no vulnerability is known), so new code should
//! prefer postcard, which is maintained: enable the crate's `postcard` feature and ask for the codec by name,
//! `client.typed_with::<T, Postcard>()`. The codec is recorded in every envelope, so switching is safe during a
//! deploy: a reader using one codec rejects a value written with the other as [`Rejection::UnexpectedCodec`] (a
//! miss under [`DecodePolicy::TreatAsMiss`]), never as garbage; the values are rewritten in the new codec as they miss.
//!
//! ```ignore
//! // Cargo.toml: memcache-client = { version = "0.1", features = ["postcard"] }
//! use memcache_client::typed::Postcard;
//! let products = client.typed_with::<Product, Postcard>();
//! ```

mod codec;
mod compute;
pub mod envelope;
mod rejection;
#[cfg(all(test, feature = "bincode"))]
mod tests;

use std::collections::HashMap;
use std::fmt::Display;
use std::marker::PhantomData;

pub use cache_schema::{Cacheable, DecodePolicy, SchemaError, fingerprint};
#[cfg(feature = "postcard")]
pub use codec::Postcard;
pub use codec::{Bincode, Codec};
pub use compute::ComputeOptions;
pub use envelope::{ENVELOPE_FLAGS, Integrity, Schema};
pub use rejection::Rejection;

use crate::key::AsKey;
use crate::{Cas, Client, Error, MultiGet, StoreOptions, StoreOutcome};

/// A key namespaced by type and version, `TYPE_NAME:vVERSION:id` (for example `shop.Product:v3:42`), so two
/// versions of a type can be cached side by side during a deploy.
///
/// ```
/// # use serde::{Deserialize, Serialize};
/// # #[derive(Serialize, Deserialize)] struct Product;
/// # memcache_client::cacheable!(Product, "shop.Product", version = 3);
/// assert_eq!(memcache_client::typed::versioned_key::<Product>(42), "shop.Product:v3:42");
/// ```
pub fn versioned_key<T: Cacheable>(id: impl Display) -> String {
    format!("{}:v{}:{id}", T::TYPE_NAME, T::VERSION)
}

/// Typed access to one type's values through a [`Client`]: made by [`Client::typed`] or [`Client::typed_with`].
///
/// Cheap to clone; the schema fingerprint is computed once, when the handle is made. If `T`'s shape cannot be
/// traced, every call on the handle returns [`Error::Untraceable`] naming the type and the reason (see
/// [`fingerprint`]): such a type is never cached without its check.
#[derive(Debug)]
pub struct TypedClient<T, C = Bincode> {
    client: Client,
    schema: Result<Schema, SchemaError>,
    policy: DecodePolicy,
    integrity: Integrity,
    _marker: PhantomData<fn() -> (T, C)>,
}

impl<T, C> Clone for TypedClient<T, C> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            schema: self.schema.clone(),
            policy: self.policy,
            integrity: self.integrity,
            _marker: PhantomData,
        }
    }
}

impl Client {
    /// Typed access to `T` values with the default codec ([`Bincode`], feature `bincode`) and policy
    /// ([`DecodePolicy::TreatAsMiss`]).
    #[cfg(feature = "bincode")]
    pub fn typed<T: Cacheable>(&self) -> TypedClient<T, Bincode> {
        self.typed_with::<T, Bincode>()
    }

    /// Typed access to `T` values with codec `C`.
    pub fn typed_with<T: Cacheable, C: Codec>(&self) -> TypedClient<T, C> {
        TypedClient {
            client: self.clone(),
            schema: Schema::of::<T>(),
            policy: DecodePolicy::default(),
            integrity: Integrity::default(),
            _marker: PhantomData,
        }
    }
}

impl<T: Cacheable, C: Codec> TypedClient<T, C> {
    /// The same handle with another [`DecodePolicy`].
    pub fn with_policy(mut self, policy: DecodePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The same handle writing envelopes with or without a checksum ([`Integrity::Xxh3`] by default). Reads
    /// verify every checksum they find either way.
    pub fn with_integrity(mut self, integrity: Integrity) -> Self {
        self.integrity = integrity;
        self
    }

    /// What this handle writes and expects to read.
    ///
    /// # Errors
    /// [`Error::Untraceable`] if `T`'s shape could not be traced.
    pub fn schema(&self) -> Result<&Schema, Error> {
        self.schema.as_ref().map_err(|error| Error::Untraceable(error.clone()))
    }

    /// The untyped client underneath.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn encode(&self, key: &[u8], value: &T) -> Result<Vec<u8>, Error> {
        envelope::encode_with::<T, C>(self.schema()?, key, value, self.integrity)
    }

    pub(crate) fn decode(&self, key: &[u8], flags: u32, bytes: &[u8]) -> Result<T, Error> {
        envelope::decode::<T, C>(self.schema()?, key, flags, bytes)
    }

    /// Applies the policy to a rejected value read under `key` (with CAS `cas`, when known).
    async fn reject<K: AsKey + ?Sized>(&self, key: &K, cas: Option<Cas>, error: Error) -> Result<Option<T>, Error> {
        note_rejection(T::TYPE_NAME, &error);
        if self.policy == DecodePolicy::Strict {
            return Err(error);
        }
        if self.policy.deletes()
            && let Some(cas) = cas
        {
            // Best effort: a failure to clean up is not the reader's failure.
            let _ = self.client.delete_if_unchanged(key, cas).await;
        }
        Ok(None)
    }

    /// Reads the value under `key`. `None` is a miss — or, under `TreatAsMiss`, a value this type must not decode.
    ///
    /// # Errors
    /// Connection, timeout and server errors; under [`DecodePolicy::Strict`] also [`Error::Rejected`] (its
    /// [`Rejection`] says why: [`Rejection::UnexpectedVersion`], [`Rejection::UnexpectedType`], ...).
    /// [`Error::Untraceable`] (under every policy) if `T` has no schema fingerprint; this and every other call on
    /// the handle then send nothing.
    pub async fn get<K: AsKey + ?Sized>(&self, key: &K) -> Result<Option<T>, Error> {
        Ok(self.gets(key).await?.map(|(value, _)| value))
    }

    /// Reads the value under `key` with its CAS token, for [`TypedClient::cas`].
    ///
    /// # Errors
    /// As [`TypedClient::get`].
    pub async fn gets<K: AsKey + ?Sized>(&self, key: &K) -> Result<Option<(T, Cas)>, Error> {
        self.schema()?;
        let Some(item) = self.client.gets(key).await? else { return Ok(None) };
        let cas = item.cas.unwrap_or(Cas(0));
        match self.decode(key.key_bytes(), item.flags, &item.value) {
            Ok(value) => Ok(Some((value, cas))),
            Err(error) => Ok(self.reject(key, item.cas, error).await?.map(|v| (v, cas))),
        }
    }

    /// Reads many values at once, as [`Client::get_many`] does: the result carries the decoded hits and, per key,
    /// the errors. A key whose server failed has that error; a value this type must not decode follows the policy:
    /// under `Strict` its rejection is that key's error (the other keys still decode), under `TreatAsMiss` it is
    /// absent, a miss.
    ///
    /// # Errors
    /// As [`Client::get_many`]: only invalid input (and [`Error::Untraceable`]) fails the whole call.
    pub async fn get_many<I>(&self, keys: I) -> Result<MultiGet<T>, Error>
    where
        I: IntoIterator,
        I::Item: AsKey + Send + Sync,
    {
        self.schema()?;
        let (items, errors) = self.client.get_many(keys).await?.into_parts();
        let mut out = MultiGet { hits: HashMap::with_capacity(items.len()), errors };
        for (key, item) in items {
            match self.decode(&key, item.flags, &item.value) {
                Ok(value) => {
                    out.hits.insert(key, value);
                }
                Err(error) => {
                    // get_many reads without CAS tokens, so a rejected entry is never deleted from here.
                    if let Err(error) = self.reject(&key[..], None, error).await {
                        out.errors.insert(key, error);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Stores `value` under `key` for `ttl` seconds (0: no expiry).
    ///
    /// # Errors
    /// [`Error::Untraceable`], [`Error::Encode`], [`Error::InvalidKey`], [`Error::ValueTooLarge`], or what
    /// [`Client::set`] returns.
    pub async fn set<K: AsKey + ?Sized>(&self, key: &K, value: &T, ttl: u32) -> Result<StoreOutcome, Error> {
        let bytes = self.encode(key.key_bytes(), value)?;
        self.client.set(key, bytes, self.options(ttl)).await
    }

    /// Stores only if `key` is absent.
    ///
    /// # Errors
    /// As [`TypedClient::set`].
    pub async fn add<K: AsKey + ?Sized>(&self, key: &K, value: &T, ttl: u32) -> Result<StoreOutcome, Error> {
        let bytes = self.encode(key.key_bytes(), value)?;
        self.client.add(key, bytes, self.options(ttl)).await
    }

    /// Stores only if `key` exists.
    ///
    /// # Errors
    /// As [`TypedClient::set`].
    pub async fn replace<K: AsKey + ?Sized>(&self, key: &K, value: &T, ttl: u32) -> Result<StoreOutcome, Error> {
        let bytes = self.encode(key.key_bytes(), value)?;
        self.client.replace(key, bytes, self.options(ttl)).await
    }

    /// Stores only if the item still has CAS token `cas` (from [`TypedClient::gets`]).
    ///
    /// # Errors
    /// As [`TypedClient::set`].
    pub async fn cas<K: AsKey + ?Sized>(&self, key: &K, value: &T, cas: Cas, ttl: u32) -> Result<StoreOutcome, Error> {
        let bytes = self.encode(key.key_bytes(), value)?;
        self.client.cas(key, bytes, cas, self.options(ttl)).await
    }

    /// Deletes `key`; `true` if it existed.
    ///
    /// # Errors
    /// [`Error::Untraceable`], or as [`Client::delete`].
    pub async fn delete<K: AsKey + ?Sized>(&self, key: &K) -> Result<bool, Error> {
        self.schema()?;
        self.client.delete(key).await
    }

    /// Marks the value under `key` stale (`md <key> I`) rather than deleting it: the next
    /// [`get_or_compute`](TypedClient::get_or_compute) hands one caller the recompute while the others may keep
    /// serving the stale value. `true` if it existed. With the text protocol this deletes the key.
    ///
    /// # Errors
    /// [`Error::Untraceable`], or as [`Client::delete`].
    pub async fn invalidate<K: AsKey + ?Sized>(&self, key: &K) -> Result<bool, Error> {
        self.schema()?;
        if self.client.config().protocol != crate::Protocol::Meta {
            return self.client.delete(key).await;
        }
        let flags = [crate::proto::MetaFlag::Invalidate];
        Ok(self.client.meta_delete_with(key, &flags).await? == crate::proto::MetaCode::Success)
    }

    /// Sets the expiry of `key`; `true` if it exists.
    ///
    /// # Errors
    /// [`Error::Untraceable`], or as [`Client::touch`].
    pub async fn touch<K: AsKey + ?Sized>(&self, key: &K, ttl: u32) -> Result<bool, Error> {
        self.schema()?;
        self.client.touch(key, ttl).await
    }

    fn options(&self, ttl: u32) -> StoreOptions {
        StoreOptions::default().ttl(ttl).flags(ENVELOPE_FLAGS)
    }
}

/// Counts and logs a rejected value.
pub(crate) fn note_rejection(type_name: &'static str, error: &Error) {
    // Label a rejection by its reason, not by the shared `rejected` kind: dashboards tell an unexpected version
    // (a deploy in progress) from corruption. Other errors (`untraceable`) are labelled by their kind.
    let reason = match error {
        Error::Rejected { reason, .. } => reason.as_str(),
        other => other.kind().as_str(),
    };
    #[cfg(feature = "metrics")]
    metrics::counter!("memcache_typed_rejected_total", "type" => type_name, "reason" => reason).increment(1);
    tracing::warn!(type_name, reason, %error, "cached value rejected");
}

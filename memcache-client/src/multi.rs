//! The result of a multi-key read: hits, and errors for the keys whose server failed.

use std::collections::HashMap;

use bytes::Bytes;

use crate::Error;
use crate::item::Item;

/// What [`Client::get_many`](crate::Client::get_many) (with `V = Item`) or
/// [`TypedClient::get_many`](crate::TypedClient::get_many) (with `V = T`) read.
///
/// Each key asked for is in exactly one of three states: a hit ([`MultiGet::hits`]), an error
/// ([`MultiGet::errors`]: its server failed, timed out or is marked down — the other servers' keys are
/// unaffected), or neither: a miss. Keys are the caller's key bytes (a [`BinaryKey`](crate::BinaryKey)'s raw bytes,
/// not its base64 wire form).
#[derive(Debug, Clone)]
pub struct MultiGet<V = Item> {
    pub(crate) hits: HashMap<Bytes, V>,
    pub(crate) errors: HashMap<Bytes, Error>,
}

impl<V> Default for MultiGet<V> {
    fn default() -> Self {
        Self { hits: HashMap::new(), errors: HashMap::new() }
    }
}

impl<V> MultiGet<V> {
    /// The hits by key.
    pub fn hits(&self) -> &HashMap<Bytes, V> {
        &self.hits
    }

    /// The hits by key, taking them out; the errors are dropped (check [`MultiGet::is_complete`] first, or use
    /// [`MultiGet::into_complete`], if a failed server must not pass for misses).
    pub fn into_hits(self) -> HashMap<Bytes, V> {
        self.hits
    }

    /// The errors by key: one for every key whose server could not answer.
    pub fn errors(&self) -> &HashMap<Bytes, Error> {
        &self.errors
    }

    /// The hit for `key`, if it was one.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Option<&V> {
        self.hits.get(key.as_ref())
    }

    /// The error for `key`, if its server failed.
    pub fn error(&self, key: impl AsRef<[u8]>) -> Option<&Error> {
        self.errors.get(key.as_ref())
    }

    /// Whether every server answered: no key has an error, so every key absent from the hits is a real miss.
    pub fn is_complete(&self) -> bool {
        self.errors.is_empty()
    }

    /// The hits if every server answered.
    ///
    /// # Errors
    /// The error of the smallest failed key (by bytes), so the choice is deterministic.
    pub fn into_complete(self) -> Result<HashMap<Bytes, V>, Error> {
        match self.errors.into_iter().min_by(|a, b| a.0.cmp(&b.0)) {
            Some((_, error)) => Err(error),
            None => Ok(self.hits),
        }
    }

    /// The hits and the errors.
    pub fn into_parts(self) -> (HashMap<Bytes, V>, HashMap<Bytes, Error>) {
        (self.hits, self.errors)
    }
}

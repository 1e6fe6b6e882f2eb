//! [`DecodePolicy`]: what a typed read does with a value it must not decode.

/// What a typed read does with a value it must not decode: written by another type, another schema version or
/// codec, not enveloped at all, or damaged.
///
/// ```
/// use cache_schema::DecodePolicy;
/// assert_eq!(DecodePolicy::default(), DecodePolicy::TreatAsMiss { delete: false });
/// assert!(DecodePolicy::TreatAsMiss { delete: true }.deletes());
/// assert!(!DecodePolicy::Strict.deletes());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodePolicy {
    /// Return the rejection as an error (`memcache_client`: a variant for which `Error::is_rejected_value` is
    /// true; `effects`: `CacheError::Rejected`).
    Strict,
    /// Report a miss (`None`); every rejection is still counted and logged by the cache. With `delete`, the
    /// rejected entry is also deleted, only if it is still the same item (compared by CAS), so a fresher value is
    /// never removed. Leave `delete` off while two versions share keys, or they will delete each other's values.
    TreatAsMiss {
        /// Delete the rejected entry.
        delete: bool,
    },
}

impl Default for DecodePolicy {
    /// `TreatAsMiss { delete: false }`: the right default for read-through caching.
    fn default() -> Self {
        DecodePolicy::TreatAsMiss { delete: false }
    }
}

impl DecodePolicy {
    /// Whether rejected values are deleted.
    pub fn deletes(self) -> bool {
        matches!(self, DecodePolicy::TreatAsMiss { delete: true })
    }
}

//! The values item commands take and return: [`Item`], [`Cas`], [`StoreOptions`] and [`StoreOutcome`].

use bytes::Bytes;
pub use cache_schema::StoreOutcome;

/// A CAS ("compare and swap") token: the item's version as `gets` read it. Pass it to [`Client::cas`] to store only
/// if nobody changed the item since.
///
/// [`Client::cas`]: crate::Client::cas
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cas(pub u64);

/// An item read from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The value.
    pub value: Bytes,
    /// The 32-bit client flags stored with it.
    pub flags: u32,
    /// Its CAS token, when asked for (`gets`, `gats`).
    pub cas: Option<Cas>,
}

/// Expiry and client flags for a store. `StoreOptions::default()` never expires and has flags 0.
///
/// ```
/// use memcache_client::StoreOptions;
/// let opts = StoreOptions::default().ttl(300).flags(1);
/// assert_eq!((opts.ttl, opts.flags), (300, 1));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct StoreOptions {
    /// Expiry: 0 never; up to 30 days (2,592,000) seconds from now; above that a Unix timestamp.
    pub ttl: u32,
    /// 32-bit client flags stored with the value and returned with it.
    pub flags: u32,
}

impl StoreOptions {
    /// These options with expiry `ttl` (seconds, or a Unix timestamp past 30 days).
    pub const fn ttl(mut self, ttl: u32) -> Self {
        self.ttl = ttl;
        self
    }

    /// These options with client flags `flags`.
    pub const fn flags(mut self, flags: u32) -> Self {
        self.flags = flags;
        self
    }
}

//! [`CacheKey`]: memcached-safe keys derived from IDs.

use core::fmt::{self, Write as _};

use crate::id::Id;
use crate::text::Plain;

/// A memcached key for one ID: `namespace:value`, e.g. `customer:123`.
///
/// The namespace is checked when the program compiles (1 to 64 printable ASCII
/// characters) and every representation's plain text is made of `[A-Za-z0-9._-]`, so a
/// key never holds whitespace or control characters and stays under memcached's
/// 250-byte limit. The value is the raw one, without the type prefix: a decimal number,
/// a hyphenated UUID, or the string.
///
/// ```
/// typed_ids::id!(pub CustomerId: u64, prefix = "cus");
/// typed_ids::id!(pub LineItemId: u32, cache = "shop.line");
///
/// assert_eq!(CustomerId::new(123).cache_key().as_str(), "customer:123");
/// assert_eq!(LineItemId::new(7).cache_key().to_string(), "shop.line:7");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CacheKey(String);

/// memcached's limit on key length, in bytes.
pub const MAX_KEY_LEN: usize = 250;

impl CacheKey {
    /// The key for `id`.
    #[must_use]
    pub fn of<T: Id>(id: &T) -> Self {
        let mut key = String::with_capacity(T::CACHE_NAMESPACE.len() + 24);
        key.push_str(T::CACHE_NAMESPACE);
        key.push(':');
        // Writing to a String cannot fail.
        let _ = write!(key, "{}", Plain(id.get()));
        debug_assert!(key.len() <= MAX_KEY_LEN);
        Self(key)
    }

    /// The key as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key as bytes, as memcached clients take it.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The key as an owned `String`.
    #[must_use]
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for CacheKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<[u8]> for CacheKey {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl From<CacheKey> for String {
    fn from(key: CacheKey) -> Self {
        key.0
    }
}

//! The [`Id`] trait that every generated ID type implements.

use core::fmt;
use core::hash::Hash;
use core::str::FromStr;

use crate::cache_key::CacheKey;
use crate::error::Error;
use crate::repr::Repr;

/// How an ID type is written by serde; chosen per type with `serde = ...` in [`id!`](crate::id).
///
/// Either way, deserialisation failures carry the message of the typed [`Error`], and a
/// string is never taken for an integer ID unless it is that ID's `Display` text: a
/// prefixed `CustomerId` refuses `"42"` (and `"prd_42"`), which is what keeps a bare
/// or foreign ID out of a customer URL or query string.
///
/// ```
/// # #[cfg(feature = "serde")] {
/// typed_ids::id! {
///     pub CustomerId: u64, prefix = "cus";
///     pub OrderId: u64, prefix = "ord", serde = prefixed;
/// }
/// assert_eq!(serde_json::to_string(&CustomerId::new(7)).unwrap(), "7");
/// assert_eq!(serde_json::to_string(&OrderId::new(7)).unwrap(), r#""ord_7""#);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SerdeForm {
    /// The raw value: a bare number, the UUID's own serde form (a hyphenated string in
    /// JSON), or the string without prefix. The default.
    ///
    /// In text formats (JSON strings, query strings, path segments) integer and UUID IDs
    /// also accept their `Display` text, so `?customer=cus_7` works. A prefixed integer
    /// ID used as a JSON map key does not round trip (the key is written as `"7"` and
    /// read back as text without its prefix): use `Prefixed` for those.
    Transparent,
    /// The `Display` text, prefix included (`"cus_123"`), and only that.
    Prefixed,
}

/// Behaviour shared by every type declared with [`id!`](crate::id), for generic code.
///
/// The generated types also have inherent `new`, `get` and `cache_key`, so callers
/// don't need this trait in scope. It is implemented only by the macro.
pub trait Id:
    Copy + Eq + Ord + Hash + fmt::Debug + fmt::Display + FromStr<Err = Error> + Send + Sync + 'static
{
    /// The wrapped value's type.
    type Repr: Repr;

    /// The type's name as written in the declaration, e.g. `"CustomerId"`; errors carry it.
    const TYPE_NAME: &'static str;

    /// The text prefix (without the `_` separator), if the type has one.
    const PREFIX: Option<&'static str>;

    /// The first part of the type's cache keys: `"customer"` for `CustomerId` unless set
    /// with `cache = "..."`.
    const CACHE_NAMESPACE: &'static str;

    /// The serde form chosen for the type.
    const SERDE_FORM: SerdeForm;

    /// Wraps a raw value.
    fn new(raw: Self::Repr) -> Self;

    /// Returns the raw value.
    fn get(self) -> Self::Repr;

    /// The memcached-safe cache key, e.g. `customer:123`.
    fn cache_key(&self) -> CacheKey {
        CacheKey::of(self)
    }
}

//! [`ShortStr`]: the inline, `Copy` string representation for string IDs.

use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};

use crate::error::{Error, Format, Reason};

/// The largest capacity a [`ShortStr`] may have, so that a cache key built from it stays
/// well within memcached's 250-byte limit.
pub const MAX_SHORT_STR: usize = 128;

/// A string of 1 to `N` characters from `[A-Za-z0-9._-]`, stored inline.
///
/// It is the representation for string IDs (SKUs, external references): `Copy`, no heap,
/// `N + 1` bytes with alignment 1, and safe to put in URLs and memcached keys as is.
/// `N` may be at most [`MAX_SHORT_STR`].
///
/// ```
/// use typed_ids::ShortStr;
///
/// typed_ids::id!(
///     /// A stock-keeping unit.
///     pub Sku: ShortStr<16>, prefix = "sku"
/// );
///
/// let sku = Sku::new(ShortStr::from_static("BLUE-MUG-12"));
/// assert_eq!(sku.to_string(), "sku_BLUE-MUG-12");
/// assert_eq!("sku_BLUE-MUG-12".parse::<Sku>().unwrap(), sku);
/// ```
#[derive(Clone, Copy)]
pub struct ShortStr<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

impl<const N: usize> ShortStr<N> {
    /// The most characters this string can hold.
    pub const CAPACITY: usize = N;

    const CHECK_CAPACITY: () =
        assert!(N >= 1 && N <= MAX_SHORT_STR, "ShortStr capacity must be between 1 and MAX_SHORT_STR (128)");

    /// Checks and copies `text`.
    ///
    /// # Errors
    ///
    /// [`Error::Empty`], [`Error::Overflow`] when `text` is longer than `N` bytes, or
    /// [`Error::InvalidDigit`] for a character outside `[A-Za-z0-9._-]`; the errors name
    /// `ShortStr` as the ID type.
    pub fn new(text: &str) -> Result<Self, Error> {
        let format = Format::raw(crate::__private::ReprKind::Str { capacity: N });
        Self::try_from_str(text).map_err(|reason| Error::new(reason, "ShortStr", format, text))
    }

    /// Builds a `ShortStr` from a literal, checked when the program compiles if used in a
    /// `const`.
    ///
    /// # Panics
    ///
    /// When `text` is empty, longer than `N` or has a character outside `[A-Za-z0-9._-]`.
    /// Use [`ShortStr::new`] for text that comes from outside.
    #[must_use]
    pub const fn from_static(text: &'static str) -> Self {
        match Self::check_bytes(text.as_bytes()) {
            Ok(value) => value,
            Err(_) => panic!("ShortStr::from_static: empty, too long, or a character outside [A-Za-z0-9._-]"),
        }
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored, so this cannot fail.
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }

    pub(crate) fn try_from_str(text: &str) -> Result<Self, Reason> {
        Self::check_bytes(text.as_bytes())
    }

    const fn check_bytes(text: &[u8]) -> Result<Self, Reason> {
        let () = Self::CHECK_CAPACITY;
        if text.is_empty() {
            return Err(Reason::Empty);
        }
        if text.len() > N {
            return Err(Reason::Overflow);
        }
        let mut bytes = [0u8; N];
        let mut i = 0;
        while i < text.len() {
            let b = text[i];
            if !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.') {
                return Err(Reason::InvalidDigit);
            }
            bytes[i] = b;
            i += 1;
        }
        // N <= 128, checked above, so the length fits a u8.
        Ok(Self { len: text.len() as u8, bytes })
    }
}

impl<const N: usize> PartialEq for ShortStr<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl<const N: usize> Eq for ShortStr<N> {}

impl<const N: usize> PartialOrd for ShortStr<N> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<const N: usize> Ord for ShortStr<N> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl<const N: usize> Hash for ShortStr<N> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl<const N: usize> fmt::Debug for ShortStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> fmt::Display for ShortStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> AsRef<str> for ShortStr<N> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> core::str::FromStr for ShortStr<N> {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        Self::new(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_allowed_characters_up_to_capacity() {
        let s = ShortStr::<8>::new("Ab-9_.z").unwrap();
        assert_eq!(s.as_str(), "Ab-9_.z");
        assert_eq!(ShortStr::<3>::new("abc").unwrap().as_str(), "abc");
    }

    #[test]
    fn rejects_with_specific_errors() {
        assert!(matches!(ShortStr::<3>::new(""), Err(Error::Empty { id_type: "ShortStr", .. })));
        assert!(matches!(ShortStr::<3>::new("abcd"), Err(Error::Overflow { id_type: "ShortStr", .. })));
        assert!(matches!(ShortStr::<8>::new("a b"), Err(Error::InvalidDigit { .. })));
        assert!(matches!(ShortStr::<8>::new("é"), Err(Error::InvalidDigit { .. })));
    }

    #[test]
    fn orders_like_str_not_by_length() {
        let a = ShortStr::<8>::from_static("b");
        let b = ShortStr::<8>::from_static("ab");
        assert!(b < a);
    }
}

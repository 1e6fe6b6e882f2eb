//! The raw values an ID can wrap: `u64`, `i64`, `u32`, [`Uuid`] and [`ShortStr`].

use core::fmt;
use core::hash::Hash;
use core::num::IntErrorKind;

use uuid::Uuid;

use crate::__private::{ReprKind, Sealed, SerdeRepr};
use crate::error::Reason;
use crate::short_str::ShortStr;
use crate::typeid;

/// A type that an [`id!`](crate::id) can wrap.
///
/// Implemented for `u64`, `i64`, `u32`, [`uuid::Uuid`] and [`ShortStr<N>`]; sealed, so the
/// text form, serde form, cache key and database encoding of every ID are known to this
/// crate. All of them are `Copy`, so every ID type is `Copy` too.
pub trait Repr: Copy + Eq + Ord + Hash + fmt::Debug + Send + Sync + 'static + Sealed + SerdeRepr {
    #[doc(hidden)]
    const __KIND: ReprKind;

    /// Parses the text after the prefix (the whole text when the ID has no prefix).
    #[doc(hidden)]
    fn __parse(body: &str, prefixed: bool) -> Result<Self, Reason>;

    /// Writes the text after the prefix; with `prefixed == false` this is the plain form
    /// used in cache keys.
    #[doc(hidden)]
    fn __fmt(&self, prefixed: bool, f: &mut fmt::Formatter<'_>) -> fmt::Result;

    /// Converts a number met while deserialising; `None` when numbers are not this
    /// representation's serde form.
    #[doc(hidden)]
    fn __from_u64(value: u64) -> Option<Result<Self, Reason>> {
        let _ = value;
        None
    }

    /// Like [`Repr::__from_u64`] for negative numbers.
    #[doc(hidden)]
    fn __from_i64(value: i64) -> Option<Result<Self, Reason>> {
        let _ = value;
        None
    }
}

fn int_reason(kind: &IntErrorKind) -> Reason {
    match kind {
        IntErrorKind::Empty => Reason::Empty,
        IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => Reason::Overflow,
        _ => Reason::InvalidDigit,
    }
}

macro_rules! int_repr {
    ($ty:ty, $kind:expr) => {
        impl Sealed for $ty {}

        impl Repr for $ty {
            const __KIND: ReprKind = $kind;

            fn __parse(body: &str, _prefixed: bool) -> Result<Self, Reason> {
                // `str::parse` accepts a leading `+`; the text form of an ID is canonical
                // apart from leading zeros, so refuse it.
                if body.starts_with('+') {
                    return Err(Reason::InvalidDigit);
                }
                body.parse::<$ty>().map_err(|e| int_reason(e.kind()))
            }

            fn __fmt(&self, _prefixed: bool, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }

            fn __from_u64(value: u64) -> Option<Result<Self, Reason>> {
                Some(<$ty>::try_from(value).map_err(|_| Reason::Overflow))
            }

            fn __from_i64(value: i64) -> Option<Result<Self, Reason>> {
                Some(<$ty>::try_from(value).map_err(|_| Reason::Overflow))
            }
        }
    };
}

int_repr!(u64, ReprKind::U64);
int_repr!(i64, ReprKind::I64);
int_repr!(u32, ReprKind::U32);

impl Sealed for Uuid {}

impl Repr for Uuid {
    const __KIND: ReprKind = ReprKind::Uuid;

    fn __parse(body: &str, prefixed: bool) -> Result<Self, Reason> {
        if body.is_empty() {
            return Err(Reason::Empty);
        }
        if prefixed {
            typeid::decode(body).map(Uuid::from_u128).ok_or(Reason::InvalidUuid)
        } else {
            Uuid::try_parse(body).map_err(|_| Reason::InvalidUuid)
        }
    }

    fn __fmt(&self, prefixed: bool, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if prefixed {
            let text = typeid::encode(self.as_u128());
            // The alphabet is ASCII, so this cannot fail.
            f.write_str(core::str::from_utf8(&text).map_err(|_| fmt::Error)?)
        } else {
            fmt::Display::fmt(&self.hyphenated(), f)
        }
    }
}

impl<const N: usize> Sealed for ShortStr<N> {}

impl<const N: usize> Repr for ShortStr<N> {
    const __KIND: ReprKind = ReprKind::Str { capacity: N };

    fn __parse(body: &str, _prefixed: bool) -> Result<Self, Reason> {
        ShortStr::try_from_str(body)
    }

    fn __fmt(&self, _prefixed: bool, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

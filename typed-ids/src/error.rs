//! The crate's one error type.

use core::fmt;

use crate::__private::ReprKind;
use crate::id::Id;
use crate::repr::Repr;

/// Inputs longer than this are shortened in errors, so a hostile request cannot
/// make an error (and the log line or HTTP body built from it) arbitrarily large.
const MAX_ECHOED_INPUT: usize = 64;

/// Why a text, number or database value is not a valid ID of a given type.
///
/// Every variant names the ID type (`id_type`, e.g. `"CustomerId"`), the
/// offending input (shortened to 64 bytes) and the [`Format`] a valid ID has, so a log
/// line or an HTTP error body says which ID was wrong, what it should look like and what
/// is wrong with it. Callers act on the variant or on [`Error::reason`], never on the
/// message text.
///
/// ```
/// typed_ids::id!(pub CustomerId: u64, prefix = "cus");
///
/// let err = "prd_42".parse::<CustomerId>().unwrap_err();
/// assert!(matches!(
///     err,
///     typed_ids::Error::WrongPrefix { id_type: "CustomerId", expected: "cus", ref found, .. }
///         if found == "prd"
/// ));
/// assert_eq!(err.reason(), "wrong_prefix");
/// assert_eq!(
///     err.to_string(),
///     "invalid CustomerId \"prd_42\": expected cus_ followed by a whole number from 0 to \
///      18446744073709551615, found the prefix prd_"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text does not start with this type's prefix and `_` (`found` is what stood
    /// there instead; empty when the text has no prefix at all).
    #[error("{}", Message(self))]
    WrongPrefix {
        /// Name of the ID type, e.g. `"CustomerId"`.
        id_type: &'static str,
        /// The prefix this type requires, without the `_` separator.
        expected: &'static str,
        /// The prefix the input carried (empty when it had none).
        found: String,
        /// The rejected input.
        input: String,
        /// What a valid ID looks like.
        format: Format,
    },
    /// The text is empty, or nothing follows the prefix.
    #[error("{}", Message(self))]
    Empty {
        /// Name of the ID type.
        id_type: &'static str,
        /// The rejected input.
        input: String,
        /// What a valid ID looks like.
        format: Format,
    },
    /// A character that is not allowed: a non-digit in an integer ID, or a character
    /// outside `[A-Za-z0-9._-]` in a string ID.
    #[error("{}", Message(self))]
    InvalidDigit {
        /// Name of the ID type.
        id_type: &'static str,
        /// The rejected input.
        input: String,
        /// What a valid ID looks like.
        format: Format,
    },
    /// The value does not fit the representation: an integer out of range (this includes
    /// a negative number for an unsigned ID), or a string ID longer than its capacity.
    #[error("{}", Message(self))]
    Overflow {
        /// Name of the ID type.
        id_type: &'static str,
        /// The rejected input.
        input: String,
        /// What a valid ID looks like (for a value on its way to or from a database, the
        /// range the database column can hold).
        format: Format,
    },
    /// Not a UUID: for a prefixed UUID ID the part after the prefix must be the 26-character
    /// lowercase TypeID base32 form; for an unprefixed one, a standard UUID text form.
    #[error("{}", Message(self))]
    InvalidUuid {
        /// Name of the ID type.
        id_type: &'static str,
        /// The rejected input.
        input: String,
        /// What a valid ID looks like.
        format: Format,
    },
}

/// The message of every variant: `invalid CustomerId "prd_7": expected cus_ followed by a
/// whole number from 0 to 18446744073709551615, found the prefix prd_`. The input, what it
/// should look like, and what is wrong with it, in words a client of an HTTP API can act on.
struct Message<'a>(&'a Error);

impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let format = self.0.format();
        write!(f, "invalid {} {:?}: expected {format}", self.0.id_type(), self.0.input())?;
        match self.0 {
            Error::WrongPrefix { found, .. } if found.is_empty() => f.write_str(", found no prefix"),
            Error::WrongPrefix { found, .. } => write!(f, ", found the prefix {found}_"),
            Error::Empty { input, .. } if input.is_empty() => f.write_str(", found an empty string"),
            Error::Empty { .. } => f.write_str(", found nothing after the prefix"),
            Error::InvalidDigit { .. } => match format.shape {
                Shape::Integer(_) => f.write_str(", found a character that is not a digit"),
                _ => f.write_str(", found a character that is not allowed"),
            },
            Error::Overflow { .. } => match format.shape {
                Shape::Str { capacity } => write!(f, ", found more than {capacity} characters"),
                _ => f.write_str(", found a number out of that range"),
            },
            // Wrong length, a letter outside the alphabet or a first character past `7`:
            // the expected form above already says which is which.
            Error::InvalidUuid { .. } => Ok(()),
        }
    }
}

/// What a valid ID of one type looks like, as [`Error`] messages describe it: `cus_`
/// followed by a whole number from 0 to 18446744073709551615, `ord_` followed by 26 base32
/// characters, and so on.
///
/// ```
/// typed_ids::id!(pub OrderId: uuid::Uuid, prefix = "ord");
///
/// let format = typed_ids::Format::of::<OrderId>();
/// assert_eq!(format.prefix(), Some("ord"));
/// assert_eq!(
///     format.to_string(),
///     "ord_ followed by 26 base32 characters (0-9 and a-z except i, l, o, u; the first one 0-7)"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    prefix: Option<&'static str>,
    shape: Shape,
}

/// The part after the prefix. Small, so that every [`Error`] stays small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A decimal integer in a range.
    Integer(Range),
    /// The 26-character TypeID suffix of a UUID.
    TypeId,
    /// A UUID's own text form.
    Uuid,
    /// A [`ShortStr`](crate::ShortStr) of this capacity (at most 128).
    Str { capacity: u8 },
}

/// The range of an integer ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Range {
    /// `u64`.
    U64,
    /// `i64`.
    I64,
    /// `u32`.
    U32,
    /// What both a `u64` and an `i64` database column hold: 0 to `i64::MAX`.
    #[cfg(feature = "sqlx")]
    Column,
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Range::U64 => write!(f, "0 to {}", u64::MAX),
            Range::I64 => write!(f, "{} to {}", i64::MIN, i64::MAX),
            Range::U32 => write!(f, "0 to {}", u32::MAX),
            #[cfg(feature = "sqlx")]
            Range::Column => write!(f, "0 to {}", i64::MAX),
        }
    }
}

impl Format {
    /// The format of `T`'s text form (its `Display` and `FromStr`).
    #[must_use]
    pub const fn of<T: Id>() -> Self {
        Self::text(T::PREFIX, <T::Repr as Repr>::__KIND)
    }

    /// The prefix, without the `_` separator.
    #[must_use]
    pub const fn prefix(self) -> Option<&'static str> {
        self.prefix
    }

    /// The text form of a representation behind `prefix`.
    pub(crate) const fn text(prefix: Option<&'static str>, kind: ReprKind) -> Self {
        let shape = match kind {
            ReprKind::U64 => Shape::Integer(Range::U64),
            ReprKind::I64 => Shape::Integer(Range::I64),
            ReprKind::U32 => Shape::Integer(Range::U32),
            ReprKind::Uuid if prefix.is_some() => Shape::TypeId,
            ReprKind::Uuid => Shape::Uuid,
            // `ShortStr` capacities are at most `MAX_SHORT_STR` (128), checked when they compile.
            #[expect(clippy::cast_possible_truncation, reason = "at most 128")]
            ReprKind::Str { capacity } => Shape::Str { capacity: capacity as u8 },
        };
        Self { prefix, shape }
    }

    /// A bare value of a representation (a JSON number, a database value).
    pub(crate) const fn raw(kind: ReprKind) -> Self {
        Self::text(None, kind)
    }

    /// A bare integer in `range` (what a database column holds).
    #[cfg(feature = "sqlx")]
    pub(crate) const fn integer(range: Range) -> Self {
        Self { prefix: None, shape: Shape::Integer(range) }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(prefix) = self.prefix {
            write!(f, "{prefix}_ followed by ")?;
        }
        match self.shape {
            Shape::Integer(range) => write!(f, "a whole number from {range}"),
            Shape::TypeId => f.write_str("26 base32 characters (0-9 and a-z except i, l, o, u; the first one 0-7)"),
            Shape::Uuid => f.write_str("a UUID (32 hexadecimal digits, optionally hyphenated 8-4-4-4-12)"),
            Shape::Str { capacity } => {
                write!(f, "1 to {capacity} characters from A-Z, a-z, 0-9, '.', '_' and '-'")
            }
        }
    }
}

impl Error {
    /// Name of the ID type the input was meant for, e.g. `"CustomerId"`.
    #[must_use]
    pub fn id_type(&self) -> &'static str {
        match self {
            Self::WrongPrefix { id_type, .. }
            | Self::Empty { id_type, .. }
            | Self::InvalidDigit { id_type, .. }
            | Self::Overflow { id_type, .. }
            | Self::InvalidUuid { id_type, .. } => id_type,
        }
    }

    /// The rejected input (shortened to 64 bytes).
    #[must_use]
    pub fn input(&self) -> &str {
        match self {
            Self::WrongPrefix { input, .. }
            | Self::Empty { input, .. }
            | Self::InvalidDigit { input, .. }
            | Self::Overflow { input, .. }
            | Self::InvalidUuid { input, .. } => input,
        }
    }

    /// What a valid ID looks like.
    #[must_use]
    pub fn format(&self) -> Format {
        match self {
            Self::WrongPrefix { format, .. }
            | Self::Empty { format, .. }
            | Self::InvalidDigit { format, .. }
            | Self::Overflow { format, .. }
            | Self::InvalidUuid { format, .. } => *format,
        }
    }

    /// A stable, machine-readable name for the variant: `"wrong_prefix"`, `"empty"`,
    /// `"invalid_digit"`, `"overflow"` or `"invalid_uuid"`.
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match self {
            Self::WrongPrefix { .. } => "wrong_prefix",
            Self::Empty { .. } => "empty",
            Self::InvalidDigit { .. } => "invalid_digit",
            Self::Overflow { .. } => "overflow",
            Self::InvalidUuid { .. } => "invalid_uuid",
        }
    }

    /// Builds the error for `reason`, attributing it to `id_type` and `input`, which should
    /// have looked like `format`.
    pub(crate) fn new(reason: Reason, id_type: &'static str, format: Format, input: &str) -> Self {
        let input = echo(input);
        match reason {
            Reason::Empty => Self::Empty { id_type, input, format },
            Reason::InvalidDigit => Self::InvalidDigit { id_type, input, format },
            Reason::Overflow => Self::Overflow { id_type, input, format },
            Reason::InvalidUuid => Self::InvalidUuid { id_type, input, format },
        }
    }

    /// Builds [`Error::WrongPrefix`].
    pub(crate) fn wrong_prefix(
        id_type: &'static str,
        expected: &'static str,
        format: Format,
        found: &str,
        input: &str,
    ) -> Self {
        Self::WrongPrefix { id_type, expected, found: echo(found), input: echo(input), format }
    }
}

/// What is wrong with the text or number that a representation was given, before
/// the generated code attributes it to an ID type and an input.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// See [`Error::Empty`].
    Empty,
    /// See [`Error::InvalidDigit`].
    InvalidDigit,
    /// See [`Error::Overflow`].
    Overflow,
    /// See [`Error::InvalidUuid`].
    InvalidUuid,
}

/// Copies `input` for an error, cut at a char boundary after [`MAX_ECHOED_INPUT`] bytes.
fn echo(input: &str) -> String {
    if input.len() <= MAX_ECHOED_INPUT {
        return input.to_owned();
    }
    let mut end = MAX_ECHOED_INPUT;
    while !input.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::with_capacity(end + 3);
    out.push_str(&input[..end]);
    out.push('…');
    out
}

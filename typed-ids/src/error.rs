//! The crate's one error type.

/// Inputs longer than this are shortened in errors, so a hostile request cannot
/// make an error (and the log line or HTTP body built from it) arbitrarily large.
const MAX_ECHOED_INPUT: usize = 64;

/// Why a text, number or database value is not a valid ID of a given type.
///
/// Every variant names the ID type (`id_type`, e.g. `"CustomerId"`) and the
/// offending input (shortened to 64 bytes), so a log line or an HTTP error body
/// says which ID was wrong and why. Callers act on the variant or on
/// [`Error::reason`], never on the message text.
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
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text does not start with this type's prefix and `_` (`found` is what stood
    /// there instead; empty when the text has no prefix at all).
    #[error("invalid {id_type} {input:?}: wrong prefix: expected `{expected}_`, found `{found}`")]
    WrongPrefix {
        /// Name of the ID type, e.g. `"CustomerId"`.
        id_type: &'static str,
        /// The prefix this type requires, without the `_` separator.
        expected: &'static str,
        /// The prefix the input carried (empty when it had none).
        found: String,
        /// The rejected input.
        input: String,
    },
    /// The text is empty, or nothing follows the prefix.
    #[error("invalid {id_type} {input:?}: empty")]
    Empty {
        /// Name of the ID type.
        id_type: &'static str,
        /// The rejected input.
        input: String,
    },
    /// A character that is not allowed: a non-digit in an integer ID, or a character
    /// outside `[A-Za-z0-9._-]` in a string ID.
    #[error("invalid {id_type} {input:?}: invalid digit or character")]
    InvalidDigit {
        /// Name of the ID type.
        id_type: &'static str,
        /// The rejected input.
        input: String,
    },
    /// The value does not fit the representation: an integer out of range (this includes
    /// a negative number for an unsigned ID), or a string ID longer than its capacity.
    #[error("invalid {id_type} {input:?}: out of range")]
    Overflow {
        /// Name of the ID type.
        id_type: &'static str,
        /// The rejected input.
        input: String,
    },
    /// Not a UUID: for a prefixed UUID ID the part after the prefix must be the 26-character
    /// lowercase TypeID base32 form; for an unprefixed one, a standard UUID text form.
    #[error("invalid {id_type} {input:?}: not a valid UUID")]
    InvalidUuid {
        /// Name of the ID type.
        id_type: &'static str,
        /// The rejected input.
        input: String,
    },
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

    /// Builds the error for `reason`, attributing it to `id_type` and `input`.
    pub(crate) fn new(reason: Reason, id_type: &'static str, input: &str) -> Self {
        let input = echo(input);
        match reason {
            Reason::Empty => Self::Empty { id_type, input },
            Reason::InvalidDigit => Self::InvalidDigit { id_type, input },
            Reason::Overflow => Self::Overflow { id_type, input },
            Reason::InvalidUuid => Self::InvalidUuid { id_type, input },
        }
    }

    /// Builds [`Error::WrongPrefix`].
    pub(crate) fn wrong_prefix(id_type: &'static str, expected: &'static str, found: &str, input: &str) -> Self {
        Self::WrongPrefix { id_type, expected, found: echo(found), input: echo(input) }
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

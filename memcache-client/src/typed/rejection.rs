//! Why a typed read refused a value: the reason carried by [`Error::Rejected`](crate::Error::Rejected).

use std::fmt;

/// Why a typed read refused the value it found: another writer's data, or a damaged envelope. The key is on
/// the [`Error::Rejected`](crate::Error::Rejected) that carries this.
///
/// A program acts on the reason by matching it (`Error::Rejected { reason: Rejection::SchemaMismatch { .. }, .. }`);
/// [`Rejection::as_str`] names it for metrics labels and logs.
///
/// Its `Display` is the part of the message after the key (`is "a" version 2, reader expects version 1`), so
/// that the error reads `value under "k" is "a" version 2, ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// The value was written by another client (or this crate without the typed layer): its client flags do not
    /// mark a typed envelope.
    NotEnveloped {
        /// The client flags it was stored with.
        flags: u32,
    },
    /// The value is of another type.
    UnexpectedType {
        /// The type name the reader declares.
        expected: &'static str,
        /// The type name the writer declared.
        found: String,
    },
    /// The value is of the reader's type, written at another schema version (an older or newer deploy).
    UnexpectedVersion {
        /// The type name.
        type_name: &'static str,
        /// The reader's version.
        expected: u32,
        /// The writer's version.
        found: u32,
    },
    /// Same type and version, but the writer's serde shape differs from the reader's: a field was added, removed,
    /// renamed, reordered or retyped without a version bump.
    SchemaMismatch {
        /// The type name.
        type_name: &'static str,
        /// The schema version both declare.
        version: u32,
        /// The reader's fingerprint.
        expected: u64,
        /// The writer's fingerprint.
        found: u64,
    },
    /// The value was encoded with another codec (for example bincode data read through postcard).
    UnexpectedCodec {
        /// The reader's codec name.
        expected: &'static str,
        /// The codec id in the envelope.
        found: u8,
    },
    /// The envelope is damaged: truncated, wrong magic, inconsistent lengths, or (format 2) a checksum that does not
    /// match.
    Corrupt {
        /// What is wrong.
        reason: &'static str,
    },
    /// The envelope checked out but its payload did not decode as the type.
    Decode {
        /// The type name.
        type_name: &'static str,
        /// The codec's message.
        message: String,
    },
}

impl Rejection {
    /// A short, stable name of the reason for metrics labels and logs (`"unexpected_version"`, ...): the names
    /// `Error::kind` gave these cases before they shared [`Error::Rejected`](crate::Error::Rejected), so
    /// dashboards keep working.
    pub fn as_str(&self) -> &'static str {
        match self {
            Rejection::NotEnveloped { .. } => "not_enveloped",
            Rejection::UnexpectedType { .. } => "unexpected_type",
            Rejection::UnexpectedVersion { .. } => "unexpected_version",
            Rejection::SchemaMismatch { .. } => "schema_mismatch",
            Rejection::UnexpectedCodec { .. } => "unexpected_codec",
            Rejection::Corrupt { .. } => "corrupt",
            Rejection::Decode { .. } => "decode",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::NotEnveloped { flags } => write!(f, "is not a typed envelope (client flags {flags:#x})"),
            Rejection::UnexpectedType { expected, found } => write!(f, "is a {found:?}, not a {expected:?}"),
            Rejection::UnexpectedVersion { type_name, expected, found } => {
                write!(f, "is {type_name} version {found}, reader expects version {expected}")
            }
            Rejection::SchemaMismatch { type_name, version, expected, found } => write!(
                f,
                "is {type_name} version {version} with schema fingerprint {found:#018x}, reader has {expected:#018x}: \
                 the type changed without a version bump"
            ),
            Rejection::UnexpectedCodec { expected, found } => {
                write!(f, "was encoded with codec {found}, reader uses {expected}")
            }
            Rejection::Corrupt { reason } => write!(f, "is a corrupt envelope: {reason}"),
            Rejection::Decode { type_name, message } => write!(f, "did not decode as {type_name}: {message}"),
        }
    }
}

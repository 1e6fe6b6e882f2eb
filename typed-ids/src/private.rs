//! Support for the code that [`id!`](crate::id) generates. Not a public API: names and
//! signatures here change without notice.

use core::fmt;

// The items the expansion names, and nothing else. A handler crate can name anything public here, and the
// features that switch these on are unified across the build (a sibling crate turning on `sqlx` turns it on for
// the handlers too), so re-exporting whole crates would hand handlers `sqlx::SqliteConnection`, `axum::serve` or
// whatever else those crates offer. What is here is trait vocabulary: nothing that opens, reads or runs anything.
// (A clippy ban on `typed_ids::__private` itself cannot do this: clippy lints the `id!` expansion inside the
// caller's crate, so it would refuse every ID type.)

/// serde's traits, for the `Serialize`/`Deserialize` impls.
#[cfg(feature = "serde")]
pub mod serde {
    pub use ::serde::{Deserialize, Deserializer, Serialize, Serializer};
}

/// sqlx's traits, for the `Type`/`Encode`/`Decode` impls. No database type, connection or query: a handler that
/// can name `Database` still has no database to name.
#[cfg(feature = "sqlx")]
pub mod sqlx {
    pub use ::sqlx::{Database, Decode, Encode, Type};

    /// sqlx's `encode` items the expansion names.
    pub mod encode {
        pub use ::sqlx::encode::IsNull;
    }

    /// sqlx's `error` items the expansion names.
    pub mod error {
        pub use ::sqlx::error::BoxDynError;
    }
}

/// utoipa's traits and schema types, for the `ToSchema` impls.
#[cfg(feature = "utoipa")]
pub mod utoipa {
    pub use ::utoipa::{PartialSchema, ToSchema};

    /// utoipa's `openapi` items the expansion names.
    pub mod openapi {
        pub use ::utoipa::openapi::RefOr;

        /// utoipa's `openapi::schema` items the expansion names.
        pub mod schema {
            pub use ::utoipa::openapi::schema::Schema;
        }
    }
}

pub use crate::error::Reason;
#[cfg(feature = "serde")]
pub use crate::serde_impl::{SerdeRepr, deserialize_id, serialize_id};
#[cfg(feature = "sqlx")]
pub use crate::sqlx_impl::SqlRepr;
#[cfg(feature = "utoipa")]
pub use crate::utoipa_impl::schema;

use crate::error::Error;
use crate::id::Id;
use crate::repr::Repr;

/// Keeps [`Repr`] implemented only by this crate.
pub trait Sealed {}

/// Without the `serde` feature, representations have no serde form.
#[cfg(not(feature = "serde"))]
pub trait SerdeRepr {}

#[cfg(not(feature = "serde"))]
impl<T: ?Sized> SerdeRepr for T {}

/// What kind of value a [`Repr`] is; drives the text, serde and schema forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReprKind {
    /// `u64`.
    U64,
    /// `i64`.
    I64,
    /// `u32`.
    U32,
    /// `uuid::Uuid`.
    Uuid,
    /// `ShortStr<capacity>`.
    Str {
        /// The string's capacity in bytes.
        capacity: usize,
    },
}

impl ReprKind {
    /// The longest plain text (no prefix) of a value of this kind.
    #[must_use]
    pub const fn max_plain_len(self) -> usize {
        match self {
            Self::U64 | Self::I64 => 20,
            Self::U32 => 10,
            Self::Uuid => 36,
            Self::Str { capacity } => capacity,
        }
    }
}

/// `FromStr` for generated types.
///
/// # Errors
///
/// See [`Error`].
pub fn parse_id<T: Id>(input: &str) -> Result<T, Error> {
    crate::text::parse_id(input)
}

/// `Display` for generated types.
///
/// # Errors
///
/// Only those of the formatter.
pub fn fmt_id<T: Id>(id: &T, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    crate::text::fmt_id(id, f)
}

/// Compile-time check of a `prefix = "..."` option.
pub const fn check_prefix(prefix: Option<&str>) {
    if let Some(prefix) = prefix {
        crate::text::checks::prefix(prefix);
    }
}

/// Compile-time check of a cache namespace, and that the longest key fits memcached.
pub const fn check_namespace<R: Repr>(namespace: &str) {
    crate::text::checks::namespace(namespace);
    if namespace.len() + 1 + R::__KIND.max_plain_len() > crate::cache_key::MAX_KEY_LEN {
        panic!("typed_ids::id!: cache keys of this type could exceed memcached's 250 bytes");
    }
}

/// Length of the namespace derived from a type name.
#[must_use]
pub const fn snake_len(name: &str) -> usize {
    crate::text::snake::len(name)
}

/// The namespace derived from a type name; `N` is [`snake_len`] of it.
#[must_use]
pub const fn snake_bytes<const N: usize>(name: &str) -> [u8; N] {
    crate::text::snake::bytes::<N>(name)
}

/// Turns bytes built in `const` into a `&str` (a compile error if they are not UTF-8).
#[must_use]
pub const fn const_str(bytes: &'static [u8]) -> &'static str {
    match core::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(_) => panic!("typed_ids::id!: set `cache = \"...\"` for a type with a non-ASCII name"),
    }
}

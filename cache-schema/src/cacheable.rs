//! The [`Cacheable`] trait and the [`cacheable!`](crate::cacheable) macro that implements it.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{SchemaError, fingerprint};

/// A type that can be cached as a typed value: serde, plus a stable name and a schema version.
///
/// Implement it with [`cacheable!`](crate::cacheable). A reader refuses a value written by another type, another
/// version, or the same version with another serde shape (see [`fingerprint`]): it never decodes bytes into the
/// wrong thing. Bump `VERSION` whenever the serialised shape changes; the fingerprint catches the times you forget.
pub trait Cacheable: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// A name that stays the same across deploys and renames of the Rust type, such as `"shop.Product"`.
    /// 1 to 255 bytes, no whitespace.
    const TYPE_NAME: &'static str;
    /// The schema version.
    const VERSION: u32;

    /// Values the fingerprint is traced from when the type's `Deserialize` parses or validates its input (see
    /// [`fingerprint`]). Declared with `cacheable!(T, "name", version = N, samples = [...])`; none by default.
    fn schema_samples() -> Vec<Self> {
        Vec::new()
    }

    /// The schema fingerprint: by default traced from the serde shape (see [`fingerprint::traced`]).
    ///
    /// # Errors
    /// [`SchemaError::Untraceable`] when the shape cannot be traced; the type's values are then never cached.
    fn schema_fingerprint() -> Result<u64, SchemaError> {
        fingerprint::traced::<Self>()
    }
}

/// Declares a type [`Cacheable`] with its stable name and schema version, checked when the program compiles.
///
/// `memcache_client::cacheable!` and `effects::cacheable!` are this macro, so a crate that depends on either of
/// them alone can use it. Three forms:
///
/// - `cacheable!(T, "name", version = N)`: the fingerprint is traced from `T`'s `Deserialize`. Enough for plain
///   structs and enums, nested ones, generics, `NonZero*`, `Uuid`, maps and recursive types.
/// - `cacheable!(T, "name", version = N, samples = [expr, ...])`: for a type whose `Deserialize` parses or
///   validates text (prefixed IDs, dates, `try_from` newtypes), which the tracer cannot feed by itself. Every
///   `Option` in the samples must be `Some`, every collection non-empty, and together they should use every enum
///   variant (see [`fingerprint`]).
/// - `cacheable!(T, "name", version = N, unchecked = "why")`: no shape check at all, only the name and version
///   guard the type ([`fingerprint::UNCHECKED`]). The reason is required and stays in the source for reviewers.
///
/// A type that cannot be traced and declares neither samples nor `unchecked` is never cached: every typed cache
/// call on it returns [`SchemaError::Untraceable`] (wrapped in the cache's error), naming the type and the reason.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// #[derive(Serialize, Deserialize)]
/// struct Customer { name: String, credits: u64 }
/// cache_schema::cacheable!(Customer, "shop.Customer", version = 3);
///
/// /// Deserialize only accepts `"cus_<digits>"`: the tracer needs a sample.
/// #[derive(Serialize, Deserialize)]
/// #[serde(try_from = "String", into = "String")]
/// #[derive(Clone)]
/// struct CustomerId(u64);
/// # impl TryFrom<String> for CustomerId { type Error = String;
/// #     fn try_from(s: String) -> Result<Self, String> {
/// #         s.strip_prefix("cus_").and_then(|n| n.parse().ok()).map(CustomerId).ok_or(s) } }
/// # impl From<CustomerId> for String { fn from(id: CustomerId) -> String { format!("cus_{}", id.0) } }
/// #[derive(Serialize, Deserialize)]
/// struct Account { id: CustomerId, credits: u64 }
/// cache_schema::cacheable!(
///     Account, "shop.Account", version = 1,
///     samples = [Account { id: CustomerId(1), credits: 0 }]
/// );
/// assert!(cache_schema::Schema::of::<Account>().is_ok());
///
/// /// Opting out is written where the type is declared, with the reason.
/// #[derive(Serialize, Deserialize)]
/// struct Blob(Vec<u8>);
/// cache_schema::cacheable!(Blob, "app.Blob", version = 1, unchecked = "opaque bytes; the version is bumped by hand");
/// ```
///
/// The name must be 1 to 255 bytes without whitespace; anything else does not compile:
///
/// ```compile_fail,E0080
/// # use serde::{Deserialize, Serialize};
/// # #[derive(Serialize, Deserialize)] struct Customer;
/// cache_schema::cacheable!(Customer, "shop Customer", version = 1);
/// ```
///
/// ```compile_fail,E0080
/// # use serde::{Deserialize, Serialize};
/// # #[derive(Serialize, Deserialize)] struct Customer;
/// cache_schema::cacheable!(Customer, "", version = 1);
/// ```
///
/// An opt-out without a reason does not compile either:
///
/// ```compile_fail,E0080
/// # use serde::{Deserialize, Serialize};
/// # #[derive(Serialize, Deserialize)] struct Customer;
/// cache_schema::cacheable!(Customer, "shop.Customer", version = 1, unchecked = "");
/// ```
// `$crate` names this crate even where the caller cannot (it depends on memcache-client or effects only), so the
// expansion never needs `cache_schema` in the caller's dependencies.
#[macro_export]
macro_rules! cacheable {
    ($ty:ty, $name:literal, version = $version:literal) => {
        $crate::__check_type_name!($name);
        impl $crate::Cacheable for $ty {
            const TYPE_NAME: &'static str = $name;
            const VERSION: u32 = $version;
        }
    };
    ($ty:ty, $name:literal, version = $version:literal, samples = [$($sample:expr),+ $(,)?] $(,)?) => {
        $crate::__check_type_name!($name);
        impl $crate::Cacheable for $ty {
            const TYPE_NAME: &'static str = $name;
            const VERSION: u32 = $version;

            fn schema_samples() -> ::std::vec::Vec<Self> {
                ::std::vec![$($sample),+]
            }
        }
    };
    ($ty:ty, $name:literal, version = $version:literal, unchecked = $why:literal $(,)?) => {
        $crate::__check_type_name!($name);
        const _: () = ::core::assert!(!$why.is_empty(), "`unchecked` needs the reason the shape is not checked");
        impl $crate::Cacheable for $ty {
            const TYPE_NAME: &'static str = $name;
            const VERSION: u32 = $version;

            fn schema_fingerprint() -> ::core::result::Result<u64, $crate::SchemaError> {
                ::core::result::Result::Ok($crate::fingerprint::UNCHECKED)
            }
        }
    };
}

/// The compile-time check of a cacheable type name: 1 to 255 bytes, no whitespace or control bytes.
#[doc(hidden)]
#[macro_export]
macro_rules! __check_type_name {
    ($name:literal) => {
        const _: () = {
            let name = $name.as_bytes();
            ::core::assert!(!name.is_empty() && name.len() <= 255, "a cacheable type name must be 1 to 255 bytes");
            let mut i = 0;
            while i < name.len() {
                ::core::assert!(name[i] > b' ' && name[i] != 0x7f, "a cacheable type name must not contain whitespace");
                i += 1;
            }
        };
    };
}

// Plain text is common enough in caches to be cacheable out of the box.
cacheable!(String, "std.String", version = 1);

//! The [`Cacheable`] trait and the [`cacheable!`](crate::cacheable) macro that implements it.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::fingerprint;

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

    /// The schema fingerprint: by default traced from the serde shape (see [`fingerprint`]). Override it only for
    /// types that cannot be traced, with a constant you change when the shape changes.
    fn schema_fingerprint() -> u64 {
        fingerprint::traced::<Self>()
    }
}

/// Declares a type [`Cacheable`] with its stable name and schema version, checked when the program compiles.
///
/// `memcache_client::cacheable!` and `effects::cacheable!` are this macro, so a crate that depends on either of
/// them alone can use it.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// #[derive(Serialize, Deserialize)]
/// struct Customer { name: String, credits: u64 }
/// cache_schema::cacheable!(Customer, "shop.Customer", version = 3);
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
// `$crate` names this crate even where the caller cannot (it depends on memcache-client or effects only), so the
// expansion never needs `cache_schema` in the caller's dependencies.
#[macro_export]
macro_rules! cacheable {
    ($ty:ty, $name:literal, version = $version:literal) => {
        const _: () = {
            let name = $name.as_bytes();
            ::core::assert!(!name.is_empty() && name.len() <= 255, "a cacheable type name must be 1 to 255 bytes");
            let mut i = 0;
            while i < name.len() {
                ::core::assert!(name[i] > b' ' && name[i] != 0x7f, "a cacheable type name must not contain whitespace");
                i += 1;
            }
        };
        impl $crate::Cacheable for $ty {
            const TYPE_NAME: &'static str = $name;
            const VERSION: u32 = $version;
        }
    };
}

// Plain text is common enough in caches to be cacheable out of the box.
cacheable!(String, "std.String", version = 1);

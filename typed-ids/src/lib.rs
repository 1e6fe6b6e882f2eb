//! ID newtypes that are plain integers, UUIDs or short strings to the machine but can
//! never be mixed up.
//!
//! ```
//! typed_ids::id! {
//!     /// A customer.
//!     pub CustomerId: u64, prefix = "cus";
//!     /// A product.
//!     pub ProductId: u64, prefix = "prd";
//! }
//!
//! let customer = CustomerId::new(123);
//! assert_eq!(customer.to_string(), "cus_123");
//! assert_eq!("cus_123".parse::<CustomerId>(), Ok(customer));
//!
//! // A product ID is not a customer ID, even in text form.
//! let err = "prd_123".parse::<CustomerId>().unwrap_err();
//! assert_eq!(err.reason(), "wrong_prefix");
//!
//! assert_eq!(customer.cache_key().as_str(), "customer:123");
//! assert_eq!(core::mem::size_of::<CustomerId>(), core::mem::size_of::<u64>());
//! ```
//!
//! [`id!`] declares the types. Each one wraps a [`Repr`] (`u64`, `i64`, `u32`,
//! [`uuid::Uuid`] or [`ShortStr<N>`]) with `#[repr(transparent)]`, is `Copy`, `Eq`, `Ord`,
//! `Hash`, has a `Debug` that names the type, and converts only through `new(raw)` and
//! `get()`: passing a `CustomerId` where a `ProductId` is expected, comparing them,
//! adding to them, or using a bare number as either does not compile.
//!
//! - **Text** ([`Display`](core::fmt::Display) / [`FromStr`](core::str::FromStr)):
//!   `cus_123` with a prefix; UUID IDs use the [TypeID] form `ord_01h455vb4pex5vsknk084sn02q`.
//!   Parsing accepts only the type's own prefix and fails with a typed [`Error`].
//! - **Cache keys**: [`CacheKey`], `customer:123`, safe for memcached.
//! - **UUID generation** only from an injected [`Clock`] and [`RandomSource`], via
//!   [`UuidId::new_v7`] / [`UuidId::new_v4`]; nothing reads the system clock or an
//!   ambient RNG.
//!
//! Features (all off by default):
//!
//! - `serde`: `Serialize`/`Deserialize`, transparent (a bare number or UUID) unless the
//!   type says `serde = prefixed`; see [`SerdeForm`].
//! - `axum`: the `typed_ids::axum` module's `IdPath` and `IdQuery` extractors; a bad ID
//!   is a JSON 400 with code `invalid_id` and a message naming the reason.
//! - `sqlx`: `Type`/`Encode`/`Decode` for any database; `sqlx-sqlite` and
//!   `sqlx-postgres` also turn on those drivers. Integer IDs are stored as `BIGINT`.
//! - `utoipa`: `ToSchema` with the schema of the serde form.
//!
//! [TypeID]: https://github.com/jetify-com/typeid

mod cache_key;
mod error;
mod generate;
mod id;
mod macros;
mod repr;
mod short_str;
mod text;
mod typeid;

#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "serde")]
mod serde_impl;
#[cfg(feature = "sqlx")]
mod sqlx_impl;
#[cfg(feature = "utoipa")]
mod utoipa_impl;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use cache_key::{CacheKey, MAX_KEY_LEN};
pub use error::{Error, Format};
pub use generate::{Clock, FixedClock, RandomSource, UuidId, uuid_v4, uuid_v4_from_bytes, uuid_v7, uuid_v7_from_parts};
pub use id::{Id, SerdeForm};
pub use repr::Repr;
pub use short_str::{MAX_SHORT_STR, ShortStr};

/// The `uuid` items this crate's API uses: [`Uuid`](uuid::Uuid) (a representation for [`id!`]) and its
/// [`Version`].
///
/// Not the whole `uuid` crate: which of uuid's constructors exist depends on features that any crate in the
/// build can turn on (`v4`, `v7`), and those that read the system clock or OS randomness (`Uuid::new_v4`,
/// `Uuid::now_v7`) must stay out of reach of code that makes IDs only from an injected [`Clock`] and
/// [`RandomSource`]. `Uuid` itself still has them as inherent methods when the features are on; the handler
/// clippy list of the `effects` crate bans them.
///
/// [`Version`]: uuid::Version
pub mod uuid {
    pub use ::uuid::{Uuid, Version};
}

//! [`Schema`]: what a writer declares about a value and a reader expects of it.

use crate::{Cacheable, SchemaError};

/// What a writer declares about a value and a reader expects of it: the three things a typed read checks before
/// it decodes anything.
///
/// ```
/// # use serde::{Deserialize, Serialize};
/// # #[derive(Serialize, Deserialize)] struct Product { price: u64 }
/// cache_schema::cacheable!(Product, "shop.Product", version = 2);
/// let schema = cache_schema::Schema::of::<Product>().unwrap();
/// assert_eq!((schema.type_name, schema.version), ("shop.Product", 2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Schema {
    /// The stable type name ([`Cacheable::TYPE_NAME`]).
    pub type_name: &'static str,
    /// The schema version ([`Cacheable::VERSION`]).
    pub version: u32,
    /// The schema fingerprint ([`Cacheable::schema_fingerprint`]; see [`fingerprint`](crate::fingerprint)).
    pub fingerprint: u64,
}

impl Schema {
    /// The schema of `T`. Traces `T`'s serde shape on the first call for `T` (see
    /// [`fingerprint::traced`](crate::fingerprint::traced)); later calls are a cache lookup.
    ///
    /// # Errors
    /// [`SchemaError::Untraceable`] when `T`'s shape cannot be traced: its values must not be cached.
    pub fn of<T: Cacheable>() -> Result<Self, SchemaError> {
        Ok(Schema { type_name: T::TYPE_NAME, version: T::VERSION, fingerprint: T::schema_fingerprint()? })
    }
}

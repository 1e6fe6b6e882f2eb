//! [`SchemaError`]: why a type has no schema fingerprint.

/// Why a [`Cacheable`](crate::Cacheable) type has no schema fingerprint, so its values must not be cached.
///
/// Returned by [`Schema::of`](crate::Schema::of) and every typed cache operation on such a type: a type whose shape
/// could not be traced is never cached without its check. Fix it at the declaration (see
/// [`cacheable!`](crate::cacheable)): give samples (`samples = [...]`), rename one of two same-named types, or opt
/// out in writing (`unchecked = "why"`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The type's serde shape could not be traced.
    #[error("cacheable type {type_name:?} ({rust_type}) has no schema fingerprint: {reason}")]
    Untraceable {
        /// The declared stable name ([`Cacheable::TYPE_NAME`](crate::Cacheable::TYPE_NAME)).
        type_name: &'static str,
        /// The full Rust type, `std::any::type_name` (generic arguments included).
        rust_type: &'static str,
        /// What the tracer met and how to fix it.
        reason: String,
    },
}

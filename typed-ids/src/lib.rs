//! ID newtypes that are plain integers or UUIDs to the machine but never convertible into each other.
//!
//! ```
//! // Skeleton: the `id!` macro arrives with the typed-ids issue.
//! ```

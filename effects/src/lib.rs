//! Capability traits (clock, randomness, cache, store, outbound calls) so REST handlers are written once and run
//! against the real world in production or against a deterministic sandbox in tests.
//!
//! This crate is a skeleton: the capability traits, the production world and the sandbox arrive with the
//! effects issue. It exists now so the workspace layout is fixed.
//!
//! ```
//! // Nothing to run yet: the crate builds and documents its purpose.
//! ```

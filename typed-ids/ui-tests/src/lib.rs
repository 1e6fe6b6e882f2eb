//! Nothing here: the package exists for `tests/ui.rs`, typed-ids' compile-fail cases (see `Cargo.toml` for why
//! they are not in typed-ids' own `tests/`).

//! typed-ids' compile-time guarantees: confusions don't compile. The intended uses that must compile are ordinary
//! integration tests of typed-ids (`typed-ids/tests/it/declare_and_use.rs`, `uuid_generation.rs`), built with the
//! rest of the workspace: a trybuild `pass` case would make trybuild build, not only check, its own copy of every
//! dependency.
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p typed-ids-ui-tests --test ui`
//! and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    // With every feature of typed-ids on, it still re-exports no crate whole (the sandbox seal, effects' docs).
    if cfg!(feature = "every-feature") {
        t.compile_fail("tests/ui/all-features/*.rs");
    }
}

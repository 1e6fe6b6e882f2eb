//! Compile-time guarantees: the intended uses compile, confusions don't.
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p typed-ids --test ui`
//! and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}

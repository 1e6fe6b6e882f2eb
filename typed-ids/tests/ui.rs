//! Compile-time guarantees: the intended uses compile, confusions don't.
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p typed-ids --test ui`
//! and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
    // What a crate can name through typed-ids when some crate in the build turns every feature on.
    if cfg!(all(feature = "axum", feature = "serde", feature = "sqlx", feature = "utoipa")) {
        t.compile_fail("tests/ui/all-features/*.rs");
    }
}

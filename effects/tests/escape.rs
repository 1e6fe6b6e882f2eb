//! The escape proof. Type level: a handler crate's graph has no IO crate, so naming one does not compile
//! (trybuild, `tests/ui`). Lint level: `std`'s holes are closed by the handler clippy.toml, checked here by running
//! clippy on two fixture handler crates — one that escapes through `std` in every listed way, one that does not.

use std::path::{Path, PathBuf};
use std::process::Command;

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}

/// Lays out fixture `name` as a standalone crate depending on this `effects` by path, with the handler
/// clippy.toml beside its manifest and the workspace's lockfile (so it resolves offline to the same versions).
fn fixture(name: &str) -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("escape-fixtures").join(name);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let source = manifest_dir.join("tests/fixtures").join(name).join("src/lib.rs");
    std::fs::copy(source, dir.join("src/lib.rs")).unwrap();
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\neffects = {{ path = {:?} }}\n\n[workspace]\n",
        manifest_dir.display().to_string()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(dir.join("clippy.toml"), effects::HANDLER_CLIPPY_TOML).unwrap();
    std::fs::copy(manifest_dir.join("../Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    dir
}

/// Runs `cargo clippy -- -D warnings` on a fixture; returns success and the diagnostics.
fn clippy(dir: &Path) -> (bool, String) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("escape-target");
    let output = Command::new(cargo)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .args(["clippy", "--offline", "--quiet", "--message-format", "short", "--", "-D", "warnings"])
        .output()
        .expect("cargo runs");
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn clippy_refuses_std_escapes_in_a_handler_crate_and_accepts_a_clean_one() {
    let (ok, diagnostics) = clippy(&fixture("escaping-handler"));
    assert!(!ok, "clippy accepted the escaping handler:\n{diagnostics}");
    for needle in [
        "use of a disallowed method `std::time::SystemTime::now`",
        "use of a disallowed method `std::fs::read_to_string`",
        "use of a disallowed method `std::net::TcpStream::connect`",
        "use of a disallowed method `std::env::var`",
        "use of a disallowed method `std::thread::sleep`",
        "use of a disallowed method `std::time::Instant::now`",
        "use of a disallowed method `std::collections::HashMap::keys`",
    ] {
        assert!(diagnostics.contains(needle), "clippy did not report {needle:?}:\n{diagnostics}");
    }

    let (ok, diagnostics) = clippy(&fixture("clean-handler"));
    assert!(ok, "clippy refused the clean handler:\n{diagnostics}");
}

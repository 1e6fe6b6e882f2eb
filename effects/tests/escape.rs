//! The escape proof. Type level: a handler crate's graph has no IO crate, so naming one does not compile
//! (trybuild, `tests/ui`). Lint level: `std`'s holes are closed by the handler clippy.toml. Both are tried from
//! outside by the fixture workspace (`tests/fixtures`, see its README): handler crates that carry the clippy.toml,
//! beside a sibling that turns on every feature of typed-ids and uuid, checked by one `cargo clippy` run whose
//! every diagnostic must be one the fixtures mark, and every mark must have its diagnostic.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// Type level: naming an IO crate from a handler does not compile. Compile-fail cases only: trybuild then checks
/// them with `cargo check`; one `pass` case would make it build (codegen) every dependency first. The passing
/// side is the clean fixture handler below and [`a_handler_written_against_the_capabilities_runs_in_the_sandbox`].
#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/fail/*.rs");
}

/// A handler written against the capabilities alone builds (here, and in the clean fixture handler with the
/// clippy.toml), and runs in the sandbox.
#[test]
fn a_handler_written_against_the_capabilities_runs_in_the_sandbox() {
    use effects::{Cache, Clock, Effects, Events};

    async fn greet<E: Effects>(fx: &E, name: &str) -> String {
        let key = format!("greeting:{name}");
        if let Ok(Some(hit)) = fx.cache().get::<String>(&key).await {
            return hit;
        }
        let greeting = format!("hello {name} at {}", fx.clock().now());
        let _ = fx.cache().set(&key, &greeting, 60).await;
        fx.events().info("greeted", vec![("name", name.to_owned())]);
        greeting
    }

    let sandbox = effects::sandbox::Sandbox::new(1);
    let greeting = sandbox.run(greet(&sandbox, "ada"));
    assert_eq!(greeting, "hello ada at t=1700000000000");
}

/// The crates of the fixture workspace, and the dependencies each one's manifest gets.
const CRATES: [(&str, &str); 4] = [
    ("clean-handler", HANDLER_DEPENDENCIES),
    ("escaping-handler", HANDLER_DEPENDENCIES),
    ("unreachable-handler", HANDLER_DEPENDENCIES),
    (
        "feature-sibling",
        "typed-ids = { path = \"{memkit}/typed-ids\", features = [\"axum\", \"serde\"] }\n\
         uuid = { version = \"1\", features = [\"v4\", \"v7\"] }\n",
    ),
];

/// What the shop's handler crate depends on, less utoipa (IO-free, and the shop's own clippy run checks its
/// `id!` expansion with utoipa on, under this clippy.toml).
const HANDLER_DEPENDENCIES: &str = "effects = { path = \"{memkit}/effects\" }\n\
    typed-ids = { path = \"{memkit}/typed-ids\", features = [\"serde\"] }\n\
    serde = { version = \"1\", features = [\"derive\"] }\n\
    serde_json = \"1\"\n";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Lays the fixture workspace out under the target directory: the crates' sources, manifests pointing at this
/// checkout, the handler clippy.toml beside each handler, and the workspace's lockfile (so it resolves offline
/// to the versions already built).
fn lay_out() -> PathBuf {
    let memkit = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("effects sits in the workspace");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("escape-fixtures");
    let members: Vec<String> = CRATES.iter().map(|(name, _)| format!("{name:?}")).collect();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!("[workspace]\nresolver = \"3\"\nmembers = [{}]\n", members.join(", ")),
    )
    .unwrap();
    std::fs::copy(memkit.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    for (name, dependencies) in CRATES {
        let crate_dir = dir.join(name);
        let _ = std::fs::remove_dir_all(crate_dir.join("src"));
        std::fs::create_dir_all(crate_dir.join("src")).unwrap();
        for file in std::fs::read_dir(fixtures().join(name).join("src")).unwrap() {
            let file = file.unwrap().path();
            std::fs::copy(&file, crate_dir.join("src").join(file.file_name().unwrap())).unwrap();
        }
        let dependencies = dependencies.replace("{memkit}", &memkit.display().to_string());
        let manifest = format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\n{dependencies}"
        );
        std::fs::write(crate_dir.join("Cargo.toml"), manifest).unwrap();
        if name.ends_with("-handler") {
            std::fs::write(crate_dir.join("clippy.toml"), effects::HANDLER_CLIPPY_TOML).unwrap();
        }
    }
    dir
}

/// One diagnostic of the clippy run.
#[derive(Debug)]
struct Diagnostic {
    /// The crate (`escaping_handler`).
    target: String,
    /// The primary span's file, as cargo printed it.
    file: String,
    line: u64,
    /// `clippy::disallowed_methods`, `E0433`, ...
    code: String,
    message: String,
}

/// The one clippy run, shared by every test below: its diagnostics and the crates it finished checking.
struct Run {
    diagnostics: Vec<Diagnostic>,
    checked: Vec<String>,
    stderr: String,
}

/// The fixture workspace builds in trybuild's target directory the way trybuild builds `tests/ui` (`--target` the
/// host, so proc macros and build scripts are host units no rustflags reach; trybuild's rustflags for the rest),
/// so the two compile what they share once instead of twice: the proc macros and build scripts, and the
/// dependencies whose features agree. Should trybuild change its flags, only the sharing is lost: cargo keeps
/// units built with different flags apart.
const TRYBUILD_RUSTFLAGS: &str = r#"["--cfg", "trybuild", "--verbose", "-A", "dead_code", "--diagnostic-width=140"]"#;

/// The host's target triple, from `rustc -vV`.
fn host() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output = Command::new(rustc).arg("-vV").output().expect("rustc -vV runs");
    let version = String::from_utf8(output.stdout).expect("rustc -vV prints UTF-8");
    let host = version.lines().find_map(|line| line.strip_prefix("host: ")).expect("rustc -vV names the host");
    host.to_owned()
}

fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = lay_out();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let host = host();
        let output = Command::new(cargo)
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("../tests/trybuild"))
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .args(["clippy", "--offline", "--workspace", "--keep-going", "--message-format", "json"])
            .args(["--target", &host])
            .arg(format!("--config=build.rustflags={TRYBUILD_RUSTFLAGS}"))
            .arg(format!("--config=target.{host}.rustflags={TRYBUILD_RUSTFLAGS}"))
            .args(["--", "-D", "warnings"])
            .output()
            .expect("cargo runs");
        let mut run = Run {
            diagnostics: Vec::new(),
            checked: Vec::new(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let Ok(message) = serde_json::from_str::<Value>(line) else { continue };
            let target = message["target"]["name"].as_str().unwrap_or_default().to_owned();
            match message["reason"].as_str() {
                Some("compiler-artifact") => run.checked.push(target),
                Some("compiler-message") => {
                    let diagnostic = &message["message"];
                    let mut primary =
                        diagnostic["spans"].as_array().into_iter().flatten().find(|s| s["is_primary"] == true);
                    if primary.is_none() && diagnostic["level"] != "warning" {
                        continue; // "aborting due to 3 previous errors": a summary of those already collected
                    }
                    // A lint inside std's macro (`thread_local!`) points into std: take the fixture's call site.
                    while let Some(span) = primary.filter(|s| {
                        s["file_name"].as_str().is_some_and(|f| f.starts_with('/'))
                            && s["expansion"]["span"].is_object()
                    }) {
                        primary = Some(&span["expansion"]["span"]);
                    }
                    run.diagnostics.push(Diagnostic {
                        target,
                        file: primary.and_then(|s| s["file_name"].as_str()).unwrap_or_default().to_owned(),
                        line: primary.and_then(|s| s["line_start"].as_u64()).unwrap_or(0),
                        code: diagnostic["code"]["code"].as_str().unwrap_or_default().to_owned(),
                        message: diagnostic["message"].as_str().unwrap_or_default().to_owned(),
                    });
                }
                _ => {}
            }
        }
        run
    })
}

/// The `// refused: CODE: TEXT` marks of a fixture file: (line, code, text).
fn marks(source: &str) -> Vec<(u64, &str, &str)> {
    let mut marks = Vec::new();
    for (index, line) in (1..).zip(source.lines()) {
        if let Some((_, mark)) = line.split_once("// refused: ") {
            let (code, text) = mark.split_once(": ").expect("a mark reads `// refused: CODE: TEXT`");
            marks.push((index, code, text));
        }
    }
    marks
}

/// Every marked line of `handler`'s `file` is refused with its code and text, and nothing else in it is.
fn assert_refused(handler: &str, file: &str) {
    let source = std::fs::read_to_string(fixtures().join(handler).join("src").join(file)).unwrap();
    let marks = marks(&source);
    assert!(!marks.is_empty(), "{handler}/src/{file} marks no refused line: it proves nothing");
    let run = run();
    let target = handler.replace('-', "_");
    let in_file: Vec<&Diagnostic> =
        run.diagnostics.iter().filter(|d| d.target == target && d.file.ends_with(&format!("src/{file}"))).collect();
    for (line, code, text) in &marks {
        assert!(
            in_file.iter().any(|d| d.line == *line && d.code == *code && d.message.contains(text)),
            "{handler}/src/{file}:{line} was not refused with {code} mentioning {text}:\n  {}\n\
             diagnostics in the file: {in_file:#?}\ncargo's stderr:\n{}",
            source.lines().nth(usize::try_from(*line).unwrap() - 1).unwrap_or_default().trim(),
            run.stderr
        );
    }
    for diagnostic in in_file {
        assert!(
            marks.iter().any(|(line, ..)| *line == diagnostic.line),
            "{handler}/src/{file} has a diagnostic on a line it does not mark: {diagnostic:#?}"
        );
    }
}

#[test]
fn the_clock_is_refused() {
    assert_refused("escaping-handler", "clock.rs");
}

#[test]
fn the_disk_is_refused() {
    assert_refused("escaping-handler", "disk.rs");
}

#[test]
fn the_network_is_refused() {
    assert_refused("escaping-handler", "network.rs");
}

#[test]
fn the_environment_is_refused() {
    assert_refused("escaping-handler", "environment.rs");
}

#[test]
fn processes_are_refused() {
    assert_refused("escaping-handler", "processes.rs");
}

#[test]
fn threads_are_refused() {
    assert_refused("escaping-handler", "threads.rs");
}

#[test]
fn the_standard_streams_are_refused() {
    assert_refused("escaping-handler", "streams.rs");
}

#[test]
fn hash_ordered_collections_with_a_random_hasher_are_refused() {
    assert_refused("escaping-handler", "hash_order.rs");
}

#[test]
fn global_mutable_state_is_refused() {
    assert_refused("escaping-handler", "global_state.rs");
}

#[test]
fn per_process_values_are_refused() {
    assert_refused("escaping-handler", "randomness.rs");
}

#[test]
fn uuid_constructors_a_sibling_turns_on_are_refused() {
    assert_refused("escaping-handler", "uuid.rs");
}

#[test]
fn crates_behind_typed_ids_do_not_resolve_whatever_features_a_sibling_turns_on() {
    assert_refused("unreachable-handler", "lib.rs");
}

/// Every diagnostic of the run is in a file some test above checks, so a new fixture file is not skipped.
#[test]
fn every_diagnostic_is_in_a_checked_fixture_file() {
    let checked = ["clock", "disk", "network", "environment", "processes", "threads", "streams", "hash_order"]
        .into_iter()
        .chain(["global_state", "randomness", "uuid"])
        .map(|name| ("escaping_handler", format!("src/{name}.rs")))
        .chain([("unreachable_handler", "src/lib.rs".to_owned())])
        .collect::<Vec<_>>();
    for diagnostic in &run().diagnostics {
        assert!(
            checked.iter().any(|(target, file)| diagnostic.target == *target && diagnostic.file.ends_with(file)),
            "a diagnostic outside the checked fixture files: {diagnostic:#?}"
        );
    }
}

#[test]
fn a_clean_handler_passes_clippy_with_nothing_to_say() {
    let run = run();
    assert!(
        run.checked.iter().any(|target| target == "clean_handler"),
        "clippy did not finish checking the clean handler:\n{}",
        run.stderr
    );
    let said: Vec<&Diagnostic> = run.diagnostics.iter().filter(|d| d.target == "clean_handler").collect();
    assert!(said.is_empty(), "clippy refused or warned about the clean handler: {said:#?}");
}

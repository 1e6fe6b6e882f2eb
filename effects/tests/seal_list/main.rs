//! The handler clippy list (`effects/handler-clippy.toml`) is derived from the standard library the toolchain
//! ships, not picked by hand: the rules in `rules.rs` run over std's rustdoc (`rustdoc.rs`), and this test fails
//! when the checked-in file is not what they produce — so a toolchain whose std gains a way out (a function in
//! `std::fs`, a method on `SystemTime`, a module) turns this test red until the list is regenerated with
//! `EFFECTS_SEAL=overwrite cargo test -p effects --test seal_list`.

mod render;
mod rules;
mod rustdoc;

use std::collections::BTreeMap;
use std::path::Path;

use rules::Category;
use rustdoc::Docs;

/// The three clippy tables.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) enum Table {
    /// `disallowed-methods`: functions, methods, trait methods.
    Methods,
    /// `disallowed-types`: structs, enums, traits.
    Types,
    /// `disallowed-macros`.
    Macros,
}

/// The derived list: per table, path -> category.
#[derive(Default)]
pub(crate) struct List {
    /// (table, path) -> why.
    pub(crate) entries: BTreeMap<(Table, String), Category>,
}

impl List {
    fn add(&mut self, table: Table, path: String, category: Category) {
        self.entries.entry((table, path)).or_insert(category);
    }

    fn has(&self, table: Table, path: &str) -> bool {
        self.entries.contains_key(&(table, path.to_owned()))
    }
}

fn std_path(module: &str, name: &str) -> String {
    if module.is_empty() { format!("std::{name}") } else { format!("std::{}::{name}", module.replace('/', "::")) }
}

/// Bans one item of `module`: a function or macro by path; a type or trait by path and with all its methods.
fn ban_item(docs: &Docs, list: &mut List, module: &str, kind: &str, name: &str, category: Category) {
    let path = std_path(module, name);
    match kind {
        "fn" => list.add(Table::Methods, path, category),
        "macro" => list.add(Table::Macros, path, category),
        "struct" | "enum" | "union" => {
            for method in docs.inherent_methods(&docs.page(module, kind, name)) {
                list.add(Table::Methods, format!("{path}::{}", method.name), category);
            }
            list.add(Table::Types, path, category);
        }
        "trait" => {
            for method in docs.trait_methods(&docs.page(module, kind, name)) {
                list.add(Table::Methods, format!("{path}::{}", method.name), category);
            }
            list.add(Table::Types, path, category);
        }
        // Constants, type aliases and submodules are not entry points clippy can ban; the types they name are.
        _ => {}
    }
}

/// Applies every rule to the installed std.
pub(crate) fn derive(docs: &Docs) -> List {
    let mut list = List::default();
    for rule in rules::WHOLE {
        for (kind, names) in docs.items(rule.module) {
            for name in names {
                ban_item(docs, &mut list, rule.module, &kind, &name, rule.category);
            }
        }
    }
    let classified: Vec<&rules::Classified> =
        rules::CLASSIFIED.iter().chain([&rules::ROOT_MACROS, &rules::THREAD_LOCAL]).collect();
    for rule in &classified {
        // Another rule over the same module may place what this one neither bans nor allows.
        let elsewhere = |name: &str| {
            classified.iter().any(|r| r.module == rule.module && (r.ban.contains(&name) || r.allow.contains(&name)))
        };
        for (kind, names) in docs.items(rule.module) {
            if rule.module.is_empty() && kind != "macro" {
                continue; // the root's modules are placed by `modules_are_all_placed`
            }
            for name in names {
                if rule.ban.contains(&name.as_str()) {
                    ban_item(docs, &mut list, rule.module, &kind, &name, rule.category);
                } else {
                    assert!(
                        rule.allow.contains(&name.as_str()) || elsewhere(&name),
                        "std::{} has a new {kind} `{name}`: place it in effects/tests/seal_list/rules.rs \
                         (ban it, or allow it with why), then regenerate the list",
                        rule.module.replace('/', "::")
                    );
                }
            }
        }
    }
    for (module, name) in rules::HASHED_TYPES {
        list.add(Table::Types, std_path(module, name), rules::HASH_ORDER);
        for method in docs.inherent_methods(&docs.page(module, "struct", name)) {
            // `new`, `with_capacity`, `from` an array ...: whatever lives in the `RandomState` impl block.
            if method.impl_header.contains("RandomState") {
                list.add(Table::Methods, format!("{}::{}", std_path(module, name), method.name), rules::HASH_ORDER);
            }
        }
    }
    for (module, name) in rules::PATH_TYPES {
        for method in docs.inherent_methods(&docs.page(module, "struct", name)) {
            // The disk-touching ones say so by linking to the std::fs function or type they wrap.
            if method.docs.contains("href=\"../fs/") {
                list.add(Table::Methods, format!("{}::{}", std_path(module, name), method.name), rules::DISK);
            }
        }
    }
    for method in docs.inherent_methods(&docs.page("io", "struct", "Error")) {
        if rules::IO_ERROR_METHODS.contains(&method.name.as_str()) {
            list.add(Table::Methods, format!("std::io::Error::{}", method.name), rules::ENVIRONMENT);
        }
    }
    for module in rules::SYNC_MODULES {
        for name in docs.items(module).remove("struct").unwrap_or_default() {
            for method in docs.inherent_methods(&docs.page(module, "struct", &name)) {
                if is_const_constructor(&method.signature) {
                    list.add(
                        Table::Methods,
                        format!("{}::{}", std_path(module, &name), method.name),
                        rules::GLOBAL_STATE,
                    );
                }
            }
        }
    }
    for path in rules::UUID_METHODS {
        list.add(Table::Methods, (*path).to_owned(), rules::UUID);
    }
    list
}

/// `pub const fn new(value: T) -> Self`: const, and no `self` among the parameters.
fn is_const_constructor(signature: &str) -> bool {
    let Some(after_fn) = signature.split_once("const fn ").map(|(_, rest)| rest) else { return false };
    let params = after_fn.split_once('(').map_or("", |(_, rest)| rest.split(')').next().unwrap_or(""));
    !params.split(',').any(|param| param.trim().trim_start_matches('&').trim_start_matches("mut ").starts_with("self"))
}

#[test]
fn modules_are_all_placed() {
    let docs = Docs::installed();
    let scanned: Vec<&str> = rules::WHOLE
        .iter()
        .map(|r| r.module)
        .chain(rules::CLASSIFIED.iter().map(|r| r.module))
        .chain(rules::SYNC_MODULES.iter().copied())
        .chain(rules::HASHED_TYPES.iter().chain(rules::PATH_TYPES).map(|(m, _)| *m))
        .collect();
    for parent in ["", "os", "os/unix", "os/linux", "collections", "sync"] {
        for name in docs.items(parent).remove("mod").unwrap_or_default() {
            let module = if parent.is_empty() { name.clone() } else { format!("{parent}/{name}") };
            let is_scanned = scanned.iter().any(|s| *s == module || s.starts_with(&format!("{module}/")));
            let is_harmless =
                rules::NO_WAY_OUT.iter().any(|(p, _, names)| *p == parent && names.contains(&name.as_str()));
            assert!(
                is_scanned != is_harmless,
                "std::{} must be either scanned by a rule or listed in NO_WAY_OUT (scanned: {is_scanned}, listed: \
                 {is_harmless}): place it in effects/tests/seal_list/rules.rs",
                module.replace('/', "::")
            );
        }
    }
}

#[test]
fn the_checked_in_list_is_the_one_derived_from_the_installed_std() {
    let docs = Docs::installed();
    let list = derive(&docs);
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("handler-clippy.toml");
    let derived = render::toml(&list);
    if std::env::var("EFFECTS_SEAL").as_deref() == Ok("overwrite") {
        std::fs::write(&file, &derived).expect("the list is writable");
    }
    let checked_in = std::fs::read_to_string(&file).expect("handler-clippy.toml reads");
    let missing: Vec<&str> =
        derived.lines().filter(|line| line.trim_start().starts_with("{ path") && !checked_in.contains(line)).collect();
    assert!(
        missing.is_empty(),
        "the installed std has {} way(s) out that effects/handler-clippy.toml lacks:\n{}\n\
         regenerate it: EFFECTS_SEAL=overwrite cargo test -p effects --test seal_list",
        missing.len(),
        missing.join("\n")
    );
    assert!(
        checked_in == derived,
        "effects/handler-clippy.toml is not the list derived from the installed std (hand-edited, or std dropped \
         an item): regenerate it: EFFECTS_SEAL=overwrite cargo test -p effects --test seal_list"
    );
}

/// Known ways out, one per family: if a change to the rules or to the docs parser drops one, this fails even
/// though the file would match the (then smaller) derived list.
#[test]
fn the_derived_list_holds_a_known_way_out_of_every_family() {
    let list = derive(&Docs::installed());
    for (table, path) in [
        (Table::Methods, "std::time::SystemTime::now"),
        (Table::Methods, "std::time::SystemTime::elapsed"),
        (Table::Methods, "std::time::Instant::now"),
        (Table::Types, "std::time::SystemTime"),
        (Table::Methods, "std::fs::read_dir"),
        (Table::Methods, "std::fs::metadata"),
        (Table::Methods, "std::fs::remove_file"),
        (Table::Types, "std::fs::File"),
        (Table::Methods, "std::path::Path::exists"),
        (Table::Methods, "std::path::Path::metadata"),
        (Table::Methods, "std::path::absolute"),
        (Table::Methods, "std::os::unix::net::UnixStream::connect"),
        (Table::Types, "std::os::unix::net::UnixStream"),
        (Table::Methods, "std::net::ToSocketAddrs::to_socket_addrs"),
        (Table::Types, "std::net::TcpStream"),
        (Table::Methods, "std::env::vars_os"),
        (Table::Methods, "std::process::Command::new"),
        (Table::Methods, "std::process::id"),
        (Table::Methods, "std::thread::Builder::spawn"),
        (Table::Methods, "std::thread::scope"),
        (Table::Methods, "std::io::stdin"),
        (Table::Macros, "std::println"),
        (Table::Macros, "std::dbg"),
        (Table::Types, "std::collections::HashMap"),
        (Table::Types, "std::collections::HashSet"),
        (Table::Methods, "std::collections::HashMap::new"),
        (Table::Types, "std::hash::RandomState"),
        (Table::Methods, "std::sync::atomic::AtomicU64::new"),
        (Table::Methods, "std::sync::Mutex::new"),
        (Table::Methods, "std::sync::OnceLock::new"),
        (Table::Macros, "std::thread_local"),
        (Table::Methods, "uuid::Uuid::new_v4"),
    ] {
        assert!(list.has(table, path), "the derived list lacks {table:?} {path}");
    }
    // Values, and the fixed-hasher map the handlers are offered, stay usable.
    for (table, path) in [
        (Table::Types, "std::time::Duration"),
        (Table::Methods, "std::path::Path::join"),
        (Table::Methods, "std::collections::HashMap::iter"),
        (Table::Methods, "std::collections::HashMap::with_hasher"),
        (Table::Methods, "std::sync::Arc::new"),
        (Table::Types, "std::net::SocketAddr"),
    ] {
        assert!(!list.has(table, path), "the derived list bans {table:?} {path}, which handlers may use");
    }
}

/// The shop's handler crate carries the list unchanged: a stale or trimmed copy would switch bans off quietly.
#[test]
fn the_shop_handlers_carry_the_list() {
    let copy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/shop-handlers/clippy.toml");
    let copy = std::fs::read_to_string(&copy).unwrap_or_else(|e| panic!("{}: {e}", copy.display()));
    assert!(
        copy == effects::HANDLER_CLIPPY_TOML,
        "examples/shop-handlers/clippy.toml differs from effects/handler-clippy.toml: copy it over"
    );
}

/// What the list cannot see, checked for the shop's handler crate the way a reviewer would: no lint of the list
/// switched off in the source, no `unsafe`, no build script.
#[test]
fn the_shop_handlers_switch_no_ban_off() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/shop-handlers");
    assert!(!crate_dir.join("build.rs").exists(), "the shop's handler crate has a build script");
    let mut stack = vec![crate_dir.join("src")];
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            files += 1;
            let source = std::fs::read_to_string(&path).unwrap();
            for (number, line) in (1..).zip(source.lines()) {
                assert!(
                    !line.contains("disallowed_") && !line.contains("unsafe"),
                    "{}:{number} switches the seal off (a clippy::disallowed_* allow, or unsafe): {line}",
                    path.display()
                );
            }
        }
    }
    assert!(files > 0, "no source files under {}", crate_dir.display());
}

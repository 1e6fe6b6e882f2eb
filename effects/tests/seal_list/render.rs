//! Writes the derived list as the handler crates' `clippy.toml`.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::rules::{self, Category};
use crate::{List, Table};

const HEADER: &str = "\
# clippy.toml for handler crates (crates generic over effects::Effects): a copy of effects/handler-clippy.toml,
# which is effects::HANDLER_CLIPPY_TOML. GENERATED from the installed std's API by effects/tests/seal_list (the
# rules are in effects/tests/seal_list/rules.rs): do not edit by hand; regenerate with
#     EFFECTS_SEAL=overwrite cargo test -p effects --test seal_list
# Clippy reads the package directory's clippy.toml before the workspace root's, so production crates that read
# the clock or open sockets are unaffected. CI runs clippy with -D warnings, which turns each entry into a build
# failure. What this covers and what it cannot: the `effects` crate docs, \"Keeping handlers inside the
# capabilities\".
";

/// The whole file: header, then each table grouped by category.
pub(crate) fn toml(list: &List) -> String {
    let mut out = String::from(HEADER);
    for (table, key) in [
        (Table::Methods, "disallowed-methods"),
        (Table::Types, "disallowed-types"),
        (Table::Macros, "disallowed-macros"),
    ] {
        let mut by_category: BTreeMap<&str, (Category, Vec<&str>)> = BTreeMap::new();
        for ((entry_table, path), category) in &list.entries {
            if *entry_table == table {
                by_category.entry(category.title).or_insert((*category, Vec::new())).1.push(path);
            }
        }
        writeln!(out, "{key} = [").unwrap();
        for (title, (category, paths)) in by_category {
            writeln!(out, "    # {title}").unwrap();
            for path in paths {
                // Entries outside std resolve only when the crate's features are on: see rules::UUID_METHODS.
                let invalid = if path.starts_with("std::") { "" } else { ", allow-invalid = true" };
                writeln!(out, "    {{ path = {path:?}, reason = {:?}{invalid} }},", category.reason).unwrap();
            }
        }
        writeln!(out, "]").unwrap();
    }
    writeln!(
        out,
        "\n# Left open on purpose, by module (rules.rs says so; an item std adds fails the check until placed):"
    )
    .unwrap();
    for rule in rules::CLASSIFIED.iter().chain([&rules::ROOT_MACROS]) {
        let module = if rule.module.is_empty() { "std (macros)".to_owned() } else { std_module(rule.module) };
        writeln!(out, "# - {module}: {}: {}", rule.allow.join(", "), rule.allowed_because).unwrap();
    }
    for (parent, why, modules) in rules::NO_WAY_OUT {
        let names: Vec<String> = modules.iter().map(|m| std_module(&format!("{parent}/{m}"))).collect();
        writeln!(out, "# - {}: {why}", names.join(", ")).unwrap();
    }
    out
}

/// `os/unix` -> `std::os::unix`.
fn std_module(module: &str) -> String {
    format!("std::{}", module.trim_start_matches('/').replace('/', "::"))
}

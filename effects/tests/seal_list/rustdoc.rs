//! Reads the standard library's API from the rustdoc HTML that the toolchain ships (the `rust-docs` component):
//! each module's `sidebar-items*.js` lists its items by kind, and each item's page lists its methods. Stable
//! rustdoc has no JSON output for std, and this HTML is generated, so a handful of fixed markers is enough.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

/// std's rustdoc HTML for the toolchain running the tests.
pub(crate) struct Docs {
    root: PathBuf,
}

/// A method: its name and its signature as plain text (`pub const fn new(t: T) -> Mutex<T>`).
pub(crate) struct Method {
    /// `new`.
    pub(crate) name: String,
    /// `pub const fn new(t: T) -> Mutex<T>`.
    pub(crate) signature: String,
    /// The `impl` line it sits under, as plain text (`impl<K, V> HashMap<K, V, RandomState>`); empty for traits.
    pub(crate) impl_header: String,
    /// The method's documentation, HTML as rustdoc wrote it.
    pub(crate) docs: String,
}

impl Docs {
    /// Finds the docs beside the toolchain's sysroot. Panics, naming the component to install, when they are
    /// missing: a machine without them must not pass this check by skipping it.
    pub(crate) fn installed() -> Self {
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let output = Command::new(&rustc).args(["--print", "sysroot"]).output().expect("rustc --print sysroot runs");
        assert!(output.status.success(), "`{rustc} --print sysroot` failed");
        let sysroot = String::from_utf8(output.stdout).expect("the sysroot path is UTF-8");
        let root = PathBuf::from(sysroot.trim()).join("share/doc/rust/html/std");
        assert!(
            root.join("index.html").is_file(),
            "std's rustdoc HTML is not installed at {}: the handler clippy list is derived from it. \
             Install it with `rustup component add rust-docs` (it is part of rustup's default profile).",
            root.display()
        );
        Self { root }
    }

    /// The items of `module` (`"os/unix/net"`, or `""` for the crate root) by kind (`"fn"`, `"struct"`, ...).
    pub(crate) fn items(&self, module: &str) -> BTreeMap<String, Vec<String>> {
        let dir = self.root.join(module);
        let sidebar = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("std module {module:?} is not documented at {}: {e}", dir.display()))
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .find(|path| path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("sidebar-items")))
            .unwrap_or_else(|| panic!("no sidebar-items*.js in {}", dir.display()));
        let text = std::fs::read_to_string(&sidebar).expect("the sidebar file reads");
        let json = text
            .trim()
            .strip_prefix("window.SIDEBAR_ITEMS = ")
            .and_then(|rest| rest.strip_suffix(';'))
            .unwrap_or_else(|| panic!("{} is not `window.SIDEBAR_ITEMS = {{..}};`", sidebar.display()));
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{}: {e}", sidebar.display()))
    }

    /// The HTML page of item `name` of kind `kind` in `module`.
    pub(crate) fn page(&self, module: &str, kind: &str, name: &str) -> String {
        let path = self.root.join(module).join(format!("{kind}.{name}.html"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The inherent methods on a struct or enum page (not trait implementations, not `Deref` targets).
    pub(crate) fn inherent_methods(&self, page: &str) -> Vec<Method> {
        let section = between(page, "<h2 id=\"implementations\"", "<h2 ");
        let mut methods = Vec::new();
        for block in section.split("<section id=\"impl-").skip(1) {
            let impl_header = block.find("<h3").map_or_else(String::new, |at| text(tag_body(&block[at..], "h3")));
            methods.extend(sections(block, "method.").map(|mut method| {
                method.impl_header.clone_from(&impl_header);
                method
            }));
        }
        methods
    }

    /// The required and provided methods on a trait page.
    pub(crate) fn trait_methods(&self, page: &str) -> Vec<Method> {
        let mut methods: Vec<Method> =
            sections(between(page, "<h2 id=\"required-methods\"", "<h2 "), "tymethod.").collect();
        methods.extend(sections(between(page, "<h2 id=\"provided-methods\"", "<h2 "), "method."));
        methods
    }
}

/// `page` from `start` up to the next `end` after it; empty when `start` is absent.
fn between<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
    let Some(from) = page.find(start) else { return "" };
    let rest = &page[from + start.len()..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// Every `<section id="{prefix}name">` in `html`, with its signature and docs (up to the next section).
fn sections<'a>(html: &'a str, prefix: &'a str) -> impl Iterator<Item = Method> + 'a {
    let marker = format!("<section id=\"{prefix}");
    html.split("<section id=\"").skip(1).filter_map(move |chunk| {
        let chunk_id = chunk.split('"').next()?;
        let name = chunk_id.strip_prefix(&marker["<section id=\"".len()..])?;
        // rustdoc numbers repeated names (`new-1`) when several impl blocks define one.
        let name =
            name.rsplit_once('-').filter(|(_, n)| n.chars().all(|c| c.is_ascii_digit())).map_or(name, |(n, _)| n);
        let signature = chunk.find("<h4").map_or_else(String::new, |at| text(tag_body(&chunk[at..], "h4")));
        Some(Method { name: name.to_owned(), signature, impl_header: String::new(), docs: chunk.to_owned() })
    })
}

/// The inside of the element that `html` starts with, for tag `tag` (no nesting of the same tag inside).
fn tag_body<'a>(html: &'a str, tag: &str) -> &'a str {
    let open_end = html.find('>').map_or(0, |at| at + 1);
    let close = html.find(&format!("</{tag}>")).unwrap_or(html.len());
    &html[open_end.min(close)..close]
}

/// HTML to plain text: tags dropped, the entities rustdoc writes decoded.
pub(crate) fn text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<").replace("&gt;", ">").replace("&nbsp;", " ").replace("&quot;", "\"").replace("&amp;", "&")
}

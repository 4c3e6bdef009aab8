//! No module import loops inside a crate: for each `crates/*/src`, a graph of its source files
//! (modules) with an edge A -> B when file A names a `crate::`, `super::` or `self::` path (in a
//! `use`, braces expanded, or anywhere in the code) that resolves into module file B; edges
//! from a child to its parent and from a parent to its child count like any other. The crate
//! root (`lib.rs`, `main.rs`) is left out: it declares and re-exports everything. Comments,
//! string and char literals and `#[cfg(test)]` items are ignored. Tarjan's algorithm finds the
//! strongly connected components; one of more than one module is a loop, and fails the test
//! with its files and the edges inside it.
//!
//! Known loops would be listed in [`EXCEPTIONS`] (there are none). A loop not listed fails,
//! and so does a listed one that no longer happens exactly as listed (update or delete it).
//!
//! The check is textual: a method of a type defined in another file (`impl Partition` blocks
//! spread over files) or a bare path through a `use`d module name is not seen, and `super::`
//! inside an inline `mod name { .. }` is read as the file's (write `crate::` paths there).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Known loops: (crate, its modules, `::`-separated, in any order). Remove a line when the
/// loop is broken.
const EXCEPTIONS: &[(&str, &[&str])] = &[];

/// A module's path inside its crate (`["routes", "risk"]`); the crate root is empty.
type Module = Vec<String>;

/// One source file: its module, and whether it is a directory's module (`mod.rs`, the root),
/// whose children live in its folder.
struct Source {
    module: Module,
    file: String,
    text: String,
}

/// The module a file under `src` is (`a/b.rs` and `a/b/mod.rs` are both `a::b`).
fn module_of(relative: &str) -> Module {
    let stem = relative.strip_suffix(".rs").unwrap_or(relative);
    let mut segments: Module = stem.split('/').map(str::to_owned).collect();
    if matches!(segments.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        segments.pop();
    }
    segments
}

/// `text` without comments, without the contents of string and char literals, and with the
/// item after each `#[cfg(test)]` cut out.
fn code_of(text: &str) -> String {
    cut_test_items(&strip_comments_and_literals(text))
}

fn strip_comments_and_literals(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let raw_prefix = !ident_byte_before(b, i) || (i > 0 && b[i - 1] == b'b' && !ident_byte_before(b, i - 1));
        if b[i] == b'r'
            && raw_prefix
            && let Some((hashes, body)) = raw_string_at(b, i)
        {
            let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
            i = body;
            while i < b.len() && !b[i..].starts_with(&close) {
                i += 1;
            }
            i += close.len();
            out.push_str("\"\"");
            continue;
        }
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                out.push(' ');
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            b'\'' => {
                // A char literal ('x', '\n', '\''), or a lifetime ('a), which is kept.
                let end = if b.get(i + 1) == Some(&b'\\') {
                    // '\x' with x escaped, then up to the closing quote ('\u{..}').
                    (i + 3..b.len()).find(|&j| b[j] == b'\'')
                } else {
                    let width = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                    (b.get(i + 1 + width) == Some(&b'\'')).then_some(i + 1 + width)
                };
                match end {
                    Some(end) => {
                        out.push_str("' '");
                        i = end + 1;
                    }
                    None => {
                        out.push('\'');
                        i += 1;
                    }
                }
            }
            _ => {
                let width = text[i..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&text[i..i + width]);
                i += width;
            }
        }
    }
    out
}

/// For `r"` or `r#..#"` at `i`: the number of `#`s and where the body starts.
fn raw_string_at(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
    (b.get(i + 1 + hashes) == Some(&b'"')).then_some((hashes, i + 2 + hashes))
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn ident_byte_before(b: &[u8], i: usize) -> bool {
    i > 0 && (is_ident(b[i - 1]) || b[i - 1] == b'$')
}

/// Removes each `#[cfg(test)]` item: the attribute, any attributes after it, and the item up to
/// its `;` or its balanced `{ }` block.
fn cut_test_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let b = rest.as_bytes();
        let mut i = at + "#[cfg(test)]".len();
        let mut depth = 0usize;
        let mut brackets = 0usize;
        while i < b.len() {
            match b[i] {
                b'[' => brackets += 1,
                b']' => brackets = brackets.saturating_sub(1),
                b'{' if brackets == 0 => depth += 1,
                b'}' if brackets == 0 => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        i += 1;
                        break;
                    }
                }
                b';' if depth == 0 && brackets == 0 => {
                    i += 1;
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        rest = &rest[i.min(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// Every path a `use` tree names, braces expanded: `a::{b, c::{d, e}}` is `a::b`, `a::c::d`,
/// `a::c::e`; `a::{self, b}` is `a` and `a::b`; renames (`as x`) and globs are dropped.
fn expand_use(tree: &str) -> Vec<String> {
    let flat: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let flat = drop_renames(&flat).replace(' ', "");
    let mut out = Vec::new();
    expand_into("", &flat, &mut out);
    out
}

fn drop_renames(tree: &str) -> String {
    let words: Vec<&str> = tree.split(' ').collect();
    let mut out = String::new();
    let mut i = 0;
    while i < words.len() {
        if words[i] == "as" && i + 1 < words.len() {
            // `as name,` or `as name}`: keep what follows the name.
            let tail = words[i + 1].trim_start_matches(|c: char| c.is_alphanumeric() || c == '_');
            out.push_str(tail);
            i += 2;
        } else {
            out.push_str(words[i]);
            out.push(' ');
            i += 1;
        }
    }
    out
}

fn expand_into(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let Some(open) = tree.find('{') else {
        let tail = if tree == "*" { "" } else { tree.trim_end_matches("::*") };
        let path = join(prefix, tail);
        let path = path.strip_suffix("::self").unwrap_or(&path).to_owned();
        if !path.is_empty() {
            out.push(path);
        }
        return;
    };
    let head = join(prefix, tree[..open].trim_end_matches("::"));
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                expand_into(&head, &inner[start..i], out);
                start = i + 1;
            }
            _ => {}
        }
    }
    expand_into(&head, &inner[start..], out);
}

fn join(prefix: &str, tail: &str) -> String {
    match (prefix.is_empty(), tail.is_empty()) {
        (true, _) => tail.to_owned(),
        (_, true) => prefix.to_owned(),
        _ => format!("{prefix}::{tail}"),
    }
}

/// The `crate::`/`super::`/`self::` paths `code` names: every `use` tree, expanded, and every
/// such path elsewhere (types, calls, impls), as far as its segments go.
fn paths_of(code: &str) -> Vec<String> {
    let b = code.as_bytes();
    let mut paths = Vec::new();
    let mut rest = String::with_capacity(code.len());
    let mut i = 0;
    while i < b.len() {
        let keyword = b[i..].starts_with(b"use")
            && !ident_byte_before(b, i)
            && b.get(i + 3).is_some_and(|c| c.is_ascii_whitespace());
        if keyword && let Some(end) = code[i..].find(';') {
            paths.extend(expand_use(&code[i + 3..i + end]));
            i += end + 1;
            rest.push(' ');
            continue;
        }
        let width = code[i..].chars().next().map_or(1, char::len_utf8);
        rest.push_str(&code[i..i + width]);
        i += width;
    }
    let b = rest.as_bytes();
    for start in 0..b.len() {
        let keyword = [&b"crate::"[..], b"super::", b"self::"]
            .iter()
            .any(|k| b[start..].starts_with(k));
        // Not the tail of a longer path (`super::super::x` is read once, from its start).
        let inside = start >= 2 && &b[start - 2..start] == b"::";
        if !keyword || inside || ident_byte_before(b, start) {
            continue;
        }
        let here = &rest[start..];
        let mut segments: Vec<&str> = Vec::new();
        for piece in here.split("::") {
            let ident: &str = &piece[..piece
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(piece.len())];
            if ident.is_empty() {
                break;
            }
            segments.push(ident);
            if ident.len() != piece.len() {
                break;
            }
        }
        if segments.len() > 1 {
            paths.push(segments.join("::"));
        }
    }
    paths
}

/// The module `path` (named in `from`) resolves into: the longest prefix of its absolute form
/// that is one of `modules`.
fn resolve<'m>(from: &Module, path: &str, modules: &'m BTreeSet<Module>) -> Option<&'m Module> {
    let mut segments = path.split("::").peekable();
    let mut absolute: Module = match segments.peek().copied() {
        Some("crate") => {
            segments.next();
            Vec::new()
        }
        Some("self") => {
            segments.next();
            from.clone()
        }
        Some("super") => {
            let mut base = from.clone();
            while segments.peek() == Some(&"super") {
                segments.next();
                base.pop()?;
            }
            base
        }
        _ => return None,
    };
    absolute.extend(segments.map(str::to_owned));
    (0..=absolute.len()).rev().find_map(|n| modules.get(&absolute[..n]))
}

/// The crate's module graph: each module (the root left out) and the modules it names.
fn graph(sources: &[Source]) -> BTreeMap<Module, BTreeSet<Module>> {
    let modules: BTreeSet<Module> = sources.iter().map(|s| s.module.clone()).collect();
    let mut edges = BTreeMap::new();
    for source in sources.iter().filter(|s| !s.module.is_empty()) {
        let targets: BTreeSet<Module> = paths_of(&code_of(&source.text))
            .iter()
            .filter_map(|p| resolve(&source.module, p, &modules))
            .filter(|t| !t.is_empty() && **t != source.module)
            .cloned()
            .collect();
        edges.insert(source.module.clone(), targets);
    }
    edges
}

/// Tarjan's strongly connected components of more than one module, each sorted.
fn loops(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct Tarjan<'g> {
        edges: &'g BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'g Module, usize>,
        low: BTreeMap<&'g Module, usize>,
        stack: Vec<&'g Module>,
        on_stack: BTreeSet<&'g Module>,
        found: Vec<Vec<Module>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, v: &'g Module) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.edges.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut tarjan = Tarjan {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !tarjan.index.contains_key(v) {
            tarjan.visit(v);
        }
    }
    tarjan.found.sort();
    tarjan.found
}

fn name(module: &Module) -> String {
    module.join("::")
}

/// A loop as a failure message: its files and the edges inside it.
fn describe(
    krate: &str,
    component: &[Module],
    edges: &BTreeMap<Module, BTreeSet<Module>>,
    files: &BTreeMap<Module, String>,
) -> String {
    let mut text = format!(
        "{krate}: {}\n",
        component.iter().map(name).collect::<Vec<_>>().join(", ")
    );
    for m in component {
        text.push_str(&format!("  {}\n", files.get(m).map_or("?", String::as_str)));
    }
    for a in component {
        for b in edges[a].iter().filter(|b| component.contains(b)) {
            text.push_str(&format!("    {} -> {}\n", name(a), name(b)));
        }
    }
    text
}

/// Every `.rs` file under `dir`, relative to `src`, with its text.
fn sources(src: &Path, dir: &Path, shown: &str, out: &mut Vec<Source>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(src, &path, shown, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(src).unwrap().to_string_lossy().replace('\\', "/");
            out.push(Source {
                module: module_of(&relative),
                file: format!("{shown}/{relative}"),
                text: std::fs::read_to_string(&path).unwrap(),
            });
        }
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn no_crate_has_a_module_import_loop() {
    let crates = workspace().join("crates");
    let mut names: Vec<String> = std::fs::read_dir(&crates)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| crates.join(n).join("src").is_dir())
        .collect();
    names.sort();
    assert!(names.len() > 5, "crates found: {names:?}");
    let mut new = Vec::new();
    let mut seen = BTreeSet::new();
    for krate in &names {
        let src = crates.join(krate).join("src");
        let mut files = Vec::new();
        sources(&src, &src, &format!("crates/{krate}/src"), &mut files);
        let edges = graph(&files);
        let shown: BTreeMap<Module, String> = files.into_iter().map(|s| (s.module, s.file)).collect();
        for component in loops(&edges) {
            let members: BTreeSet<String> = component.iter().map(name).collect();
            let excused = EXCEPTIONS
                .iter()
                .any(|(k, m)| k == krate && m.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>() == members);
            if excused {
                seen.insert((krate.clone(), members));
            } else {
                new.push(describe(krate, &component, &edges, &shown));
            }
        }
    }
    let stale: Vec<_> = EXCEPTIONS
        .iter()
        .map(|(k, m)| {
            (
                (*k).to_owned(),
                m.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>(),
            )
        })
        .filter(|e| !seen.contains(e))
        .collect();
    assert!(
        new.is_empty(),
        "module import loops (move what both sides need to the lower module):\n{}",
        new.join("\n")
    );
    assert!(
        stale.is_empty(),
        "no longer a loop as listed, update or remove from EXCEPTIONS: {stale:?}"
    );
}

/// The reader, the resolution and the graph on small inline crates.
mod unit {
    use super::*;

    fn fixture(files: &[(&str, &str)]) -> Vec<Source> {
        files
            .iter()
            .map(|(path, text)| Source {
                module: module_of(path),
                file: (*path).to_owned(),
                text: (*text).to_owned(),
            })
            .collect()
    }

    fn names(found: &[Vec<Module>]) -> Vec<Vec<String>> {
        found.iter().map(|c| c.iter().map(name).collect()).collect()
    }

    fn edges_of(files: &[(&str, &str)], module: &str) -> Vec<String> {
        let g = graph(&fixture(files));
        g[&module_of(&format!("{}.rs", module.replace("::", "/")))]
            .iter()
            .map(name)
            .collect()
    }

    #[test]
    fn a_loop_is_found_with_its_members() {
        let files = [
            ("lib.rs", "mod a; mod b; mod c; pub use a::A;"),
            ("a.rs", "use crate::b::B;\npub struct A(B);"),
            ("b.rs", "pub struct B;\nfn f() -> crate::c::C { todo!() }"),
            ("c.rs", "pub struct C(super::a::A);"),
        ];
        assert_eq!(names(&loops(&graph(&fixture(&files)))), vec![vec!["a", "b", "c"]]);
    }

    #[test]
    fn one_way_dependencies_pass() {
        let files = [
            ("lib.rs", "use crate::a::A; use crate::b::B;"),
            (
                "a.rs",
                "use crate::b::{B, C};\n// use crate::a::A; in a comment\npub struct A(B);",
            ),
            ("b.rs", "pub struct B;\nconst S: &str = \"crate::a::A in a string\";"),
            (
                "c.rs",
                "#[cfg(test)]\n#[allow(dead_code)]\nmod tests {\n    use crate::a::A;\n    fn f() { let _ = '{'; }\n}\nuse crate::b::B;",
            ),
        ];
        let g = graph(&fixture(&files));
        assert!(loops(&g).is_empty(), "{g:?}");
        assert_eq!(edges_of(&files, "c"), vec!["b"]);
        assert_eq!(edges_of(&files, "b"), Vec::<String>::new());
    }

    #[test]
    fn nested_braces_renames_and_self_expand() {
        let mut paths = expand_use("crate::{a::{self, X as Y}, b::{c::{D, E}, *}, f as g}");
        paths.sort();
        assert_eq!(
            paths,
            [
                "crate::a",
                "crate::a::X",
                "crate::b",
                "crate::b::c::D",
                "crate::b::c::E",
                "crate::f"
            ]
        );
        let files = [
            (
                "x.rs",
                "pub(crate) use crate::{\n    y::{self, Z},\n    w::{v::{V}},\n};",
            ),
            ("y.rs", ""),
            ("w/mod.rs", ""),
            ("w/v.rs", ""),
        ];
        assert_eq!(edges_of(&files, "x"), vec!["w::v", "y"]);
    }

    #[test]
    fn super_resolves_from_a_mod_rs_to_the_grandparent_and_from_a_plain_file_to_the_parent() {
        let files = [
            ("routes/mod.rs", "use super::openapi::Doc;"),
            (
                "routes/risk.rs",
                "use super::step_up::Challenge;\nfn f() { self::inner::g(); }",
            ),
            ("routes/risk/inner.rs", "pub fn g() { super::super::step_up::h(); }"),
            ("routes/step_up.rs", "pub fn h() {}"),
            ("openapi.rs", "use self::nothing::X; fn f() -> super::Y {}"),
        ];
        assert_eq!(edges_of(&files, "routes"), vec!["openapi"]);
        assert_eq!(
            edges_of(&files, "routes::risk"),
            vec!["routes::risk::inner", "routes::step_up"]
        );
        assert_eq!(edges_of(&files, "routes::risk::inner"), vec!["routes::step_up"]);
        // `self::` names only itself, `super::` from a top-level file only the root: no edges.
        assert_eq!(edges_of(&files, "openapi"), Vec::<String>::new());
    }

    #[test]
    fn a_parent_and_child_naming_each_other_are_a_loop() {
        let files = [
            ("lib.rs", "mod p;"),
            ("p/mod.rs", "mod c;\npub struct P;\nfn f() { self::c::g(); }"),
            ("p/c.rs", "pub fn g() -> super::P { super::P }"),
        ];
        assert_eq!(names(&loops(&graph(&fixture(&files)))), vec![vec!["p", "p::c"]]);
    }

    #[test]
    fn lifetimes_raw_strings_and_macros_do_not_confuse_the_reader() {
        let code = code_of(
            "fn f<'a>(x: &'a str) -> &'a str { let _ = r#\"crate::a::B\"#; let _ = '\\''; x }\nuse crate::b::C;",
        );
        assert_eq!(paths_of(&code), ["crate::b::C"]);
        let code = code_of("macro_rules! m { () => { $crate::a::B } }");
        assert!(paths_of(&code).is_empty(), "{:?}", paths_of(&code));
    }
}

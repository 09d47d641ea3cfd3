//! The house rules of `host/src`, checked: the layer table in the crate's documentation
//! (`lib.rs`) is the truth, and every `crate::…` path in a module's non-test code must point to
//! its own layer or one below, with no cycle among the modules; and no file holds more than
//! [`MAX_LINES`] lines of non-test code (one concern per file). Tests only.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The most lines of non-test code a file of `host/src` may hold.
const MAX_LINES: usize = 600;

/// The layers as `lib.rs` documents them: `//! | N name | [`a`], [`b`] |`, bottom first.
fn documented_layers(lib: &str) -> BTreeMap<String, usize> {
    let mut layer_of = BTreeMap::new();
    for line in lib.lines() {
        let Some(row) = line.strip_prefix("//! | ") else {
            continue;
        };
        let Some((head, rest)) = row.split_once(" | ") else {
            continue;
        };
        let Some(n) = head.split_whitespace().next().and_then(|n| n.parse().ok()) else {
            continue;
        };
        for part in rest.split("[`").skip(1) {
            if let Some((name, _)) = part.split_once("`]") {
                layer_of.insert(name.to_string(), n);
            }
        }
    }
    layer_of
}

/// A file's text without its test module (from `#[cfg(test)] mod` on: tests sit last) and
/// without comments.
fn code(text: &str) -> String {
    let cut = text
        .find("#[cfg(test)]\nmod ")
        .or_else(|| text.find("#[cfg(test)]\npub mod "))
        .unwrap_or(text.len());
    text[..cut]
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a file's code names through `crate::`.
fn imports(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a::X, b, c::{d, e}}`: the names at the group's top level.
            let mut depth = 0;
            let mut name = String::new();
            let mut at_start = true;
            for ch in group.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => at_start = true,
                    c if depth == 0 && at_start && (c.is_alphanumeric() || c == '_') => {
                        name.push(c)
                    }
                    _ => {
                        if !name.is_empty() && modules.contains(&name) {
                            found.insert(std::mem::take(&mut name));
                        }
                        name.clear();
                        if !ch.is_whitespace() {
                            at_start = false;
                        }
                    }
                }
            }
            if modules.contains(&name) {
                found.insert(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if modules.contains(&name) {
                found.insert(name);
            }
        }
    }
    found
}

/// Every rule the graph breaks: an import into a higher layer, a module the table leaves out,
/// a cycle.
fn violations(
    edges: &BTreeMap<String, BTreeSet<String>>,
    layer_of: &BTreeMap<String, usize>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (from, tos) in edges {
        let Some(&lf) = layer_of.get(from) else {
            out.push(format!(
                "module `{from}` is in no layer of lib.rs's table; add it to the layer it belongs to"
            ));
            continue;
        };
        for to in tos {
            if let Some(&lt) = layer_of.get(to)
                && lt > lf
            {
                out.push(format!(
                    "`{from}` (layer {lf}) imports `{to}` (layer {lt}), above it: take what it \
                     needs as a value or a trait, or move the thing it needs down"
                ));
            }
        }
    }
    // A cycle among modules of one layer (imports sideways are allowed, cycles are not).
    let mut state: BTreeMap<&str, u8> = BTreeMap::new();
    fn visit<'a>(
        m: &'a str,
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
        out: &mut Vec<String>,
    ) {
        match state.get(m) {
            Some(2) => return,
            Some(1) => {
                let from = path.iter().position(|p| *p == m).unwrap_or(0);
                let mut cycle: Vec<&str> = path[from..].to_vec();
                cycle.push(m);
                out.push(format!("import cycle: {}", cycle.join(" -> ")));
                return;
            }
            _ => {}
        }
        state.insert(m, 1);
        path.push(m);
        for to in edges.get(m).into_iter().flatten() {
            visit(to, edges, state, path, out);
        }
        path.pop();
        state.insert(m, 2);
    }
    for m in edges.keys() {
        visit(m, edges, &mut state, &mut Vec::new(), &mut out);
    }
    out
}

/// Every Rust file below `dir`.
fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("src readable").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// The top-level modules of `src` and the files of each.
fn modules(src: &Path) -> BTreeMap<String, Vec<std::path::PathBuf>> {
    let files = rust_files(src);
    let mut by_module: BTreeMap<String, Vec<std::path::PathBuf>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(src).expect("below src");
        let top = rel
            .components()
            .next()
            .map(|c| {
                c.as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_string()
            })
            .unwrap_or_default();
        if matches!(top.as_str(), "lib" | "main" | "bin" | "layers") {
            continue;
        }
        by_module.entry(top).or_default().push(f);
    }
    by_module
}

fn src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn every_import_points_to_its_own_layer_or_below_and_none_makes_a_cycle() {
    let src = src();
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let layer_of = documented_layers(&lib);
    let by_module = modules(&src);
    let names: BTreeSet<String> = by_module.keys().cloned().collect();
    assert!(
        layer_of.len() >= names.len() - 1,
        "lib.rs's layer table lists {} modules for {} in src: {layer_of:?}",
        layer_of.len(),
        names.len()
    );
    let mut edges = BTreeMap::new();
    for (m, files) in &by_module {
        let mut to = BTreeSet::new();
        for f in files {
            let text = std::fs::read_to_string(f).expect("source readable");
            to.extend(imports(&code(&text), &names));
        }
        to.remove(m);
        edges.insert(m.clone(), to);
    }
    let broken = violations(&edges, &layer_of);
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    // The table names no module that is gone.
    for m in layer_of.keys() {
        assert!(
            names.contains(m),
            "lib.rs's layer table names `{m}`, which src has not"
        );
    }
}

#[test]
fn the_check_sees_an_upward_import_a_sideways_cycle_and_a_module_left_out() {
    let lib = "//! | 0 bottom | [`model`], [`time`] |\n//! | 1 top | [`sync`] |\n";
    let layer_of = documented_layers(lib);
    assert_eq!(layer_of.get("sync"), Some(&1));
    let names: BTreeSet<String> = ["model", "time", "sync", "stray"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let code = code(
        "use crate::{sync::Syncer, time};\n// crate::stray in a comment\nfn f() { crate::time::now(); }\n\
         #[cfg(test)]\nmod tests { use crate::stray; }\n",
    );
    assert_eq!(
        imports(&code, &names),
        ["sync", "time"].iter().map(|s| s.to_string()).collect()
    );
    let edge = |a: &str, b: &[&str]| (a.to_string(), b.iter().map(|s| s.to_string()).collect());
    let up: BTreeMap<String, BTreeSet<String>> =
        [edge("model", &["sync"]), edge("sync", &[])].into();
    let v = violations(&up, &layer_of);
    assert!(
        v.len() == 1 && v[0].contains("`model` (layer 0) imports `sync` (layer 1)"),
        "{v:?}"
    );
    let sideways: BTreeMap<String, BTreeSet<String>> =
        [edge("model", &["time"]), edge("time", &["model"])].into();
    assert!(
        violations(&sideways, &layer_of)
            .iter()
            .any(|v| v.starts_with("import cycle")),
        "a cycle inside one layer is caught"
    );
    let stray: BTreeMap<String, BTreeSet<String>> = [edge("stray", &[])].into();
    assert!(violations(&stray, &layer_of)[0].contains("in no layer"));
}

#[test]
fn no_file_holds_more_than_its_share_of_non_test_code() {
    let mut over = Vec::new();
    for f in rust_files(&src()) {
        let text = std::fs::read_to_string(&f).expect("readable");
        let n = code(&text).lines().filter(|l| !l.trim().is_empty()).count();
        if n > MAX_LINES {
            over.push(format!("{} has {n} lines of code", f.display()));
        }
    }
    assert!(
        over.is_empty(),
        "split these by concern (at most {MAX_LINES} lines of non-test code a file):\n{}",
        over.join("\n")
    );
}

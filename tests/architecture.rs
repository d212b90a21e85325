//! The layout keeps the promises ARCHITECTURE.md makes, checked on the source itself:
//! dependencies between the workspace's rooms point one way, the footprint and trust rooms
//! never reach an HTTP stack (not even transitively, per Cargo.lock), no two modules of a
//! room import each other (directly or round a longer loop), and no source file is one a
//! reader must scroll through for long.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use petgraph::algo::tarjan_scc;
use petgraph::graphmap::DiGraphMap;

use crate::util;

/// The rooms, lowest first, with the rooms each may depend on.
const ROOMS: &[(&str, &str, &[&str])] = &[
    ("pcf-base", "crates/base", &[]),
    ("pcf-footprint", "crates/footprint", &["pcf-base"]),
    ("pcf-trust", "crates/trust", &["pcf-base", "pcf-footprint"]),
    ("pcf-exchange", "crates/exchange", &["pcf-base", "pcf-footprint", "pcf-trust"]),
    // The browser verifier: beside the exchange, never above it.
    ("pcf-web", "crates/web", &["pcf-base", "pcf-footprint", "pcf-trust"]),
    // The CLI; its tests also drive the browser verifier's functions natively.
    ("pcf", ".", &["pcf-base", "pcf-footprint", "pcf-trust", "pcf-exchange", "pcf-web"]),
];

/// Only the exchange room (and the CLI above it) may pull these in.
const NETWORK: &[&str] = &["tokio", "hyper", "rustls", "reqwest", "axum"];

/// The longest source file a reader is asked to scroll through.
const MAX_LINES: usize = 800;

fn manifest(dir: &str) -> toml::Table {
    let path = util::root().join(dir).join("Cargo.toml");
    fs::read_to_string(&path).unwrap().parse().unwrap()
}

/// The names of a manifest's dependencies in one section (`dependencies`, `dev-dependencies`).
fn dependencies(manifest: &toml::Table, section: &str) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = manifest
        .get(section)
        .and_then(|d| d.as_table())
        .into_iter()
        .flatten()
        .map(|(k, _)| k.clone())
        .collect();
    // Target-specific sections, e.g. [target.'cfg(...)'.dependencies].
    for (_, target) in manifest.get("target").and_then(|t| t.as_table()).into_iter().flatten() {
        if let Some(deps) = target.get(section).and_then(|d| d.as_table()) {
            names.extend(deps.keys().cloned());
        }
    }
    names
}

#[test]
fn rooms_depend_one_way() {
    let rooms: BTreeSet<&str> = ROOMS.iter().map(|r| r.0).collect();
    let workspace = manifest(".");
    let members: BTreeSet<String> = workspace["workspace"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    let listed: BTreeSet<String> =
        ROOMS.iter().filter(|r| r.1 != ".").map(|r| r.1.to_string()).collect();
    assert_eq!(members, listed, "a new member needs its place in ROOMS and ARCHITECTURE.md");
    for (name, dir, allowed) in ROOMS {
        let m = manifest(dir);
        assert_eq!(m["package"]["name"].as_str(), Some(*name));
        for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
            for dep in dependencies(&m, section) {
                if rooms.contains(dep.as_str()) {
                    assert!(allowed.contains(&dep.as_str()), "{name} may not depend on {dep}");
                }
            }
        }
    }
}

/// Every package Cargo.lock says `root` needs, transitively (all targets, so an
/// over-approximation: fine for "never").
fn lock_closure(root: &str) -> BTreeSet<String> {
    let lock: toml::Table =
        fs::read_to_string(util::root().join("Cargo.lock")).unwrap().parse().unwrap();
    let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for package in lock["package"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap().to_string();
        let list = package.get("dependencies").and_then(|d| d.as_array());
        // An entry is "name" or "name version" (when two versions are locked).
        let names = list
            .into_iter()
            .flatten()
            .map(|d| d.as_str().unwrap().split(' ').next().unwrap().to_string());
        deps.entry(name).or_default().extend(names);
    }
    let mut seen = BTreeSet::new();
    let mut stack = vec![root.to_string()];
    while let Some(next) = stack.pop() {
        if seen.insert(next.clone()) {
            stack.extend(deps.get(&next).into_iter().flatten().cloned());
        }
    }
    seen
}

#[test]
fn footprint_trust_and_the_page_never_reach_an_http_stack() {
    for room in ["pcf-base", "pcf-footprint", "pcf-trust", "pcf-web"] {
        let closure = lock_closure(room);
        assert!(closure.len() > 3, "{room} not in Cargo.lock: {closure:?}");
        for network in NETWORK {
            assert!(!closure.contains(*network), "{room} pulls in {network}");
        }
    }
    // The check can fail: the exchange room does pull them in.
    let exchange = lock_closure("pcf-exchange");
    assert!(NETWORK.iter().all(|n| exchange.contains(*n)), "{exchange:?}");
}

/// Every `.rs` file under `dir`, recursively.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The top-level module a source file belongs to (`solver/lu.rs` -> `solver`), or `None` for
/// the crate root.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// `crate::x` paths in `text`, outside comments, as the names `x`. `crate::Error` (the room's
/// error, re-exported at its root) is not a module: it is by design the sum of the areas'
/// errors, which each area returns, so it is not counted as an import of `error`.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().last();
            rest = &rest[at + "crate::".len()..];
            // `pcf_crate::` or `my_crate::` are other names.
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let name: String =
                rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                found.insert(name);
            }
            if let Some(group) = rest.strip_prefix('{') {
                // `use crate::{a, b::c}`: every first segment in the group.
                let inner = group.split('}').next().unwrap();
                for part in inner.split(',') {
                    let name: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        found.insert(name);
                    }
                }
            }
        }
    }
    found
}

#[test]
fn no_two_modules_of_a_room_import_each_other() {
    for (name, dir, _) in ROOMS {
        let src = util::root().join(dir).join("src");
        let files = sources(&src);
        let modules: BTreeSet<String> = files.iter().filter_map(|f| top_module(&src, f)).collect();
        let mut graph = DiGraphMap::<&str, ()>::new();
        for m in &modules {
            graph.add_node(m.as_str());
        }
        for file in &files {
            let Some(from) = top_module(&src, file) else { continue };
            let from = modules.get(&from).unwrap().as_str();
            let mut text = fs::read_to_string(file).unwrap();
            // In a top-level module's own file, `super::x` is `crate::x`.
            let rel = file.strip_prefix(&src).unwrap();
            if rel.components().count() == 1
                || rel.ends_with("mod.rs") && rel.components().count() == 2
            {
                text = text.replace("super::", "crate::");
            }
            for to in crate_paths(&text) {
                if let Some(to) = modules.get(&to).filter(|to| to.as_str() != from) {
                    graph.add_edge(from, to.as_str(), ());
                }
            }
        }
        let loops: Vec<Vec<&str>> =
            tarjan_scc(&graph).into_iter().filter(|component| component.len() > 1).collect();
        assert!(loops.is_empty(), "{name}: modules that import each other: {loops:?}");
    }
}

#[test]
fn the_import_scanner_reads_use_groups_and_skips_comments() {
    // The scanner behind the check above, on text shaped like real imports.
    let text = "use crate::{inventory::Inventory, units};\n// crate::comment\nlet x = crate::dataset::expand();\nuse pcf_crate::nothing;";
    let expected: BTreeSet<String> =
        ["inventory", "units", "dataset"].iter().map(|s| s.to_string()).collect();
    assert_eq!(crate_paths(text), expected);
    // And the graph check finds a two-module loop in it.
    let mut graph = DiGraphMap::<&str, ()>::new();
    graph.add_edge("dataset", "inventory", ());
    graph.add_edge("inventory", "units", ());
    graph.add_edge("units", "dataset", ());
    assert!(tarjan_scc(&graph).iter().any(|c| c.len() == 3));
}

#[test]
fn no_source_file_is_too_long_to_read() {
    let mut long = Vec::new();
    for (_, dir, _) in ROOMS {
        for file in sources(&util::root().join(dir).join("src")) {
            let lines = fs::read_to_string(&file).unwrap().lines().count();
            if lines > MAX_LINES {
                long.push(format!("{} ({lines} lines)", file.display()));
            }
        }
    }
    assert!(long.is_empty(), "split along the concepts they hold: {long:#?}");
}

//! Widget size beside the anchors', and where the widget's Wasm bytes go (twiggy).

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::Context as _;
use serde_json::{json, Value};

use super::{npm, TWIGGY};
use crate::{
    run::{root, run, step, tool_path},
    setup::wasm_opt_path,
    size::{
        measure, measure_bundle, Sizes, BROTLI_GOAL, CRITICAL_BROTLI_CEILING, TOTAL_BROTLI_CEILING,
    },
    widget::dist_dir,
};

fn sizes_json(s: &Sizes) -> Value {
    json!({"raw": s.raw, "gzip": s.gzip, "brotli": s.brotli})
}

fn files_under(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(files_under(&path)?);
        } else {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// Measures files; returns (per-file JSON, total).
fn measure_files(files: &[PathBuf], base: &Path) -> anyhow::Result<(Vec<Value>, Sizes)> {
    let mut rows = vec![];
    let mut total = Sizes::default();
    for f in files {
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        let s = measure(&bytes)?;
        let name = f.strip_prefix(base).unwrap_or(f).display().to_string();
        let mut row = sizes_json(&s);
        row["file"] = json!(name);
        rows.push(row);
        total.raw += s.raw;
        total.gzip += s.gzip;
        total.brotli += s.brotli;
    }
    Ok((rows, total))
}

/// The size phase.
pub fn run_phase() -> anyhow::Result<Value> {
    step("size: the widget bundle and the anchors (raw, gzip -9, brotli -q 11)");
    let dist = dist_dir();
    let bundle = measure_bundle(&dist)?;
    let mut files = vec![];
    for (name, part, s) in &bundle.files {
        eprintln!("    kassa {name:<36} {part:>8?} {:>8} {:>8} {:>8}", s.raw, s.gzip, s.brotli);
        let mut row = sizes_json(s);
        row["file"] = json!(name);
        row["part"] = json!(format!("{part:?}").to_lowercase());
        files.push(row);
    }
    let (kassa, whole) = (bundle.critical, bundle.total);
    eprintln!("    kassa critical path {:>33} {:>8} {:>8}", kassa.raw, kassa.gzip, kassa.brotli);
    eprintln!("    kassa total {:>41} {:>8} {:>8}", whole.raw, whole.gzip, whole.brotli);
    let mut anchors = vec![];
    for a in npm::build_anchors()? {
        let base = npm::dir().join("out");
        let (files, total) = measure_files(&a.files, &base)?;
        eprintln!("    {:<52} {:>8} {:>8} {:>8}", a.name, total.raw, total.gzip, total.brotli);
        anchors.push(json!({
            "name": a.name,
            "package": a.package,
            "how": a.how,
            "not_counted": a.not_counted,
            "files": files,
            "total": sizes_json(&total),
            "kassa_over_anchor_brotli": ratio(kassa.brotli, total.brotli),
            "kassa_over_anchor_gzip": ratio(kassa.gzip, total.gzip),
            "kassa_total_over_anchor_brotli": ratio(whole.brotli, total.brotli),
        }));
    }
    let breakdown = match wasm_breakdown() {
        Ok(v) => v,
        Err(e) => json!({"error": format!("{e:#}")}),
    };
    let glue = glue_breakdown(&dist.join("kassa_widget.js")).unwrap_or(Value::Null);
    Ok(json!({
        // `critical` is what the goal and the anchor ratios compare: the bytes before the
        // picker is usable. `whole` adds the lazy chunks and the brand marks.
        "kassa": {"files": files, "total": sizes_json(&kassa), "critical": sizes_json(&kassa), "whole": sizes_json(&whole)},
        "goal_brotli": BROTLI_GOAL,
        "to_goal_brotli": kassa.brotli as i64 - BROTLI_GOAL as i64,
        "ceiling_brotli": CRITICAL_BROTLI_CEILING,
        "whole_ceiling_brotli": TOTAL_BROTLI_CEILING,
        "under_ceiling": kassa.brotli <= CRITICAL_BROTLI_CEILING && whole.brotli <= TOTAL_BROTLI_CEILING,
        "anchors": anchors,
        "wasm": breakdown,
        "js_glue": glue,
    }))
}

fn ratio(a: usize, b: usize) -> Value {
    if b == 0 {
        Value::Null
    } else {
        json!(((a as f64 / b as f64) * 1000.0).round() / 1000.0)
    }
}

/// Builds a name-keeping copy of the widget's Wasm (`wasm-bindgen --keep-debug`, then
/// `wasm-opt -Oz -g`, the shipping passes plus names) and asks twiggy where the bytes are.
fn wasm_breakdown() -> anyhow::Result<Value> {
    step(
        "size: where the widget's Wasm bytes go (twiggy on a --keep-debug, wasm-opt -Oz -g build)",
    );
    let dir = root().join("target/bench/twiggy");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    let wasm = root().join("target/wasm32-unknown-unknown/widget/kassa_bundle.wasm");
    run(Command::new("wasm-bindgen")
        .env("PATH", tool_path())
        .args([
            "--keep-debug",
            "--target",
            "web",
            "--no-typescript",
            "--out-name",
            "kassa_widget",
            "--out-dir",
        ])
        .arg(&dir)
        .arg(&wasm))?;
    let named = dir.join("kassa_widget_named.wasm");
    run(Command::new(wasm_opt_path())
        .arg("-Oz")
        .arg("-g")
        .arg(dir.join("kassa_widget_bg.wasm"))
        .arg("-o")
        .arg(&named))?;
    let twiggy = |args: &[&str]| -> anyhow::Result<Value> {
        let out = Command::new("twiggy")
            .env("PATH", tool_path())
            .args(args)
            .arg(&named)
            .output()
            .context("running twiggy")?;
        anyhow::ensure!(
            out.status.success(),
            "twiggy {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(serde_json::from_slice(&out.stdout)?)
    };
    let top = twiggy(&["top", "--format", "json"])?;
    let items: Vec<(String, u64)> = top
        .as_array()
        .context("twiggy top: not a list")?
        .iter()
        .filter_map(|i| Some((i["name"].as_str()?.to_owned(), i["shallow_size"].as_u64()?)))
        .filter(|(n, _)| !is_debug_only(n))
        .collect();
    let total: u64 = items.iter().map(|i| i.1).sum();
    let mut by_crate: BTreeMap<String, (u64, usize)> = BTreeMap::new();
    for (name, size) in &items {
        let e = by_crate.entry(crate_of(name)).or_default();
        e.0 += size;
        e.1 += 1;
    }
    let mut crates: Vec<(String, (u64, usize))> = by_crate.into_iter().collect();
    crates.sort_by_key(|c| std::cmp::Reverse(c.1 .0));
    let pct = |s: u64| ((s as f64 / total.max(1) as f64) * 1000.0).round() / 10.0;
    let crates: Vec<Value> = crates
        .iter()
        .map(|(c, (s, n))| json!({"crate": c, "bytes": s, "percent": pct(*s), "items": n}))
        .collect();
    let mut by_module: BTreeMap<String, u64> = BTreeMap::new();
    for (name, size) in &items {
        *by_module.entry(module_of(name)).or_default() += size;
    }
    let mut modules: Vec<(String, u64)> = by_module.into_iter().collect();
    modules.sort_by_key(|m| std::cmp::Reverse(m.1));
    let modules: Vec<Value> = modules
        .iter()
        .take(30)
        .map(|(m, s)| json!({"module": m, "bytes": s, "percent": pct(*s)}))
        .collect();
    let functions: Vec<Value> = items
        .iter()
        .take(30)
        .map(|(n, s)| json!({"item": strip_hash(n), "crate": crate_of(n), "bytes": s, "percent": pct(*s)}))
        .collect();
    let monos = twiggy(&["monos", "-m", "15", "-n", "0", "--format", "json"])?;
    let monos: Vec<Value> = monos
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    json!({
                        "generic": m["generic"],
                        "copies_bytes": m["total_size"],
                        "bloat_bytes": m["approximate_monomorphization_bloat_bytes"],
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let exports: Vec<Value> = items
        .iter()
        .filter(|(n, _)| n.starts_with("intounderlying") || n.contains("externref shim"))
        .map(|(n, s)| json!({"item": n, "bytes": s}))
        .collect();
    Ok(json!({
        "tool": format!("twiggy {TWIGGY}"),
        "build": "wasm-bindgen --keep-debug, wasm-opt -Oz -g (names kept; sizes exclude the name and custom sections)",
        "code_and_data_bytes": total,
        "by_crate": crates,
        "by_module": modules,
        "top_items": functions,
        "monomorphizations": monos,
        "stream_shims": exports,
    }))
}

/// Sections that exist only because of `-g`/`--keep-debug`, or metadata.
fn is_debug_only(name: &str) -> bool {
    name.contains("subsection") || name.starts_with("custom section") || name.starts_with(".debug")
}

/// `…::h0123abcd` hash suffixes removed.
fn strip_hash(name: &str) -> String {
    match name.rfind("::h") {
        Some(i)
            if name[i + 3..].len() == 16
                && name[i + 3..].chars().all(|c| c.is_ascii_hexdigit()) =>
        {
            name[..i].to_owned()
        }
        _ => name.to_owned(),
    }
}

/// The crate an item belongs to, from its demangled name.
pub fn crate_of(name: &str) -> String {
    if name.starts_with("data segment") {
        return "(static data)".into();
    }
    if name.starts_with("code[")
        || name.starts_with("elem[")
        || name == "start"
        || name.starts_with("type[")
    {
        return "(unnamed code, tables)".into();
    }
    if name.starts_with("export ")
        || name.starts_with("import ")
        || name.starts_with("__wbg")
        || name.starts_with("__wbindgen")
        || name.contains("externref")
        || name.starts_with("intounderlying")
    {
        return "(wasm-bindgen exports/imports, shims)".into();
    }
    let first_path = |s: &str| -> Option<String> {
        let s = s
            .trim_start_matches(['<', '&', '*', '(', '[', ' '])
            .trim_start_matches("mut ")
            .trim_start_matches("dyn ")
            .trim_start_matches("const ");
        let end = s.find("::")?;
        let head = &s[..end];
        let head = head.split('[').next().unwrap_or(head);
        (!head.is_empty() && head.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .then(|| head.to_owned())
    };
    let std_like = |c: &str| matches!(c, "core" | "alloc" | "std");
    if let Some(rest) = name.strip_prefix('<') {
        if let Some(at) = rest.find(" as ") {
            let ty = first_path(&rest[..at]);
            let tr = first_path(&rest[at + 4..]);
            return match (ty, tr) {
                (Some(t), Some(tr)) if std_like(&t) && !std_like(&tr) => tr,
                (Some(t), _) => t,
                (None, Some(tr)) => tr,
                (None, None) => "(other)".into(),
            };
        }
    }
    first_path(name).unwrap_or_else(|| {
        if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            "(compiler builtins, libc)".into()
        } else {
            "(other)".into()
        }
    })
}

/// `crate::module` of an item (the crate as [`crate_of`] reads it, then the next path segment
/// that follows it in the name), so that e.g. `core::fmt` stands apart from the rest of core.
pub fn module_of(name: &str) -> String {
    let krate = crate_of(name);
    if krate.starts_with('(') {
        return krate;
    }
    let first = [format!("{krate}::"), format!("{krate}[")]
        .iter()
        .filter_map(|p| name.find(p.as_str()))
        .min();
    let Some(at) = first else {
        return krate;
    };
    let rest = &name[at + krate.len()..];
    let rest = match rest.strip_prefix('[') {
        Some(r) => r.split_once(']').map_or(r, |(_, tail)| tail),
        None => rest,
    };
    let Some(rest) = rest.strip_prefix("::") else { return krate };
    let module: String =
        rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    if module.is_empty() || module.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
        krate
    } else {
        format!("{krate}::{module}")
    }
}

/// The JS glue's exported classes and import shims (what wasm-bindgen generated).
fn glue_breakdown(path: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path)?;
    let classes: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("export class "))
        .filter_map(|l| l.split([' ', '{']).next())
        .collect();
    let imports = text.matches("__wbg_").count();
    Ok(json!({"bytes": text.len(), "exported_classes": classes, "wbg_references": imports}))
}

#[cfg(test)]
mod tests {
    use super::crate_of;

    #[test]
    fn crates_from_names() {
        assert_eq!(
            crate_of("tachys::view::Render::build::{{closure}}::h825924d33458093e"),
            "tachys"
        );
        assert_eq!(crate_of("<core::marker::PhantomData<T> as serde_core::de::DeserializeSeed>::deserialize::h0"), "serde_core");
        assert_eq!(crate_of("<char as core[c5930c85a12de822]::fmt::Debug>::fmt"), "core");
        assert_eq!(
            crate_of("<dlmalloc[e24a27700634d609]::dlmalloc::Dlmalloc<A>>::malloc"),
            "dlmalloc"
        );
        assert_eq!(
            crate_of("<T as tachys::view::any_view::IntoAny>::into_any::rebuild::h7"),
            "tachys"
        );
        assert_eq!(crate_of("<kassa::api::Foo as serde_core::Deserialize>::deserialize"), "kassa");
        assert_eq!(crate_of("data segment \".rodata\""), "(static data)");
        assert_eq!(crate_of("memcmp"), "(compiler builtins, libc)");
        assert_eq!(
            crate_of("intounderlyingsource_pull externref shim"),
            "(wasm-bindgen exports/imports, shims)"
        );
    }

    #[test]
    fn modules_from_names() {
        use super::module_of;
        assert_eq!(module_of("<char as core[c5930c85a12de822]::fmt::Debug>::fmt"), "core::fmt");
        assert_eq!(module_of("kassa::flow::load::{{closure}}::h1"), "kassa::flow");
        assert_eq!(module_of("kassa::start::{{closure}}::h1"), "kassa::start");
        assert_eq!(
            module_of("<dlmalloc[e24a]::dlmalloc::Dlmalloc<A>>::malloc"),
            "dlmalloc::dlmalloc"
        );
        assert_eq!(module_of("data segment \".rodata\""), "(static data)");
        assert_eq!(module_of("tachys::Foo::bar"), "tachys");
    }
}

//! Splitting the widget's Wasm at Leptos's `#[lazy]` functions, so that code needed only
//! after Pay is downloaded apart from what the picker needs.
//!
//! Leptos 0.8's `#[lazy]` (with its `csr` feature) turns a function into a call through a
//! Wasm import from the placeholder module `__wasm_split_placeholder__`, plus an export of
//! the real body. `wasm_split_cli_support::transform` (the library behind `wasm-split-cli`
//! and cargo-leptos's split builds) reads the linker's relocations (`--emit-relocs`, set by
//! `crates/bundle/build.rs`), moves every function reachable only from such a body into a
//! chunk of its own, and writes `__wasm_split.js`, which fetches and instantiates a chunk
//! the first time its function is called, sharing the main module's memory and table. The
//! main module then goes through wasm-bindgen with `--keep-lld-exports` (the chunks need
//! those exports) and wasm-opt; each chunk through wasm-opt.
//!
//! A Wasm with split points cannot run unsplit (nothing provides the placeholder imports),
//! so every build splits it, `trunk serve` included. A Wasm without split points still
//! carries the relocation sections, which wasm-bindgen keeps and which stop wasm-opt from
//! optimising ("linking section is present … binaryen cannot handle this properly": 1.29 MB
//! instead of 0.36 MB, measured), so [`unsplit`] drops them before wasm-bindgen.
//!
//! Integrity: each chunk's `fetch` gets a `__KASSA_SRI__<file>` placeholder that
//! `cargo xtask dist` fills with the chunk's SHA-384 (the same way as the main Wasm's in
//! `kassa.js`), so a changed chunk is refused; in a development bundle it stays empty.

use std::{path::Path, process::Command};

use anyhow::Context as _;

use crate::{
    run::{run, step, tool_path},
    setup::wasm_opt_path,
    widget::{WASM_NAME, WASM_OPT_PARAMS},
};

/// The import module Leptos's `#[lazy]` (wasm_split_macros) links split functions against.
const PLACEHOLDER_MODULE: &[u8] = b"__wasm_split_placeholder__";
/// The split loader module the main Wasm imports from, beside the glue.
pub const LINK_MODULE: &str = "__wasm_split.js";
/// Prefix of the integrity placeholders in the split loader.
pub const SRI_PLACEHOLDER: &str = "__KASSA_SRI__";

/// Whether the linker's Wasm has `#[lazy]` split points.
pub fn has_split_points(wasm: &[u8]) -> bool {
    wasm.windows(PLACEHOLDER_MODULE.len()).any(|w| w == PLACEHOLDER_MODULE)
}

/// Splits `wasm` (the linker's output) into `bundle`: `kassa_widget.js` and
/// `kassa_widget_bg.wasm` for the main module (replacing Trunk's), the chunks, and
/// [`LINK_MODULE`]. `optimise`: run wasm-opt on every module (release builds).
pub fn split(wasm: &[u8], bundle: &Path, optimise: bool) -> anyhow::Result<()> {
    step("splitting the Wasm at #[lazy] functions (wasm_split_cli_support)");
    let work = bundle.with_file_name(".wasm-split");
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;
    let main = work.join("main.wasm");
    let main_module = format!("./{WASM_NAME}.js");
    let link_name = format!("./{LINK_MODULE}");
    let mut options = wasm_split_cli_support::Options::new(wasm);
    options.output_dir = bundle;
    options.main_out_path = &main;
    options.main_module = &main_module;
    options.link_name = &link_name;
    let out = wasm_split_cli_support::transform(options)
        .map_err(|e| anyhow::anyhow!("wasm-split: {e:?}"))?;

    run(Command::new("wasm-bindgen")
        .env("PATH", tool_path())
        .args(["--target", "web", "--no-typescript", "--keep-lld-exports", "--out-name", WASM_NAME])
        .arg("--out-dir")
        .arg(bundle)
        .arg(&main))?;
    std::fs::remove_dir_all(&work)?;
    let glue = bundle.join(format!("{WASM_NAME}.js"));
    let js = std::fs::read_to_string(&glue).context("reading the glue")?;
    std::fs::write(&glue, one_import_per_module(&js)?)?;
    if optimise {
        wasm_opt(&bundle.join(format!("{WASM_NAME}_bg.wasm")))?;
        for chunk in &out.split_modules {
            wasm_opt(chunk)?;
        }
    }
    let chunks: Vec<String> = out
        .split_modules
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let loader = bundle.join(LINK_MODULE);
    let js = std::fs::read_to_string(&loader).context("reading the split loader")?;
    std::fs::write(&loader, with_integrity(&js, &chunks)?)?;
    step(&format!(
        "split into the main module and {} chunk(s): {}",
        chunks.len(),
        chunks.join(", ")
    ));
    Ok(())
}

/// Writes the main module of a Wasm without split points into `bundle`, as [`split`] does
/// for one with: the relocation sections dropped, then wasm-bindgen and (when `optimise`)
/// wasm-opt.
pub fn unsplit(wasm: &[u8], bundle: &Path, optimise: bool) -> anyhow::Result<()> {
    let work = bundle.with_file_name(".wasm-plain");
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;
    let main = work.join("main.wasm");
    std::fs::write(&main, without_relocations(wasm)?)?;
    run(Command::new("wasm-bindgen")
        .env("PATH", tool_path())
        .args(["--target", "web", "--no-typescript", "--out-name", WASM_NAME])
        .arg("--out-dir")
        .arg(bundle)
        .arg(&main))?;
    std::fs::remove_dir_all(&work)?;
    if optimise {
        wasm_opt(&bundle.join(format!("{WASM_NAME}_bg.wasm")))?;
    }
    Ok(())
}

/// `wasm` without the linker's `linking` and `reloc.*` custom sections.
pub fn without_relocations(wasm: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut module = wasm_encoder::Module::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let payload = payload?;
        if let wasmparser::Payload::CustomSection(c) = &payload {
            if c.name() == "linking" || c.name().starts_with("reloc.") {
                continue;
            }
        }
        if let Some((id, range)) = payload.as_section() {
            let data = wasm.get(range.start as usize..range.end as usize).context("section")?;
            module.section(&wasm_encoder::RawSection { id, data });
        }
    }
    Ok(module.finish())
}

fn wasm_opt(file: &Path) -> anyhow::Result<()> {
    run(Command::new(wasm_opt_path())
        .arg("-Oz")
        .args(WASM_OPT_PARAMS)
        .arg(file)
        .arg("-o")
        .arg(file))
}

/// The glue with one namespace import per JavaScript module the Wasm imports from.
///
/// wasm-bindgen 0.2.130 (`cli-support`, `js/mod.rs`, the import object of `--target web`)
/// writes an `import * as importN from "<module>"` line and an `"<module>": importN` entry in
/// the import object for every Wasm *import entry* from a module it did not generate, not for
/// every module. The split main module imports several functions from the split loader
/// (`./__wasm_split.js`), so the object literal got the key `"./__wasm_split.js"` several
/// times, which esbuild reports as "Duplicate key". It was not a live bug: an ES module has
/// one namespace object, so every duplicate named the same object and the last one, which
/// wins, was the right one. It is still fixed here, at the step that produces the glue, so
/// that the warning cannot hide a real duplicate later and the glue is not larger than it
/// needs to be. Fails when the glue has no import object of the expected shape.
fn one_import_per_module(js: &str) -> anyhow::Result<String> {
    use std::collections::BTreeMap;
    // The first alias of each module, and every later alias with its module.
    let mut first: BTreeMap<&str, &str> = BTreeMap::new();
    let mut dropped: Vec<(&str, &str)> = vec![];
    for line in js.lines() {
        let Some(rest) = line.strip_prefix("import * as ") else { continue };
        let Some((alias, module)) = rest.split_once(" from ") else { continue };
        let module = module.trim_end_matches(';').trim_matches('"');
        if first.contains_key(module) {
            dropped.push((alias, module));
        } else {
            first.insert(module, alias);
        }
    }
    let mut out = String::with_capacity(js.len());
    for line in js.split_inclusive('\n') {
        let drop = dropped.iter().any(|(alias, module)| {
            let text = line.trim();
            text == format!("import * as {alias} from \"{module}\"")
                || text == format!("import * as {alias} from \"{module}\";")
                || text == format!("\"{module}\": {alias},")
        });
        if !drop {
            out.push_str(line);
        }
    }
    for (alias, module) in &dropped {
        anyhow::ensure!(
            !out.contains(&format!("{alias},")) && !out.contains(&format!("{alias}.")),
            "the glue still uses {alias} (for {module}) after its duplicate import was removed: \
             a new wasm-bindgen glue shape must be looked at"
        );
    }
    Ok(out)
}

/// The split loader with an integrity placeholder on every chunk's fetch. Fails when the
/// loader's shape is not the one expected (a new `wasm_split_cli_support` must be looked at).
fn with_integrity(js: &str, chunks: &[String]) -> anyhow::Result<String> {
    let mut js = js.to_owned();
    for chunk in chunks {
        let call = format!("fetch(new URL(\"./{chunk}\", import.meta.url))");
        anyhow::ensure!(
            js.matches(&call).count() == 1,
            "the split loader does not fetch {chunk} as `{call}` exactly once"
        );
        js = js.replace(
            &call,
            &format!(
                "fetch(new URL(\"./{chunk}\", import.meta.url), __kassaIntegrity(\"{SRI_PLACEHOLDER}{chunk}\"))"
            ),
        );
    }
    js.push_str(
        "\n/* Kassa: `cargo xtask dist` fills in each chunk's SHA-384; a changed chunk is refused. */\n\
         function __kassaIntegrity(sri) {\n    \
         return sri.indexOf(\"sha384-\") === 0 ? { integrity: sri, credentials: \"omit\" } : {};\n}\n",
    );
    Ok(js)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_split_points_by_their_import_module() {
        assert!(has_split_points(b"\0asm...\x1a__wasm_split_placeholder__\x10__wasm_split_load"));
        assert!(!has_split_points(b"\0asm...\x03env\x06memory"));
    }

    #[test]
    fn relocation_sections_are_dropped_and_the_rest_kept() {
        let mut module = wasm_encoder::Module::new();
        let mut types = wasm_encoder::TypeSection::new();
        types.ty().function([], []);
        module.section(&types);
        for name in ["linking", "reloc.CODE", "name"] {
            module.section(&wasm_encoder::CustomSection {
                name: name.into(),
                data: b"xyz".as_slice().into(),
            });
        }
        let out = without_relocations(&module.finish()).unwrap();
        let customs: Vec<String> = wasmparser::Parser::new(0)
            .parse_all(&out)
            .filter_map(|p| match p.unwrap() {
                wasmparser::Payload::CustomSection(c) => Some(c.name().to_owned()),
                _ => None,
            })
            .collect();
        assert_eq!(customs, ["name"]);
        assert!(wasmparser::Parser::new(0)
            .parse_all(&out)
            .any(|p| matches!(p.unwrap(), wasmparser::Payload::TypeSection(_))));
    }

    /// The shape wasm-bindgen 0.2.130 writes for a main module with three imports from the
    /// split loader: one import line and one object key each (esbuild: "Duplicate key").
    #[test]
    fn the_glue_imports_each_module_once() {
        let js = "import { define_element } from './snippets/k/inline0.js';\n\
                  import * as import1 from \"./__wasm_split.js\"\n\
                  import * as import2 from \"./__wasm_split.js\"\n\
                  import * as import3 from \"./__wasm_split.js\"\n\
                  import * as import4 from \"./other.js\"\n\
                  function __wbg_get_imports() {\n\
                  \x20   return {\n\
                  \x20       __proto__: null,\n\
                  \x20       \"./kassa_widget_bg.js\": import0,\n\
                  \"./__wasm_split.js\": import1,\n\
                  \"./__wasm_split.js\": import2,\n\
                  \"./__wasm_split.js\": import3,\n\
                  \"./other.js\": import4,\n\
                  };\n}\n";
        let out = one_import_per_module(js).unwrap();
        assert_eq!(out.matches("from \"./__wasm_split.js\"").count(), 1);
        assert_eq!(out.matches("\"./__wasm_split.js\":").count(), 1);
        assert!(out.contains("import * as import1 from \"./__wasm_split.js\"\n"));
        assert!(out.contains("\"./__wasm_split.js\": import1,\n"));
        assert!(out.contains("\"./other.js\": import4,\n"));
        assert!(out.contains("import { define_element }"));
        assert!(!out.contains("import2") && !out.contains("import3"));
        // Glue without duplicates is unchanged.
        assert_eq!(one_import_per_module(&out).unwrap(), out);
        // A duplicate alias used elsewhere (a shape not understood) is refused.
        let odd = js.replace("};\n}", "};\n}\nimport2.x();");
        assert!(one_import_per_module(&odd).is_err());
    }

    #[test]
    fn every_chunk_fetch_gets_an_integrity_placeholder() {
        let js = "const a = makeLoad(() => {\n    const src = fetch(new URL(\"./split_a.wasm\", import.meta.url));\n}, []);\n";
        let out = with_integrity(js, &["split_a.wasm".into()]).unwrap();
        assert!(out.contains(
            "fetch(new URL(\"./split_a.wasm\", import.meta.url), __kassaIntegrity(\"__KASSA_SRI__split_a.wasm\"))"
        ));
        assert!(out.contains("function __kassaIntegrity(sri)"));
        // A loader that fetches a chunk some other way is refused, not shipped unchecked.
        assert!(with_integrity(js, &["chunk_0.wasm".into()]).is_err());
    }
}

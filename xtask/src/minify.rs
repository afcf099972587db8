//! Minifying the release bundle's JavaScript and CSS with esbuild (npm, pinned in
//! `setup.rs`).
//!
//! - `kassa_widget.js`, wasm-bindgen's glue, is bundled with what it imports (the snippet
//!   modules in `snippets/` and the split loader `__wasm_split.js`) into one minified ES
//!   module: one request fewer per snippet, and esbuild drops the glue's unused exports.
//!   The split loader imports `initSync` back from the glue; bundled, that import is inside
//!   the one module, and `import.meta.url` (which locates the Wasm and its chunks) is still
//!   the glue's own address.
//! - `kassa.js` (the classic-script loader) and `kassa.css` are minified in place.
//!
//! Trunk's own `minify` cannot parse wasm-bindgen 0.2.130's glue and copies it unminified
//! (`docs/toolchain.md`, P4); Trunk's SRI hashes do not apply here (`inject_scripts =
//! false`), and `cargo xtask dist` hashes the files after this step.

use std::{path::Path, process::Command};

use anyhow::Context as _;

use crate::{
    run::{run, step},
    setup::esbuild_path,
    split::LINK_MODULE,
    widget::WASM_NAME,
};

/// Minifies the bundle in `dir` in place.
pub fn bundle(dir: &Path) -> anyhow::Result<()> {
    step("minifying the JavaScript and CSS (esbuild)");
    let glue = dir.join(format!("{WASM_NAME}.js"));
    let bundled = dir.join(format!("{WASM_NAME}.min.js"));
    run(Command::new(esbuild_path())
        .arg(&glue)
        .args(["--bundle", "--format=esm", "--minify", "--legal-comments=none", "--target=es2020"])
        .arg(format!("--outfile={}", bundled.display())))?;
    std::fs::rename(&bundled, &glue)?;
    // Now inside the glue.
    let snippets = dir.join("snippets");
    if snippets.exists() {
        std::fs::remove_dir_all(&snippets).context("removing the bundled snippets")?;
    }
    let link = dir.join(LINK_MODULE);
    if link.exists() {
        std::fs::remove_file(&link).context("removing the bundled split loader")?;
    }
    for file in ["kassa.js", "kassa.css"] {
        let path = dir.join(file);
        let min = dir.join(format!("{file}.min"));
        let mut cmd = Command::new(esbuild_path());
        cmd.arg(&path).args(["--minify", "--legal-comments=none"]);
        if file.ends_with(".js") {
            // A classic script: no module syntax in, none out; old enough for every browser
            // that has WebAssembly.
            cmd.arg("--target=es2017");
        }
        run(cmd.arg(format!("--outfile={}", min.display())))?;
        std::fs::rename(&min, &path)?;
    }
    Ok(())
}

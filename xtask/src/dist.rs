//! `cargo xtask dist`: a self-hostable, versioned widget bundle with Subresource Integrity.
//!
//! Builds the widget, then writes `dist/kassa-<version>-<hash>/` (a directory name that
//! changes whenever any byte does, so it can be served as immutable) with:
//! - the bundle, its loader filled with the Wasm's SHA-384, so that the loader fetches the
//!   Wasm with `integrity` and a changed byte stops the widget (`docs/security.md` R-W2);
//!   likewise the glue filled with each `#[lazy]` chunk's SHA-384 for the split loader's
//!   fetches (`split.rs`), so every Wasm file the widget runs is checked;
//! - `manifest.json`: every file with its size and `sha384-…` hash (the PCI DSS 6.4.3
//!   script inventory entry);
//! - `snippet.html`: the `<script>` tag with the loader's `integrity`, ready to paste.

use std::{fmt::Write as _, path::Path};

use anyhow::Context as _;
use base64::Engine as _;
use sha2::{Digest, Sha384};

use crate::{
    run::{root, step},
    setup, split, widget,
};

/// The placeholder in `www/kassa.js` that receives the Wasm's hash.
const WASM_SRI_PLACEHOLDER: &str = "__KASSA_WASM_SRI__";

/// `sha384-<base64>` of `bytes`, as `integrity` attributes want it.
pub fn sri(bytes: &[u8]) -> String {
    format!("sha384-{}", base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes)))
}

/// Builds and writes the bundle; prints where.
pub fn run() -> anyhow::Result<()> {
    setup::widget_tools()?;
    widget::build()?;
    let built = widget::dist_dir();
    let wasm =
        std::fs::read(built.join("kassa_widget_bg.wasm")).context("reading the built Wasm")?;
    let wasm_sri = sri(&wasm);
    let loader = std::fs::read_to_string(built.join("kassa.js"))?;
    anyhow::ensure!(
        loader.contains(WASM_SRI_PLACEHOLDER),
        "www/kassa.js lacks {WASM_SRI_PLACEHOLDER}"
    );
    let loader = loader.replace(WASM_SRI_PLACEHOLDER, &wasm_sri);
    let glue = with_chunk_integrity(&built)?;

    let version = env!("CARGO_PKG_VERSION");
    let tag: String = Sha384::digest([&wasm[..], loader.as_bytes(), glue.as_bytes()].concat())
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect();
    let name = format!("kassa-{version}-{tag}");
    let out = root().join("dist").join(&name);
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    copy_dir(&built, &out)?;
    std::fs::write(out.join("kassa.js"), &loader)?;
    std::fs::write(out.join(GLUE), &glue)?;

    let mut files = vec![];
    collect(&out, &out, &mut files)?;
    files.sort();
    let mut manifest = format!("{{\n  \"name\": \"kassa\",\n  \"version\": \"{version}\",\n  \"directory\": \"{name}\",\n  \"files\": {{\n");
    for (i, rel) in files.iter().enumerate() {
        let bytes = std::fs::read(out.join(rel))?;
        let comma = if i + 1 < files.len() { "," } else { "" };
        writeln!(
            manifest,
            "    \"{rel}\": {{ \"bytes\": {}, \"integrity\": \"{}\" }}{comma}",
            bytes.len(),
            sri(&bytes)
        )?;
    }
    manifest.push_str("  }\n}\n");
    std::fs::write(out.join("manifest.json"), manifest)?;

    let snippet = format!(
        "<!-- Kassa {version}: serve {name}/ from your widget origin (immutable), then paste: -->\n\
         <script src=\"https://widget.example/{name}/kassa.js\" integrity=\"{}\" crossorigin=\"anonymous\"\n        \
         data-endpoint=\"https://backend.example\" async></script>\n\
         <kassa-checkout items='[{{\"sku\":\"kayak-2h\",\"quantity\":2}}]'></kassa-checkout>\n",
        sri(loader.as_bytes())
    );
    std::fs::write(out.join("snippet.html"), snippet)?;
    step(&format!("self-hostable bundle written to {} (Wasm {wasm_sri})", out.display()));
    Ok(())
}

/// The glue, whose split loader fetches the chunks.
const GLUE: &str = "kassa_widget.js";

/// The glue with every chunk's integrity placeholder filled in; fails when a chunk in the
/// bundle has no placeholder or a placeholder names no chunk.
fn with_chunk_integrity(bundle: &Path) -> anyhow::Result<String> {
    let mut glue = std::fs::read_to_string(bundle.join(GLUE)).context("reading the glue")?;
    for entry in std::fs::read_dir(bundle)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".wasm") || name == "kassa_widget_bg.wasm" {
            continue;
        }
        let placeholder = format!("{}{name}", split::SRI_PLACEHOLDER);
        anyhow::ensure!(glue.contains(&placeholder), "the glue fetches chunk {name} unchecked");
        let bytes = std::fs::read(bundle.join(&name))?;
        glue = glue.replace(&placeholder, &sri(&bytes));
    }
    anyhow::ensure!(
        !glue.contains(split::SRI_PLACEHOLDER),
        "the glue names a chunk that is not in the bundle"
    );
    Ok(glue)
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<String>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(base, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(base) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::sri;

    #[test]
    fn integrity_is_sha384_in_base64() {
        // `printf abc | openssl dgst -sha384 -binary | base64`
        assert_eq!(
            sri(b"abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
    }
}

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
//! - `snippet.html`: the `<script>` tag with the loader's `integrity`, ready to paste;
//! - `NAME.br` and `NAME.gz` beside every file that compresses ([`precompress`]).

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
    let compressed = precompress(&out, &files)?;
    step(&format!(
        "self-hostable bundle written to {} (Wasm {wasm_sri}; {compressed} files also as .br and .gz)",
        out.display()
    ));
    Ok(())
}

/// What a browser downloads of the bundle that compresses (the rest: `LICENSES.md`).
const COMPRESSIBLE: [&str; 4] = ["js", "wasm", "css", "svg"];

/// Writes `NAME.br` (brotli -q 11) and `NAME.gz` (gzip -9) beside each of `files` (paths
/// relative to `dir`) that compresses, for servers that send a precompressed sibling with
/// `Content-Encoding` (nginx `brotli_static`/`gzip_static`, Caddy's `precompressed`): a server
/// that compresses nothing sends the 492 KB Wasm as is, 2.9 times its brotli size, and over a
/// 10 Mbit/s link every 10 KB is 8 ms more before the picker (`docs/toolchain.md` section 7).
/// `integrity` still holds: the browser checks the decoded body. Returns how many files.
fn precompress(dir: &Path, files: &[String]) -> anyhow::Result<usize> {
    let mut written = 0;
    for rel in files {
        let path = dir.join(rel);
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
        if !COMPRESSIBLE.contains(&ext) {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        let brotli = crate::size::brotli_best(&bytes)?;
        let gzip = crate::size::gzip_best(&bytes)?;
        if brotli.len() >= bytes.len() || gzip.len() >= bytes.len() {
            continue;
        }
        std::fs::write(dir.join(format!("{rel}.br")), brotli)?;
        std::fs::write(dir.join(format!("{rel}.gz")), gzip)?;
        written += 1;
    }
    Ok(written)
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
    use std::io::Read as _;

    use super::*;

    #[test]
    fn integrity_is_sha384_in_base64() {
        // `printf abc | openssl dgst -sha384 -binary | base64`
        assert_eq!(
            sri(b"abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
    }

    #[test]
    fn precompressed_siblings_decode_to_their_file_and_only_what_compresses_gets_them() {
        let dir = tempfile::tempdir().unwrap();
        let loader = "function picker() { return 'picker'; }\n".repeat(200);
        std::fs::create_dir(dir.path().join("marks")).unwrap();
        std::fs::write(dir.path().join("kassa.js"), &loader).unwrap();
        std::fs::write(dir.path().join("marks/card.svg"), "<svg></svg>".repeat(50)).unwrap();
        std::fs::write(dir.path().join("marks/LICENSES.md"), "# Licences\n".repeat(50)).unwrap();
        std::fs::write(dir.path().join("tiny.css"), "a{}").unwrap();
        let files =
            ["kassa.js", "marks/card.svg", "marks/LICENSES.md", "tiny.css"].map(String::from);

        assert_eq!(precompress(dir.path(), &files).unwrap(), 2);

        let br = std::fs::read(dir.path().join("kassa.js.br")).unwrap();
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut decoded).unwrap();
        assert_eq!(decoded, loader.as_bytes());
        let gz = std::fs::read(dir.path().join("kassa.js.gz")).unwrap();
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut decoded).unwrap();
        assert_eq!(decoded, loader);
        assert!(dir.path().join("marks/card.svg.br").exists());
        assert!(dir.path().join("marks/card.svg.gz").exists());
        // Not something a browser downloads; and a file that compression would grow.
        assert!(!dir.path().join("marks/LICENSES.md.br").exists());
        assert!(!dir.path().join("tiny.css.br").exists());
        assert!(!dir.path().join("tiny.css.gz").exists());
    }
}

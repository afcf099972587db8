//! Building the widget bundle with Trunk: `dist/kassa/{kassa.js, kassa_widget.js,
//! kassa_widget_bg.wasm, kassa.css}`, plus `split_*.wasm`/`chunk_*.wasm` when the widget has
//! `#[lazy]` parts and `marks/` when `www/marks/` exists.
//!
//! `trunk build --release` (configured by `Trunk.toml` and `index.html`) compiles the
//! cdylib-only `crates/bundle` with the `widget` profile (LTO needs a cdylib-only crate:
//! `docs/toolchain.md`, P5), runs wasm-bindgen and wasm-opt, copies the loader and the CSS,
//! and then calls `cargo xtask trunk-post-build` ([`post_build`]) on its staging folder for
//! what Trunk has no step for:
//!
//! 1. splitting the Wasm at Leptos's `#[lazy]` functions ([`crate::split`]), which needs the
//!    linker's output before wasm-bindgen, so it runs wasm-bindgen and wasm-opt again on the
//!    main module and wasm-opt on every chunk;
//! 2. in release builds, esbuild: the glue bundled with its snippets and the split loader
//!    into one minified module, the loader and the CSS minified ([`crate::minify`]);
//! 3. the brand marks from `www/marks/`.
//!
//! So `trunk serve` and `trunk build --release` give the same files as `cargo xtask widget`,
//! which runs `trunk build --release` and moves the result to `dist/kassa/`, where the
//! tests, `cargo xtask dist`, the demo and the bench read it.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::Context as _;

use crate::run::{cargo, root, run, step, tool_path};

/// Where the bundle goes.
pub fn dist_dir() -> PathBuf {
    root().join("dist/kassa")
}

/// Where Trunk writes the demo page with the bundle in `kassa/` (`Trunk.toml`'s `dist`).
pub fn site_dir() -> PathBuf {
    root().join("dist/site")
}

/// The Wasm's name in the bundle (`kassa_widget.js`, `kassa_widget_bg.wasm`).
pub const WASM_NAME: &str = "kassa_widget";
/// What Trunk names its own wasm-bindgen output (the package's name), replaced by the hook.
const TRUNK_NAME: &str = "kassa-bundle";

/// wasm-opt's passes for the release Wasm, after wasm-bindgen, run by the post-build hook on
/// every module (`index.html` turns Trunk's own wasm-opt off: it would optimise a Wasm that
/// still has the linker's relocations, see `split.rs`). `-Oz`, then: flattening and re-relooping the control flow, then `-Oz`
/// again until nothing changes, and the promise that no code reads the first 1 KiB of
/// memory (Rust never places data there); about 1.7 KB brotli off the Wasm, measured in
/// `docs/toolchain.md` ("Cutting further", 7).
pub const WASM_OPT_PARAMS: [&str; 5] =
    ["--low-memory-unused", "--flatten", "--rereloop", "-Oz", "--converge"];

/// Builds the bundle into `dist/kassa` (release).
pub fn build() -> anyhow::Result<()> {
    // Trunk builds offline (it passes --offline to cargo): every crate must be there first.
    step("fetching the crates the widget needs (cargo fetch, for Trunk's offline build)");
    run(cargo().arg("fetch"))?;
    step("building the widget with Trunk (profile `widget`: opt-level z, LTO; wasm-opt; esbuild)");
    run(Command::new("trunk")
        .args(["build", "--release"])
        .env("PATH", tool_path())
        .env("TRUNK_SKIP_VERSION_CHECK", "true"))?;
    // Copy beside the final folder and move it into place at the end, so a reader (an e2e
    // run, the demo) never sees a half-written bundle.
    let final_dir = dist_dir();
    let out = root().join(format!("dist/.kassa-{}", std::process::id()));
    if out.exists() {
        std::fs::remove_dir_all(&out).context("cleaning the build folder")?;
    }
    copy_dir(&site_dir().join("kassa"), &out)?;
    if final_dir.exists() {
        std::fs::remove_dir_all(&final_dir).context("replacing dist/kassa")?;
    }
    std::fs::rename(&out, &final_dir).context("moving the bundle into dist/kassa")?;
    step(&format!("widget bundle written to {}", final_dir.display()));
    Ok(())
}

/// Trunk's `post_build` hook (`Trunk.toml`): finishes the bundle in Trunk's staging folder.
/// Reads `TRUNK_STAGING_DIR` and `TRUNK_PROFILE`, which Trunk sets for its hooks.
pub fn post_build() -> anyhow::Result<()> {
    let staging = std::env::var_os("TRUNK_STAGING_DIR")
        .map(PathBuf::from)
        .context("TRUNK_STAGING_DIR is not set: this command is Trunk's post_build hook")?;
    let release = std::env::var("TRUNK_PROFILE").as_deref() == Ok("release");
    let bundle = staging.join("kassa");
    let wasm = raw_wasm(release);
    let bytes = std::fs::read(&wasm).with_context(|| format!("reading {}", wasm.display()))?;
    // Trunk's own wasm-bindgen output (from the same file) is replaced: see `split.rs`.
    for file in [format!("{TRUNK_NAME}.js"), format!("{TRUNK_NAME}_bg.wasm")] {
        let path = bundle.join(file);
        if path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("removing Trunk's {}", path.display()))?;
        }
    }
    if crate::split::has_split_points(&bytes) {
        crate::split::split(&bytes, &bundle, release)?;
    } else {
        crate::split::unsplit(&bytes, &bundle, release)?;
    }
    if release {
        crate::minify::bundle(&bundle)?;
    }
    let marks = root().join("www/marks");
    if marks.is_dir() {
        copy_dir(&marks, &bundle.join("marks"))?;
    }
    Ok(())
}

/// The linker's Wasm that Trunk's cargo build left (before wasm-bindgen), with relocations
/// (`crates/bundle/build.rs`).
fn raw_wasm(release: bool) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let profile = if release { "widget" } else { "debug" };
    target.join("wasm32-unknown-unknown").join(profile).join("kassa_bundle.wasm")
}

/// Copies a folder tree.
pub fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hook, not Trunk, runs wasm-opt (see WASM_OPT_PARAMS), on the files Trunk names.
    #[test]
    fn index_html_leaves_wasm_opt_to_the_hook() {
        let html = std::fs::read_to_string(root().join("index.html")).unwrap();
        assert!(html.contains("data-wasm-opt=\"0\""), "Trunk's wasm-opt is off");
        assert!(
            html.contains("href=\"crates/bundle/Cargo.toml\" data-target-name=\"kassa_bundle\"")
        );
        assert!(html.contains("data-cargo-profile-release=\"widget\""));
    }
}

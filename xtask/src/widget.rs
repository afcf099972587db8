//! Building the widget bundle: `dist/kassa/{kassa.js, kassa_widget.js, kassa_widget_bg.wasm,
//! kassa.css, snippets/}`.
//!
//! Built without Trunk: the embeddable bundle needs a cdylib-only build to get LTO
//! (`docs/toolchain.md` P5), `wasm-bindgen --target web` for the loader's dynamic import, and
//! wasm-opt -Oz; Trunk adds nothing to that and costs a 7-minute install.

use std::{path::PathBuf, process::Command};

use anyhow::Context as _;

use crate::{
    run::{cargo, root, run, step, tool_path},
    setup::wasm_opt_path,
};

/// Where the bundle goes.
pub fn dist_dir() -> PathBuf {
    root().join("dist/kassa")
}

/// Builds the bundle.
pub fn build() -> anyhow::Result<()> {
    step("building the widget (wasm32, profile `widget`: opt-level z, LTO)");
    run(cargo().args([
        "rustc",
        "-p",
        "kassa",
        "--lib",
        "--crate-type",
        "cdylib",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "widget",
    ]))?;
    // Build beside the final folder and move it into place at the end, so a reader (an e2e
    // run, the demo) never sees a half-written bundle.
    let final_dir = dist_dir();
    let out = root().join(format!("dist/.kassa-{}", std::process::id()));
    if out.exists() {
        std::fs::remove_dir_all(&out).context("cleaning the build folder")?;
    }
    std::fs::create_dir_all(&out)?;
    let wasm = root().join("target/wasm32-unknown-unknown/widget/kassa.wasm");
    run(Command::new("wasm-bindgen")
        .env("PATH", tool_path())
        .args(["--target", "web", "--no-typescript", "--out-name", "kassa_widget", "--out-dir"])
        .arg(&out)
        .arg(&wasm))?;
    let bg = out.join("kassa_widget_bg.wasm");
    run(Command::new(wasm_opt_path()).arg("-Oz").arg(&bg).arg("-o").arg(&bg))?;
    for file in ["kassa.js", "kassa.css"] {
        std::fs::copy(root().join("www").join(file), out.join(file))
            .with_context(|| format!("copying www/{file}"))?;
    }
    if final_dir.exists() {
        std::fs::remove_dir_all(&final_dir).context("replacing dist/kassa")?;
    }
    std::fs::rename(&out, &final_dir).context("moving the bundle into dist/kassa")?;
    step(&format!("widget bundle written to {}", final_dir.display()));
    Ok(())
}

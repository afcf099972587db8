//! Installing what the build and the tests need, idempotently: every step first checks
//! whether its tool is already there at the right version, so a second run takes seconds.
//!
//! Versions are pinned: wasm-bindgen-cli must equal the `wasm-bindgen` crate in Cargo.lock;
//! wasm-opt comes from npm's `binaryen` (Debian's binaryen 108 emits broken Wasm: pitfall P3 in
//! `docs/toolchain.md`) and esbuild from npm too, both into `.tools`; Trunk from crates.io at
//! the last release that builds with this rustc (0.22 needs a newer one: P1); Chromium
//! and ChromeDriver come from Debian, as does PostgreSQL.

use std::process::Command;

use anyhow::Context as _;

use crate::run::{cargo, output, root, run, step};

/// binaryen on npm, whose `wasm-opt` runs on node.
pub const BINARYEN_VERSION: &str = "132.0.0";
/// esbuild on npm: minifies the loader and the CSS, bundles and minifies the Wasm's JS glue.
pub const ESBUILD_VERSION: &str = "0.28.2";
/// Trunk on crates.io (`Trunk.toml` asks for `^0.21.14`).
pub const TRUNK_VERSION: &str = "0.21.14";
/// axe-core on npm: the accessibility checker the browser tests inject into every screen.
pub const AXE_CORE_VERSION: &str = "4.14.1";
/// Debian packages the tests use.
const APT_PACKAGES: [&str; 4] = ["chromium", "chromium-driver", "brotli", "postgresql"];

/// Everything.
pub fn all() -> anyhow::Result<()> {
    apt()?;
    widget_tools()?;
    axe_core()?;
    stripe_node()?;
    receiver()?;
    schemathesis()
}

/// The official Standard Webhooks library for Node, at the version
/// `examples/receiver/package-lock.json` pins (`npm ci` there, only when that version is not
/// installed): the example merchant receiver and the outbox tests' receiver verify every
/// delivery with it.
pub fn receiver() -> anyhow::Result<()> {
    let dir = root().join("examples/receiver");
    let lock = std::fs::read_to_string(dir.join("package-lock.json"))
        .context("reading examples/receiver/package-lock.json")?;
    let want = locked_npm_version(&lock, "node_modules/standardwebhooks")
        .context("examples/receiver/package-lock.json pins no standardwebhooks")?;
    let have = std::fs::read_to_string(dir.join("node_modules/standardwebhooks/package.json"))
        .unwrap_or_default();
    if have.contains(&format!("\"version\": \"{want}\"")) {
        return Ok(());
    }
    step(&format!(
        "installing the Standard Webhooks library standardwebhooks@{want} (npm ci, once)"
    ));
    run(Command::new("npm").args([
        "ci",
        "--no-audit",
        "--no-fund",
        "--prefix",
        "examples/receiver",
    ]))
}

/// Stripe's official Node library, at the version `tests/stripe-node/package-lock.json` pins
/// (`npm ci` into `tests/stripe-node/node_modules`, only when that version is not there).
pub fn stripe_node() -> anyhow::Result<()> {
    let dir = root().join("tests/stripe-node");
    let lock = std::fs::read_to_string(dir.join("package-lock.json"))
        .context("reading tests/stripe-node/package-lock.json")?;
    let want = locked_npm_version(&lock, "node_modules/stripe")
        .context("tests/stripe-node/package-lock.json pins no stripe")?;
    let have =
        std::fs::read_to_string(dir.join("node_modules/stripe/package.json")).unwrap_or_default();
    if have.contains(&format!("\"version\": \"{want}\"")) {
        return Ok(());
    }
    step(&format!("installing Stripe's Node library stripe@{want} (npm ci, once)"));
    // `run` works from the root, so the prefix names the package's directory.
    run(Command::new("npm").args([
        "ci",
        "--no-audit",
        "--no-fund",
        "--prefix",
        "tests/stripe-node",
    ]))
}

/// The version a package-lock.json (v3) pins for the package at `path`.
fn locked_npm_version(lock: &str, path: &str) -> Option<String> {
    let start = lock.find(&format!("\"{path}\": {{"))?;
    let rest = &lock[start..];
    let version = rest.split("\"version\": \"").nth(1)?;
    Some(version.split('"').next()?.to_owned())
}

/// schemathesis on PyPI, pinned; the API contract step of `cargo xtask test` runs it.
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// hypothesis, which generates schemathesis's test cases, pinned too: schemathesis asks
/// only for a range, and a release inside it changes which requests a fixed seed makes.
pub const HYPOTHESIS_VERSION: &str = "6.170.27";

/// The schemathesis command in the project's virtualenv.
pub fn schemathesis_path() -> std::path::PathBuf {
    root().join(".tools/venv/bin/schemathesis")
}

/// schemathesis and hypothesis in `.tools/venv`, installed with pip when missing or at
/// another version.
pub fn schemathesis() -> anyhow::Result<()> {
    let have = output(Command::new(schemathesis_path()).arg("--version"));
    let hypothesis =
        root().join(".tools/venv/lib").read_dir().into_iter().flatten().flatten().any(|python| {
            let dist_info = format!("site-packages/hypothesis-{HYPOTHESIS_VERSION}.dist-info");
            python.path().join(dist_info).is_dir()
        });
    if hypothesis && have.is_some_and(|v| v.trim().ends_with(SCHEMATHESIS_VERSION)) {
        return Ok(());
    }
    step(&format!(
        "installing schemathesis {SCHEMATHESIS_VERSION} and hypothesis {HYPOTHESIS_VERSION} \
         into .tools/venv (pip, once)"
    ));
    let venv = root().join(".tools/venv");
    if !venv.join("bin/pip").exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    run(Command::new(venv.join("bin/pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("schemathesis=={SCHEMATHESIS_VERSION}"),
        &format!("hypothesis=={HYPOTHESIS_VERSION}"),
    ]))
}

/// Where the tests find `axe.min.js` (`KASSA_AXE_JS` for the e2e tests).
pub fn axe_core_path() -> std::path::PathBuf {
    root().join(".tools/axe/node_modules/axe-core/axe.min.js")
}

/// axe-core for the accessibility tests, pinned.
fn axe_core() -> anyhow::Result<()> {
    let package = axe_core_path().with_file_name("package.json");
    let have = std::fs::read_to_string(&package).unwrap_or_default();
    if have.contains(&format!("\"version\": \"{AXE_CORE_VERSION}\"")) {
        return Ok(());
    }
    step(&format!("installing axe-core@{AXE_CORE_VERSION} (npm) for the accessibility tests"));
    // A prefix of its own: an `npm install --no-save` prunes what another one put beside it.
    std::fs::create_dir_all(root().join(".tools/axe"))?;
    run(Command::new("npm").current_dir(root()).args([
        "install",
        "--prefix",
        ".tools/axe",
        "--no-audit",
        "--no-fund",
        "--no-save",
        &format!("axe-core@{AXE_CORE_VERSION}"),
    ]))
}

/// The tools that build the widget.
pub fn widget_tools() -> anyhow::Result<()> {
    wasm_target()?;
    wasm_bindgen()?;
    npm_build_tools()?;
    trunk()
}

/// Trunk, installed with `cargo install --locked` when missing or at another version.
fn trunk() -> anyhow::Result<()> {
    let have = output(Command::new("trunk").arg("--version").env("PATH", crate::run::tool_path()));
    if have.as_deref().is_some_and(|v| v.split_whitespace().nth(1) == Some(TRUNK_VERSION)) {
        return Ok(());
    }
    step(&format!("installing Trunk {TRUNK_VERSION} (cargo install, about 7 minutes, once)"));
    run(cargo().args(["install", "--locked", "trunk", "--version", TRUNK_VERSION]))
}

/// Debian packages, installed only when missing.
pub fn apt() -> anyhow::Result<()> {
    let missing: Vec<&str> = APT_PACKAGES
        .into_iter()
        .filter(|p| {
            output(Command::new("dpkg-query").args(["-W", "-f=${Status}", p]))
                .is_none_or(|s| !s.contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    step(&format!("installing Debian packages: {}", missing.join(" ")));
    let sudo = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() != "0");
    let prefix: Vec<&str> = if sudo { vec!["sudo"] } else { vec![] };
    let apt = |args: &[&str]| {
        let mut all = prefix.clone();
        all.extend_from_slice(args);
        let mut cmd = Command::new(all[0]);
        cmd.args(&all[1..]).env("DEBIAN_FRONTEND", "noninteractive");
        run(&mut cmd)
    };
    apt(&["apt-get", "update", "-q"])?;
    let mut install = vec!["apt-get", "install", "-y", "-q", "--no-install-recommends"];
    install.extend(missing);
    apt(&install)
}

fn wasm_target() -> anyhow::Result<()> {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        return Ok(());
    }
    step("adding the wasm32-unknown-unknown target");
    run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// The `wasm-bindgen` version in Cargo.lock.
pub fn locked_wasm_bindgen() -> anyhow::Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_owned());
            }
        }
    }
    anyhow::bail!("Cargo.lock has no wasm-bindgen package")
}

fn wasm_bindgen() -> anyhow::Result<()> {
    let want = locked_wasm_bindgen()?;
    let have =
        output(Command::new("wasm-bindgen").arg("--version").env("PATH", crate::run::tool_path()));
    if have.as_deref().is_some_and(|v| v.split_whitespace().nth(1) == Some(want.as_str())) {
        return Ok(());
    }
    step(&format!("installing wasm-bindgen-cli {want} (about 2 minutes, once)"));
    // Not --locked: its lockfile pins a crate this registry lacks (docs/toolchain.md, P2).
    run(cargo().args(["install", "wasm-bindgen-cli", "--version", &want]))
}

/// The wasm-opt binary.
pub fn wasm_opt_path() -> std::path::PathBuf {
    root().join(".tools/node_modules/.bin/wasm-opt")
}

/// The esbuild binary.
pub fn esbuild_path() -> std::path::PathBuf {
    root().join(".tools/node_modules/.bin/esbuild")
}

/// wasm-opt (binaryen) and esbuild in `.tools`, in one `npm install`: an `npm install
/// --no-save` prunes what an earlier one put into the same prefix.
fn npm_build_tools() -> anyhow::Result<()> {
    let wasm_opt = output(Command::new(wasm_opt_path()).arg("--version"));
    let major = BINARYEN_VERSION.split('.').next().unwrap_or_default();
    let esbuild = output(Command::new(esbuild_path()).arg("--version"));
    if wasm_opt.is_some_and(|v| v.contains(&format!("version {major}")))
        && esbuild.is_some_and(|v| v.trim() == ESBUILD_VERSION)
    {
        return Ok(());
    }
    step(&format!(
        "installing wasm-opt and esbuild (npm binaryen@{BINARYEN_VERSION} esbuild@{ESBUILD_VERSION})"
    ));
    std::fs::create_dir_all(root().join(".tools"))?;
    run(Command::new("npm").args([
        "install",
        "--prefix",
        ".tools",
        "--no-audit",
        "--no-fund",
        "--no-save",
        &format!("binaryen@{BINARYEN_VERSION}"),
        &format!("esbuild@{ESBUILD_VERSION}"),
    ]))
}

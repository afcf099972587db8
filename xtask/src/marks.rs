//! `cargo xtask marks`: makes the payment marks in `www/marks/` again from their npm packages.
//!
//! The SVG files are committed (the bundle build only copies them), so nobody needs node to
//! build the widget; this command is how they were made and how a new package version is
//! taken: it installs the pinned packages into `.tools/marks` and runs
//! `xtask/marks/render.mjs`, which draws every mark as a 48 × 32 tile. `--check` draws them
//! into a scratch directory instead and fails if any committed file differs, so a hand edit
//! or a silently changed package shows. Sources, licences and the brands' rules are in
//! `docs/brand-marks.md` and `www/marks/LICENSES.md`.

use std::{path::Path, process::Command};

use anyhow::{bail, Context as _};

use crate::run::{root, run, step};

/// The npm packages the marks come from, pinned (name, version).
pub const PACKAGES: [(&str, &str); 5] = [
    // Visa, Mastercard, Apple Pay, Google Pay: gilbarbara/logos as Iconify JSON, CC0-1.0.
    ("@iconify-json/logos", "1.2.19"),
    // Vipps and the generic crypto coin: MIT, React components (so React renders them).
    ("react-pay-icons", "4.0.0"),
    // The generic pictograms (card, invoice, booking page): ISC.
    ("lucide-static", "1.87.0"),
    ("react", "19.3.1"),
    ("react-dom", "19.3.1"),
];

/// Every mark file `render.mjs` writes, by its `kassa_wire::Mark` name.
pub const MARKS: [&str; 9] = [
    "visa",
    "mastercard",
    "vipps",
    "apple_pay",
    "google_pay",
    "card",
    "invoice",
    "crypto",
    "booking_page",
];

/// Options of `cargo xtask marks`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Draw into a scratch directory and fail if a committed mark differs.
    #[arg(long)]
    pub check: bool,
}

/// Installs the packages when missing, then draws the marks (or checks them).
pub fn run_marks(args: &Args) -> anyhow::Result<()> {
    install()?;
    let modules = root().join(".tools/marks/node_modules");
    let committed = root().join("www/marks");
    let out = if args.check { root().join("target/marks-check") } else { committed.clone() };
    step(&format!("drawing the payment marks into {}", out.display()));
    run(Command::new("node").arg(root().join("xtask/marks/render.mjs")).arg(&modules).arg(&out))?;
    if args.check {
        compare(&out, &committed)?;
        eprintln!("the committed marks are exactly what the pinned packages draw");
    }
    Ok(())
}

fn compare(drawn: &Path, committed: &Path) -> anyhow::Result<()> {
    let mut differ = Vec::new();
    for mark in MARKS {
        let file = format!("{mark}.svg");
        let new = std::fs::read(drawn.join(&file)).with_context(|| format!("reading {file}"))?;
        let old = std::fs::read(committed.join(&file)).unwrap_or_default();
        if new != old {
            differ.push(file);
        }
    }
    if !differ.is_empty() {
        bail!(
            "www/marks differs from what the pinned packages draw: {}; run `cargo xtask marks`",
            differ.join(", ")
        );
    }
    Ok(())
}

/// `npm install` of [`PACKAGES`] into `.tools/marks`, only when a version is not there.
fn install() -> anyhow::Result<()> {
    let dir = root().join(".tools/marks");
    let missing = PACKAGES.iter().any(|(name, version)| {
        let manifest = dir.join("node_modules").join(name).join("package.json");
        let text = std::fs::read_to_string(manifest).unwrap_or_default();
        !text.contains(&format!("\"version\": \"{version}\""))
    });
    if !missing {
        return Ok(());
    }
    step("installing the marks' npm packages into .tools/marks (once)");
    std::fs::create_dir_all(&dir)?;
    let specs: Vec<String> = PACKAGES.iter().map(|(n, v)| format!("{n}@{v}")).collect();
    run(Command::new("npm")
        .args(["install", "--prefix", ".tools/marks", "--no-audit", "--no-fund", "--no-save"])
        .args(&specs))
}

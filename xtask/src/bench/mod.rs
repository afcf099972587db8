//! `cargo xtask bench`: Kassa measured beside the widgets people would pick instead, in one
//! run on this machine, written to `docs/bench/report.md` (people) and `report.json` (tools).
//!
//! 1. Size: every byte a customer downloads before the picker works, raw / gzip -9 /
//!    brotli -q 11, beside Adyen's Drop-in, Braintree's Drop-in and Shopify's Buy Button
//!    (npm, pinned, esbuild); where the widget's Wasm bytes go (twiggy).
//! 2. Time to interactive in headless Chromium, cold and warm, beside Adyen's Drop-in on an
//!    equivalent page; click on Pay → redirect; Wasm compile/instantiate alone.
//! 3. The backend (release build) against the simulator with a fixed provider latency, on
//!    SQLite and PostgreSQL, under constant-rate (open-model) load.
//!
//! The machine is shared and noisy: figures are medians and percentiles over many samples,
//! and comparisons are ratios within the same run.

// The measuring modules need tokio, reqwest, axum …, which only the release build
// that `cargo xtask bench` makes has (feature `bench`): the everyday `cargo xtask` stays light.
#[cfg(feature = "bench")]
mod backend;
#[cfg(feature = "bench")]
mod browser;
#[cfg(feature = "bench")]
mod bytes;
#[cfg(feature = "bench")]
mod load;
#[cfg_attr(not(feature = "bench"), allow(dead_code))]
mod npm;
#[cfg(feature = "bench")]
mod pg;
#[cfg(feature = "bench")]
mod proc;
#[cfg(feature = "bench")]
mod report;
#[cfg(feature = "bench")]
mod serve;
#[cfg(feature = "bench")]
mod stack;
#[cfg(feature = "bench")]
mod stats;
#[cfg(feature = "bench")]
mod webdriver;

use std::{process::Command, time::Instant};

use crate::{
    run::{cargo, output, root, run as sh, step, tool_path},
    setup, widget,
};

/// twiggy, pinned.
pub const TWIGGY: &str = "0.8.0";

/// Parts of the bench.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Phase {
    /// Widget size, anchors' sizes, Wasm breakdown.
    Size,
    /// Time to interactive in Chromium.
    Browser,
    /// Backend load.
    Backend,
}

/// Options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Phases to skip (comma-separated: size, browser, backend).
    #[arg(long, value_delimiter = ',')]
    pub skip: Vec<Phase>,
    /// Page loads per series (Kassa/Adyen × cold/warm); at least 20 for the report.
    #[arg(long, default_value_t = 20)]
    pub loads: usize,
    /// Clicks on Pay timed.
    #[arg(long, default_value_t = 10)]
    pub pays: usize,
    /// Seconds of the memory soak on SQLite (the goal is stated for 300; the default keeps
    /// the whole bench within 15 minutes).
    #[arg(long, default_value_t = 60)]
    pub soak_secs: u64,
    /// Session creations per second during the soak (webhooks arrive at the same rate).
    #[arg(long, default_value_t = 100)]
    pub soak_rate: u32,
    /// Seconds each repetition of an arrival-rate step lasts.
    #[arg(long, default_value_t = 3)]
    pub step_secs: u64,
    /// Repetitions of every rate (alternating SQLite and PostgreSQL); the report gives medians.
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
    /// Session-creation arrival rates to step through, per second (stops at the first
    /// rate that is not sustained).
    #[arg(long, value_delimiter = ',', default_value = "100,250,500,750,1000")]
    pub rates: Vec<u32>,
    /// Webhook arrival rates to step through, per second.
    #[arg(long, value_delimiter = ',', default_value = "1000,2000,3000,4000")]
    pub webhook_rates: Vec<u32>,
    /// Latency the simulated provider adds to every API call, ms.
    #[arg(long, default_value_t = 30)]
    pub provider_latency_ms: u64,
    /// Skip the PostgreSQL runs.
    #[arg(long)]
    pub no_postgres: bool,
    /// Use the existing widget bundle and release binaries instead of building them.
    #[arg(long)]
    pub no_build: bool,
    /// Where report.md and report.json go (relative to the repository root).
    #[arg(long, default_value = "docs/bench")]
    pub out: std::path::PathBuf,
    /// Only rewrite report.md from report.json (in `--out`).
    #[arg(long)]
    pub report_only: bool,
    /// Set by the debug build when it hands over to the release build (seconds it spent).
    #[arg(long, hide = true)]
    pub handed_over: Option<f64>,
}

/// Installs twiggy at the pinned version unless it is there.
fn install_twiggy() -> anyhow::Result<()> {
    let have = output(Command::new("twiggy").arg("--version").env("PATH", tool_path()));
    if have.is_some_and(|v| v.split_whitespace().nth(1) == Some(TWIGGY)) {
        return Ok(());
    }
    step(&format!("installing twiggy {TWIGGY} (about a minute, once)"));
    sh(cargo().args(["install", "twiggy", "--locked", "--version", TWIGGY]))
}

/// The release build the measuring runs in.
fn build_release() -> anyhow::Result<()> {
    step("building kassa-server, kassa-sim and the bench (xtask, feature `bench`) with --release");
    sh(cargo().args([
        "build",
        "--release",
        "-p",
        "kassa-server",
        "-p",
        "kassa-sim",
        "-p",
        "xtask",
        "--features",
        "xtask/bench",
    ]))
}

/// Runs the bench and writes the report.
///
/// `cargo xtask` is a light debug build, far too slow to generate thousands of requests a
/// second on two cores, so it installs and builds what is needed (the widget, and release
/// builds of the server, the simulator and xtask with its `bench` feature) and hands the
/// measuring over to `target/release/xtask`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let measures_here = cfg!(feature = "bench") && !cfg!(debug_assertions);
    let release_xtask = root().join("target/release/xtask");
    if args.report_only {
        if measures_here {
            #[cfg(feature = "bench")]
            return measure::report_only(args);
        }
        if !release_xtask.exists() {
            build_release()?;
        }
        return hand_over(&release_xtask, None);
    }
    if args.handed_over.is_none() {
        let wants = |p: Phase| !args.skip.contains(&p);
        step("bench: installing what is missing (Chromium, PostgreSQL, wasm tools, twiggy, npm anchors)");
        setup::apt()?;
        setup::widget_tools()?;
        if wants(Phase::Size) {
            install_twiggy()?;
        }
        if wants(Phase::Size) || wants(Phase::Browser) {
            npm::install()?;
        }
        if !args.no_build {
            widget::build()?;
            build_release()?;
        } else if !measures_here && !release_xtask.exists() {
            build_release()?;
        }
        if !measures_here {
            return hand_over(&release_xtask, Some(t0.elapsed().as_secs_f64()));
        }
    }
    #[cfg(feature = "bench")]
    return measure::run(args, t0);
    #[cfg(not(feature = "bench"))]
    anyhow::bail!("this build of xtask cannot measure; run `cargo xtask bench`")
}

/// Runs `target/release/xtask bench` with the same arguments.
fn hand_over(release_xtask: &std::path::Path, spent: Option<f64>) -> anyhow::Result<()> {
    step("handing over to target/release/xtask (an optimised load generator)");
    let mut cmd = Command::new(release_xtask);
    cmd.arg("bench").args(std::env::args().skip(2));
    if let Some(secs) = spent {
        cmd.arg(format!("--handed-over={secs:.1}"));
    }
    let status = cmd.status()?;
    anyhow::ensure!(status.success(), "the release bench failed: {status}");
    Ok(())
}

#[cfg(feature = "bench")]
mod measure {
    use std::time::Instant;

    use serde_json::{json, Value};

    use super::{backend, browser, bytes, report, stats, Args, Phase};
    use crate::run::{root, step};

    /// Rewrites report.md from report.json.
    pub fn report_only(args: &Args) -> anyhow::Result<()> {
        let dir = root().join(&args.out);
        let results: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("report.json"))?)?;
        report::write(&dir, &results)
    }

    /// Measures everything asked for and writes the report.
    pub fn run(args: &Args, t0: Instant) -> anyhow::Result<()> {
        let wants = |p: Phase| !args.skip.contains(&p);
        let dir = root().join(&args.out);
        let built = t0.elapsed().as_secs_f64() + args.handed_over.unwrap_or(0.0);
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let mut results = json!({});
        let mut timings = json!({"setup_and_build_s": stats::r3(built)});
        let timed = |name: &str,
                     timings: &mut Value,
                     f: &mut dyn FnMut() -> anyhow::Result<Value>|
         -> Value {
            let t = Instant::now();
            let v = f().unwrap_or_else(|e| {
                eprintln!("    {name} failed: {e:#}");
                json!({"error": format!("{e:#}")})
            });
            timings[format!("{name}_s")] = stats::r3(t.elapsed().as_secs_f64());
            v
        };
        if wants(Phase::Size) {
            results["size"] = timed("size", &mut timings, &mut bytes::run_phase);
        }
        if wants(Phase::Browser) {
            results["browser"] =
                timed("browser", &mut timings, &mut || runtime.block_on(browser::run(args)));
        }
        if wants(Phase::Backend) {
            results["backend"] =
                timed("backend", &mut timings, &mut || runtime.block_on(backend::run(args)));
        }
        let total = t0.elapsed().as_secs_f64() + args.handed_over.unwrap_or(0.0);
        timings["total_s"] = stats::r3(total);
        results["meta"] = report::meta(args, timings);
        report::write(&dir, &results)?;
        step(&format!(
            "bench done in {total:.0} s: {0}/report.md, {0}/report.json",
            args.out.display()
        ));
        Ok(())
    }
}

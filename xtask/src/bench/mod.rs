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

mod backend;
mod browser;
mod bytes;
mod load;
mod npm;
mod pg;
mod proc;
mod report;
mod serve;
mod stack;
mod stats;

use std::time::Instant;

use serde_json::{json, Value};

use crate::{
    run::{cargo, root, run as sh, step},
    setup, widget,
};

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
    /// Session creations per second during the soak (webhooks arrive at half that).
    #[arg(long, default_value_t = 200)]
    pub soak_rate: u32,
    /// Seconds each arrival-rate step lasts.
    #[arg(long, default_value_t = 5)]
    pub step_secs: u64,
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
    /// Set by the debug build when it hands over to the release build (seconds it spent).
    #[arg(long, hide = true)]
    pub handed_over: Option<f64>,
}

/// Runs the bench and writes the report.
///
/// `cargo xtask` is a debug build, too slow to generate thousands of requests a second on
/// two cores, so the debug build installs and builds what is needed (including a release
/// build of xtask itself) and hands the measuring over to `target/release/xtask`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let wants = |p: Phase| !args.skip.contains(&p);
    if args.handed_over.is_none() {
        step("bench: installing what is missing (Chromium, PostgreSQL, wasm tools, twiggy, npm anchors)");
        setup::apt()?;
        setup::widget_tools()?;
        if wants(Phase::Size) {
            bytes::install_twiggy()?;
        }
        if wants(Phase::Size) || wants(Phase::Browser) {
            npm::install()?;
        }
        let release_xtask = root().join("target/release/xtask");
        if !args.no_build {
            widget::build()?;
            step("building kassa-server, kassa-sim and the bench's load generator (xtask) with --release");
            sh(cargo().args([
                "build",
                "--release",
                "-p",
                "kassa-server",
                "-p",
                "kassa-sim",
                "-p",
                "xtask",
            ]))?;
        } else if cfg!(debug_assertions) && !release_xtask.exists() {
            sh(cargo().args(["build", "--release", "-p", "xtask"]))?;
        }
        if cfg!(debug_assertions) {
            step("handing over to target/release/xtask (an optimised load generator)");
            let status = std::process::Command::new(&release_xtask)
                .arg("bench")
                .args(std::env::args().skip(2))
                .arg(format!("--handed-over={:.1}", t0.elapsed().as_secs_f64()))
                .status()?;
            anyhow::ensure!(status.success(), "the release bench failed: {status}");
            return Ok(());
        }
    }
    let built = t0.elapsed().as_secs_f64() + args.handed_over.unwrap_or(0.0);

    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let mut results = json!({});
    let mut timings = json!({"setup_and_build_s": stats::r3(built)});
    let timed =
        |name: &str, timings: &mut Value, f: &mut dyn FnMut() -> anyhow::Result<Value>| -> Value {
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
    timings["total_s"] = stats::r3(t0.elapsed().as_secs_f64() + args.handed_over.unwrap_or(0.0));
    results["meta"] = report::meta(args, timings);
    let dir = root().join("docs/bench");
    report::write(&dir, &results)?;
    step(&format!(
        "bench done in {:.0} s: docs/bench/report.md, docs/bench/report.json",
        t0.elapsed().as_secs_f64() + args.handed_over.unwrap_or(0.0)
    ));
    Ok(())
}

//! `cargo xtask fuzz`: every cargo-fuzz target in `fuzz/` for a bounded time
//! (`docs/security.md` R-M2).
//!
//! Needs a nightly toolchain (libFuzzer and the sanitizers use `-Z` flags) and installs
//! `cargo-fuzz` when it is missing. Each target starts from the committed seeds in
//! `fuzz/seeds/<target>` and grows its corpus in `target/fuzz-corpus/<target>`; a crash
//! leaves its input in `fuzz/artifacts/<target>` and fails the command. The same harness
//! bodies run as property tests under `cargo test`, so this is not part of CI; the figures
//! (executions, crashes per target) go to `target/fuzz/report.json`.

use std::process::Command;

use anyhow::{bail, Context as _};

use crate::run::{cargo, output, root, run as sh, step};

/// Options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seconds per target.
    #[arg(long, default_value_t = 60)]
    secs: u64,
    /// Targets to run (default: all of them).
    targets: Vec<String>,
}

/// One target's run.
struct Outcome {
    target: String,
    executions: u64,
    crashed: bool,
}

/// Runs the targets and writes the report.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let toolchains = output(Command::new("rustup").args(["toolchain", "list"])).unwrap_or_default();
    if !toolchains.lines().any(|l| l.starts_with("nightly")) {
        bail!("cargo fuzz needs a nightly toolchain: rustup toolchain install nightly");
    }
    if output(Command::new("cargo").args(["+nightly", "fuzz", "--version"])).is_none() {
        step("installing cargo-fuzz (once)");
        sh(cargo().args(["install", "cargo-fuzz", "--locked"]))?;
    }
    let targets = if args.targets.is_empty() {
        output(Command::new("cargo").args(["+nightly", "fuzz", "list", "--fuzz-dir", "fuzz"]))
            .context("listing the fuzz targets")?
            .lines()
            .map(str::to_owned)
            .collect()
    } else {
        args.targets.clone()
    };
    let mut outcomes = vec![];
    for target in &targets {
        step(&format!("fuzzing {target} for {} s", args.secs));
        let corpus = root().join("target/fuzz-corpus").join(target);
        std::fs::create_dir_all(&corpus)?;
        let mut cmd = Command::new("cargo");
        cmd.current_dir(root())
            .args(["+nightly", "fuzz", "run", "--fuzz-dir", "fuzz", "-O", target])
            .arg(&corpus);
        let seeds = root().join("fuzz/seeds").join(target);
        if seeds.is_dir() {
            cmd.arg(&seeds);
        }
        cmd.args(["--", &format!("-max_total_time={}", args.secs), "-print_final_stats=1"]);
        let out = cmd.output().with_context(|| format!("running cargo fuzz on {target}"))?;
        let log = String::from_utf8_lossy(&out.stderr);
        let executions = log
            .lines()
            .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        let crashed = !out.status.success();
        if crashed {
            eprintln!("{log}");
        }
        println!(
            "{target}: {executions} executions, {}",
            if crashed { "CRASHED" } else { "no crash" }
        );
        outcomes.push(Outcome { target: target.clone(), executions, crashed });
    }
    let report: Vec<String> = outcomes
        .iter()
        .map(|o| {
            format!(
                "  {{\"target\": \"{}\", \"secs\": {}, \"executions\": {}, \"crashed\": {}}}",
                o.target, args.secs, o.executions, o.crashed
            )
        })
        .collect();
    let path = root().join("target/fuzz/report.json");
    std::fs::create_dir_all(root().join("target/fuzz"))?;
    std::fs::write(&path, format!("[\n{}\n]\n", report.join(",\n")))?;
    let total: u64 = outcomes.iter().map(|o| o.executions).sum();
    let crashes = outcomes.iter().filter(|o| o.crashed).count();
    step(&format!(
        "{} targets, {total} executions, {crashes} crashed; report: {}",
        outcomes.len(),
        path.display()
    ));
    if crashes > 0 {
        bail!("{crashes} fuzz target(s) crashed; the inputs are in fuzz/artifacts/");
    }
    Ok(())
}

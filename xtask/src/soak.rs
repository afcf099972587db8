//! `cargo xtask soak`: the crash soak, longer than the bounded run inside `cargo xtask test`.
//!
//! The soak itself is a test of the backend (`crates/server/tests/reliability/soak.rs`): it
//! starts the real `kassa-server` binary against the provider simulator, keeps simulated
//! customers checking out and paying, kills the backend with SIGKILL at random moments,
//! restarts it, and then checks that no order was lost or left unfinished and that every
//! payment reached the store. This command runs that test with a longer load phase and prints
//! its report (`target/tmp/soak-report.json`).

use crate::{
    run::{cargo, root, run as sh, step},
    setup,
};

/// Options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seconds of load (the bounded run in `cargo xtask test` uses 15).
    #[arg(long, default_value_t = 300)]
    secs: u64,
    /// Concurrent customers.
    #[arg(long, default_value_t = 8)]
    customers: u32,
    /// Run on a throwaway PostgreSQL server instead of a SQLite file.
    #[arg(long)]
    postgres: bool,
}

/// Runs the soak and prints its report.
pub fn run(args: &Args) -> anyhow::Result<()> {
    // The merchant's receiver in the soak verifies with the Standard Webhooks library for Node.
    setup::receiver()?;
    step(&format!(
        "crash soak: {} s of load, {} customers, {}",
        args.secs,
        args.customers,
        if args.postgres { "PostgreSQL" } else { "SQLite" }
    ));
    sh(cargo()
        .args([
            "test",
            "-p",
            "kassa-server",
            "--test",
            "reliability",
            "--",
            "soak::",
            "--nocapture",
        ])
        .env("KASSA_SOAK_SECS", args.secs.to_string())
        .env("KASSA_SOAK_CUSTOMERS", args.customers.to_string())
        .env("KASSA_SOAK_DATABASE", if args.postgres { "postgres" } else { "sqlite" }))?;
    let report = root().join("target/tmp/soak-report.json");
    step(&format!("report: {}", report.display()));
    println!("{}", std::fs::read_to_string(&report)?);
    Ok(())
}

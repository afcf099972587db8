//! `cargo xtask`: the project's automation, in Rust so it runs wherever cargo does.
//!
//! - `cargo xtask demo`: installs what is missing, builds, and runs the simulator, the
//!   backend on a SQLite file and the demo booking page; prints the URL.
//! - `cargo xtask test`: installs what is missing and runs every test.
//! - `cargo xtask stripe-node`: Stripe's official Node library against the simulator and
//!   the backend (a step of `test`).
//! - `cargo xtask widget`: builds the widget bundle with Trunk into `dist/kassa/`.
//! - `cargo xtask dist`: writes a self-hostable bundle with SRI hashes and a manifest.
//! - `cargo xtask size`: prints the widget's transfer size (raw, gzip -9, brotli -q 11).
//! - `cargo xtask soak`: kills the backend at random under load for minutes; reports losses.
//! - `cargo xtask fuzz`: runs every cargo-fuzz target for a bounded time (nightly).
//! - `cargo xtask bench`: measures Kassa beside the anchors and writes `docs/bench/report.md`.
//! - `cargo xtask marks`: draws the payment marks in `www/marks/` from their pinned npm packages
//!   (`--check`: fails if the committed files differ).
//!
//! xtask depends on none of the project's crates: it drives them as a user would, through
//! cargo and the binaries they build.

mod bench;
mod demo;
mod dist;
mod fuzz;
mod marks;
mod minify;
mod run;
mod schemathesis;
mod setup;
mod size;
mod soak;
mod split;
mod stripe_node;
mod test;
mod widget;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Kassa project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the demo: simulator, backend (SQLite) and booking page.
    Demo(demo::Args),
    /// Run every test (installs missing tools first).
    Test(test::Args),
    /// Build the widget bundle into dist/kassa (runs `trunk build --release`).
    Widget,
    /// Trunk's post_build hook (Trunk.toml): split, minify and complete its staging folder.
    #[command(hide = true)]
    TrunkPostBuild,
    /// Print the widget's transfer size and check it against the ceiling.
    Size,
    /// Write a self-hostable, versioned bundle with SRI hashes and a manifest into dist/.
    Dist,
    /// Install the tools the build and tests need (idempotent).
    Setup,
    /// Kill the backend at random under load for minutes; report orders lost (goal 0).
    Soak(soak::Args),
    /// Run schemathesis against a live backend and simulator (a step of `test`).
    Contract,
    /// Run Stripe's official Node library against the simulator and backend (a step of `test`).
    StripeNode,
    /// Run every cargo-fuzz target for a bounded time (nightly; not part of `test`).
    Fuzz(fuzz::Args),
    /// Measure size, time to interactive and backend load beside the anchors; writes docs/bench.
    Bench(bench::Args),
    /// Draw the payment marks in www/marks from their pinned npm packages (--check: compare).
    Marks(marks::Args),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Widget => {
            setup::widget_tools()?;
            widget::build()
        }
        Command::TrunkPostBuild => widget::post_build(),
        Command::Size => size::report(true).map(|_| ()),
        Command::Dist => dist::run(),
        Command::Setup => setup::all(),
        Command::Soak(args) => soak::run(&args),
        Command::Contract => schemathesis::run(),
        Command::StripeNode => stripe_node::run(),
        Command::Fuzz(args) => fuzz::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Marks(args) => marks::run_marks(&args),
    }
}

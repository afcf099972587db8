//! `cargo xtask test`: every test, in the order that fails fastest.
//!
//! 1. host tests of every crate (unit, property, API tests against the simulator, the
//!    bounded crash soak), then schemathesis against a live backend (`schemathesis.rs`),
//!    then Stripe's official Node library against the simulator and the backend
//!    (`stripe_node.rs`);
//! 2. the widget's component tests in headless Chromium (wasm-bindgen-test);
//! 3. the release widget build and its size ceiling;
//! 4. browser end-to-end tests (WebDriver) of every way to pay.

use crate::{
    run::{cargo, root, run as sh, step, tool_path},
    schemathesis, setup, size, stripe_node, widget,
};

/// Options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Skip the browser tests (component and end-to-end).
    #[arg(long)]
    no_browser: bool,
}

/// Runs them.
pub fn run(args: &Args) -> anyhow::Result<()> {
    setup::all()?;
    let chromedriver = "/usr/bin/chromedriver";

    step("host tests: cargo test --workspace");
    sh(cargo().args(["test", "--workspace", "--exclude", "kassa-e2e"]).env("PATH", tool_path()))?;
    schemathesis::run()?;
    stripe_node::run()?;

    if args.no_browser {
        return Ok(());
    }
    step("widget component tests in headless Chromium");
    sh(cargo()
        .args(["test", "-p", "kassa", "--target", "wasm32-unknown-unknown"])
        .env("PATH", tool_path())
        .env("CHROMEDRIVER", chromedriver)
        .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", root().join("webdriver.json"))
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120"))?;

    widget::build()?;
    step("widget size");
    size::report(true)?;

    step("browser end-to-end tests");
    sh(cargo()
        .args(["test", "-p", "kassa-e2e", "--", "--test-threads=1"])
        .env("PATH", tool_path())
        .env("CHROMEDRIVER", chromedriver)
        .env("KASSA_WIDGET_DIST", widget::dist_dir()))?;
    Ok(())
}

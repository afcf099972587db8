//! `kassa-sim`: runs every provider simulator until interrupted.
//!
//! Every configuration field is a flag with an environment variable (`--stripe-port` /
//! `KASSA_SIM_STRIPE_PORT`). Once all listeners are bound, one JSON line with each provider's
//! base URL goes to stdout, so a script can start the simulator on port 0 and read where it
//! is. Logs go to stderr; secrets are never logged.

mod cli;

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("kassa_sim=info")),
        )
        .init();
    let config = cli::Cli::parse().into_config()?;
    let sim = kassa_sim::start(config).await?;
    println!("{}", sim.urls_json());
    shutdown_signal().await;
    tracing::info!("shutting down");
    sim.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}

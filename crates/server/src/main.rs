//! `kassa-server --config kassa.toml`: runs the merchant backend until interrupted.
//! `kassa-server --config kassa.toml orders …`: the operator's view of orders and merchant
//! events, straight from the database (see `operator::cli`).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The Kassa reference merchant backend.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The merchant configuration (TOML). Secrets come from KASSA_* environment variables.
    #[arg(long, env = "KASSA_CONFIG", default_value = "kassa.toml", global = true)]
    config: PathBuf,
    /// Without a command: serve.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Orders and merchant-event deliveries, for the operator.
    #[command(subcommand)]
    Orders(kassa_server::operator::cli::OrdersCommand),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(Command::Orders(command)) = args.command {
        let out = kassa_server::operator::cli::run(&args.config, command).await?;
        print!("{out}");
        return Ok(());
    }
    kassa_server::telemetry::init();
    let settings = kassa_server::Settings::load(&args.config)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.config.display()))?;
    let running = kassa_server::spawn(settings).await?;
    tracing::info!(api = %running.api_addr, site = ?running.site_addr, "kassa-server is up");
    println!("kassa-server listening on http://{}", running.api_addr);
    tokio::signal::ctrl_c().await?;
    running.abort();
    Ok(())
}

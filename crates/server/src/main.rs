//! `kassa-server --config kassa.toml`: runs the merchant backend until interrupted.

use std::path::PathBuf;

use clap::Parser;

/// The Kassa reference merchant backend.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The merchant configuration (TOML). Secrets come from KASSA_* environment variables.
    #[arg(long, env = "KASSA_CONFIG", default_value = "kassa.toml")]
    config: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kassa_server::telemetry::init();
    let args = Args::parse();
    let settings = kassa_server::Settings::load(&args.config)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.config.display()))?;
    let running = kassa_server::spawn(settings).await?;
    tracing::info!(api = %running.api_addr, site = ?running.site_addr, "kassa-server is up");
    println!("kassa-server listening on http://{}", running.api_addr);
    tokio::signal::ctrl_c().await?;
    running.abort();
    Ok(())
}

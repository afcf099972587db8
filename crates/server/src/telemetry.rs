//! Structured logs with `tracing`: human-readable by default, JSON with `KASSA_LOG_FORMAT=json`.
//! Filter with `RUST_LOG` (default `info`). Secrets are never fields of any log event.
//! Colours only on a terminal: a log file or journald gets plain text, without escape codes
//! to strip before searching it.

use std::io::IsTerminal as _;

use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber once; later calls do nothing.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("KASSA_LOG_FORMAT").is_ok_and(|v| v == "json");
    let result = if json {
        fmt().with_env_filter(filter).json().with_writer(std::io::stderr).try_init()
    } else {
        fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .try_init()
    };
    let _ = result;
}

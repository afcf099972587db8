//! The merchant's receiver (`receiver.mjs`, on node): every delivery verified by the
//! official Standard Webhooks library for Node, not by our code.

use std::{collections::HashMap, path::PathBuf, process::Stdio, time::Duration};

use serde::Deserialize;
use serde_json::json;
use tokio::{
    io::{AsyncBufReadExt as _, BufReader},
    process::{Child, Command},
};

/// A fixed test secret: `whsec_` + base64 of 32 bytes.
pub const SECRET: &str = "whsec_a2Fzc2Etb3V0Ym94LXRlc3Qtc2VjcmV0LTMyLWJ5dGVzIQ==";

/// One request the receiver saw.
#[derive(Clone, Debug, Deserialize)]
pub struct Attempt {
    /// `webhook-id`.
    pub id: Option<String>,
    /// The library verified it.
    pub verified: bool,
    /// The receiver's mode when it came.
    pub mode: String,
    /// Why it failed verification.
    #[serde(default)]
    pub error: Option<String>,
}

/// An event processed (the first 2xx for its id), in processing order.
#[derive(Clone, Debug, Deserialize)]
pub struct Booked {
    /// Event id.
    pub id: String,
    /// Its order.
    pub order_id: String,
    /// Its order's transition number.
    pub sequence: i64,
    /// Its type.
    pub r#type: String,
    /// When it was processed (ms since the epoch).
    pub at: i64,
}

/// What the receiver saw.
#[derive(Clone, Debug, Deserialize)]
pub struct Log {
    /// Every request.
    pub attempts: Vec<Attempt>,
    /// Event ids processed.
    pub processed: HashMap<String, i64>,
    /// 2xx answers per id.
    pub acked: HashMap<String, u32>,
    /// Events processed, in order.
    pub booked: Vec<Booked>,
}

/// A running receiver.
pub struct Receiver {
    /// Where deliveries go (`…/hook`).
    pub url: String,
    base: String,
    http: reqwest::Client,
    _child: Child,
}

/// The directory of the example receiver, whose `node_modules` has the library.
fn library_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/receiver")
}

impl Receiver {
    /// Starts node on `receiver.mjs`.
    pub async fn start() -> Receiver {
        let dir = library_dir();
        assert!(
            dir.join("node_modules/standardwebhooks/package.json").exists(),
            "the Standard Webhooks library for Node is not installed in {}: run `cargo xtask setup` \
             (npm ci there)",
            dir.display()
        );
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/reliability/support/receiver.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .env("RECEIVER_SECRET", SECRET)
            .env("STANDARDWEBHOOKS_FROM", dir.join("package.json"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node starts (is node installed?)");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the receiver says where it listens")
            .expect("reading the receiver")
            .expect("a line");
        let base = serde_json::from_str::<serde_json::Value>(&first).expect("JSON")["url"]
            .as_str()
            .expect("a url")
            .to_owned();
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Receiver { url: format!("{base}/hook"), base, http: super::app::client(), _child: child }
    }

    /// Sets how it answers from now on.
    pub async fn mode(&self, mode: &str, slow_ms: u64) {
        let res = self
            .http
            .post(format!("{}/__mode", self.base))
            .json(&json!({"mode": mode, "slow_ms": slow_ms}))
            .send()
            .await
            .expect("the receiver answers");
        assert_eq!(res.status(), 204);
    }

    /// What it saw so far.
    pub async fn log(&self) -> Log {
        self.http
            .get(format!("{}/__log", self.base))
            .send()
            .await
            .expect("the receiver answers")
            .json()
            .await
            .expect("its log")
    }

    /// Polls until `done(log)` holds, or panics after `within`.
    pub async fn wait_for(&self, within: Duration, what: &str, done: impl Fn(&Log) -> bool) -> Log {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let log = self.log().await;
            if done(&log) {
                return log;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what}: not within {within:?}; the receiver saw {} attempts, processed {}",
                log.attempts.len(),
                log.processed.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The `[outbox]` and `[operator]` tables for a backend delivering to `url` quickly.
pub fn outbox_toml(url: &str) -> String {
    format!(
        r#"
[outbox]
retry_schedule_ms = [100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000]
jitter_percent = 20
attempt_timeout_ms = 800
poll_interval_ms = 50
breaker_failures = 3
breaker_cooldown_ms = 300

[outbox.endpoints.bookings]
url = "{url}"
secret = "{SECRET}"

[operator]
token = "{OPERATOR_TOKEN}"
"#
    )
}

/// The orders API token of the test backends.
pub const OPERATOR_TOKEN: &str = "op_test_0123456789abcdefghijklmnopqrstuvwxyz";

//! A throwaway PostgreSQL, the way the server's reliability tests start one
//! (`crates/server/tests/reliability/support/pg.rs`): Debian's binaries, a temp directory, a
//! free loopback port, trust auth, run as the `postgres` user when we are root (PostgreSQL
//! refuses root), under a shell watchdog that stops it and deletes the directory when the
//! pipe from this process closes, however the bench ends.
//!
//! Unlike the tests, durability stays on (`fsync`, `synchronous_commit` at their defaults), so
//! the figures are comparable with SQLite at `synchronous = FULL`.

use std::{
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{bail, Context as _};

use super::proc::free_port;
use crate::run::output;

/// Starts postgres; stops it when stdin closes; deletes the directory when it exits.
const WATCHDOG: &str = r#"
exec 3<&0
"$1/postgres" -D "$2/data" -h 127.0.0.1 -p "$3" -k "$2" -c max_connections=200 >"$2/log" 2>&1 &
pid=$!
( read _ <&3; kill -INT $pid 2>/dev/null ) &
wait $pid
status=$?
rm -rf "$2"
exit $status
"#;

/// A running server.
#[derive(Debug)]
pub struct Postgres {
    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub url: String,
    /// The major version (e.g. 15).
    pub version: String,
    watchdog: Option<(Child, ChildStdin)>,
}

/// The newest `/usr/lib/postgresql/*/bin` with a `postgres`.
fn bin_dir() -> anyhow::Result<(PathBuf, String)> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .context("no /usr/lib/postgresql (apt-get install postgresql)")?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    let (v, bin) =
        found.pop().context("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin")?;
    Ok((bin, v.to_string()))
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0")
}

fn user_command(as_root: bool, program: &str) -> Command {
    if as_root {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--", program]);
        cmd
    } else {
        Command::new(program)
    }
}

fn make_dir(as_root: bool) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("kassa-bench-pg-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    if as_root {
        let id = |flag: &str| -> anyhow::Result<u32> {
            output(Command::new("id").args([flag, "postgres"]))
                .and_then(|s| s.trim().parse().ok())
                .context("there is no `postgres` user to run PostgreSQL as")
        };
        std::os::unix::fs::chown(&dir, Some(id("-u")?), Some(id("-g")?))
            .context("handing the directory to postgres")?;
    }
    Ok(dir)
}

impl Postgres {
    /// The watchdog's pid: PostgreSQL's processes are below it.
    pub fn pid(&self) -> Option<u32> {
        self.watchdog.as_ref().map(|(c, _)| c.id())
    }

    /// Creates a cluster and starts it (a few seconds).
    pub fn start() -> anyhow::Result<Postgres> {
        let (bin, version) = bin_dir()?;
        let as_root = is_root();
        let dir = make_dir(as_root)?;
        let out = user_command(as_root, &bin.join("initdb").display().to_string())
            .arg("-D")
            .arg(dir.join("data"))
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C.UTF-8"])
            .output()
            .context("running initdb")?;
        if !out.status.success() {
            bail!("initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let port = free_port()?;
        let mut child = user_command(as_root, "sh")
            .args(["-c", WATCHDOG, "sh"])
            .arg(&bin)
            .arg(&dir)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting postgres")?;
        let stdin = child.stdin.take().context("no stdin pipe")?;
        let mut pg = Postgres {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            version,
            watchdog: Some((child, stdin)),
        };
        pg.wait_listening(port, &dir)?;
        Ok(pg)
    }

    fn wait_listening(&mut self, port: u16, dir: &Path) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                // Accepting connections comes a moment before accepting logins.
                std::thread::sleep(Duration::from_millis(300));
                return Ok(());
            }
            if let Some((child, _)) = self.watchdog.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    bail!(
                        "postgres exited ({status}): {}",
                        std::fs::read_to_string(dir.join("log")).unwrap_or_default()
                    );
                }
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "postgres did not accept connections within 30 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some((mut child, stdin)) = self.watchdog.take() {
            drop(stdin);
            let _ = child.wait();
        }
    }
}

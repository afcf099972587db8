//! A throwaway PostgreSQL server for tests: Debian's binaries, a temporary data directory, a
//! free loopback port, `trust` auth, one fresh database per test.
//!
//! Why not a shared system cluster: tests must not depend on (or damage) whatever runs on the
//! machine, and CI starts from nothing. PostgreSQL refuses to run as root, so when the tests
//! run as root, `initdb` and `postgres` run as the `postgres` user (`runuser`) in a directory
//! that user owns.
//!
//! The server is stopped when its [`PgServer`] is dropped, and also when the test process
//! ends however it ends: it runs under a small shell watchdog that holds the read end of a
//! pipe whose write end only this process has. When the pipe closes (drop, exit, crash), the
//! watchdog stops PostgreSQL and deletes the directory. So the per-binary shared server (a
//! `static` that is never dropped) leaves nothing behind either.

use std::{
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    sync::{
        atomic::{AtomicU32, Ordering},
        Mutex, OnceLock,
    },
    time::{Duration, Instant},
};

use sqlx::Connection as _;

/// A running PostgreSQL server on `127.0.0.1:port`.
#[derive(Debug)]
pub struct PgServer {
    port: u16,
    dir: PathBuf,
    /// The watchdog; its stdin is the pipe whose closing stops the server.
    watchdog: Mutex<Option<(Child, ChildStdin)>>,
}

/// The watchdog: starts postgres, stops it when stdin closes, cleans up when it exits.
const WATCHDOG: &str = r#"
exec 3<&0
"$1/postgres" -D "$2/data" -h 127.0.0.1 -p "$3" -k "$2" \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
  -c max_connections=300 -c shared_buffers=32MB >"$2/log" 2>&1 &
pid=$!
( read _ <&3; kill -INT $pid 2>/dev/null ) &
wait $pid
status=$?
[ -n "$KASSA_PG_KEEP" ] || [ -e "$2/paused" ] || rm -rf "$2"
exit $status
"#;

static SHARED: OnceLock<PgServer> = OnceLock::new();
static DATABASES: AtomicU32 = AtomicU32::new(0);

impl PgServer {
    /// The server this test binary shares, started on first use.
    pub fn shared() -> &'static PgServer {
        SHARED.get_or_init(|| PgServer::start().unwrap_or_else(|e| panic!("{e}")))
    }

    /// Starts a new server (about a second: `initdb`, then start-up).
    pub fn start() -> Result<PgServer, String> {
        let bin = find_bin()?;
        let as_root = is_root();
        let mut last_error = String::new();
        // A port picked from the kernel may be taken again before postgres binds it; try anew.
        for _ in 0..3 {
            let dir = make_dir(as_root)?;
            initdb(&bin, &dir, as_root)?;
            let port = free_port()?;
            match watch(&bin, &dir, port, as_root) {
                Ok(watchdog) => {
                    return Ok(PgServer { port, dir, watchdog: Mutex::new(Some(watchdog)) })
                }
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    /// Stops PostgreSQL as an outage would, keeping its data for [`PgServer::resume`].
    pub fn pause(&self) {
        let _ = std::fs::write(self.dir.join("paused"), "");
        self.stop_watchdog();
    }

    /// Starts PostgreSQL again on the same data and port after [`PgServer::pause`].
    pub fn resume(&self) -> Result<(), String> {
        let _ = std::fs::remove_file(self.dir.join("paused"));
        let watchdog = watch(&find_bin()?, &self.dir, self.port, is_root())?;
        if let Ok(mut guard) = self.watchdog.lock() {
            *guard = Some(watchdog);
        }
        Ok(())
    }

    fn stop_watchdog(&self) {
        if let Ok(mut guard) = self.watchdog.lock() {
            if let Some((mut child, stdin)) = guard.take() {
                drop(stdin);
                let _ = child.wait();
            }
        }
    }

    /// The URL of the `postgres` maintenance database.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Creates an empty database and answers its URL.
    pub async fn fresh_database(&self) -> String {
        let n = DATABASES.fetch_add(1, Ordering::SeqCst);
        let name = format!("kassa_test_{}_{n}", std::process::id());
        sqlx::any::install_default_drivers();
        // Accepting TCP connections comes a moment before accepting logins.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let mut admin = loop {
            match sqlx::AnyConnection::connect(&self.admin_url()).await {
                Ok(conn) => break conn,
                Err(e) if tokio::time::Instant::now() > deadline => {
                    panic!("connecting to postgres: {e}\n{}", self.log())
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("creating a database");
        admin.close().await.ok();
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// The server's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop_watchdog();
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` (Debian's layout), or `KASSA_PG_BIN`.
fn find_bin() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("KASSA_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| missing())?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).ok_or_else(missing)
}

fn missing() -> String {
    "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres); run `cargo xtask setup`, \
     which installs Debian's postgresql package, or set KASSA_PG_BIN"
        .into()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A command run as `postgres` when we are root, else as ourselves.
fn user_command(as_root: bool, program: &str) -> Command {
    if as_root {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--", program]);
        cmd
    } else {
        Command::new(program)
    }
}

fn make_dir(as_root: bool) -> Result<PathBuf, String> {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "kassa-pg-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    if as_root {
        let id = |flag: &str| -> Result<u32, String> {
            let out =
                Command::new("id").args([flag, "postgres"]).output().map_err(|e| e.to_string())?;
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse()
                .map_err(|_| "there is no `postgres` user to run PostgreSQL as".to_owned())
        };
        std::os::unix::fs::chown(&dir, Some(id("-u")?), Some(id("-g")?))
            .map_err(|e| format!("handing {} to postgres: {e}", dir.display()))?;
    }
    Ok(dir)
}

fn initdb(bin: &Path, dir: &Path, as_root: bool) -> Result<(), String> {
    let out = user_command(as_root, &bin.join("initdb").display().to_string())
        .arg("-D")
        .arg(dir.join("data"))
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C.UTF-8"])
        .output()
        .map_err(|e| format!("running initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(())
}

/// Starts postgres on `dir` and `port` under the watchdog, once it accepts connections.
fn watch(bin: &Path, dir: &Path, port: u16, as_root: bool) -> Result<(Child, ChildStdin), String> {
    let mut cmd = user_command(as_root, "sh");
    cmd.args(["-c", WATCHDOG, "sh"]).arg(bin).arg(dir).arg(port.to_string());
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting postgres: {e}"))?;
    let stdin = child.stdin.take().ok_or("no stdin pipe")?;
    match wait_until_listening(&mut child, port, dir) {
        Ok(()) => Ok((child, stdin)),
        Err(e) => {
            drop(stdin);
            let _ = child.wait();
            Err(e)
        }
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// Waits until postgres accepts connections, or its watchdog exits (postgres failed).
fn wait_until_listening(child: &mut Child, port: u16, dir: &Path) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
            return Err(format!("postgres exited ({status}) while starting: {log}"));
        }
        if Instant::now() > deadline {
            return Err("postgres did not accept connections within 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

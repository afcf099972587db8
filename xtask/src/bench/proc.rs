//! Child processes that die with the bench, and what /proc says about them.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::Context as _;

/// A child process, killed (by its own pid) when dropped.
#[derive(Debug)]
pub struct Proc {
    /// What it is, for messages.
    pub name: String,
    child: Child,
}

impl Proc {
    /// Spawns `cmd` with stdout piped (for a ready line) and stderr to `log`.
    pub fn spawn(name: &str, cmd: &mut Command, log: &Path) -> anyhow::Result<Proc> {
        let log =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        Ok(Proc { name: name.to_owned(), child })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Reads the first line the process prints on stdout.
    pub fn first_line(&mut self) -> anyhow::Result<String> {
        use std::io::BufRead as _;
        let out = self.child.stdout.take().context("stdout already taken")?;
        let mut reader = std::io::BufReader::new(out);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        anyhow::ensure!(!line.is_empty(), "{} exited before printing its address", self.name);
        Ok(line.trim().to_owned())
    }

    /// CPU seconds (user + system) used so far.
    pub fn cpu_secs(&self) -> f64 {
        cpu_secs(self.pid()).unwrap_or(f64::NAN)
    }

    /// Resident memory now and at its peak, kB.
    pub fn rss_kb(&self) -> (u64, u64) {
        rss_kb(self.pid()).unwrap_or((0, 0))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Clock ticks per second of /proc/*/stat times.
fn clk_tck() -> f64 {
    static TCK: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TCK.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// Fields of /proc/PID/stat after the parenthesised command name (field 3 onwards).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(stat[stat.rfind(')')? + 2..].split_whitespace().map(str::to_owned).collect())
}

/// utime + stime of `pid` in seconds, plus that of its reaped children.
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let f = stat_fields(pid)?;
    // utime, stime, cutime, cstime are fields 14 to 17.
    let sum: f64 = (11..15).filter_map(|i| f.get(i)?.parse::<f64>().ok()).sum();
    Some(sum / clk_tck())
}

/// `pid` and every process below it.
pub fn tree(pid: u32) -> Vec<u32> {
    let mut parent_of = vec![];
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            if let Some(p) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) {
                if let Some(pp) = stat_fields(p).and_then(|f| f.get(1)?.parse::<u32>().ok()) {
                    parent_of.push((p, pp));
                }
            }
        }
    }
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        let cur = out[i];
        out.extend(parent_of.iter().filter(|(_, pp)| *pp == cur).map(|(p, _)| *p));
        i += 1;
    }
    out
}

/// CPU seconds of a process tree.
pub fn tree_cpu_secs(pid: u32) -> f64 {
    tree(pid).into_iter().filter_map(cpu_secs).sum()
}

/// Seconds the threads of `pid` spent runnable but waiting for a CPU (schedstat).
pub fn runqueue_wait_secs(pid: u32) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return f64::NAN };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .sum::<f64>()
        / 1e9
}

/// CPU seconds of this process.
pub fn self_cpu_secs() -> f64 {
    cpu_secs(std::process::id()).unwrap_or(f64::NAN)
}

/// (VmRSS, VmHWM) of `pid` in kB.
pub fn rss_kb(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        status.lines().find(|l| l.starts_with(name))?.split_whitespace().nth(1)?.parse().ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// A port nothing listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until `url` answers 2xx.
pub async fn wait_http(
    client: &reqwest::Client,
    url: &str,
    within: Duration,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Ok(r) = client.get(url).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "{url} did not answer within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Random bytes from the kernel.
pub fn random(n: usize) -> anyhow::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut buf = vec![0; n];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf)
}

/// Random lowercase hex of `n` bytes.
pub fn random_hex(n: usize) -> anyhow::Result<String> {
    Ok(hex::encode(random(n)?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_own_cpu_and_memory() {
        assert!(super::self_cpu_secs() >= 0.0);
        let (rss, hwm) = super::rss_kb(std::process::id()).unwrap();
        assert!(rss > 0 && hwm >= rss);
    }
}

//! Headless Debian Chromium through Debian's chromedriver, one fresh profile per test.

use std::{process::Stdio, time::Duration};

use anyhow::Context as _;
use thirtyfour::{
    common::capabilities::chromium::ChromiumLikeCapabilities, prelude::*, ChromeCapabilities,
};
use tokio::process::{Child, Command};

/// A browser session and the chromedriver serving it.
#[derive(Debug)]
pub struct Browser {
    /// The WebDriver session.
    pub driver: WebDriver,
    _chromedriver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a session.
    pub async fn start() -> anyhow::Result<Browser> {
        Self::start_with(|_| Ok(())).await
    }

    /// Starts a browser whose customer prefers `languages`, most wanted first (what
    /// `navigator.languages` and `Accept-Language` then say), e.g. `["fr-FR", "sv-SE"]`.
    pub async fn start_with_languages(languages: &[&str]) -> anyhow::Result<Browser> {
        let first = languages.first().copied().unwrap_or("en-US").to_owned();
        let accept = languages.join(",");
        Self::start_with(move |caps| {
            caps.add_arg(&format!("--lang={first}"))?;
            caps.add_experimental_option(
                "prefs",
                serde_json::json!({ "intl": { "accept_languages": accept } }),
            )?;
            Ok(())
        })
        .await
    }

    /// Starts a browser with `adjust` applied to the usual capabilities.
    async fn start_with(
        adjust: impl FnOnce(&mut ChromeCapabilities) -> WebDriverResult<()>,
    ) -> anyhow::Result<Browser> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromedriver = Command::new(&bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {bin} (apt-get install chromium-driver)"))?;
        let url = format!("http://127.0.0.1:{port}");
        wait_for_port(port).await?;
        let profile = tempfile::tempdir()?;
        let mut caps = caps(profile.path())?;
        adjust(&mut caps)?;
        let driver = WebDriver::new(url, caps).await.context("opening a Chromium session")?;
        Ok(Browser { driver, _chromedriver: chromedriver, _profile: profile })
    }

    /// Ends the session.
    pub async fn quit(self) -> anyhow::Result<()> {
        self.driver.quit().await?;
        Ok(())
    }

    /// Starts a browser on the stack's booking page and waits for an interactive picker.
    pub async fn on_booking_page(stack: &crate::Stack) -> anyhow::Result<Browser> {
        let browser = Browser::start().await?;
        browser.driver.goto(stack.booking_page()).await?;
        crate::CheckoutPage::new(&browser.driver).wait_state("picker").await?;
        Ok(browser)
    }

    /// Runs `f` with the session and quits the browser whatever happened.
    pub async fn run<F, Fut>(self, f: F) -> anyhow::Result<()>
    where
        F: FnOnce(WebDriver) -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<()>>,
    {
        let result = f(self.driver.clone()).await;
        self.quit().await?;
        result
    }
}

async fn wait_for_port(port: u16) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "chromedriver did not start listening"
        );
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

fn caps(profile: &std::path::Path) -> anyhow::Result<ChromeCapabilities> {
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary("/usr/bin/chromium")?;
    // Without the background-networking flags Chromium dials out, and this network refuses.
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1000,1000",
    ] {
        caps.add_arg(arg)?;
    }
    caps.add_arg(&format!("--user-data-dir={}", profile.display()))?;
    Ok(caps)
}

//! The few W3C WebDriver commands the browser phase needs, spoken to Debian's chromedriver
//! over plain HTTP with the reqwest the bench already has (no WebDriver crate: it would add a
//! second HTTP stack to the release build, about a minute of compiling).

use serde_json::{json, Value};

/// The W3C key of an element reference in script results.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A browser session.
#[derive(Debug)]
pub struct Session {
    http: reqwest::Client,
    base: String,
}

/// What came back from a script.
#[derive(Debug)]
pub struct ScriptValue(pub Value);

impl ScriptValue {
    /// The result as JSON.
    pub fn json(&self) -> &Value {
        &self.0
    }

    /// The element the script returned.
    pub fn element(&self) -> anyhow::Result<String> {
        self.0[ELEMENT]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("the script returned no element: {}", self.0))
    }
}

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    let mut req = http.request(method, url);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let r = req.send().await?;
    let status = r.status();
    let v: Value = r.json().await?;
    anyhow::ensure!(
        status.is_success(),
        "WebDriver {url}: {} {}",
        v["value"]["error"].as_str().unwrap_or("error"),
        v["value"]["message"].as_str().unwrap_or_default().lines().next().unwrap_or_default()
    );
    Ok(v["value"].clone())
}

impl Session {
    /// Opens a session on the chromedriver at `driver` for the Chromium at `binary`.
    pub async fn new(driver: &str, binary: &str, args: &[String]) -> anyhow::Result<Session> {
        let http =
            reqwest::Client::builder().timeout(std::time::Duration::from_secs(120)).build()?;
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": binary, "args": args},
        }}});
        let v =
            call(&http, reqwest::Method::POST, &format!("{driver}/session"), Some(caps)).await?;
        let id = v["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("no session id from chromedriver"))?;
        Ok(Session { http, base: format!("{driver}/session/{id}") })
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        call(&self.http, reqwest::Method::POST, &format!("{}{path}", self.base), Some(body)).await
    }

    /// Sets the script timeout.
    pub async fn set_script_timeout(&self, d: std::time::Duration) -> anyhow::Result<()> {
        self.post("/timeouts", json!({"script": d.as_millis() as u64})).await.map(|_| ())
    }

    /// Navigates and waits for the load event.
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.post("/url", json!({"url": url})).await.map(|_| ())
    }

    /// Runs a synchronous script.
    pub async fn execute(&self, script: &str) -> anyhow::Result<ScriptValue> {
        self.post("/execute/sync", json!({"script": script, "args": []})).await.map(ScriptValue)
    }

    /// Runs an asynchronous script (its last argument is the callback).
    pub async fn execute_async(&self, script: &str) -> anyhow::Result<ScriptValue> {
        self.post("/execute/async", json!({"script": script, "args": []})).await.map(ScriptValue)
    }

    /// Clicks an element as a user would (real input events).
    pub async fn click(&self, element: &str) -> anyhow::Result<()> {
        self.post(&format!("/element/{element}/click"), json!({})).await.map(|_| ())
    }

    /// Sends a Chrome DevTools Protocol command (chromedriver's extension).
    pub async fn cdp(&self, cmd: &str, params: Value) -> anyhow::Result<Value> {
        self.post("/goog/cdp/execute", json!({"cmd": cmd, "params": params})).await
    }

    /// Ends the session (and the browser).
    pub async fn quit(self) -> anyhow::Result<()> {
        call(&self.http, reqwest::Method::DELETE, &self.base, None).await.map(|_| ())
    }
}

//! Time to interactive in headless Chromium on loopback: the demo booking page with the
//! widget against the release backend, and an equivalent page with Adyen's Drop-in built
//! from npm, loaded alternately, cold (browser cache cleared) and warm; then the time from a
//! click on Pay to the redirect starting, and the Wasm compile/instantiate time alone.
//!
//! Every time is read inside the page (`performance.now()` is relative to navigation start)
//! by a small script in the page's head, so WebDriver's own latency does not count.

use std::{path::Path, process::Stdio, time::Duration};

use anyhow::Context as _;
use serde_json::{json, Value};

use super::{
    npm,
    proc::free_port,
    serve::serve,
    stack::{Stack, StackOptions},
    stats::{median, r3, Dist},
    webdriver::Session,
    Args,
};
use crate::{
    run::{output, root, step},
    widget::dist_dir,
};

const CART: &str = r#"[{"sku":"kayak-2h","quantity":2,"start_date":"2026-12-01","end_date":"2026-12-01"},{"sku":"life-jacket","quantity":2}]"#;

/// Shared by both pages: resolves `window.__benchDone` with timings, records the Pay click
/// and the first navigation (held back when the URL has `?hold`).
const INSTRUMENT_COMMON: &str = r#"
var B = window.__bench = window.__bench || {};
var resolveDone, resolveNav;
window.__benchDone = new Promise(function (r) { resolveDone = r; });
window.__benchNav = new Promise(function (r) { resolveNav = r; });
B.hold = /[?&]hold/.test(location.search);
// Cumulative layout shift (shifts not caused by input), from navigation start.
B.cls = 0;
var addShifts = function (entries) { entries.forEach(function (e) { if (!e.hadRecentInput) B.cls += e.value; }); };
try {
  B.shifts = new PerformanceObserver(function (list) { addShifts(list.getEntries()); });
  B.shifts.observe({ type: 'layout-shift', buffered: true });
} catch (_) { B.cls = null; }
B.collect = function () {
  if (B.shifts) addShifts(B.shifts.takeRecords());
  var nav = performance.getEntriesByType('navigation')[0] || {};
  var marks = {};
  performance.getEntriesByType('mark').forEach(function (m) { marks[m.name] = m.startTime; });
  var res = performance.getEntriesByType('resource').map(function (r) {
    return { name: r.name, type: r.initiatorType, start: r.startTime, end: r.responseEnd,
             transfer: r.transferSize, encoded: r.encodedBodySize, decoded: r.decodedBodySize };
  });
  return { pickerAt: B.pickerAt == null ? null : B.pickerAt, readyAt: B.readyAt == null ? null : B.readyAt,
           firstState: B.firstState || null, error: B.error || B.adyenError || null, items: B.items || 0, cls: B.cls,
           nav: { responseEnd: nav.responseEnd, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd },
           marks: marks, res: res };
};
B.done = function () { resolveDone(B.collect()); };
document.addEventListener('click', function (e) {
  var path = e.composedPath ? e.composedPath() : [];
  for (var i = 0; i < path.length; i++) {
    if (path[i].getAttribute && path[i].getAttribute('data-testid') === 'kassa-pay') { B.clickAt = performance.now(); break; }
  }
}, true);
if (window.navigation) navigation.addEventListener('navigate', function (e) {
  if (B.navAt == null) {
    B.navAt = performance.now();
    var s = performance.getEntriesByType('resource').filter(function (r) { return /\/v1\/checkout\/sessions$/.test(r.name); });
    resolveNav({ clickAt: B.clickAt == null ? null : B.clickAt, navAt: B.navAt, url: e.destination.url, cancelable: e.cancelable,
                 sessionStart: s.length ? s[0].startTime : null, sessionEnd: s.length ? s[0].responseEnd : null });
  }
  if (B.hold && e.cancelable) e.preventDefault();
});
"#;

/// The widget's page: watches the shadow root from the moment it is attached.
const INSTRUMENT_KASSA: &str = r#"
var attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {
  var root = attach.call(this, init);
  if (this.localName === 'kassa-checkout' && !B.watching) {
    B.watching = true;
    var check = function () {
      if (B.pickerAt != null) return;
      var el = root.querySelector('[data-state]');
      if (!el) return;
      var s = el.getAttribute('data-state');
      if (!B.firstState) B.firstState = s;
      if (s === 'picker') {
        B.pickerAt = performance.now();
        B.items = root.querySelectorAll('input[type=radio]').length;
        mo.disconnect();
        var css = function () { return performance.getEntriesByType('resource').some(function (r) { return /\/kassa\.css$/.test(r.name); }); };
        if (css()) return B.done();
        var po = new PerformanceObserver(function () { if (css()) { po.disconnect(); B.done(); } });
        po.observe({ type: 'resource' });
        setTimeout(B.done, 5000);
      } else if (s === 'error') {
        B.error = (root.textContent || '').slice(0, 200);
        mo.disconnect();
        B.done();
      }
    };
    var mo = new MutationObserver(check);
    mo.observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
  }
  return root;
};
"#;

/// Adyen's page: the payment-method list appearing in the light DOM.
const INSTRUMENT_ADYEN: &str = r#"
new MutationObserver(function (list, mo) {
  if (B.pickerAt != null) return;
  var items = document.querySelectorAll('.adyen-checkout__payment-method');
  if (items.length) { B.pickerAt = performance.now(); B.items = items.length; mo.disconnect(); B.done(); }
}).observe(document, { subtree: true, childList: true });
"#;

/// Compile and instantiate the widget's Wasm from bytes already in memory, many times.
const WASM_PAGE: &str = r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>wasm</title>
<script type="module">
let resolve; window.__benchDone = new Promise(r => { resolve = r; });
import * as glue from './kassa/kassa_widget.js';
const out = { compile: [], instantiate: [], errors: [] };
try {
  const bytes = await (await fetch('kassa/kassa_widget_bg.wasm')).arrayBuffer();
  out.bytes = bytes.byteLength;
  let module;
  for (let i = 0; i < 25; i++) {
    const t0 = performance.now(); module = await WebAssembly.compile(bytes); out.compile.push(performance.now() - t0);
  }
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    (imports[imp.module] = imports[imp.module] || {})[imp.name] = function () {};
  }
  try {
    for (let i = 0; i < 25; i++) {
      const t0 = performance.now(); await WebAssembly.instantiate(module, imports); out.instantiate.push(performance.now() - t0);
    }
  } catch (e) { out.errors.push('instantiate with stub imports: ' + e); }
  const t0 = performance.now(); glue.initSync({ module }); out.initSync = performance.now() - t0;
} catch (e) { out.errors.push(String(e)); }
resolve(out);
</script></head><body></body></html>"#;

fn page(title: &str, head: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n{head}\n</head>\n<body>\n\
         <header class=\"site-header\"><p class=\"brand\">Fjord Kayak Tours</p><nav aria-label=\"Site\"><a href=\"#tour\">Tours</a> · <a href=\"#book\">Book</a></nav></header>\n\
         <main>\n<section id=\"tour\" class=\"tour\"><h1>Two-hour kayak tour on the Oslofjord</h1>\
         <p>Paddle past the islands with a guide, 1 December 2026 at 10:00. For two people, with life-jackets.</p></section>\n\
         <section id=\"book\" class=\"checkout\" aria-labelledby=\"book-heading\"><h2 id=\"book-heading\">Pay for your booking</h2>\n{body}\n</section>\n\
         <p class=\"after-checkout\">Questions? Call us on +47 22 00 00 00. (Content below the checkout: it moves if the checkout changes height, which the layout shift counts.)</p>\n</main>\n</body>\n</html>\n"
    )
}

/// Writes the bench site: `kassa.html`, `adyen.html`, `wasm.html`, the widget and Adyen's bundle.
fn write_site(dir: &Path, api: &str) -> anyhow::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    std::fs::copy(root().join("www/demo/demo.css"), dir.join("demo.css"))
        .context("copying www/demo/demo.css")?;
    copy_dir(&dist_dir(), &dir.join("kassa"))?;
    npm::build_adyen_page(&dir.join("adyen"))?;
    let kassa = page(
        "Book a kayak tour · Kassa",
        &format!(
            "<script>(function(){{{INSTRUMENT_COMMON}{INSTRUMENT_KASSA}}})();</script>\n<link rel=\"stylesheet\" href=\"demo.css\">\n\
             <script src=\"kassa/kassa.js\" data-endpoint=\"{api}\" async></script>"
        ),
        &format!("<kassa-checkout items='{CART}'></kassa-checkout>"),
    );
    let adyen = page(
        "Book a kayak tour · Adyen",
        &format!(
            "<script>(function(){{{INSTRUMENT_COMMON}{INSTRUMENT_ADYEN}}})();</script>\n<link rel=\"stylesheet\" href=\"demo.css\">\n\
             <link rel=\"stylesheet\" href=\"adyen/page.css\">\n<script type=\"module\" src=\"adyen/page.js\" async></script>"
        ),
        "<div id=\"dropin\"></div>",
    );
    std::fs::write(dir.join("kassa.html"), kassa)?;
    std::fs::write(dir.join("adyen.html"), adyen)?;
    std::fs::write(dir.join("wasm.html"), WASM_PAGE)?;
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Chromium through chromedriver; both end when dropped or quit.
struct Browser {
    driver: Session,
    _chromedriver: tokio::process::Child,
    _profile: std::path::PathBuf,
}

async fn start_browser() -> anyhow::Result<Browser> {
    let port = free_port()?;
    let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let chromedriver = tokio::process::Command::new(&bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {bin}"))?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let profile = root().join("target/bench/run/chromium-profile");
    let _ = std::fs::remove_dir_all(&profile);
    let mut args: Vec<String> = [
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
        // No network beyond loopback: any other host fails at once instead of timing out.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    let driver = Session::new(&format!("http://127.0.0.1:{port}"), "/usr/bin/chromium", &args)
        .await
        .context("opening a Chromium session")?;
    driver.set_script_timeout(Duration::from_secs(40)).await?;
    Ok(Browser { driver, _chromedriver: chromedriver, _profile: profile })
}

const WAIT_DONE: &str = r#"
var done = arguments[arguments.length - 1];
var t = setTimeout(function () { done({ timeout: true, partial: window.__bench && window.__bench.collect ? window.__bench.collect() : null }); }, 30000);
(window.__benchDone || Promise.resolve({ error: 'no instrumentation on this page' })).then(function (r) { clearTimeout(t); done(r); });
"#;

/// The layout shift 500 ms after interactive (late shifts: images, fonts, a late resize).
const WAIT_SETTLED: &str = r#"
var done = arguments[arguments.length - 1];
setTimeout(function () { done(window.__bench && window.__bench.collect ? window.__bench.collect().cls : null); }, 500);
"#;

const WAIT_NAV: &str = r#"
var done = arguments[arguments.length - 1];
var t = setTimeout(function () { done({ timeout: true }); }, 30000);
window.__benchNav.then(function (r) { clearTimeout(t); done(r); });
"#;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Kassa,
    Adyen,
}

/// Loads of Adyen's page with Google Pay and Apple Pay left in the response.
const WALLET_LOADS: usize = 3;

/// One page load, waited until the picker is interactive.
async fn load(driver: &Session, url: &str, cold: bool) -> anyhow::Result<Value> {
    driver.goto("about:blank").await?;
    if cold {
        driver.cdp("Network.clearBrowserCache", json!({})).await?;
    }
    driver.goto(url).await?;
    let mut r = driver.execute_async(WAIT_DONE).await?.json().clone();
    if r.is_object() {
        r["clsSettled"] = driver.execute_async(WAIT_SETTLED).await?.json().clone();
    }
    Ok(r)
}

fn resource<'a>(r: &'a Value, suffix: &str) -> Option<&'a Value> {
    r["res"].as_array()?.iter().find(|e| {
        e["name"].as_str().is_some_and(|n| n.split('?').next().unwrap_or(n).ends_with(suffix))
    })
}

/// The time to interactive of one load, ms after navigation start.
fn tti(variant: Variant, r: &Value) -> Option<f64> {
    let picker = r["pickerAt"].as_f64()?;
    Some(match variant {
        Variant::Kassa => {
            picker.max(resource(r, "/kassa.css").and_then(|c| c["end"].as_f64()).unwrap_or(0.0))
        }
        Variant::Adyen => picker,
    })
}

/// Whether every file of the widget (or Adyen's bundle) came over the network (cold) or
/// from the cache (warm).
fn from_cache(variant: Variant, r: &Value) -> Option<bool> {
    let dir = match variant {
        Variant::Kassa => "/kassa/",
        Variant::Adyen => "/adyen/",
    };
    let files: Vec<&Value> = r["res"]
        .as_array()?
        .iter()
        .filter(|e| e["name"].as_str().is_some_and(|n| n.contains(dir)))
        .collect();
    if files.is_empty() {
        return None;
    }
    Some(files.iter().all(|e| e["transfer"].as_f64() == Some(0.0)))
}

struct Series {
    variant: Variant,
    cold: bool,
    loads: Vec<Value>,
}

impl Series {
    fn ttis(&self) -> Vec<f64> {
        self.loads.iter().filter_map(|r| tti(self.variant, r)).collect()
    }

    fn mark_delta(&self, from: &str, to: &str) -> Vec<f64> {
        self.loads
            .iter()
            .filter_map(|r| Some(r["marks"][to].as_f64()? - r["marks"][from].as_f64()?))
            .collect()
    }

    fn json(&self) -> Value {
        let ttis = self.ttis();
        let failed: Vec<&Value> =
            self.loads.iter().filter(|r| tti(self.variant, r).is_none()).collect();
        let cache: Vec<bool> =
            self.loads.iter().filter_map(|r| from_cache(self.variant, r)).collect();
        let mut v = json!({
            "loads": self.loads.len(),
            "interactive": ttis.len(),
            "tti": Dist::of(&ttis).json(),
            "tti_samples_ms": ttis.iter().map(|x| r3(*x)).collect::<Vec<_>>(),
            "bundle_from_cache": {"yes": cache.iter().filter(|c| **c).count(), "no": cache.iter().filter(|c| !**c).count()},
            "picker_items": self.loads.first().map(|r| r["items"].clone()),
            "failures": failed.iter().take(3).map(|r| json!({"error": r["error"], "timeout": r["timeout"], "firstState": r["firstState"]})).collect::<Vec<_>>(),
            "dom_content_loaded": Dist::of(&self.loads.iter().filter_map(|r| r["nav"]["dcl"].as_f64()).collect::<Vec<_>>()).json(),
            "cls_at_interactive": Dist::of(&self.loads.iter().filter_map(|r| r["cls"].as_f64()).collect::<Vec<_>>()).json(),
            "cls_settled": Dist::of(&self.loads.iter().filter_map(|r| r["clsSettled"].as_f64()).collect::<Vec<_>>()).json(),
            "cls_settled_max": self.loads.iter().filter_map(|r| r["clsSettled"].as_f64()).fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x)))),
        });
        if self.variant == Variant::Kassa {
            let at = |f: &dyn Fn(&Value) -> Option<f64>| {
                Dist::of(&self.loads.iter().filter_map(f).collect::<Vec<_>>()).json()
            };
            let mark = |name: &'static str| move |r: &Value| r["marks"][name].as_f64();
            let end = |suffix: &'static str| move |r: &Value| resource(r, suffix)?["end"].as_f64();
            let begin =
                |suffix: &'static str| move |r: &Value| resource(r, suffix)?["start"].as_f64();
            v["timeline"] = json!([
                {"label": "`kassa.js` loaded", "at": at(&end("/kassa.js"))},
                {"label": "glue import starts (mark `kassa:import`)", "at": at(&mark("kassa:import"))},
                {"label": "`kassa_widget.js` loaded", "at": at(&end("/kassa_widget.js"))},
                {"label": "Wasm request starts", "at": at(&begin("/kassa_widget_bg.wasm"))},
                {"label": "Wasm last byte", "at": at(&end("/kassa_widget_bg.wasm"))},
                {"label": "Wasm instantiated (mark `kassa:wasm-ready`)", "at": at(&mark("kassa:wasm-ready"))},
                {"label": "element defined, widget mounted (mark `kassa:started`)", "at": at(&mark("kassa:started"))},
                {"label": "config request starts", "at": at(&begin("/v1/checkout/config"))},
                {"label": "quote response ends", "at": at(&end("/v1/checkout/quote"))},
                {"label": "`data-state=picker`", "at": at(&|r: &Value| r["pickerAt"].as_f64())},
                {"label": "`kassa.css` loaded", "at": at(&end("/kassa.css"))},
            ]);
            let tail: Vec<f64> = self
                .loads
                .iter()
                .filter_map(|r| {
                    Some(
                        r["marks"]["kassa:wasm-ready"].as_f64()?
                            - resource(r, "/kassa_widget_bg.wasm")?["end"].as_f64()?,
                    )
                })
                .collect();
            let fetches: Vec<f64> = self
                .loads
                .iter()
                .filter_map(|r| {
                    Some(
                        resource(r, "/v1/checkout/quote")?["end"].as_f64()?
                            - resource(r, "/v1/checkout/config")?["start"].as_f64()?,
                    )
                })
                .collect();
            let render: Vec<f64> = self
                .loads
                .iter()
                .filter_map(|r| {
                    Some(
                        r["pickerAt"].as_f64()?
                            - resource(r, "/v1/checkout/quote")?["end"].as_f64()?,
                    )
                })
                .collect();
            v["durations"] = json!({
                "quote_end_to_picker": Dist::of(&render).json(),
                "glue_import": Dist::of(&self.mark_delta("kassa:import", "kassa:wasm-init")).json(),
                "wasm_fetch_compile_instantiate": Dist::of(&self.mark_delta("kassa:wasm-init", "kassa:wasm-ready")).json(),
                "wasm_after_last_byte": Dist::of(&tail).json(),
                "start_and_mount": Dist::of(&self.mark_delta("kassa:wasm-ready", "kassa:started")).json(),
                "config_start_to_quote_end": Dist::of(&fetches).json(),
            });
            if let Some(first) = self.loads.iter().find(|r| tti(self.variant, r).is_some()) {
                let names: Vec<Value> = first["res"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter(|e| e["start"].as_f64() <= first["pickerAt"].as_f64())
                            .map(|e| json!({"url": e["name"], "bytes": e["decoded"]}))
                            .collect()
                    })
                    .unwrap_or_default();
                v["fetched_before_picker"] = json!(names);
            }
        } else {
            v["adyen_on_ready"] = Dist::of(
                &self.loads.iter().filter_map(|r| r["readyAt"].as_f64()).collect::<Vec<_>>(),
            )
            .json();
            v["adyen_error"] = self
                .loads
                .iter()
                .find_map(|r| r["error"].as_str().map(str::to_owned))
                .map_or(Value::Null, Value::from);
        }
        v
    }
}

/// A network link as Chromium emulates it (DevTools' `Network.emulateNetworkConditions`):
/// every request waits `rtt_ms` before its answer starts, and bytes flow at most this fast.
struct Link {
    rtt_ms: f64,
    down_bytes_per_s: f64,
    up_bytes_per_s: f64,
}

/// A good mobile or a modest home connection: 40 ms round trip, 10 Mbit/s down, 5 up.
const LINK: Link = Link { rtt_ms: 40.0, down_bytes_per_s: 1_250_000.0, up_bytes_per_s: 625_000.0 };

impl Link {
    /// No emulation (DevTools' "no throttling").
    const NONE: Link = Link { rtt_ms: 0.0, down_bytes_per_s: -1.0, up_bytes_per_s: -1.0 };

    fn conditions(&self) -> Value {
        json!({
            "offline": false,
            "latency": self.rtt_ms,
            "downloadThroughput": self.down_bytes_per_s,
            "uploadThroughput": self.up_bytes_per_s,
        })
    }

    fn describe(&self) -> String {
        format!(
            "{} ms round trip, {} Mbit/s down, {} Mbit/s up",
            self.rtt_ms,
            self.down_bytes_per_s * 8.0 / 1e6,
            self.up_bytes_per_s * 8.0 / 1e6
        )
    }
}

/// The browser phase.
pub async fn run(args: &Args) -> anyhow::Result<Value> {
    step("time to interactive: headless Chromium on loopback (Kassa and Adyen's Drop-in, alternately)");
    let client = super::backend::client()?;
    let site = root().join("target/bench/site");
    std::fs::create_dir_all(&site)?;
    let origin = serve(site.clone()).await?;
    let db = root().join("target/bench/run/kassa-browser.db");
    let _ = std::fs::remove_file(&db);
    let stack = Stack::start(
        &StackOptions {
            name: "browser".into(),
            database_url: format!("sqlite://{}", db.display()),
            site_origin: origin.clone(),
        },
        &client,
    )
    .await?;
    write_site(&site, &stack.api)?;
    let Browser { driver, _chromedriver, _profile } = start_browser().await?;
    let result = measure(&driver, &origin, args).await;
    let _ = driver.quit().await;
    drop(_chromedriver);
    drop(stack);
    let mut v = result?;
    v["chromium"] = json!(output(std::process::Command::new("/usr/bin/chromium").arg("--version"))
        .map(|s| s.trim().to_owned()));
    Ok(v)
}

async fn measure(driver: &Session, origin: &str, args: &Args) -> anyhow::Result<Value> {
    let kassa = format!("{origin}/kassa.html");
    let adyen = format!("{origin}/adyen.html");
    let url = |v: Variant| if v == Variant::Kassa { kassa.as_str() } else { adyen.as_str() };
    // One throwaway load of each, so the first measured load is not also Chromium's first.
    for v in [Variant::Kassa, Variant::Adyen] {
        load(driver, url(v), true).await?;
    }
    let mut series = vec![];
    for cold in [true, false] {
        let mut k = Series { variant: Variant::Kassa, cold, loads: vec![] };
        let mut a = Series { variant: Variant::Adyen, cold, loads: vec![] };
        if !cold {
            // Prime the cache.
            load(driver, &kassa, false).await?;
            load(driver, &adyen, false).await?;
        }
        for i in 0..args.loads {
            k.loads.push(load(driver, &kassa, cold).await?);
            a.loads.push(load(driver, &adyen, cold).await?);
            if (i + 1) % 5 == 0 {
                eprintln!(
                    "    {} cache: {} loads each, median so far Kassa {:.1} ms, Adyen {:.1} ms",
                    if cold { "cold" } else { "warm" },
                    i + 1,
                    median(&k.ttis()),
                    median(&a.ttis())
                );
            }
        }
        series.push(k);
        series.push(a);
    }
    // The same cold loads over an emulated link: on loopback every byte arrives at once, so
    // the figures above are all main-thread work; over a real link the bytes and the round
    // trips count too, and work done while they travel is free.
    driver.cdp("Network.enable", json!({})).await?;
    driver.cdp("Network.emulateNetworkConditions", LINK.conditions()).await?;
    let mut over_link = [Variant::Kassa, Variant::Adyen].map(|variant| Series {
        variant,
        cold: true,
        loads: vec![],
    });
    for _ in 0..args.loads {
        for s in &mut over_link {
            s.loads.push(load(driver, url(s.variant), true).await?);
        }
    }
    driver.cdp("Network.emulateNetworkConditions", Link::NONE.conditions()).await?;
    let [k_link, a_link] = &over_link;
    eprintln!(
        "    over an emulated link ({}): cold Kassa {:.1} ms / Adyen {:.1} ms",
        LINK.describe(),
        median(&k_link.ttis()),
        median(&a_link.ttis())
    );
    let get = |v: Variant, cold: bool| series.iter().find(|s| s.variant == v && s.cold == cold);
    let ratio = |cold: bool| -> Value {
        match (get(Variant::Kassa, cold), get(Variant::Adyen, cold)) {
            (Some(k), Some(a)) => r3(median(&k.ttis()) / median(&a.ttis())),
            _ => Value::Null,
        }
    };
    let mut out = json!({
        "loads_per_series": args.loads,
        "definition": {
            "kassa": "navigation start → the widget's data-state is \"picker\" (config and quote fetched, methods rendered) and kassa.css loaded",
            "adyen": "navigation start → Drop-in's payment-method list is in the DOM (rendered from a local paymentMethodsResponse with Card and PayPal; Google Pay and Apple Pay are in the bundle but left out of the response, because offline their availability checks retry their SDK downloads for ~2 s and then hide them anyway)",
            "cold": "Network.clearBrowserCache before each load (connections may stay open)",
            "warm": "HTTP cache primed; assets served with Cache-Control: max-age=3600, HTML no-store",
        },
        "kassa_cold": get(Variant::Kassa, true).map(Series::json),
        "adyen_cold": get(Variant::Adyen, true).map(Series::json),
        "kassa_warm": get(Variant::Kassa, false).map(Series::json),
        "adyen_warm": get(Variant::Adyen, false).map(Series::json),
        "ratio_kassa_over_adyen_cold": ratio(true),
        "ratio_kassa_over_adyen_warm": ratio(false),
        "link": LINK.describe(),
        "kassa_cold_link": k_link.json(),
        "adyen_cold_link": a_link.json(),
        "ratio_kassa_over_adyen_cold_link": r3(median(&k_link.ttis()) / median(&a_link.ttis())),
    });
    eprintln!(
        "    medians: cold Kassa {:.1} ms / Adyen {:.1} ms; warm Kassa {:.1} ms / Adyen {:.1} ms",
        get(Variant::Kassa, true).map_or(f64::NAN, |s| median(&s.ttis())),
        get(Variant::Adyen, true).map_or(f64::NAN, |s| median(&s.ttis())),
        get(Variant::Kassa, false).map_or(f64::NAN, |s| median(&s.ttis())),
        get(Variant::Adyen, false).map_or(f64::NAN, |s| median(&s.ttis())),
    );
    eprintln!("    Adyen with Google Pay and Apple Pay in the response, {WALLET_LOADS} warm loads");
    let mut w = Series { variant: Variant::Adyen, cold: false, loads: vec![] };
    for _ in 0..WALLET_LOADS {
        w.loads.push(load(driver, &format!("{adyen}?wallets"), false).await?);
    }
    out["adyen_warm_with_wallets"] = w.json();
    out["pay_to_redirect"] =
        pay(driver, &kassa, args.pays).await.unwrap_or_else(|e| json!({"error": format!("{e:#}")}));
    out["wasm_alone"] =
        wasm_alone(driver, origin).await.unwrap_or_else(|e| json!({"error": format!("{e:#}")}));
    Ok(out)
}

/// Picks "Card (Stripe)" (a redirect method) and clicks Pay; the page's `navigate` listener
/// records when the redirect starts and holds it back, so the loop stays on our page.
async fn pay(driver: &Session, kassa: &str, n: usize) -> anyhow::Result<Value> {
    eprintln!("    click on Pay → redirect starting, {n} times");
    let mut to_nav = vec![];
    let mut to_response = vec![];
    let mut server = vec![];
    let mut last = Value::Null;
    for _ in 0..n {
        let r = load(driver, &format!("{kassa}?hold"), false).await?;
        anyhow::ensure!(
            r["pickerAt"].as_f64().is_some(),
            "the widget did not become interactive: {r}"
        );
        let find = |sel: &str| {
            format!("return document.querySelector('kassa-checkout').shadowRoot.querySelector('[data-testid=\"{sel}\"]');")
        };
        let radio = driver.execute(&find("kassa-method-stripe-hosted")).await?.element()?;
        driver.click(&radio).await?;
        let button = driver.execute(&find("kassa-pay")).await?.element()?;
        driver.click(&button).await?;
        let nav = driver.execute_async(WAIT_NAV).await?.json().clone();
        if let (Some(c), Some(n)) = (nav["clickAt"].as_f64(), nav["navAt"].as_f64()) {
            to_nav.push(n - c);
            if let Some(e) = nav["sessionEnd"].as_f64() {
                to_response.push(e - c);
                if let Some(s) = nav["sessionStart"].as_f64() {
                    server.push(e - s);
                }
            }
        }
        last = nav;
    }
    Ok(json!({
        "method": "Card (Stripe), presentation redirect; the simulator answers without added latency",
        "clicks": n,
        "click_to_redirect": Dist::of(&to_nav).json(),
        "click_to_session_response": Dist::of(&to_response).json(),
        "session_request": Dist::of(&server).json(),
        "last": last,
    }))
}

async fn wasm_alone(driver: &Session, origin: &str) -> anyhow::Result<Value> {
    eprintln!(
        "    Wasm compile and instantiate from bytes in memory (25 times each, 3 page loads)"
    );
    let mut compile = vec![];
    let mut instantiate = vec![];
    let mut init_sync = vec![];
    let mut errors = vec![];
    let mut bytes = Value::Null;
    for _ in 0..3 {
        let r = load(driver, &format!("{origin}/wasm.html"), false).await?;
        compile.extend(r["compile"].as_array().into_iter().flatten().filter_map(Value::as_f64));
        instantiate
            .extend(r["instantiate"].as_array().into_iter().flatten().filter_map(Value::as_f64));
        init_sync.extend(r["initSync"].as_f64());
        errors.extend(r["errors"].as_array().into_iter().flatten().cloned());
        bytes = r["bytes"].clone();
    }
    Ok(json!({
        "wasm_bytes": bytes,
        "compile": Dist::of(&compile).json(),
        "instantiate_stub_imports": Dist::of(&instantiate).json(),
        "init_sync_real_imports": Dist::of(&init_sync).json(),
        "errors": errors,
    }))
}

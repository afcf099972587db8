//! The widget on pages it does not control: a hostile stylesheet, a strict Content-Security-
//! Policy, several widgets on one page, a single-page app that mounts and unmounts it 200
//! times, a cart that changes. Also writes the README's screenshots (two themes, two
//! languages) to docs/screenshots/.

use std::path::Path;

use anyhow::{bail, ensure};
use kassa_e2e::{
    csp::{self, Origins, Presentation, StripeHosts},
    page::{hold, release, same_document, tag_document, ProviderPage},
    Browser, CheckoutPage, Stack, StackOptions,
};
use serde_json::{json, Value};
use thirtyfour::WebDriver;

const ITEMS: &str = r#"[{"sku":"kayak-2h","quantity":2,"start_date":"2026-12-01","end_date":"2026-12-01"},{"sku":"life-jacket","quantity":2,"start_date":"2026-12-01","end_date":"2026-12-01"}]"#;

/// Every element of the widget with the styles that show: what a hostile page could change.
const COMPUTED: &str = r#"
const root = document.querySelector(arguments[0]).shadowRoot;
const props = ['color','background-color','font-family','font-size','font-style','font-weight','line-height',
  'letter-spacing','word-spacing','text-transform','text-align','padding-top','padding-left','margin-top',
  'margin-left','border-top-width','border-top-style','border-top-color','border-radius','display','width',
  'height','box-sizing','visibility','direction'];
return Array.from(root.querySelectorAll('.kassa, .kassa *')).map(e => {
  const cs = getComputedStyle(e);
  return e.localName + '.' + e.className + ' ' + props.map(p => p + ':' + cs.getPropertyValue(p)).join(';');
});
"#;

const HOSTILE_CSS: &str = r#"
html { font-size: 40px !important; }
* { color: red !important; font-family: "Comic Sans MS", cursive !important; line-height: 3 !important;
    letter-spacing: 2px !important; word-spacing: 9px !important; text-transform: uppercase !important;
    font-style: italic !important; font-weight: 900 !important; text-align: right !important;
    box-sizing: content-box !important; visibility: visible !important; }
body { font: italic 30px/4 serif !important; margin: 40px !important; }
div, section, p, h2, ul, li, button, input, label, fieldset, legend, span, dl, dt, dd {
    background: yellow !important; padding: 40px !important; margin: 40px !important;
    border: 5px dashed lime !important; display: inline !important; border-radius: 0 !important; }
button { background: red !important; }
h2, .kassa, .kassa-pay, [data-testid] { display: none !important; }
input[type=radio] { appearance: none !important; width: 60px !important; }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_stylesheet_changes_nothing_in_the_widget() -> anyhow::Result<()> {
    let widget =
        format!("<main><kassa-checkout items='{ITEMS}' locale=\"en\"></kassa-checkout></main>");
    let hostile = format!("<style>{HOSTILE_CSS}</style>{widget}");
    let pages = vec![("plain.html".to_owned(), widget), ("hostile.html".to_owned(), hostile)];
    let stack = Stack::start(StackOptions { pages, ..Default::default() }).await?;
    let site = stack.site_url.clone();
    Browser::start().await?.run(|d| async move {
        // Tall enough for the whole widget, so that its screenshot is not cut by the window.
        d.cdp()
            .send_raw(
                "Emulation.setDeviceMetricsOverride",
                json!({"width": 1000, "height": 2600, "deviceScaleFactor": 1, "mobile": false}),
            )
            .await?;
        let mut seen = vec![];
        for page in ["plain.html", "hostile.html"] {
            d.goto(format!("{site}/{page}")).await?;
            let w = CheckoutPage::new(&d);
            w.wait_state("picker").await?;
            w.choose("Invoice with BankID (Front Payment)").await?;
            w.click_testid("kassa-customer-corporate").await?;
            w.by_role_prefix("textbox", "Organisation number").await?;
            let styles = d.execute(COMPUTED, vec![json!("kassa-checkout")]).await?.json().clone();
            let inner = d
                .execute("return document.querySelector('kassa-checkout').shadowRoot.querySelector('.kassa');", vec![])
                .await?
                .element()?;
            let png = inner.screenshot_as_png().await?;
            let shot = std::env::temp_dir().join(format!("kassa-{page}.png"));
            std::fs::write(&shot, &png)?;
            seen.push((styles, png));
        }
        let (plain, hostile) = (&seen[0], &seen[1]);
        let (a, b) = (plain.0.as_array().cloned().unwrap_or_default(), hostile.0.as_array().cloned().unwrap_or_default());
        ensure!(a.len() > 20 && a.len() == b.len(), "the widget has {} elements plainly, {} on the hostile page", a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            ensure!(x == y, "the hostile page changed a computed style:\n  plain:   {x}\n  hostile: {y}");
        }
        // Pixels, compared in the browser: identical but for anti-aliasing at sub-pixel offsets.
        let b64 = |png: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, png);
        let diff = d.execute_async(PIXEL_DIFF, vec![json!(b64(&plain.1)), json!(b64(&hostile.1))]).await?.json().clone();
        let (changed, total) = (diff["changed"].as_f64().unwrap_or(f64::NAN), diff["total"].as_f64().unwrap_or(0.0));
        ensure!(
            diff["sameSize"] == json!(true) && changed <= total * 0.001,
            "the widget looks different on the hostile page: {diff} (screenshots: kassa-*.html.png in the temp dir)"
        );
        Ok(())
    })
    .await
}

/// Counts pixels of two PNGs (base64) that differ by more than a shade.
const PIXEL_DIFF: &str = r#"
const done = arguments[arguments.length - 1];
const load = (b64) => new Promise((ok, no) => { const i = new Image(); i.onload = () => ok(i); i.onerror = no; i.src = 'data:image/png;base64,' + b64; });
Promise.all([load(arguments[0]), load(arguments[1])]).then(([a, b]) => {
  const px = (img) => { const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
    const g = c.getContext('2d'); g.drawImage(img, 0, 0); return g.getImageData(0, 0, c.width, c.height).data; };
  if (a.width !== b.width || a.height !== b.height) return done({ sameSize: false, changed: -1, total: 0 });
  const [p, q] = [px(a), px(b)];
  let changed = 0;
  for (let i = 0; i < p.length; i += 4) {
    if (Math.abs(p[i] - q[i]) > 24 || Math.abs(p[i + 1] - q[i + 1]) > 24 || Math.abs(p[i + 2] - q[i + 2]) > 24) changed++;
  }
  done({ sameSize: true, changed, total: p.length / 4 });
}, (e) => done({ sameSize: false, error: String(e) }));
"#;

/// Where the README's screenshots go.
fn screenshots() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_in_two_themes_and_two_languages_for_the_readme() -> anyhow::Result<()> {
    let pages = ["en", "nb"]
        .iter()
        .map(|l| {
            let body = format!(
                "<main style=\"max-width:42em\"><kassa-checkout items='{ITEMS}' locale=\"{l}\" customer-name=\"Kari Nordmann\"></kassa-checkout></main>"
            );
            (format!("{l}.html"), body)
        })
        .collect();
    let stack = Stack::start(StackOptions { pages, ..Default::default() }).await?;
    let site = stack.site_url.clone();
    Browser::start().await?.run(|d| async move {
        std::fs::create_dir_all(screenshots())?;
        d.cdp()
            .send_raw(
                "Emulation.setDeviceMetricsOverride",
                json!({"width": 1000, "height": 2600, "deviceScaleFactor": 1, "mobile": false}),
            )
            .await?;
        for scheme in ["light", "dark"] {
            d.cdp()
                .send_raw(
                    "Emulation.setEmulatedMedia",
                    json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
                )
                .await?;
            for lang in ["en", "nb"] {
                d.goto(format!("{site}/{lang}.html")).await?;
                let w = CheckoutPage::new(&d);
                w.wait_state("picker").await?;
                w.choose("Pay on this page (Checkfront)").await?;
                let bg = d
                    .execute(
                        "return getComputedStyle(document.querySelector('kassa-checkout').shadowRoot.querySelector('.kassa')).backgroundColor;",
                        vec![],
                    )
                    .await?
                    .json()
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let dark = bg != "rgb(255, 255, 255)";
                ensure!(dark == (scheme == "dark"), "{scheme} theme drew a {bg} background");
                let host = d.execute("return document.querySelector('kassa-checkout');", vec![]).await?.element()?;
                let png = host.screenshot_as_png().await?;
                std::fs::write(screenshots().join(format!("widget-{scheme}-{lang}.png")), png)?;
            }
        }
        Ok(())
    })
    .await
}

/// The README's policy (`kassa_e2e::csp`, the function that also writes the README's) for
/// the test stack's origins, with the simulator standing in for Stripe's hosts.
fn strict_csp(stack: &Stack, presentations: &[Presentation], wasm: bool) -> String {
    let sim = &stack.sim;
    let origins = Origins {
        widget: None,
        backend: stack.api_url.clone(),
        frames: [&sim.payfect_url, &sim.front_payment_url, &sim.checkfront_url, &sim.bokamera_url]
            .map(|s| s.clone())
            .to_vec(),
        stripe: StripeHosts::simulated(&sim.stripe_url),
    };
    let policy = csp::header_value(presentations, &origins);
    if wasm {
        policy
    } else {
        policy.replace(" 'wasm-unsafe-eval'", "")
    }
}

const CSP_PAGE: &str = r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Strict CSP</title>
<script src="csp-probe.js"></script>
<script src="kassa/kassa.js" data-endpoint="__KASSA_ENDPOINT__" async></script></head>
<body><main><h1>Strict CSP</h1><kassa-checkout locale="en" items='ITEMS'></kassa-checkout></main></body></html>"#;

/// Records violations in `window.__violations` and, across navigations of the tab, in
/// `sessionStorage`.
const CSP_PROBE: &str = "window.__violations = [];\
document.addEventListener('securitypolicyviolation', function (e) {\
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI);\
  var all = JSON.parse(sessionStorage.getItem('kassa-e2e-violations') || '[]');\
  all.push(e.violatedDirective + ' ' + e.blockedURI);\
  sessionStorage.setItem('kassa-e2e-violations', JSON.stringify(all));\
});";

async fn csp_stack() -> anyhow::Result<Stack> {
    let page = CSP_PAGE.replace("ITEMS", ITEMS);
    let documents = vec![
        ("csp.html".to_owned(), page.clone()),
        ("csp-redirect.html".to_owned(), page.clone()),
        ("csp-no-wasm.html".to_owned(), page),
        ("csp-probe.js".to_owned(), CSP_PROBE.to_owned()),
    ];
    let stack =
        Stack::start(StackOptions { documents, own_site: true, ..Default::default() }).await?;
    // The policies name the stack's own origins, known once it runs.
    let csp = |page: &str, presentations: &[Presentation], wasm| {
        let policy = strict_csp(&stack, presentations, wasm);
        (page.to_owned(), "content-security-policy".to_owned(), policy)
    };
    let all = [Presentation::Redirect, Presentation::Iframe, Presentation::StripeEmbedded];
    stack.set_page_headers(vec![
        csp("csp.html", &all, true),
        csp("csp-redirect.html", &[Presentation::Redirect], true),
        csp("csp-no-wasm.html", &all, false),
    ]);
    Ok(stack)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strict_content_security_policy_lets_the_whole_payment_through() -> anyhow::Result<()> {
    let stack = csp_stack().await?;
    let url = format!("{}/csp.html", stack.site_url);
    Browser::start()
        .await?
        .run(|d| async move {
            d.goto(&url).await?;
            let w = CheckoutPage::new(&d);
            w.wait_state("picker").await?;
            w.choose("Crypto or card, on this page (Payfect)").await?;
            w.pay().await?;
            w.wait_state("iframe").await?;
            w.press_in_frame("Pay").await?;
            w.wait_state("paid").await?;
            // The embedded card form (the Stripe.js stand-in, which loads, fetches its session
            // and frames its page as Stripe.js does) pays under the same policy.
            d.goto(&url).await?;
            w.choose("Card, on this page (Stripe)").await?;
            w.fill_contact().await?;
            w.pay().await?;
            w.wait_state("embedded").await?;
            w.press_in_frame("Pay").await?;
            w.wait_state("paid").await?;
            let violations = d.execute("return window.__violations;", vec![]).await?.json().clone();
            ensure!(violations == json!([]), "the policy was violated: {violations}");
            Ok(())
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hosted_policy_lets_a_redirect_payment_through() -> anyhow::Result<()> {
    let stack = csp_stack().await?;
    let url = format!("{}/csp-redirect.html", stack.site_url);
    let (payfect, site) = (stack.sim.payfect_url.clone(), stack.site_url.clone());
    Browser::start()
        .await?
        .run(|d| async move {
            d.goto(&url).await?;
            let w = CheckoutPage::new(&d);
            w.wait_state("picker").await?;
            w.choose("Crypto or card (Payfect)").await?;
            w.pay().await?;
            let provider = ProviderPage::new(&d);
            provider.press_and_return(&format!("{payfect}/checkouts/"), "Pay", &site).await?;
            let w = CheckoutPage::new(&d);
            w.wait_state("paid").await?;
            let seen = d
                .execute("return sessionStorage.getItem('kassa-e2e-violations');", vec![])
                .await?
                .json()
                .clone();
            ensure!(seen.is_null(), "the policy was violated: {seen}");
            Ok(())
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_that_blocks_webassembly_gets_a_clear_message() -> anyhow::Result<()> {
    let stack = csp_stack().await?;
    let url = format!("{}/csp-no-wasm.html", stack.site_url);
    Browser::start()
        .await?
        .run(|d| async move {
            d.goto(&url).await?;
            let w = CheckoutPage::new(&d);
            w.wait_state("error").await?;
            let text = w.text().await?;
            ensure!(
                text.contains("Content-Security-Policy blocks WebAssembly"),
                "the widget says: {text}"
            );
            Ok(())
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_widgets_on_one_page_each_resume_only_their_own_payment() -> anyhow::Result<()> {
    let body = format!(
        "<main><kassa-checkout id=\"tour\" items='{ITEMS}'></kassa-checkout>\
         <kassa-checkout id=\"gear\" items='[{{\"sku\":\"life-jacket\",\"quantity\":1}}]'></kassa-checkout></main>"
    );
    let stack =
        Stack::start(StackOptions { pages: vec![("two.html".into(), body)], ..Default::default() })
            .await?;
    let url = format!("{}/two.html", stack.site_url);
    let site = stack.site_url.clone();
    Browser::start()
        .await?
        .run(|d| async move {
            d.goto(&url).await?;
            let (tour, gear) =
                (CheckoutPage::with_host(&d, "#tour"), CheckoutPage::with_host(&d, "#gear"));
            tour.wait_state("picker").await?;
            gear.wait_state("picker").await?;
            gear.choose("Crypto or card (Payfect)").await?;
            gear.pay().await?;
            let provider = ProviderPage::new(&d);
            provider.click("Pay").await?;
            let back = provider.wait_url(&site).await?;
            ensure!(back.contains("kassa_widget=gear"), "the return names its widget: {back}");
            gear.wait_state("paid").await?;
            ensure!(
                tour.state().await?.as_deref() == Some("picker"),
                "the other widget stays at its picker"
            );
            // A reload resumes the same screen for the same widget only.
            d.refresh().await?;
            gear.wait_state("paid").await?;
            tour.wait_state("picker").await?;
            Ok(())
        })
        .await
}

/// `Performance.getMetrics` as name → value.
async fn metrics(d: &WebDriver) -> anyhow::Result<Value> {
    d.cdp().send_raw("HeapProfiler.collectGarbage", json!({})).await?;
    let m = d.cdp().send_raw("Performance.getMetrics", json!({})).await?;
    let mut out = serde_json::Map::new();
    for item in m["metrics"].as_array().cloned().unwrap_or_default() {
        if let Some(name) = item["name"].as_str() {
            out.insert(name.to_owned(), item["value"].clone());
        }
    }
    Ok(Value::Object(out))
}

/// Counts live timers and intervals on the page (wraps the four timer functions).
const TIMER_PROBE: &str = "window.__timers = new Set();\
const st = window.setTimeout, ct = window.clearTimeout, si = window.setInterval, ci = window.clearInterval;\
window.setTimeout = function (f, ms) { const args = Array.prototype.slice.call(arguments, 2); let id;\
  id = st.call(window, function () { window.__timers.delete(id); if (typeof f === 'function') f.apply(window, args); }, ms); window.__timers.add(id); return id; };\
window.clearTimeout = function (id) { window.__timers.delete(id); return ct.call(window, id); };\
window.setInterval = function () { const id = si.apply(window, arguments); window.__timers.add(id); return id; };\
window.clearInterval = function (id) { window.__timers.delete(id); return ci.call(window, id); };";

const CYCLES: &str = r#"
const done = arguments[arguments.length - 1];
const [n, items] = [arguments[0], arguments[1]];
const slot = document.getElementById('slot');
(async () => {
  for (let i = 0; i < n; i++) {
    const h = Kassa.mount(slot, { items, locale: i % 2 ? 'nb' : 'en' });
    await new Promise((resolve) => h.element.addEventListener('kassa:ready', resolve, { once: true }));
    h.unmount();
  }
  await new Promise((r) => setTimeout(r, 0));
  done({ children: slot.childNodes.length, timers: window.__timers.size });
})().catch((e) => done({ error: String(e) }));
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mounting_and_unmounting_200_times_leaves_no_listeners_timers_or_nodes(
) -> anyhow::Result<()> {
    let page = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>SPA</title>\
         <script src=\"timer-probe.js\"></script>\
         <script src=\"kassa/kassa.js\" data-endpoint=\"__KASSA_ENDPOINT__\"></script></head>\
         <body><main><h1>SPA</h1><div id=\"slot\"></div></main></body></html>",
    );
    let documents =
        vec![("spa.html".to_owned(), page), ("timer-probe.js".to_owned(), TIMER_PROBE.to_owned())];
    let stack = Stack::start(StackOptions { documents, ..Default::default() }).await?;
    let url = format!("{}/spa.html", stack.site_url);
    Browser::start()
        .await?
        .run(|d| async move {
            d.goto(&url).await?;
            d.cdp().send_raw("Performance.enable", json!({})).await?;
            // Warm up: the first mount loads the stylesheet, defines the element, fills caches.
            let warm = d.execute_async(CYCLES, vec![json!(3), json!(ITEMS)]).await?.json().clone();
            ensure!(warm["error"].is_null(), "mounting failed: {warm}");
            let before = metrics(&d).await?;
            let after_run =
                d.execute_async(CYCLES, vec![json!(200), json!(ITEMS)]).await?.json().clone();
            // Detached nodes go at a later collection: collect again (bounded) until they are gone.
            let nodes0 = before["Nodes"].as_f64().unwrap_or(f64::NAN);
            let deadline = tokio::time::Instant::now() + kassa_e2e::WAIT;
            let mut after = metrics(&d).await?;
            while after["Nodes"].as_f64().unwrap_or(f64::NAN) > nodes0
                && tokio::time::Instant::now() < deadline
            {
                after = metrics(&d).await?;
            }
            ensure!(after_run["error"].is_null(), "mounting failed: {after_run}");
            ensure!(after_run["children"] == json!(0), "unmount left DOM in the slot: {after_run}");
            ensure!(after_run["timers"] == json!(0), "unmount left timers running: {after_run}");
            let n = |m: &Value, k: &str| m[k].as_f64().unwrap_or(f64::NAN);
            let (l0, l1) = (n(&before, "JSEventListeners"), n(&after, "JSEventListeners"));
            let (d0, d1) = (n(&before, "Nodes"), n(&after, "Nodes"));
            eprintln!("200 cycles: JSEventListeners {l0} -> {l1}, Nodes {d0} -> {d1}");
            ensure!(l1 <= l0, "event listeners grew from {l0} to {l1} over 200 mounts");
            ensure!(d1 <= d0, "DOM nodes grew from {d0} to {d1} over 200 mounts");
            Ok(())
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_script_api_mounts_updates_and_changing_items_quotes_again() -> anyhow::Result<()> {
    let page = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>API</title>\
         <script src=\"kassa/kassa.js\" data-endpoint=\"__KASSA_ENDPOINT__\"></script></head>\
         <body><main><h1>API</h1><div id=\"slot\"></div></main></body></html>";
    let stack = Stack::start(StackOptions {
        documents: vec![("api.html".into(), page.into())],
        ..Default::default()
    })
    .await?;
    let url = format!("{}/api.html", stack.site_url);
    Browser::start().await?.run(|d| async move {
        d.goto(&url).await?;
        d.execute(
            "window.__events = [];\
             window.__handle = Kassa.mount(document.getElementById('slot'), { items: JSON.parse(arguments[0]), locale: 'en', id: 'api' });\
             for (const n of ['ready','method-selected','session-created','paid','failed','cancelled','expired','error'])\
               window.__handle.element.addEventListener('kassa:' + n, (e) => window.__events.push(n));",
            vec![json!(ITEMS)],
        )
        .await?;
        let w = CheckoutPage::with_host(&d, "#api");
        w.wait_state("picker").await?;
        let total = |t: String| t.split("Total").nth(1).unwrap_or_default().to_owned();
        let first = total(w.text().await?);
        ensure!(first.contains("1,450.00"), "the first cart's total: {first}");
        d.execute("window.__handle.update({ items: [{ sku: 'life-jacket', quantity: 1 }] });", vec![]).await?;
        let deadline = tokio::time::Instant::now() + kassa_e2e::WAIT;
        loop {
            let now = total(w.text().await?);
            if now.contains("75.00") && !now.contains("1,450.00") {
                break;
            }
            if tokio::time::Instant::now() > deadline {
                bail!("the widget still shows {now} after new items");
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        w.choose("Crypto or card, on this page (Payfect)").await?;
        let events = d.execute("return window.__events;", vec![]).await?.json().clone();
        ensure!(events == json!(["ready", "ready", "method-selected"]), "events: {events}");
        d.execute("window.__handle.unmount();", vec![]).await?;
        let left = d.execute("return document.querySelectorAll('kassa-checkout').length;", vec![]).await?.json().clone();
        ensure!(left == json!(0), "unmount removed the element");
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loader_refuses_a_wasm_that_does_not_match_its_hash() -> anyhow::Result<()> {
    use sha2::Digest as _;
    let stack = Stack::start(StackOptions::default()).await?;
    let kassa = stack.site_dir.join("kassa");
    let wasm = std::fs::read(kassa.join("kassa_widget_bg.wasm"))?;
    // What `cargo xtask dist` does: the loader carries the Wasm's SHA-384.
    let sri = format!(
        "sha384-{}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            sha2::Sha384::digest(&wasm)
        )
    );
    let loader = std::fs::read_to_string(kassa.join("kassa.js"))?;
    ensure!(loader.contains("__KASSA_WASM_SRI__"), "the loader has the hash placeholder");
    std::fs::write(kassa.join("kassa.js"), loader.replace("__KASSA_WASM_SRI__", &sri))?;
    let (page, api) = (stack.booking_page(), stack.api_url.clone());
    Browser::start().await?.run(|d| async move {
        d.cdp().send_raw("Network.enable", json!({})).await?;
        d.cdp().send_raw("Network.setCacheDisabled", json!({"cacheDisabled": true})).await?;
        d.goto(&page).await?;
        let w = CheckoutPage::new(&d);
        w.wait_state("picker").await?;
        // One byte flipped on the server: the widget refuses to start and asks the backend
        // nothing (the loader's prefetch of config and quote, made while the Wasm downloads,
        // is all that may have gone out: no session, no order).
        let mut bad = wasm.clone();
        let middle = bad.len() / 2;
        bad[middle] ^= 1;
        std::fs::write(kassa.join("kassa_widget_bg.wasm"), bad)?;
        d.goto(&page).await?;
        w.wait_state("error").await?;
        let text = w.text().await?;
        ensure!(text.contains("could not be loaded"), "the widget says: {text}");
        let calls = d
            .execute(
                "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.startsWith(arguments[0]));",
                vec![json!(api)],
            )
            .await?
            .json()
            .clone();
        let prefetched = [format!("{api}/v1/checkout/config"), format!("{api}/v1/checkout/quote")];
        let others: Vec<&Value> = calls
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| !prefetched.iter().any(|p| c.as_str() == Some(p)))
            .collect();
        ensure!(others.is_empty(), "the backend was called: {calls}");
        Ok(())
    })
    .await
}

/// The fallback screen as [`RECORD_SCREENS`] notes it.
const FALLBACK_NOTICE: &str =
    "redirecting|The payment page can't be shown here, so we are taking you to it.";

/// Records every (state, live-region text) pair the widget shows into `sessionStorage`,
/// which survives the trip to the provider and back in this tab.
const RECORD_SCREENS: &str = r#"
const root = document.querySelector('kassa-checkout').shadowRoot;
const seen = [];
const note = () => {
  const el = root.querySelector('[data-state]');
  const live = root.querySelector('[data-testid=kassa-live]');
  const entry = (el ? el.dataset.state : '') + '|' + (live ? live.textContent.trim() : '');
  if (seen[seen.length - 1] !== entry) {
    seen.push(entry);
    sessionStorage.setItem('kassa-e2e-screens', JSON.stringify(seen));
  }
};
new MutationObserver(note).observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
note();
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_page_that_refuses_frames_opens_in_the_whole_window_and_the_widget_says_so(
) -> anyhow::Result<()> {
    let stack = Stack::start(StackOptions::default()).await?;
    let payfect = stack.sim.payfect_url.clone();
    let site = stack.site_url.clone();
    // Payfect's pages start refusing frames, as a provider's security review might decide.
    let set = reqwest::Client::new()
        .post(format!("{payfect}/__sim/framing"))
        .json(&json!({ "policy": "deny" }))
        .send()
        .await?;
    ensure!(set.status().is_success(), "setting the simulator's framing policy");
    let browser = Browser::on_booking_page(&stack).await?;
    browser
        .run(|d| async move {
            let widget = CheckoutPage::new(&d);
            widget.wait_state("picker").await?;
            d.execute(RECORD_SCREENS, vec![]).await?;
            widget.choose("Crypto or card, on this page (Payfect)").await?;
            widget.pay().await?;
            let provider = ProviderPage::new(&d);
            provider.press_and_return(&format!("{payfect}/checkouts/"), "Pay", &site).await?;
            let widget = CheckoutPage::new(&d);
            widget.wait_state("paid").await?;
            widget.expect_heading("Payment received").await?;

            let seen =
                d.execute("return sessionStorage.getItem('kassa-e2e-screens');", vec![]).await?;
            let seen: Vec<String> = serde_json::from_str(seen.json().as_str().unwrap_or("[]"))?;
            ensure!(
                seen.iter().any(|s| s == FALLBACK_NOTICE),
                "the live region announced the fallback before the page went: {seen:?}"
            );
            ensure!(
                !seen.iter().any(|s| s.starts_with("iframe|")),
                "no blank frame was shown first: {seen:?}"
            );
            Ok(())
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_page_that_does_not_load_in_time_opens_in_the_whole_window() -> anyhow::Result<()>
{
    let stack = Stack::start(StackOptions::default()).await?;
    let payfect = stack.sim.payfect_url.clone();
    let site = stack.site_url.clone();
    let browser = Browser::on_booking_page(&stack).await?;
    browser
        .run(|d| async move {
            let widget = CheckoutPage::new(&d);
            d.execute(RECORD_SCREENS, vec![]).await?;
            tag_document(&d).await?;
            // The provider's page never answers while held: the frame cannot load.
            hold(&d, "*/checkouts/*").await?;
            widget.choose("Crypto or card, on this page (Payfect)").await?;
            widget.pay().await?;
            widget.wait_state("iframe").await?;
            // The widget gives the frame 15 seconds (kassa_e2e::WAIT is 20).
            widget.wait_state("redirecting").await?;
            ensure!(same_document(&d).await?, "nothing navigated before the notice");
            release(&d).await?;
            let provider = ProviderPage::new(&d);
            provider.press_and_return(&format!("{payfect}/checkouts/"), "Pay", &site).await?;
            widget.wait_state("paid").await?;
            let seen =
                d.execute("return sessionStorage.getItem('kassa-e2e-screens');", vec![]).await?;
            let seen: Vec<String> = serde_json::from_str(seen.json().as_str().unwrap_or("[]"))?;
            ensure!(
                seen.iter().any(|s| s == FALLBACK_NOTICE),
                "the live region announced the fallback: {seen:?}"
            );
            Ok(())
        })
        .await
}

/// What the loader leaves on the first `<kassa-checkout>` while the Wasm is held back.
const LOADER_STATE: &str = r#"
const done = arguments[arguments.length - 1];
const el = document.querySelector('kassa-checkout');
const root = el && el.shadowRoot;
const box = root && root.querySelector('[data-testid=kassa-placeholder]');
const sheet = root && root.querySelector('link[rel=stylesheet]');
const p = el && el.kassaPrefetch;
if (!box || !p || !sheet || !sheet.sheet) { done(null); return; }
Promise.all([p.config, p.quote]).then(([config, quote]) => done({
  key: p.key, config: config.status, quote: quote.status,
  total: quote.body && quote.body.total, methods: config.body && config.body.methods && config.body.methods.length,
  className: box.className, inline: root.querySelectorAll('[style]').length,
  height: el.getBoundingClientRect().height, defined: !!customElements.get('kassa-checkout'),
}));
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loader_asks_for_config_and_quote_and_holds_the_place_while_the_wasm_downloads(
) -> anyhow::Result<()> {
    let stack = Stack::start(StackOptions::default()).await?;
    let (page, api) = (stack.booking_page(), stack.api_url.clone());
    Browser::start().await?.run(|d| async move {
        // The Wasm does not arrive until released: what shows meanwhile is the loader's.
        hold(&d, "*kassa_widget_bg.wasm").await?;
        d.goto(&page).await?;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
        let state = loop {
            let state = d.execute_async(LOADER_STATE, vec![]).await?.json().clone();
            if !state.is_null() {
                break state;
            }
            ensure!(tokio::time::Instant::now() < deadline, "no placeholder and prefetch");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        ensure!(state["defined"] == json!(false), "the widget had not started: {state}");
        // The exact body the widget sends for the page's cart, and the key that names it.
        let body = json!({"items": serde_json::from_str::<Value>(ITEMS)?}).to_string();
        let key = json!([api, "", body]).to_string();
        ensure!(state["key"] == json!(key), "prefetch key {} is not {key}", state["key"]);
        ensure!(state["config"] == json!(200) && state["quote"] == json!(200), "answers: {state}");
        ensure!(state["methods"].as_u64().is_some_and(|n| n > 0), "config has methods: {state}");
        ensure!(state["total"].is_object(), "the quote has a total: {state}");
        ensure!(state["className"] == json!("kassa kassa--placeholder"), "placeholder: {state}");
        ensure!(state["inline"] == json!(0), "no inline styles (CSP): {state}");
        // 30em of the default 16px font: the picker's height, held from the start.
        ensure!(state["height"].as_f64().is_some_and(|h| h >= 480.0), "height: {state}");
        release(&d).await?;
        let w = CheckoutPage::new(&d);
        w.wait_state("picker").await?;
        let left = d
            .execute(
                "return document.querySelector('kassa-checkout').shadowRoot.querySelectorAll('[data-testid=kassa-placeholder]').length;",
                vec![],
            )
            .await?
            .json()
            .clone();
        ensure!(left == json!(0), "the widget replaced the placeholder");
        let picker = d
            .execute("return document.querySelector('kassa-checkout').getBoundingClientRect().height;", vec![])
            .await?
            .json()
            .clone();
        eprintln!("placeholder {} px, picker {picker} px", state["height"]);
        let picker = picker.as_f64().unwrap_or(0.0);
        // The loader keeps the picker's height once it is ready …
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let kept = d.execute(KEPT_HEIGHT, vec![]).await?.json().as_f64();
            if kept.is_some_and(|h| (h - picker).abs() <= 1.0) {
                break;
            }
            ensure!(
                tokio::time::Instant::now() < deadline,
                "the loader kept {kept:?} px, the picker is {picker} px"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        // … so the next load's placeholder has exactly that height: nothing below it moves
        // when the picker replaces it (layout shift 0).
        hold(&d, "*kassa_widget_bg.wasm").await?;
        d.goto(&page).await?;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
        let again = loop {
            let state = d.execute_async(LOADER_STATE, vec![]).await?.json().clone();
            if !state.is_null() {
                break state;
            }
            ensure!(tokio::time::Instant::now() < deadline, "no placeholder on the second load");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        ensure!(again["defined"] == json!(false), "the widget had not started: {again}");
        ensure!(again["inline"] == json!(0), "no inline styles in the shadow root (CSP): {again}");
        ensure!(
            again["height"].as_f64().is_some_and(|h| (h - picker).abs() <= 1.0),
            "the placeholder is {} px, the picker {picker} px",
            again["height"]
        );
        release(&d).await?;
        w.wait_state("picker").await?;
        Ok(())
    })
    .await
}

/// The picker height the loader kept for this page (`www/kassa.js`, `rememberHeight`).
const KEPT_HEIGHT: &str = r#"
for (let i = 0; i < localStorage.length; i++) {
  const k = localStorage.key(i);
  if (k.indexOf('kassa-height:') === 0) return parseFloat(localStorage.getItem(k));
}
return null;
"#;

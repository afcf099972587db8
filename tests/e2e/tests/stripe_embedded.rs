//! Stripe's embedded checkout (Stripe's own method and BokaMera's) against the strict
//! Stripe.js stand-in: both release trains, the light-DOM mount node on a hostile page, an
//! SPA that remounts the widget, two widgets on one page, a method that needs a redirect,
//! a Stripe.js that fails in each way it can, and a session that expires before it mounts.

use std::time::Duration;

use anyhow::{bail, ensure};
use kassa_e2e::{
    page::{hold, release, same_document, tag_document},
    Browser, CheckoutPage, Stack, StackOptions, StripeTrain, WAIT,
};
use serde_json::{json, Value};
use thirtyfour::WebDriver;

const ITEMS: &str = r#"[{"sku":"kayak-2h","quantity":2,"start_date":"2026-12-01","end_date":"2026-12-01"},{"sku":"life-jacket","quantity":2,"start_date":"2026-12-01","end_date":"2026-12-01"}]"#;
const STRIPE: &str = "Card, on this page (Stripe)";
const BOKAMERA: &str = "Card, on this page (BokaMera)";

async fn stack(train: StripeTrain, options: StackOptions) -> anyhow::Result<Stack> {
    Stack::start(StackOptions { stripe_train: Some(train), ..options }).await
}

/// Where the embedded checkout lives: the mount nodes in the whole document, whose host
/// each is a child of, whether the host's shadow root slots it, and its iframes.
const PLACEMENT: &str = r#"
const nodes = Array.from(document.querySelectorAll('kassa-stripe-mount'));
return {
  count: nodes.length,
  nodes: nodes.map(n => ({
    parent: n.parentElement ? n.parentElement.localName + '#' + n.parentElement.id : null,
    slotted: !!(n.assignedSlot && n.assignedSlot.getRootNode() === n.parentElement.shadowRoot
      && n.assignedSlot.name === 'kassa-stripe'),
    iframes: n.querySelectorAll('iframe').length,
  })),
  lightIframes: Array.from(document.querySelectorAll('iframe')).length,
};
"#;

async fn placement(d: &WebDriver) -> anyhow::Result<Value> {
    Ok(d.execute(PLACEMENT, vec![]).await?.json().clone())
}

/// Waits until the widget's card form shows Stripe's frame, slotted from the light DOM.
async fn shows_stripe(d: &WebDriver, widget: &CheckoutPage<'_>) -> anyhow::Result<()> {
    widget.wait_state("embedded").await?;
    widget.frame().await?;
    let p = placement(d).await?;
    ensure!(p["count"] == json!(1), "one mount node in the page: {p}");
    ensure!(p["nodes"][0]["slotted"] == json!(true), "shown through the slot: {p}");
    ensure!(p["nodes"][0]["iframes"] == json!(1), "Stripe's frame is in it: {p}");
    Ok(())
}

/// Chooses `method`, fills what it asks, pays, and waits for Stripe's frame.
async fn open(d: &WebDriver, widget: &CheckoutPage<'_>, method: &str) -> anyhow::Result<()> {
    widget.choose(method).await?;
    widget.fill_contact().await?;
    widget.pay().await?;
    shows_stripe(d, widget).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_and_bokamera_embedded_checkout_pay_under_both_release_trains() -> anyhow::Result<()>
{
    for train in StripeTrain::ALL {
        let stack = stack(train, StackOptions::default()).await?;
        let (page, stripe_url) = (stack.booking_page(), stack.sim.stripe_url.clone());
        Browser::start().await?.run(|d| async move {
            for method in [STRIPE, BOKAMERA] {
                d.goto(&page).await?;
                let widget = CheckoutPage::new(&d);
                tag_document(&d).await?;
                open(&d, &widget, method).await?;
                // The page loaded this train's Stripe.js, with only this train's method names.
                let script = format!("{stripe_url}{}", train.script_path());
                let names = d
                    .execute(
                        "const loaded = performance.getEntriesByType('resource').map(e => e.name);\
                         const s = Stripe(arguments[1]);\
                         return { loaded: loaded.includes(arguments[0]),\
                           create: typeof s.createEmbeddedCheckoutPage, init: typeof s.initEmbeddedCheckout };",
                        vec![json!(script), json!(kassa_e2e::stack::secrets::STRIPE_PUBLISHABLE_KEY)],
                    )
                    .await?
                    .json()
                    .clone();
                let create = if train == StripeTrain::Dahlia { "function" } else { "undefined" };
                ensure!(
                    names == json!({"loaded": true, "create": create, "init": "function"}),
                    "{train:?}, {method}: {names}"
                );
                widget.press_in_frame("Pay").await?;
                widget.wait_state("paid").await?;
                widget.expect_heading("Payment received").await?;
                ensure!(same_document(&d).await?, "{train:?}, {method}: the page never navigated");
                let p = placement(&d).await?;
                ensure!(p["count"] == json!(0) && p["lightIframes"] == json!(0), "nothing left: {p}");
            }
            Ok(())
        })
        .await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_that_needs_a_redirect_sends_the_top_window_to_the_return_url(
) -> anyhow::Result<()> {
    let stack = stack(StripeTrain::Dahlia, StackOptions::default()).await?;
    let page = stack.booking_page();
    Browser::start()
        .await?
        .run(|d| async move {
            d.goto(&page).await?;
            let widget = CheckoutPage::new(&d);
            tag_document(&d).await?;
            open(&d, &widget, STRIPE).await?;
            widget.press_in_frame("Pay with bank redirect").await?;
            // redirect_on_completion: if_required → the whole page goes to return_url.
            let deadline = tokio::time::Instant::now() + WAIT;
            while same_document(&d).await? {
                ensure!(tokio::time::Instant::now() < deadline, "the top window never navigated");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let url = d.current_url().await?.to_string();
            ensure!(
                url.starts_with(&page) && url.contains("kassa_session=ks_"),
                "returned to {url}"
            );
            let widget = CheckoutPage::new(&d);
            widget.wait_state("paid").await?;
            widget.expect_heading("Payment received").await
        })
        .await
}

/// The page's rules aimed at the light DOM: whatever they hit of the mount node or Stripe's
/// frame, neither may change.
const HOSTILE_CSS: &str = r#"
html { font-size: 40px !important; }
* { color: red !important; font-family: "Comic Sans MS", cursive !important; line-height: 3 !important;
    box-sizing: content-box !important; visibility: visible !important; }
body { margin: 40px !important; }
div, section, iframe, kassa-stripe-mount { background: yellow !important; padding: 40px !important;
    margin: 40px !important; border: 5px dashed lime !important; }
kassa-checkout > *, kassa-stripe-mount, kassa-checkout iframe, :not(:defined) {
    display: none !important; visibility: hidden !important; opacity: 0 !important;
    position: absolute !important; width: 1px !important; height: 1px !important;
    max-height: 1px !important; transform: scale(0) !important; }
[slot] { display: inline !important; }
"#;

/// The computed styles of the mount node and of Stripe's frame that a page could change,
/// their sizes relative to the widget, and whether the frame's centre is what a click hits.
const MEASURE: &str = r#"
const host = document.querySelector('kassa-checkout');
const node = host.querySelector(':scope > kassa-stripe-mount');
const frame = node.querySelector('iframe');
const slotBox = host.shadowRoot.querySelector('.kassa-embedded__mount').getBoundingClientRect();
const props = ['display','visibility','opacity','position','transform','margin-top','margin-left',
  'padding-top','padding-left','border-top-width','box-sizing','max-height'];
const style = (e) => props.map(p => p + ':' + getComputedStyle(e).getPropertyValue(p)).join(';');
const f = frame.getBoundingClientRect(), n = node.getBoundingClientRect();
frame.scrollIntoView({ block: 'center' });
const g = frame.getBoundingClientRect();
const hit = document.elementFromPoint(g.left + g.width / 2, g.top + g.height / 2);
return { node: style(node), frame: style(frame),
  nodeWidth: Math.round(n.width - slotBox.width), frameWidth: Math.round(f.width - n.width),
  frameHeight: Math.round(f.height), hit: hit === frame };
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_checkout_on_a_hostile_page_is_neither_hidden_nor_distorted() -> anyhow::Result<()>
{
    let widget =
        format!("<main><kassa-checkout items='{ITEMS}' locale=\"en\"></kassa-checkout></main>");
    let hostile = format!("<style>{HOSTILE_CSS}</style>{widget}");
    let pages = vec![("plain.html".to_owned(), widget), ("hostile.html".to_owned(), hostile)];
    let stack = stack(StripeTrain::Dahlia, StackOptions { pages, ..Default::default() }).await?;
    let site = stack.site_url.clone();
    Browser::start()
        .await?
        .run(|d| async move {
            let mut seen = vec![];
            for page in ["plain.html", "hostile.html"] {
                d.goto(format!("{site}/{page}")).await?;
                let w = CheckoutPage::new(&d);
                w.wait_state("picker").await?;
                open(&d, &w, STRIPE).await?;
                seen.push(d.execute(MEASURE, vec![]).await?.json().clone());
            }
            let (plain, hostile) = (&seen[0], &seen[1]);
            ensure!(
                plain == hostile,
                "the hostile page changed the card form:\n  plain:   {plain}\n  hostile: {hostile}"
            );
            ensure!(
                hostile["hit"] == json!(true)
                    && hostile["nodeWidth"] == json!(0)
                    && hostile["frameWidth"] == json!(0)
                    && hostile["frameHeight"].as_i64().unwrap_or(0) > 200,
                "the frame fills the card form's place and takes clicks: {hostile}"
            );
            // And the customer can pay there.
            let w = CheckoutPage::new(&d);
            w.press_in_frame("Pay").await?;
            w.wait_state("paid").await
        })
        .await
}

const SPA: &str =
    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>SPA</title>\
    <script src=\"kassa/kassa.js\" data-endpoint=\"__KASSA_ENDPOINT__\"></script></head>\
    <body><main><h1>SPA</h1><div id=\"slot\"></div></main></body></html>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_checkout_pays_after_a_single_page_app_remounts_the_widget() -> anyhow::Result<()>
{
    let documents = vec![("spa.html".to_owned(), SPA.to_owned())];
    let stack =
        stack(StripeTrain::PreDahlia, StackOptions { documents, ..Default::default() }).await?;
    let url = format!("{}/spa.html", stack.site_url);
    Browser::start()
        .await?
        .run(|d| async move {
            d.goto(&url).await?;
            let mount = "window.__h = Kassa.mount(document.getElementById('slot'), \
                     { items: JSON.parse(arguments[0]), locale: 'en', id: 'spa' });";
            d.execute(mount, vec![json!(ITEMS)]).await?;
            let w = CheckoutPage::with_host(&d, "#spa");
            open(&d, &w, STRIPE).await?;
            // The app leaves the page while Stripe's form shows: nothing of it may stay.
            d.execute("window.__h.unmount();", vec![]).await?;
            let deadline = tokio::time::Instant::now() + WAIT;
            loop {
                let p = placement(&d).await?;
                if p["count"] == json!(0) && p["lightIframes"] == json!(0) {
                    break;
                }
                ensure!(tokio::time::Instant::now() < deadline, "unmount left {p}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            // Mounted again, it pays through a new embedded checkout (one instance page-wide).
            d.execute(mount, vec![json!(ITEMS)]).await?;
            open(&d, &w, STRIPE).await?;
            w.press_in_frame("Pay").await?;
            w.wait_state("paid").await
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_widgets_on_one_page_share_the_one_embedded_checkout() -> anyhow::Result<()> {
    let body = format!(
        "<main><kassa-checkout id=\"tour\" items='{ITEMS}' locale=\"en\"></kassa-checkout>\
         <kassa-checkout id=\"gear\" items='[{{\"sku\":\"kayak-2h\",\"quantity\":1,\"start_date\":\"2026-12-02\"}}]' locale=\"en\"></kassa-checkout></main>"
    );
    let pages = vec![("two.html".to_owned(), body)];
    let stack = stack(StripeTrain::Dahlia, StackOptions { pages, ..Default::default() }).await?;
    let url = format!("{}/two.html", stack.site_url);
    Browser::start()
        .await?
        .run(|d| async move {
            d.goto(&url).await?;
            let (tour, gear) =
                (CheckoutPage::with_host(&d, "#tour"), CheckoutPage::with_host(&d, "#gear"));
            tour.wait_state("picker").await?;
            open(&d, &tour, STRIPE).await?;
            // The second widget's card form takes the page's one instance; the first offers it back.
            open(&d, &gear, BOKAMERA).await?;
            let p = placement(&d).await?;
            ensure!(
                p["nodes"][0]["parent"] == json!("kassa-checkout#gear"),
                "only gear's node: {p}"
            );
            tour.wait_state("error").await?;
            tour.by_role("button", "Try again").await?;
            gear.press_in_frame("Pay").await?;
            gear.wait_state("paid").await?;
            tour.click_testid("kassa-embed-retry").await?;
            shows_stripe(&d, &tour).await?;
            tour.press_in_frame("Pay").await?;
            tour.wait_state("paid").await?;
            gear.wait_state("paid").await
        })
        .await
}

/// Queues a Stripe.js fault at the simulator.
async fn fault(stack: &Stack, fault: &str) -> anyhow::Result<()> {
    let r = reqwest::Client::new()
        .post(format!("{}/__sim/stripe-js", stack.sim.stripe_url))
        .json(&json!({ "fault": fault }))
        .send()
        .await?;
    ensure!(r.status().is_success(), "queueing {fault}: {}", r.status());
    Ok(())
}

/// Waits for "We couldn't start the card form" with "Try again" and "Choose another way to
/// pay", checks nothing is left in the page, then presses "Try again" and pays.
async fn fails_then_pays(d: &WebDriver, what: &str) -> anyhow::Result<()> {
    let w = CheckoutPage::new(d);
    w.wait_state("error").await?;
    w.by_role("button", "Try again").await?;
    let text = w.text().await?;
    ensure!(
        text.contains("We couldn't start the card form.")
            && text.contains("Choose another way to pay"),
        "{what}: the widget says {text}"
    );
    let p = placement(d).await?;
    ensure!(p["count"] == json!(0) && p["lightIframes"] == json!(0), "{what}: left {p}");
    let scripts = d
        .execute("return document.querySelectorAll('script[src*=\"/stripe.js\"], script[src*=\"/v3\"]').length;", vec![])
        .await?
        .json()
        .clone();
    let loaded = d.execute("return typeof window.Stripe;", vec![]).await?.json().clone();
    ensure!(
        scripts == json!(1) || (scripts == json!(0) && loaded == json!("undefined")),
        "{what}: a failed Stripe.js leaves no script behind ({scripts}, Stripe is {loaded})"
    );
    w.click_testid("kassa-embed-retry").await?;
    shows_stripe(d, &w).await?;
    w.press_in_frame("Pay").await?;
    w.wait_state("paid").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stripe_js_that_fails_offers_try_again_and_leaves_nothing_behind() -> anyhow::Result<()> {
    let stack = stack(StripeTrain::Dahlia, StackOptions::default()).await?;
    let page = stack.booking_page();
    let stack = &stack;
    Browser::start()
        .await?
        .run(|d| async move {
            for what in ["load_error", "init_error", "mount_error"] {
                d.goto(&page).await?;
                let w = CheckoutPage::new(&d);
                w.wait_state("picker").await?;
                fault(stack, what).await?;
                w.choose(STRIPE).await?;
                w.fill_contact().await?;
                w.pay().await?;
                fails_then_pays(&d, what).await?;
            }
            Ok(())
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stripe_js_that_never_answers_is_given_up_on_and_try_again_pays() -> anyhow::Result<()> {
    let stack = stack(StripeTrain::PreDahlia, StackOptions::default()).await?;
    let page = stack.booking_page();
    fault(&stack, "init_hang").await?;
    Browser::start()
        .await?
        .run(|d| async move {
            d.goto(&page).await?;
            let w = CheckoutPage::new(&d);
            w.choose(STRIPE).await?;
            w.fill_contact().await?;
            w.pay().await?;
            w.wait_state("embedded").await?;
            // The widget gives Stripe.js 15 seconds (kassa_e2e::WAIT is 20).
            fails_then_pays(&d, "init_hang").await
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_that_expired_before_stripe_js_mounted_it_is_reported_as_expired(
) -> anyhow::Result<()> {
    let stack = stack(StripeTrain::Dahlia, StackOptions::default()).await?;
    let (page, stripe, api) =
        (stack.booking_page(), stack.sim.stripe_url.clone(), stack.api_url.clone());
    Browser::start()
        .await?
        .run(|d| async move {
            d.goto(&page).await?;
            let w = CheckoutPage::new(&d);
            // Stripe.js is slow to come; meanwhile the session expires at Stripe.
            hold(&d, "*/dahlia/stripe.js*").await?;
            w.choose(STRIPE).await?;
            w.fill_contact().await?;
            w.pay().await?;
            w.wait_state("embedded").await?;
            let url = d.current_url().await?.to_string();
            let Some(ks) = url
                .split("kassa_session=")
                .nth(1)
                .map(|s| s.split('&').next().unwrap_or(s).to_owned())
            else {
                bail!("the address names no session: {url}");
            };
            let state: Value = reqwest::get(format!("{stripe}/__sim/state")).await?.json().await?;
            let cs = state["checkout_sessions"]
                .as_array()
                .and_then(|a| a.last())
                .map(|s| s["id"].clone());
            let cs = cs.and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            let r = reqwest::Client::new()
                .post(format!("{stripe}/__sim/sessions/{cs}/expire"))
                .send()
                .await?;
            ensure!(r.status().is_success(), "expiring {cs}: {}", r.status());
            let deadline = tokio::time::Instant::now() + WAIT;
            loop {
                let s: Value =
                    reqwest::get(format!("{api}/v1/checkout/sessions/{ks}")).await?.json().await?;
                if s["state"] == json!("expired") {
                    break;
                }
                ensure!(tokio::time::Instant::now() < deadline, "the backend never heard: {s}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            release(&d).await?;
            w.wait_state("expired").await?;
            let p = placement(&d).await?;
            ensure!(p["count"] == json!(0) && p["lightIframes"] == json!(0), "nothing left: {p}");
            Ok(())
        })
        .await
}

/// What the page itself gets from the stand-in, as from Stripe.js: the refusals the widget
/// must never meet.
const REFUSALS: &str = r#"
const done = arguments[arguments.length - 1];
const [pk, secret] = [arguments[0], arguments[1]];
const out = {};
const message = (f) => { try { f(); return null; } catch (e) { return e.name + ': ' + e.message; } };
const s = Stripe(pk);
out.oldName = message(() => s.initEmbeddedCheckout({ clientSecret: secret }));
s.createEmbeddedCheckoutPage({ clientSecret: secret }).then(
  () => ({}), (e) => { out.whileLive = e.name + ': ' + e.message; })
.then(() => {
  // The widget leaves: its instance is destroyed, and a new one may start.
  out.left = true;
  done(out);
});
"#;

const REFUSALS_AFTER: &str = r#"
const done = arguments[arguments.length - 1];
const [pk, secret] = [arguments[0], arguments[1]];
const out = {};
const message = (f) => { try { f(); return null; } catch (e) { return e.name + ': ' + e.message; } };
Stripe(pk).createEmbeddedCheckoutPage({ clientSecret: secret }).then((checkout) => {
  const host = document.createElement('div');
  document.body.appendChild(host);
  const inShadow = host.attachShadow({ mode: 'open' }).appendChild(document.createElement('div'));
  out.shadow = message(() => checkout.mount(inShadow));
  out.detached = message(() => checkout.mount(document.createElement('div')));
  out.firstDestroy = message(() => checkout.destroy());
  out.secondDestroy = message(() => checkout.destroy());
  host.remove();
  done(out);
}, (e) => done({ error: e.name + ': ' + e.message }));
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stand_in_refuses_what_stripe_js_refuses() -> anyhow::Result<()> {
    let stack = stack(StripeTrain::Dahlia, StackOptions::default()).await?;
    let (page, stripe) = (stack.booking_page(), stack.sim.stripe_url.clone());
    let pk = kassa_e2e::stack::secrets::STRIPE_PUBLISHABLE_KEY;
    Browser::start().await?.run(|d| async move {
        d.goto(&page).await?;
        let w = CheckoutPage::new(&d);
        open(&d, &w, STRIPE).await?;
        let state: Value = reqwest::get(format!("{stripe}/__sim/state")).await?.json().await?;
        let secret = state["checkout_sessions"]
            .as_array()
            .and_then(|a| a.last())
            .and_then(|s| s["client_secret"].as_str())
            .unwrap_or_default()
            .to_owned();
        let first = d.execute_async(REFUSALS, vec![json!(pk), json!(secret)]).await?.json().clone();
        ensure!(
            first["oldName"] == json!("IntegrationError: stripe.initEmbeddedCheckout() has been removed. Please use stripe.createEmbeddedCheckoutPage() instead.")
                && first["whileLive"] == json!("IntegrationError: You cannot have multiple Embedded Checkout objects."),
            "while the widget's checkout lives: {first}"
        );
        w.click("Choose another way to pay").await?;
        w.wait_state("picker").await?;
        let after = d.execute_async(REFUSALS_AFTER, vec![json!(pk), json!(secret)]).await?.json().clone();
        let destroyed = "IntegrationError: This Embedded Checkout instance has been destroyed and can't be used anymore. Please create a new one.";
        ensure!(
            after["shadow"] == json!("IntegrationError: Elements cannot be mounted in a ShadowRoot. Please mount in the Light DOM.")
                && after["detached"].as_str().is_some_and(|m| m.starts_with("IntegrationError: "))
                && after["firstDestroy"].is_null()
                && after["secondDestroy"] == json!(destroyed),
            "after the widget left: {after}"
        );
        Ok(())
    })
    .await
}

//! WCAG 2.2 AA in every language: axe-core runs inside the widget's shadow root on every
//! screen (picker, details form with and without errors, in flight, the provider's frame
//! with the hold countdown, embedded checkout, confirming, and each status screen) and must
//! find nothing (the notice before a provider that refuses frames takes the whole window
//! too). A request is held back through the DevTools `Fetch` domain to catch the
//! screens that otherwise pass in a moment. Also: reduced motion stops the spinner and the
//! transitions.

use anyhow::bail;
use kassa_e2e::{
    page::{axe_source, hold, release, ProviderPage},
    Browser, CheckoutPage, Stack, StackOptions,
};
use serde_json::json;
use thirtyfour::WebDriver;

const ITEMS: &str = r#"[{"sku":"kayak-2h","quantity":2,"start_date":"2026-12-01","end_date":"2026-12-01"},{"sku":"life-jacket","quantity":2,"start_date":"2026-12-01","end_date":"2026-12-01"}]"#;

/// Fails with the violations if axe finds any on what the widget shows now.
async fn clean(
    widget: &CheckoutPage<'_>,
    axe: &str,
    lang: &str,
    screen: &str,
) -> anyhow::Result<()> {
    let violations = widget.axe(axe).await?;
    if !violations.is_empty() {
        bail!("axe, {lang}, {screen}:\n  {}", violations.join("\n  "));
    }
    Ok(())
}

/// Waits until `script` (returning a boolean, with `root` the widget's shadow root) is true.
async fn until(d: &WebDriver, what: &str, script: &str) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + kassa_e2e::WAIT;
    let full = format!(
        "const root = document.querySelector('kassa-checkout').shadowRoot; return !!({script});"
    );
    while !d.execute(full.as_str(), vec![]).await?.json().as_bool().unwrap_or(false) {
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "waited in vain for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Ok(())
}

async fn every_screen_in(lang: &str) -> anyhow::Result<()> {
    let axe = axe_source()?;
    let page = format!("{lang}.html");
    let body = format!("<main><h1>Booking</h1><kassa-checkout locale=\"{lang}\" items='{ITEMS}'></kassa-checkout></main>");
    let stack =
        Stack::start(StackOptions { pages: vec![(page.clone(), body)], ..Default::default() })
            .await?;
    let url = format!("{}/{page}", stack.site_url);
    let browser = Browser::start().await?;
    let d = browser.driver.clone();
    let result = async {
        let w = CheckoutPage::new(&d);
        let provider = ProviderPage::new(&d);
        d.goto(&url).await?;
        w.wait_state("picker").await?;
        clean(&w, &axe, lang, "picker").await?;

        // The details form, then its errors.
        w.choose("Invoice with BankID (Front Payment)").await?;
        w.click_testid("kassa-customer-private").await?;
        until(
            &d,
            "the personal number field",
            "root.querySelector('#kassa-field-personal_number')",
        )
        .await?;
        clean(&w, &axe, lang, "details form").await?;
        w.click_testid("kassa-pay").await?;
        until(&d, "field errors", "root.querySelector('[aria-invalid=true]')").await?;
        clean(&w, &axe, lang, "details form with errors").await?;

        // In flight, then the provider's frame with the hold countdown, then paid.
        w.choose("Pay on this page (Checkfront)").await?;
        w.type_testid("kassa-field-name", "Kari Nordmann").await?;
        w.type_testid("kassa-field-email", "kari@example.no").await?;
        w.fill_account_fields().await?;
        hold(&d, "*/v1/checkout/sessions*").await?;
        w.click_testid("kassa-pay").await?;
        w.wait_state("creating").await?;
        clean(&w, &axe, lang, "payment in flight").await?;
        release(&d).await?;
        w.wait_state("iframe").await?;
        until(&d, "the hold countdown", "root.querySelector('[data-testid=kassa-hold]')").await?;
        clean(&w, &axe, lang, "provider frame").await?;
        w.press_in_frame("Pay").await?;
        w.wait_state("paid").await?;
        clean(&w, &axe, lang, "paid").await?;

        // Declined at the provider.
        d.goto(&url).await?;
        w.choose("Card (Stripe)").await?;
        w.click_testid("kassa-pay").await?;
        provider.click("Decline").await?;
        provider.follow("Return to merchant").await?;
        w.wait_state("failed").await?;
        clean(&w, &axe, lang, "failed").await?;

        // Cancelled at the provider.
        w.click_testid("kassa-choose-another").await?;
        w.wait_state("picker").await?;
        w.choose("Crypto or card (Payfect)").await?;
        w.click_testid("kassa-pay").await?;
        provider.click("Cancel").await?;
        w.wait_state("cancelled").await?;
        clean(&w, &axe, lang, "cancelled").await?;

        // Expired at the provider.
        d.goto(&url).await?;
        w.choose("Card (Stripe)").await?;
        w.click_testid("kassa-pay").await?;
        provider.click("Expire session").await?;
        provider.follow("Return to merchant").await?;
        w.wait_state("expired").await?;
        clean(&w, &axe, lang, "expired").await?;

        // Embedded checkout.
        d.goto(&url).await?;
        w.choose("Card, on this page (Stripe)").await?;
        w.click_testid("kassa-pay").await?;
        w.wait_state("embedded").await?;
        clean(&w, &axe, lang, "embedded checkout").await?;

        // The provider refuses to be framed: the notice, held while the page would go.
        let framing = |policy: &'static str| {
            let url = format!("{}/__sim/framing", stack.sim.payfect_url);
            async move {
                let res = reqwest::Client::new()
                    .post(url)
                    .json(&json!({ "policy": policy }))
                    .send()
                    .await?;
                anyhow::ensure!(res.status().is_success(), "setting the framing policy");
                Ok::<_, anyhow::Error>(())
            }
        };
        framing("deny").await?;
        d.goto(&url).await?;
        w.choose("Crypto or card, on this page (Payfect)").await?;
        hold(&d, "*/checkouts/*").await?;
        w.click_testid("kassa-pay").await?;
        w.wait_state("redirecting").await?;
        clean(&w, &axe, lang, "frame refused").await?;
        release(&d).await?;
        framing("allow").await?;

        // Confirming after the return (status request held), then the receipt.
        d.goto(&url).await?;
        w.choose("Card (Stripe)").await?;
        w.click_testid("kassa-pay").await?;
        hold(&d, "*/v1/checkout/sessions/*").await?;
        provider.click("Pay").await?;
        provider.wait_url(&stack.site_url).await?;
        w.wait_state("confirming").await?;
        clean(&w, &axe, lang, "confirming").await?;
        release(&d).await?;
        w.wait_state("paid").await?;

        // The backend is down: the problem screen.
        stack.server.stop_api();
        d.goto(&url).await?;
        w.wait_state("error").await?;
        clean(&w, &axe, lang, "error").await?;
        Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_nothing_on_any_screen_in_english() -> anyhow::Result<()> {
    every_screen_in("en").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_nothing_on_any_screen_in_norwegian() -> anyhow::Result<()> {
    every_screen_in("nb").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_nothing_on_any_screen_in_swedish() -> anyhow::Result<()> {
    every_screen_in("sv").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_nothing_on_any_screen_in_danish() -> anyhow::Result<()> {
    every_screen_in("da").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_nothing_on_any_screen_in_german() -> anyhow::Result<()> {
    every_screen_in("de").await
}

/// The focused element inside the widget: `[testid, role-ish tag, checked, outline style]`.
async fn focused(d: &WebDriver) -> anyhow::Result<serde_json::Value> {
    let ret = d
        .execute(
            "const root = document.querySelector('kassa-checkout').shadowRoot; const a = root.activeElement;\
             if (!a) return null; const cs = getComputedStyle(a);\
             return [a.getAttribute('data-testid') || a.localName, a.textContent.trim(), !!a.checked,\
                     cs.outlineStyle !== 'none' || cs.boxShadow !== 'none'];",
            vec![],
        )
        .await?;
    Ok(ret.json().clone())
}

async fn press(d: &WebDriver, key: thirtyfour::Key) -> anyhow::Result<()> {
    d.action_chain().send_keys(key).perform().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_can_pay_and_go_on_by_keyboard_alone_with_visible_focus() -> anyhow::Result<()> {
    use thirtyfour::Key;
    let body =
        format!("<main><kassa-checkout locale=\"en\" items='{ITEMS}'></kassa-checkout></main>");
    let stack = Stack::start(StackOptions {
        pages: vec![("keys.html".into(), body)],
        ..Default::default()
    })
    .await?;
    let url = format!("{}/keys.html", stack.site_url);
    let site = stack.site_url.clone();
    let browser = Browser::start().await?;
    let d = browser.driver.clone();
    let result = async {
        d.goto(&url).await?;
        let w = CheckoutPage::new(&d);
        w.wait_state("picker").await?;
        assert_eq!(focused(&d).await?, json!(null), "focus stays with the page on load");
        // Tab into the method group, arrows through it in the order shown (grouped: five
        // cards, then the crypto methods) to Payfect's page, Tab to Pay, Enter.
        press(&d, Key::Tab).await?;
        let first = focused(&d).await?;
        anyhow::ensure!(
            first[0] == json!("kassa-method-stripe-hosted"),
            "Tab lands on the first method: {first}"
        );
        for _ in 0..6 {
            press(&d, Key::Down).await?;
        }
        let picked = focused(&d).await?;
        anyhow::ensure!(
            picked[0] == json!("kassa-method-payfect-redirect")
                && picked[2] == json!(true)
                && picked[3] == json!(true),
            "arrows pick a method, with a visible focus ring: {picked}"
        );
        press(&d, Key::Tab).await?;
        let pay = focused(&d).await?;
        anyhow::ensure!(
            pay[0] == json!("kassa-pay") && pay[3] == json!(true),
            "Tab reaches Pay, visibly: {pay}"
        );
        press(&d, Key::Enter).await?;
        let provider = ProviderPage::new(&d);
        provider.click("Cancel").await?;
        provider.wait_url(&site).await?;
        w.wait_state("cancelled").await?;
        // Back on the page, focus is on the new heading; Tab reaches the way on.
        until(
            &d,
            "focus on the heading",
            "root.activeElement && root.activeElement.localName === 'h2'",
        )
        .await?;
        press(&d, Key::Tab).await?;
        let next = focused(&d).await?;
        anyhow::ensure!(
            next[0] == json!("kassa-choose-method") && next[3] == json!(true),
            "Tab reaches the button: {next}"
        );
        press(&d, Key::Enter).await?;
        w.wait_state("picker").await?;
        Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

/// The spinner's animation (on the loading screen) or the pay button's transition.
const MOTION: &str = r#"
const root = document.querySelector('kassa-checkout').shadowRoot;
const busy = root.querySelector('.kassa-status--busy');
const pay = root.querySelector('.kassa-pay');
return {
  spinner: busy ? getComputedStyle(busy, '::before').animationName : null,
  transition: pay ? getComputedStyle(pay).transitionDuration : null,
};
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reduced_motion_stops_the_spinner_and_the_transitions() -> anyhow::Result<()> {
    let stack = Stack::start(StackOptions::default()).await?;
    let page = stack.booking_page();
    let browser = Browser::start().await?;
    browser
        .run(|d| async move {
            let w = CheckoutPage::new(&d);
            let cases = [("no-preference", "kassa-spin", "0.15s"), ("reduce", "none", "0s")];
            for (preference, spinner, transition) in cases {
                d.cdp()
                    .send_raw(
                        "Emulation.setEmulatedMedia",
                        json!({"features": [{"name": "prefers-reduced-motion", "value": preference}]}),
                    )
                    .await?;
                // The configuration request is held, so the loading spinner stays.
                hold(&d, "*/v1/checkout/config*").await?;
                d.goto(&page).await?;
                w.wait_state("loading").await?;
                until(&d, "the widget's stylesheet", "root.querySelector('link[rel=stylesheet]').sheet")
                    .await?;
                let shown = d.execute(MOTION, vec![]).await?.json().clone();
                anyhow::ensure!(
                    shown["spinner"] == json!(spinner),
                    "{preference}: the loading spinner's animation is {}",
                    shown["spinner"]
                );
                release(&d).await?;
                w.wait_state("picker").await?;
                let shown = d.execute(MOTION, vec![]).await?.json().clone();
                anyhow::ensure!(
                    shown["transition"] == json!(transition),
                    "{preference}: the pay button's transition lasts {}",
                    shown["transition"]
                );
            }
            Ok(())
        })
        .await
}

//! The price the customer saw (issue 13): the catalog changes between the quote on the Pay
//! button and the press on Pay. The backend creates nothing and answers `price_changed` with
//! the new quote; the widget says "The price has changed" with the new total, and paying
//! the new total works, in Chromium against the real backend and simulator.
//!
//! The backend's catalog is fixed for a running process, so the test makes the customer see
//! the quote the backend issued before the change: a quote for the same cart at the old
//! kayak price, signed with the backend's own quote key (`checkout.quote_key`), which the
//! browser is given as the answer to its quote request. Everything after that (the session
//! request, the 409, the notice, the second Pay, the provider's page) is the real thing.

use kassa_e2e::{stack::secrets, Browser, CheckoutPage, Stack, StackOptions};
use kassa_server::quotes::{Priced, Quotes};
use kassa_wire::{CartItem, Money, Quote, QuoteRequest};
use serde_json::json;

/// The cart on the demo page (`index.html`).
fn demo_items(stack: &Stack) -> anyhow::Result<Vec<CartItem>> {
    let page = std::fs::read_to_string(stack.site_dir.join("index.html"))?;
    let start = page.find("items='").ok_or_else(|| anyhow::anyhow!("no items on the page"))? + 7;
    let end = start + page[start..].find('\'').ok_or_else(|| anyhow::anyhow!("unclosed items"))?;
    Ok(serde_json::from_str(&page[start..end])?)
}

/// The quote the backend gave for `items` while the kayak tour cost `less` minor units less.
fn quote_before_the_change(now: &Quote, items: &[CartItem], less: i64) -> anyhow::Result<Quote> {
    let mut lines = now.lines.clone();
    let kayak = lines
        .iter_mut()
        .find(|l| l.sku == "kayak-2h")
        .ok_or_else(|| anyhow::anyhow!("no kayak line"))?;
    let currency = kayak.unit_price.currency();
    let unit = kayak.unit_price.minor() - less;
    kayak.unit_price = Money::from_minor(unit, currency)?;
    kayak.line_total = Money::from_minor(unit * i64::from(kayak.quantity), currency)?;
    let total = Money::from_minor(lines.iter().map(|l| l.line_total.minor()).sum(), currency)?;
    let issued = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
    let quotes = Quotes::new(Some(&secrets::QUOTE_KEY.to_owned().into()), 900);
    Ok(quotes.issue(items, Priced { lines, total }, i64::try_from(issued)?))
}

/// Answers the page's quote requests with `seen` (before any script of the page runs).
async fn show_quote(driver: &thirtyfour::WebDriver, seen: &Quote) -> anyhow::Result<()> {
    let source = format!(
        r#"(function () {{
  var seen = {seen};
  var fetch = window.fetch;
  window.fetch = function (input, init) {{
    var url = typeof input === "string" ? input : input.url;
    var method = (init && init.method) || (typeof input === "string" ? "GET" : input.method);
    if (method === "POST" && new URL(url, location.href).pathname === "/v1/checkout/quote") {{
      return Promise.resolve(new Response(JSON.stringify(seen),
        {{ status: 200, headers: {{ "Content-Type": "application/json" }} }}));
    }}
    return fetch.apply(this, arguments);
  }};
}})();"#,
        seen = serde_json::to_string(seen)?
    );
    driver
        .cdp()
        .send_raw("Page.addScriptToEvaluateOnNewDocument", json!({ "source": source }))
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_changed_before_pay_shows_the_new_total_and_pays_it() -> anyhow::Result<()> {
    let stack = Stack::start(StackOptions::default()).await?;
    let items = demo_items(&stack)?;
    let now: Quote = reqwest::Client::new()
        .post(format!("{}/v1/checkout/quote", stack.api_url))
        .json(&QuoteRequest { items: items.clone() })
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    assert_eq!(now.total.minor(), 145_000, "the demo cart costs NOK 1,450.00 now");
    // Before the change a kayak tour cost 50.00 less: two of them, 100.00 less in all.
    let seen = quote_before_the_change(&now, &items, 5_000)?;
    assert_eq!(seen.total.minor(), 135_000);

    let browser = Browser::start().await?;
    let page = stack.booking_page();
    let payfect = stack.sim.payfect_url.clone();
    browser
        .run(|d| async move {
            show_quote(&d, &seen).await?;
            d.goto(page).await?;
            let widget = CheckoutPage::new(&d);
            widget.wait_state("picker").await?;
            widget.choose("Crypto or card, on this page (Payfect)").await?;
            let first = widget.pay().await?;
            assert!(first.contains("1,350.00"), "the customer saw the old total: {first}");
            // The backend refuses the old quote; the widget then shows the notice.
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
            while !widget.text().await?.contains("The price has changed") {
                anyhow::ensure!(
                    tokio::time::Instant::now() < deadline,
                    "no price notice; the widget shows: {}",
                    widget.text().await?
                );
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            let second = widget.by_role_prefix("button", "Pay").await?;
            let (_, name) = kassa_e2e::page::accessible(&d, &second).await?;
            assert!(name.contains("1,450.00"), "the Pay button names the new total: {name}");
            let text = widget.text().await?;
            assert!(text.contains("The price has changed"), "the notice: {text}");
            assert!(
                text.contains("The total is now") && text.contains("1,450.00"),
                "the notice names the new total: {text}"
            );
            assert!(!text.contains("1,350.00"), "the old total is gone everywhere: {text}");
            assert_eq!(widget.state().await?.as_deref(), Some("picker"), "nothing started");
            second.click().await?;
            widget.wait_state("iframe").await?;
            let src = widget.frame().await?.attr("src").await?.unwrap_or_default();
            assert!(src.starts_with(&payfect), "Payfect's page for the new total: {src}");
            widget.press_in_frame("Pay").await?;
            widget.wait_state("paid").await?;
            widget.expect_heading("Payment received").await?;
            let receipt = widget.text().await?;
            assert!(receipt.contains("1,450.00"), "the receipt shows the new total: {receipt}");
            Ok(())
        })
        .await
}

//! What a customer sees when the page or the backend is wrong: a clear message, never a
//! blank box, and nothing created.

use kassa_e2e::{
    page::{hold, in_widget, wait_until},
    Browser, CheckoutPage, Stack, StackOptions,
};

fn page(items: &str) -> String {
    format!("<h1>Bad cart</h1><kassa-checkout items='{items}'></kassa-checkout>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_items_show_a_message_and_create_nothing() -> anyhow::Result<()> {
    let cases = [
        ("malformed.html", "[{\"sku\": \"kayak-2h\""),
        ("zero.html", "[{\"sku\":\"life-jacket\",\"quantity\":0}]"),
        ("huge.html", "[{\"sku\":\"life-jacket\",\"quantity\":10000}]"),
        ("unknown.html", "[{\"sku\":\"submarine\",\"quantity\":1}]"),
    ];
    let pages = cases.iter().map(|(name, items)| (name.to_string(), page(items))).collect();
    let stack = Stack::start(StackOptions { pages, ..Default::default() }).await?;
    let browser = Browser::start().await?;
    let result = async {
        for (name, _) in cases {
            browser.driver.goto(format!("{}/{name}", stack.site_url)).await?;
            let widget = CheckoutPage::new(&browser.driver);
            widget.wait_state("error").await?;
            let text = widget.text().await?;
            assert!(!text.trim().is_empty(), "{name}: the widget explains the problem");
            assert!(
                widget.all_by_role("button", "Pay", true).await?.is_empty(),
                "{name}: no Pay button"
            );
        }
        let orders =
            reqwest::get(format!("{}/__sim/requests", stack.sim.stripe_url)).await?.text().await?;
        assert!(!orders.contains("checkout/sessions"), "no provider session was created: {orders}");
        anyhow::Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_that_is_down_shows_a_retry_not_a_blank_box() -> anyhow::Result<()> {
    let stack = Stack::start(StackOptions::default()).await?;
    stack.server.stop_api();
    let browser = Browser::start().await?;
    let result = async {
        browser.driver.goto(stack.booking_page()).await?;
        let widget = CheckoutPage::new(&browser.driver);
        widget.wait_state("error").await?;
        assert!(
            widget.text().await?.contains("can't reach the checkout service"),
            "{}",
            widget.text().await?
        );
        widget.by_role("button", "Retry").await?;
        anyhow::Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

/// Issue 12, "Bad input": the screens after the picker are a separately loaded part of the
/// widget (`src/components/after_pay.rs`). When that part cannot be loaded, the widget says
/// so and offers Retry, never a blank box; Retry loads it once it can be reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_that_fails_to_load_says_so_and_retries() -> anyhow::Result<()> {
    let stack = Stack::start(StackOptions::default()).await?;
    let browser = Browser::start().await?;
    let result = async {
        let d = &browser.driver;
        d.cdp().send_raw("Network.enable", serde_json::json!({})).await?;
        block(d, &["*split_kassa_after_pay*"]).await?;
        // A return from a provider shows the confirming screen, which is after Pay.
        let mut url = stack.booking_page();
        url.push_str(if url.contains('?') { "&" } else { "?" });
        url.push_str("kassa_session=ks_missing&kassa_return=success");
        d.goto(url).await?;
        let widget = CheckoutPage::new(d);
        widget.expect_heading("Part of the checkout couldn't load.").await?;
        block(d, &[]).await?;
        widget.click("Retry").await?;
        for _ in 0..100 {
            if !widget.text().await?.contains("Part of the checkout couldn't load") {
                return anyhow::Ok(());
            }
            // Polling the page for the condition, not standing in for it.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        anyhow::bail!("Retry did not load the part: {}", widget.text().await?)
    }
    .await;
    browser.quit().await?;
    result
}

/// The screens after Pay with their part held up on the way (DevTools `Fetch` pauses the
/// request and never lets it go): the widget says "Loading checkout…" in their place, never
/// a blank box.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screen_whose_part_is_slow_to_come_says_loading() -> anyhow::Result<()> {
    let stack = Stack::start(StackOptions::default()).await?;
    Browser::start()
        .await?
        .run(|d| async move {
            hold(&d, "*split_kassa_after_pay*").await?;
            d.goto(stack.booking_page()).await?;
            let widget = CheckoutPage::new(&d);
            widget.wait_state("picker").await?;
            widget.choose("Crypto or card, on this page (Payfect)").await?;
            widget.fill_contact().await?;
            widget.pay().await?;
            widget.wait_state("iframe").await?;
            wait_until(
                &d,
                "the frame's place saying Loading",
                "root.querySelector('[data-testid=kassa-status-text]') && root.querySelector('[data-testid=kassa-status-text]').textContent === 'Loading checkout…'",
            )
            .await
        })
        .await
}

/// The same for the details form, which loads after the picker too
/// (`src/components/customer_fields.rs`): a method that asks for details shows the notice
/// and Retry in the form's place, and the picker around it stays usable; Retry brings the
/// fields once the part can be reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_details_form_that_fails_to_load_says_so_in_its_place_and_retries() -> anyhow::Result<()>
{
    let stack = Stack::start(StackOptions::default()).await?;
    Browser::start()
        .await?
        .run(|d| async move {
            d.cdp().send_raw("Network.enable", serde_json::json!({})).await?;
            block(&d, &["*split_kassa_customer_fields*"]).await?;
            d.goto(stack.booking_page()).await?;
            let widget = CheckoutPage::new(&d);
            widget.wait_state("picker").await?;
            widget.choose("Invoice with BankID (Front Payment)").await?;
            widget.expect_heading("Part of the checkout couldn't load.").await?;
            let alert = in_widget(
                &d,
                "const a = root.querySelector('[role=alert]'); return a && a.textContent;",
            )
            .await?;
            assert!(
                alert.as_str().is_some_and(|t| t.contains("Part of the checkout couldn't load.")),
                "said to a screen reader as an alert: {alert}"
            );
            assert_eq!(widget.state().await?.as_deref(), Some("picker"), "the picker stays");
            widget.by_role_prefix("button", "Pay").await?;
            block(&d, &[]).await?;
            widget.click("Retry").await?;
            widget.by_role_prefix("textbox", "Full name").await?;
            assert!(
                !widget.text().await?.contains("Part of the checkout couldn't load"),
                "{}",
                widget.text().await?
            );
            Ok(())
        })
        .await
}

/// Makes the browser refuse requests whose URL matches one of `patterns` (DevTools
/// `Network.setBlockedURLs`); none blocks nothing.
async fn block(d: &thirtyfour::WebDriver, patterns: &[&str]) -> anyhow::Result<()> {
    d.cdp().send_raw("Network.setBlockedURLs", serde_json::json!({ "urls": patterns })).await?;
    Ok(())
}

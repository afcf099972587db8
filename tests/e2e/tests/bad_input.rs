//! What a customer sees when the page or the backend is wrong: a clear message, never a
//! blank box, and nothing created.

use kassa_e2e::{Browser, CheckoutPage, Stack, StackOptions};

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

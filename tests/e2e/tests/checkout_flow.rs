//! Every way a customer pays with the demo merchant, in headless Chromium, from the booking
//! page through the simulator's page and back to a receipt the backend verified.

use kassa_e2e::{
    page::{same_document, tag_document, ProviderPage, Shown},
    Browser, CheckoutPage, Stack, StackOptions,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_hosted_redirect_pays_and_shows_the_verified_receipt() -> anyhow::Result<()> {
    let stack = Stack::start(StackOptions::default()).await?;
    let browser = Browser::on_booking_page(&stack).await?;
    let stripe = stack.sim.stripe_url.clone();
    browser
        .run(|d| async move {
            let widget = CheckoutPage::new(&d);
            assert!(
                widget.text().await?.contains("Two-hour kayak tour"),
                "the cart shows the tour"
            );
            widget.by_role("radiogroup", "Payment method").await?;
            widget.choose("Card (Stripe)").await?;
            let pay_name = widget.pay().await?;
            assert!(
                pay_name.starts_with("Pay ") && pay_name.contains("1,450.00"),
                "pay button names the total: {pay_name}"
            );
            let provider = ProviderPage::new(&d);
            let back = provider
                .press_and_return(&format!("{stripe}/c/pay/"), "Pay", &stack.site_url)
                .await?;
            assert!(
                back.contains("kassa_session=ks_"),
                "the return URL carries the session: {back}"
            );
            let widget = CheckoutPage::new(&d);
            widget.wait_state("paid").await?;
            widget.expect_heading("Payment received").await?;
            assert!(widget.text().await?.contains("1,450.00"), "the receipt shows the amount");
            Ok(())
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_embedded_checkout_pays_without_leaving_the_page() -> anyhow::Result<()> {
    let stack = Stack::start(StackOptions::default()).await?;
    let browser = Browser::on_booking_page(&stack).await?;
    let page_url = stack.booking_page();
    browser
        .run(|d| async move {
            let widget = CheckoutPage::new(&d);
            tag_document(&d).await?;
            widget.choose("Card, on this page (Stripe)").await?;
            widget.pay().await?;
            widget.wait_state("embedded").await?;
            widget.press_in_frame("Pay").await?;
            widget.wait_state("paid").await?;
            widget.expect_heading("Payment received").await?;
            assert!(same_document(&d).await?, "the page never navigated");
            let url = d.current_url().await?.to_string();
            assert!(
                url.starts_with(&page_url) && url.contains("kassa_session=ks_"),
                "the address names the session for a reload: {url}"
            );
            Ok(())
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payfect_in_an_iframe_pays_inside_the_widget() -> anyhow::Result<()> {
    let stack = Stack::start(StackOptions::default()).await?;
    let browser = Browser::on_booking_page(&stack).await?;
    let page_url = stack.booking_page();
    let payfect = stack.sim.payfect_url.clone();
    browser
        .run(|d| async move {
            let widget = CheckoutPage::new(&d);
            tag_document(&d).await?;
            widget.choose("Crypto or card, on this page (Payfect)").await?;
            widget.pay().await?;
            widget.wait_state("iframe").await?;
            let frame = widget.frame().await?;
            let src = frame.attr("src").await?.unwrap_or_default();
            assert!(src.starts_with(&payfect), "the frame shows Payfect's page: {src}");
            widget.press_in_frame("Pay").await?;
            widget.wait_state("paid").await?;
            widget.expect_heading("Payment received").await?;
            assert!(same_document(&d).await?, "the top page never navigated");
            let url = d.current_url().await?.to_string();
            assert!(url.starts_with(&page_url), "still on the booking page: {url}");
            Ok(())
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payfect_redirect_pays() -> anyhow::Result<()> {
    let stack = Stack::start(StackOptions::default()).await?;
    let browser = Browser::on_booking_page(&stack).await?;
    let payfect = stack.sim.payfect_url.clone();
    let site = stack.site_url.clone();
    browser
        .run(|d| async move {
            let widget = CheckoutPage::new(&d);
            widget.choose("Crypto or card (Payfect)").await?;
            widget.pay().await?;
            let provider = ProviderPage::new(&d);
            provider.press_and_return(&format!("{payfect}/checkouts/"), "Pay", &site).await?;
            let widget = CheckoutPage::new(&d);
            widget.wait_state("paid").await?;
            widget.expect_heading("Payment received").await?;
            Ok(())
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_card_offers_to_try_again_or_pick_another_method() -> anyhow::Result<()> {
    let stack = Stack::start(StackOptions::default()).await?;
    let browser = Browser::on_booking_page(&stack).await?;
    let site = stack.site_url.clone();
    browser
        .run(|d| async move {
            let widget = CheckoutPage::new(&d);
            widget.choose("Card (Stripe)").await?;
            widget.pay_and_press(Shown::Redirect, "Decline", &site).await?;
            widget.wait_state("failed").await?;
            widget.expect_heading("Payment failed").await?;
            widget.by_role("button", "Try again").await?;
            widget.click("Choose another method").await?;
            widget.wait_state("picker").await?;
            Ok(())
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_at_the_provider_shows_payment_cancelled() -> anyhow::Result<()> {
    let stack = Stack::start(StackOptions::default()).await?;
    let browser = Browser::on_booking_page(&stack).await?;
    let site = stack.site_url.clone();
    browser
        .run(|d| async move {
            let widget = CheckoutPage::new(&d);
            widget.choose("Crypto or card (Payfect)").await?;
            widget.pay_and_press(Shown::Redirect, "Cancel", &site).await?;
            widget.wait_state("cancelled").await?;
            widget.expect_heading("Payment cancelled").await?;
            Ok(())
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_the_provider_expires_shows_session_expired_and_starts_over() -> anyhow::Result<()>
{
    let stack = Stack::start(StackOptions::default()).await?;
    let browser = Browser::on_booking_page(&stack).await?;
    let site = stack.site_url.clone();
    browser
        .run(|d| async move {
            let widget = CheckoutPage::new(&d);
            widget.choose("Card (Stripe)").await?;
            widget.pay_and_press(Shown::Redirect, "Expire session", &site).await?;
            widget.wait_state("expired").await?;
            widget.expect_heading("Session expired").await?;
            widget.click("Start over").await?;
            widget.wait_state("picker").await?;
            Ok(())
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_while_the_provider_page_shows_in_the_widget_shows_it_again() -> anyhow::Result<()>
{
    let stack = Stack::start(StackOptions::default()).await?;
    let browser = Browser::on_booking_page(&stack).await?;
    let page_url = stack.booking_page();
    browser
        .run(|d| async move {
            let widget = CheckoutPage::new(&d);
            // A frame: the same provider page again, then paid inside it.
            widget.choose("Crypto or card, on this page (Payfect)").await?;
            widget.pay().await?;
            widget.wait_state("iframe").await?;
            let src = widget.frame().await?.attr("src").await?;
            d.refresh().await?;
            widget.wait_state("iframe").await?;
            assert_eq!(widget.frame().await?.attr("src").await?, src, "the same session's page");
            widget.press_in_frame("Pay").await?;
            widget.wait_state("paid").await?;
            // Settled: a reload shows the receipt again.
            d.refresh().await?;
            widget.wait_state("paid").await?;

            // Leaving the frame for the picker forgets the session: a reload starts afresh.
            d.goto(&page_url).await?;
            widget.choose("Pay on this page (Checkfront)").await?;
            widget.type_testid("kassa-field-name", "Kari Nordmann").await?;
            widget.type_testid("kassa-field-email", "kari@example.no").await?;
            widget.fill_account_fields().await?;
            widget.pay().await?;
            widget.wait_state("iframe").await?;
            widget.click_testid("kassa-leave").await?;
            widget.wait_state("picker").await?;
            d.refresh().await?;
            widget.wait_state("picker").await?;

            // Stripe's embedded checkout mounts again for the same session.
            widget.choose("Card, on this page (Stripe)").await?;
            widget.pay().await?;
            widget.wait_state("embedded").await?;
            d.refresh().await?;
            widget.wait_state("embedded").await?;
            widget.press_in_frame("Pay").await?;
            widget.wait_state("paid").await?;
            Ok(())
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_return_url_alone_shows_the_receipt_in_another_browser() -> anyhow::Result<()> {
    let stack = Stack::start(StackOptions::default()).await?;
    let browser = Browser::on_booking_page(&stack).await?;
    let (payfect, site) = (stack.sim.payfect_url.clone(), stack.site_url.clone());
    let mut back = String::new();
    let back_ref = &mut back;
    browser
        .run(|d| async move {
            let widget = CheckoutPage::new(&d);
            widget.choose("Crypto or card (Payfect)").await?;
            widget.pay().await?;
            let provider = ProviderPage::new(&d);
            *back_ref =
                provider.press_and_return(&format!("{payfect}/checkouts/"), "Pay", &site).await?;
            widget.wait_state("paid").await
        })
        .await?;
    // Another browser with an empty profile (no cookies, no storage), as when the customer
    // comes back in another tab or on another device: the address is enough.
    let other = Browser::start().await?;
    other
        .run(|d| async move {
            d.goto(&back).await?;
            let widget = CheckoutPage::new(&d);
            widget.wait_state("paid").await?;
            widget.expect_heading("Payment received").await
        })
        .await
}

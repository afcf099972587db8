//! The picker a customer recognises at a glance (issue 15): methods grouped by what the
//! customer pays with, each with its brand marks as images beside the bundle, still one
//! native radio group named "Payment method"; a mark that fails to load leaves its label
//! alone without a broken-image icon or a jump; clean for axe and usable at 320, 360 and
//! 414 px in all five languages. Writes the README's picker screenshots to docs/screenshots/.

use std::path::Path;

use anyhow::{bail, ensure};
use kassa_e2e::{
    page::{axe_source, in_widget as in_root, wait_until as until},
    stack::pages_per_language,
    Browser, CheckoutPage, Stack, StackOptions,
};
use serde_json::json;
use thirtyfour::prelude::*;

const ITEMS: &str =
    r#"[{"sku":"kayak-2h","quantity":2,"start_date":"2026-12-01","end_date":"2026-12-01"}]"#;

/// Every mark image in the picker has loaded (or failed).
const MARKS_SETTLED: &str =
    "[...root.querySelectorAll('img.kassa-mark')].every(i => i.complete) && root.querySelector('img.kassa-mark')";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn methods_are_grouped_by_what_the_customer_pays_with_and_show_their_marks(
) -> anyhow::Result<()> {
    let stack = Stack::start(StackOptions::default()).await?;
    let browser = Browser::on_booking_page(&stack).await?;
    browser
        .run(|d| async move {
            let w = CheckoutPage::new(&d);
            w.by_role("radiogroup", "Payment method").await?;
            // The groups, in the order the merchant's list first uses them, "other" last.
            let legends = in_root(
                &d,
                "return [...root.querySelectorAll('.kassa-methods__group > legend')].map(l => l.textContent);",
            )
            .await?;
            assert_eq!(
                legends,
                json!(["Card", "Crypto", "Vipps", "Wallet", "Invoice", "On the booking page", "More ways to pay"])
            );
            // Still one radio group: every radio shares one name, one radio per method.
            let radios = in_root(
                &d,
                "const r = [...root.querySelectorAll('input[type=radio]')]; return [r.length, new Set(r.map(x => x.name)).size];",
            )
            .await?;
            assert_eq!(radios, json!([14, 1]));
            // Each method's marks, as images from the bundle's marks/ folder, decorative.
            until(&d, "the marks to load", MARKS_SETTLED).await?;
            let marks = in_root(
                &d,
                "return Object.fromEntries([...root.querySelectorAll('label.kassa-method')].map(l => [\
                   l.querySelector('input').value,\
                   [...l.querySelectorAll('img.kassa-mark')].map(i => [i.dataset.mark, i.alt, i.naturalWidth > 0, new URL(i.src).pathname])]));",
            )
            .await?;
            assert_eq!(marks["fp-vipps"], json!([["vipps", "", true, "/kassa/marks/vipps.svg"]]));
            assert_eq!(marks["fp-applepay"][0][0], "apple_pay");
            assert_eq!(marks["stripe-hosted"].as_array().map(Vec::len), Some(2));
            for (method, list) in marks.as_object().into_iter().flatten() {
                for mark in list.as_array().into_iter().flatten() {
                    ensure!(mark[1] == "" && mark[2] == true, "{method}: {mark} did not load as a decorative image");
                }
            }
            // A radio is still named by its label alone: the marks add nothing to its name.
            w.choose("Vipps (Front Payment)").await?;
            // Arrow keys move the choice through the one group in the order shown, across the
            // groups' fieldsets: from Vipps to the first wallet.
            let vipps = w.by_role("radio", "Vipps (Front Payment)").await?;
            vipps.send_keys(Key::Down).await?;
            let now = in_root(
                &d,
                "const a = root.activeElement; return a && a.checked ? a.value : null;",
            )
            .await?;
            assert_eq!(now, json!("fp-applepay"), "ArrowDown picks the next method shown");
            Ok(())
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mark_that_fails_to_load_leaves_its_label_alone_and_nothing_moves() -> anyhow::Result<()>
{
    let stack = Stack::start(StackOptions::default()).await?;
    std::fs::remove_file(stack.site_dir.join("kassa/marks/vipps.svg"))?;
    let browser = Browser::on_booking_page(&stack).await?;
    browser
        .run(|d| async move {
            let w = CheckoutPage::new(&d);
            until(&d, "the missing Vipps mark to fail", "root.querySelector('img[data-mark=vipps].kassa-mark--failed')").await?;
            let shown = in_root(
                &d,
                "const i = root.querySelector('img[data-mark=vipps]'); const r = i.getBoundingClientRect();\
                 const l = i.closest('label').getBoundingClientRect();\
                 const other = root.querySelector('img[data-mark=apple_pay]').closest('label').getBoundingClientRect();\
                 return [getComputedStyle(i).visibility, r.width, r.height, l.height === other.height];",
            )
            .await?;
            assert_eq!(shown, json!(["hidden", 48, 32, true]), "hidden in its own box, the row keeps its height");
            w.choose("Vipps (Front Payment)").await?;
            Ok(())
        })
        .await
}

/// Where the README's screenshots go.
fn screenshots() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_picker_fits_small_screens_and_is_clean_for_axe_in_five_languages() -> anyhow::Result<()>
{
    let langs = ["en", "nb", "sv", "da", "de"];
    let pages = pages_per_language(&langs, ITEMS);
    let stack = Stack::start(StackOptions { pages, ..Default::default() }).await?;
    let site = stack.site_url.clone();
    let axe = axe_source()?;
    Browser::start()
        .await?
        .run(|d| async move {
            std::fs::create_dir_all(screenshots())?;
            for lang in langs {
                for width in [320, 360, 414] {
                    d.cdp()
                        .send_raw(
                            "Emulation.setDeviceMetricsOverride",
                            json!({"width": width, "height": 2400, "deviceScaleFactor": 1, "mobile": false}),
                        )
                        .await?;
                    d.goto(format!("{site}/{lang}.html")).await?;
                    let w = CheckoutPage::new(&d);
                    w.wait_state("picker").await?;
                    until(&d, "the marks to load", MARKS_SETTLED).await?;
                    let fit = d
                        .execute(
                            "const root = document.querySelector('kassa-checkout').shadowRoot;\
                             const page = document.documentElement.scrollWidth;\
                             const wide = [...root.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5).map(e => e.className || e.tagName);\
                             const small = [...root.querySelectorAll('label.kassa-method, button')].filter(e => { const r = e.getBoundingClientRect(); return r.width < 44 || r.height < 44; }).map(e => e.textContent);\
                             return [page, wide.slice(0, 5), small];",
                            vec![],
                        )
                        .await?
                        .json()
                        .clone();
                    ensure!(fit[0].as_u64() <= Some(width), "{lang} at {width}px: the page scrolls sideways ({})", fit[0]);
                    ensure!(fit[1] == json!([]), "{lang} at {width}px: past the right edge: {}", fit[1]);
                    ensure!(fit[2] == json!([]), "{lang} at {width}px: touch targets under 44 x 44: {}", fit[2]);
                    if width == 320 {
                        let violations = w.axe(&axe).await?;
                        if !violations.is_empty() {
                            bail!("axe, {lang}, picker:\n  {}", violations.join("\n  "));
                        }
                    }
                    if lang == "en" || (lang == "nb" && width == 360) {
                        let host = d
                            .execute("return document.querySelector('kassa-checkout');", vec![])
                            .await?
                            .element()?;
                        let png = host.screenshot_as_png().await?;
                        std::fs::write(screenshots().join(format!("picker-{lang}-{width}.png")), png)?;
                    }
                }
            }
            Ok(())
        })
        .await
}

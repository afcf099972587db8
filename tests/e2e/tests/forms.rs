//! Forms people fill without thinking (issue 15): the invoice form's country is a list of
//! country names in the page's language (the browser's `Intl.DisplayNames`), sorted as that
//! language sorts and starting at the merchant's country; the customer kind starts at a
//! private person; a phone number written as people write it is shown back normalised once
//! the field is left; the merchant's default method is chosen when the picker opens; and the
//! form is clean for axe in all five languages.

use anyhow::{bail, ensure, Context as _};
use kassa_e2e::{
    page::{axe_source, hold, in_widget as in_root, release, wait_until as until},
    stack::pages_per_language,
    Browser, CheckoutPage, Stack, StackOptions, WAIT,
};
use serde_json::{json, Value};
use thirtyfour::prelude::*;

const INVOICE: &str = "Invoice with BankID (Front Payment)";
const ITEMS: &str =
    r#"[{"sku":"kayak-2h","quantity":2,"start_date":"2026-12-01","end_date":"2026-12-01"}]"#;

/// The country list as shown: `[selected value, selected text, option count, sorted as
/// `lang` sorts, every option named (not a bare code)]`.
const COUNTRY_LIST: &str = "const s = root.getElementById('kassa-field-country');\
     const names = [...s.options].map(o => o.textContent);\
     const order = new Intl.Collator([arguments[0]]).compare;\
     const sorted = names.every((n, i) => i === 0 || order(names[i - 1], n) <= 0);\
     return [s.value, s.selectedOptions[0].textContent, s.options.length, sorted, names.filter(n => /^[A-Z]{2}$/.test(n))];";

/// Types `text` into the field with this test id, leaves it (Tab), and waits until the field
/// shows `shown`.
async fn type_and_leave(
    d: &WebDriver,
    testid: &str,
    text: &str,
    shown: &str,
) -> anyhow::Result<()> {
    let field = d
        .execute(
            format!(
                "return document.querySelector('kassa-checkout').shadowRoot.querySelector('[data-testid={testid}]');"
            ),
            vec![],
        )
        .await?
        .element()?;
    field.clear().await?;
    field.send_keys(text).await?;
    field.send_keys(Key::Tab).await?;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now =
            in_root(d, &format!("return root.querySelector('[data-testid={testid}]').value;"))
                .await?;
        if now == json!(shown) {
            return Ok(());
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "{testid}: typed {text:?}, shows {now}, not {shown:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Records the body of every request the page sends through `fetch` in
/// `window.__kassaSent` (the widget's requests go through the page's `fetch`).
const RECORD_REQUESTS: &str = "window.__kassaSent = []; const f = window.fetch;\
     window.fetch = function (r, init) {\
       if (r instanceof Request) { r.clone().text().then(t => window.__kassaSent.push(t)); }\
       else if (init && typeof init.body === 'string') { window.__kassaSent.push(init.body); }\
       return f.apply(this, arguments);\
     };";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_invoice_form_starts_private_in_the_merchants_country_and_another_reaches_the_backend(
) -> anyhow::Result<()> {
    let stack = Stack::start(StackOptions::default()).await?;
    let browser = Browser::on_booking_page(&stack).await?;
    browser
        .run(|d| async move {
            let w = CheckoutPage::new(&d);
            w.choose(INVOICE).await?;
            until(&d, "the country list", "root.getElementById('kassa-field-country')").await?;
            // A private person until the customer says otherwise, so the personal number shows.
            let kind = in_root(
                &d,
                "return ['private', 'corporate'].map(k => root.querySelector(`[data-testid=kassa-customer-${k}]`).checked)\
                   .concat([!!root.getElementById('kassa-field-personal_number'), !!root.getElementById('kassa-field-organisation_id')]);",
            )
            .await?;
            assert_eq!(kind, json!([true, false, true, false]));
            // Every assigned country, named in English and sorted as English sorts, starting
            // at the merchant's (the demo merchant is in Norway).
            let list = d
                .execute(
                    format!("const root = document.querySelector('kassa-checkout').shadowRoot; {COUNTRY_LIST}"),
                    vec![json!("en")],
                )
                .await?
                .json()
                .clone();
            assert_eq!(list, json!(["NO", "Norway", 249, true, []]));
            // The list is a native select with the label "Country".
            let (role, name) = {
                let select = w.selects("Country").await?.into_iter().next().context("no Country select")?;
                kassa_e2e::page::accessible(&d, &select).await?
            };
            assert_eq!((role.as_str(), name.as_str()), ("combobox", "Country"));

            // A company in Denmark: chooses Denmark, then writes its numbers as Danes do.
            w.click_testid("kassa-customer-corporate").await?;
            w.select("Country", "Denmark").await?;
            w.fill("Full name", "Havnen ApS").await?;
            w.fill("Email", "regnskab@havnen.dk").await?;
            type_and_leave(&d, "kassa-field-phone", "12 34 56 78", "+45 12345678").await?;
            w.fill("Organisation number", "25 31 37 63").await?;
            w.fill("Street address", "Kongens Nytorv 1").await?;
            w.fill("Postal code", "1050").await?;
            w.fill("City", "København K").await?;
            d.execute(RECORD_REQUESTS, vec![]).await?;
            hold(&d, "*/v1/checkout/sessions*").await?;
            w.click_testid("kassa-pay").await?;
            let deadline = tokio::time::Instant::now() + WAIT;
            let sent = loop {
                let bodies = d.execute("return window.__kassaSent;", vec![]).await?.json().clone();
                let session = bodies
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .find(|b| b.contains("\"customer\""));
                if let Some(body) = session {
                    break serde_json::from_str::<Value>(body)?;
                }
                ensure!(tokio::time::Instant::now() < deadline, "no session request was sent");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            };
            release(&d).await?;
            let customer = &sent["customer"];
            assert_eq!(customer["country"], "DK", "the chosen country is sent: {sent}");
            assert_eq!(customer["phone"], "+4512345678", "read in Denmark: {sent}");
            assert_eq!(customer["customer_type"], "corporate");
            assert_eq!(customer["organisation_id"], "25313763");
            assert!(customer.get("personal_number").is_none_or(Value::is_null));
            // The backend took it: Front Payment invoices a company at once.
            w.wait_state("invoiced").await?;
            Ok(())
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_numbers_as_people_write_them_are_shown_back_with_their_country_code(
) -> anyhow::Result<()> {
    let stack = Stack::start(StackOptions::default()).await?;
    let browser = Browser::on_booking_page(&stack).await?;
    browser
        .run(|d| async move {
            let w = CheckoutPage::new(&d);
            // Vipps asks for a phone number but no country: a number without its code is read
            // in Norway, the backend's rule.
            w.choose("Vipps (Front Payment)").await?;
            let phone = "kassa-field-phone";
            for (typed, shown) in [
                ("912 34 567", "+47 91234567"),
                ("0047 912.34.567", "+47 91234567"),
                ("+46 (0)70-123 45 67", "+46 701234567"),
                ("+45 12-34-56-78", "+45 12345678"),
                ("0049 (0)30 / 123 45 67", "+49 301234567"),
                ("+44 20 7946 0000", "+44 2079460000"),
            ] {
                type_and_leave(&d, phone, typed, shown).await?;
                ensure!(w.text_of("kassa-error-phone").await?.is_empty(), "{typed}: no error");
            }
            // A number that is none is left as typed, with the error beside it.
            type_and_leave(&d, phone, "912 34", "912 34").await?;
            let error = w.text_of("kassa-error-phone").await?;
            ensure!(error.contains("+47 912 34 567"), "the error shows how to write it: {error}");
            let invalid = in_root(
                &d,
                "return root.getElementById('kassa-field-phone').getAttribute('aria-invalid');",
            )
            .await?;
            assert_eq!(invalid, json!("true"));
            Ok(())
        })
        .await
}

/// The demo config with Vipps as the merchant's default method.
fn vipps_by_default(toml: &str) -> String {
    toml.replacen("id = \"fp-vipps\"\n", "id = \"fp-vipps\"\ndefault = true\n", 1)
}

/// A stack whose merchant selects Vipps at first, and a browser that has not opened its
/// booking page yet (so a test can prepare the browser first).
async fn vipps_first() -> anyhow::Result<(Stack, Browser)> {
    let stack =
        Stack::start(StackOptions { config_edit: Some(vipps_by_default), ..Default::default() })
            .await?;
    Ok((stack, Browser::start().await?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_merchants_default_method_is_chosen_when_the_picker_opens() -> anyhow::Result<()> {
    // What the picker shows when it first appears: read in the task after `kassa:ready`,
    // once the widget has drawn the picker (its form loads after the picker's code,
    // `src/components/customer_fields.rs`, and must not arrive after it, pushing it down).
    let (stack, browser) = vipps_first().await?;
    browser
        .driver
        .cdp()
        .send_raw(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": "document.addEventListener('kassa:ready', (e) => setTimeout(() => {\
                const root = e.target.shadowRoot;\
                window.__firstPicker = {\
                  phone: !!root.getElementById('kassa-field-phone'),\
                  loading: !!root.querySelector('[data-testid=kassa-fields-loading]'),\
                };\
              }));" }),
        )
        .await?;
    browser.driver.goto(stack.booking_page()).await?;
    browser
        .run(|d| async move {
            let w = CheckoutPage::new(&d);
            until(&d, "the Vipps form", "root.getElementById('kassa-field-phone')").await?;
            let first = d.execute("return window.__firstPicker;", vec![]).await?.json().clone();
            assert_eq!(
                first,
                json!({ "phone": true, "loading": false }),
                "the default method's form is there when the picker first shows"
            );
            let checked = in_root(
                &d,
                "return [...root.querySelectorAll('input[type=radio][name]')].filter(r => r.checked && r.closest('.kassa-methods')).map(r => r.value);",
            )
            .await?;
            assert_eq!(checked, json!(["fp-vipps"]), "the merchant's default, and only it");
            // The customer can still choose another.
            w.choose("Card (Stripe)").await?;
            until(&d, "no details for a card", "!root.getElementById('kassa-field-phone')").await?;
            Ok(())
        })
        .await
}

/// The same page, with the details form's part held up on the way (DevTools `Fetch`
/// pauses the request and never lets it go): the picker's first paint waits for the form
/// only a while (`FORM_WAIT_MS` in `src/flow.rs`), then shows without it, the form's place
/// saying "Loading".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_details_form_slow_to_come_does_not_keep_the_picker_away() -> anyhow::Result<()> {
    let (stack, browser) = vipps_first().await?;
    hold(&browser.driver, "*split_kassa_customer_fields*").await?;
    browser.driver.goto(stack.booking_page()).await?;
    browser
        .run(|d| async move {
            let w = CheckoutPage::new(&d);
            w.wait_state("picker").await?;
            let place = in_root(
                &d,
                "const p = root.querySelector('[data-testid=kassa-fields-loading]');\
                 return [p && p.getAttribute('aria-busy'), !!root.getElementById('kassa-field-phone')];",
            )
            .await?;
            assert_eq!(place, json!(["true", false]), "the form's place says Loading");
            w.by_role_prefix("button", "Pay").await?;
            Ok(())
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_country_list_speaks_the_page_language_and_the_form_is_clean_for_axe_in_five(
) -> anyhow::Result<()> {
    // The merchant's country (Norway) as each language names it.
    let langs =
        [("en", "Norway"), ("nb", "Norge"), ("sv", "Norge"), ("da", "Norge"), ("de", "Norwegen")];
    let pages = pages_per_language(&langs.map(|(lang, _)| lang), ITEMS);
    let stack = Stack::start(StackOptions { pages, ..Default::default() }).await?;
    let site = stack.site_url.clone();
    let axe = axe_source()?;
    Browser::start()
        .await?
        .run(|d| async move {
            for (lang, norway) in langs {
                d.goto(format!("{site}/{lang}.html")).await?;
                let w = CheckoutPage::new(&d);
                w.wait_state("picker").await?;
                w.choose(INVOICE).await?;
                until(&d, "the country list", "root.getElementById('kassa-field-country')").await?;
                let list = d
                    .execute(
                        format!("const root = document.querySelector('kassa-checkout').shadowRoot; {COUNTRY_LIST}"),
                        vec![json!(lang)],
                    )
                    .await?
                    .json()
                    .clone();
                assert_eq!(list, json!(["NO", norway, 249, true, []]), "{lang}");
                let violations = w.axe(&axe).await?;
                if !violations.is_empty() {
                    bail!("axe, {lang}, invoice form:\n  {}", violations.join("\n  "));
                }
                // With an error shown, too.
                type_and_leave(&d, "kassa-field-phone", "12", "12").await?;
                let violations = w.axe(&axe).await?;
                if !violations.is_empty() {
                    bail!("axe, {lang}, invoice form with an error:\n  {}", violations.join("\n  "));
                }
            }
            Ok(())
        })
        .await
}

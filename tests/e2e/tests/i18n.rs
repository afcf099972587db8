//! The widget speaks English, Norwegian Bokmål, Swedish, Danish and German, chosen by the
//! `locale` attribute (else the first of the browser's languages we speak); money and dates come from the browser's
//! `Intl` for that locale; the locale reaches the backend with the session request, so that
//! providers that take a language get it.

use anyhow::ensure;
use kassa_e2e::{Browser, CheckoutPage, Stack, StackOptions};
use serde_json::json;

const ITEMS: &str = r#"[{"sku":"kayak-2h","quantity":2,"start_date":"2026-12-01","end_date":"2026-12-01"},{"sku":"life-jacket","quantity":2,"start_date":"2026-12-01","end_date":"2026-12-01"}]"#;

/// Records the body of every request the page sends with `fetch`, given as text in `init`
/// or as a `Request` (the widget's gloo-net passes one).
const FETCH_PROBE: &str = "window.__bodies = [];\
const f = window.fetch;\
window.fetch = function (input, init) {\
  if (input instanceof Request) input.clone().text().then(function (t) { if (t) window.__bodies.push(t); });\
  else if (init && typeof init.body === 'string') window.__bodies.push(init.body);\
  return f.apply(this, arguments); };";

fn page(locale: Option<&str>) -> String {
    let attr = locale.map(|l| format!(" locale=\"{l}\"")).unwrap_or_default();
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>i18n</title>\
         <script src=\"fetch-probe.js\"></script>\
         <script src=\"kassa/kassa.js\" data-endpoint=\"__KASSA_ENDPOINT__\" async></script></head>\
         <body><main><h1>Booking</h1><kassa-checkout{attr} items='{ITEMS}'></kassa-checkout></main></body></html>"
    )
}

/// (locale attribute, words that must show, heading after paying)
const CASES: [(&str, &str, &str, &str); 5] = [
    ("en-GB", "Pay ", "Total", "Payment received"),
    ("nb-NO", "Betal ", "Totalt", "Betaling mottatt"),
    ("sv-SE", "Betala ", "Totalt", "Betalning mottagen"),
    ("da-DK", "Betal ", "I alt", "Betaling modtaget"),
    ("de-DE", " bezahlen", "Gesamt", "Zahlung erhalten"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_language_has_its_words_its_intl_formats_and_reaches_the_backend() -> anyhow::Result<()>
{
    let mut documents: Vec<(String, String)> =
        CASES.iter().map(|(l, ..)| (format!("{l}.html"), page(Some(l)))).collect();
    documents.push(("fetch-probe.js".into(), FETCH_PROBE.into()));
    let stack = Stack::start(StackOptions { documents, ..Default::default() }).await?;
    let browser = Browser::start().await?;
    let d = browser.driver.clone();
    let result = async {
        for (locale, pay, total, paid) in CASES {
            d.goto(format!("{}/{locale}.html", stack.site_url)).await?;
            let w = CheckoutPage::new(&d);
            w.wait_state("picker").await?;
            // What the browser's Intl writes for this locale: the widget must write the same.
            let intl = d
                .execute(
                    "return [new Intl.NumberFormat(arguments[0], {style: 'currency', currency: 'NOK'}).format('1450.00'),\
                             new Intl.DateTimeFormat(arguments[0], {dateStyle: 'medium', timeZone: 'UTC'}).format(new Date('2026-12-01'))];",
                    vec![json!(locale)],
                )
                .await?
                .json()
                .clone();
            let (money, date) = (intl[0].as_str().unwrap_or_default(), intl[1].as_str().unwrap_or_default());
            let text = w.text().await?;
            let text_nb = text.replace(['\u{a0}', '\u{202f}'], " ");
            for want in [money, date, total] {
                let want = want.replace(['\u{a0}', '\u{202f}'], " ");
                ensure!(text_nb.contains(&want), "{locale}: the widget does not show {want:?}: {text}");
            }
            let lang = d
                .execute("return document.querySelector('kassa-checkout').shadowRoot.querySelector('[lang]').lang;", vec![])
                .await?;
            ensure!(lang.json() == &json!(locale), "{locale}: the widget's lang is {}", lang.json());
            w.choose("Crypto or card, on this page (Payfect)").await?;
            let pay_name = {
                let ret = d
                    .execute("return document.querySelector('kassa-checkout').shadowRoot.querySelector('[data-testid=kassa-pay]').textContent;", vec![])
                    .await?;
                ret.json().as_str().unwrap_or_default().to_owned()
            };
            ensure!(pay_name.contains(pay), "{locale}: the pay button says {pay_name:?}");
            w.click_testid("kassa-pay").await?;
            w.wait_state("iframe").await?;
            let bodies = d.execute("return window.__bodies;", vec![]).await?.json().clone();
            let sent = bodies
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|b| serde_json::from_str::<serde_json::Value>(b.as_str()?).ok())
                .find(|b| b.get("method").is_some())
                .unwrap_or_default();
            ensure!(sent["locale"] == json!(locale), "{locale}: the session request carried {}", sent["locale"]);
            w.press_in_frame("Pay").await?;
            w.wait_state("paid").await?;
            w.expect_heading(paid).await?;
        }
        Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_locale_the_browser_language_decides_and_unknown_languages_get_english(
) -> anyhow::Result<()> {
    let documents = vec![
        ("plain.html".to_owned(), page(None)),
        ("french.html".to_owned(), page(Some("fr-FR"))),
        ("fetch-probe.js".to_owned(), FETCH_PROBE.to_owned()),
    ];
    let stack = Stack::start(StackOptions { documents, ..Default::default() }).await?;
    let browser = Browser::start().await?;
    let d = browser.driver.clone();
    let result = async {
        let navigator = d.execute("return navigator.language;", vec![]).await?.json().clone();
        d.goto(format!("{}/plain.html", stack.site_url)).await?;
        let w = CheckoutPage::new(&d);
        w.wait_state("picker").await?;
        let lang = d
            .execute("return document.querySelector('kassa-checkout').shadowRoot.querySelector('[lang]').lang;", vec![])
            .await?;
        ensure!(lang.json() == &navigator, "no locale attribute: the widget uses {} (browser: {navigator})", lang.json());
        d.goto(format!("{}/french.html", stack.site_url)).await?;
        w.wait_state("picker").await?;
        w.by_role("radiogroup", "Payment method").await?;
        let lang = d
            .execute("return document.querySelector('kassa-checkout').shadowRoot.querySelector('[lang]').lang;", vec![])
            .await?;
        ensure!(lang.json() == &json!("en"), "French falls back to English throughout, got {}", lang.json());
        Ok(())
    }
    .await;
    browser.quit().await?;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_browser_language_we_speak_is_chosen_over_english() -> anyhow::Result<()> {
    let documents = vec![
        ("plain.html".to_owned(), page(None)),
        ("fetch-probe.js".to_owned(), FETCH_PROBE.to_owned()),
    ];
    let stack = Stack::start(StackOptions { documents, ..Default::default() }).await?;
    let url = format!("{}/plain.html", stack.site_url);
    // (browser languages, the widget's lang, words that must show)
    let cases: [(&[&str], &str, &str); 3] = [
        (&["fr-FR", "fr", "sv-SE", "sv", "en"], "sv-SE", "Betala "),
        (&["it-IT", "de-AT", "nb-NO"], "de-AT", " bezahlen"),
        (&["fr-FR", "it"], "en", "Pay "),
    ];
    for (languages, want, words) in cases {
        let browser = Browser::start_with_languages(languages).await?;
        let url = url.clone();
        browser
            .run(|d| async move {
                let navigator = d.execute("return navigator.languages;", vec![]).await?.json().clone();
                ensure!(navigator == json!(languages), "the browser prefers {navigator}, not {languages:?}");
                d.goto(&url).await?;
                let w = CheckoutPage::new(&d);
                w.wait_state("picker").await?;
                let lang = d
                    .execute("return document.querySelector('kassa-checkout').shadowRoot.querySelector('[lang]').lang;", vec![])
                    .await?;
                ensure!(lang.json() == &json!(want), "{languages:?}: the widget speaks {}", lang.json());
                let text = w.text().await?;
                ensure!(text.contains(words), "{languages:?}: {words:?} is not in {text}");
                Ok(())
            })
            .await?;
    }
    Ok(())
}

//! The anchors, installed from npm at pinned versions into `target/bench/npm`, and built
//! with a pinned esbuild: the bytes a customer would download for each, and the Adyen page
//! the browser phase loads.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::Context as _;

use crate::run::{root, run, step};

/// `@adyen/adyen-web`.
pub const ADYEN: &str = "6.45.2";
/// `braintree-web-drop-in`.
pub const BRAINTREE: &str = "1.48.0";
/// `@shopify/buy-button-js`.
pub const SHOPIFY: &str = "3.0.6";
/// `esbuild`, the bundler and minifier for all of them.
pub const ESBUILD: &str = "0.28.2";

const PACKAGES: [(&str, &str); 4] = [
    ("@adyen/adyen-web", ADYEN),
    ("braintree-web-drop-in", BRAINTREE),
    ("@shopify/buy-button-js", SHOPIFY),
    ("esbuild", ESBUILD),
];

/// The scratch directory.
pub fn dir() -> PathBuf {
    root().join("target/bench/npm")
}

/// The top-level `"version"` of an installed package's package.json, read without a JSON
/// parser so that the light build of xtask can check it.
fn installed(name: &str) -> Option<String> {
    let text =
        std::fs::read_to_string(dir().join("node_modules").join(name).join("package.json")).ok()?;
    let at = text.find("\n  \"version\"").or_else(|| text.find("\"version\""))?;
    let rest = text[at..].split_once(':')?.1.trim_start().strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

/// Installs the pinned packages unless they are there already.
pub fn install() -> anyhow::Result<()> {
    if PACKAGES.iter().all(|(n, v)| installed(n).as_deref() == Some(*v)) {
        return Ok(());
    }
    step("installing the anchors from npm (pinned versions) into target/bench/npm");
    let dir = dir();
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("package.json"),
        "{\"name\":\"kassa-bench-anchors\",\"private\":true}\n",
    )?;
    let specs: Vec<String> = PACKAGES.iter().map(|(n, v)| format!("{n}@{v}")).collect();
    run(Command::new("npm")
        .args(["install", "--prefix"])
        .arg(&dir)
        .args(["--no-audit", "--no-fund", "--save-exact", "--loglevel=error"])
        .args(&specs))?;
    for (n, v) in PACKAGES {
        anyhow::ensure!(installed(n).as_deref() == Some(v), "npm did not install {n}@{v}");
    }
    Ok(())
}

/// Runs esbuild in the scratch directory.
pub fn esbuild(args: &[&str]) -> anyhow::Result<()> {
    let bin = dir().join("node_modules/.bin/esbuild");
    let out = Command::new(&bin)
        .args(args)
        .arg("--log-level=error")
        .current_dir(dir())
        .output()
        .with_context(|| format!("running {}", bin.display()))?;
    anyhow::ensure!(
        out.status.success(),
        "esbuild {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// One anchor's downloaded files.
#[derive(Debug)]
pub struct Anchor {
    /// Display name.
    pub name: &'static str,
    /// npm package and version.
    pub package: String,
    /// How the files were made.
    pub how: &'static str,
    /// The files a customer downloads (that we can build offline).
    pub files: Vec<PathBuf>,
    /// What is not counted.
    pub not_counted: &'static str,
}

/// The Adyen Drop-in imports the size anchor and the page share.
const ADYEN_IMPORTS: &str = "import { AdyenCheckout, Dropin, Card, GooglePay, ApplePay, PayPal } from '@adyen/adyen-web';\n\
     import '@adyen/adyen-web/styles/adyen.css';\n";

/// Builds every anchor into `target/bench/npm/out/`.
pub fn build_anchors() -> anyhow::Result<Vec<Anchor>> {
    let d = dir();
    let out = d.join("out");
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    std::fs::create_dir_all(&out)?;

    std::fs::write(
        d.join("adyen-size.js"),
        format!("{ADYEN_IMPORTS}window.AdyenBench = {{ AdyenCheckout, Dropin, Card, GooglePay, ApplePay, PayPal }};\n"),
    )?;
    esbuild(&[
        "adyen-size.js",
        "--bundle",
        "--minify",
        "--format=esm",
        "--target=es2020",
        "--outdir=out/adyen",
    ])?;

    esbuild(&[
        "node_modules/braintree-web-drop-in/dist/browser/dropin.js",
        "--minify",
        "--outfile=out/braintree/dropin.js",
    ])?;
    esbuild(&[
        "node_modules/braintree-web-drop-in/dropin.css",
        "--minify",
        "--outfile=out/braintree/dropin.css",
    ])?;

    std::fs::write(
        d.join("shopify-size.js"),
        "import ShopifyBuy from '@shopify/buy-button-js';\nwindow.ShopifyBuy = ShopifyBuy;\n",
    )?;
    esbuild(&[
        "shopify-size.js",
        "--bundle",
        "--minify",
        "--format=esm",
        "--target=es2020",
        "--outfile=out/shopify/buybutton.js",
    ])?;

    Ok(vec![
        Anchor {
            name: "Adyen Web Drop-in (Card, Google Pay, Apple Pay, PayPal)",
            package: format!("@adyen/adyen-web@{ADYEN}"),
            how: "esbuild --bundle --minify (tree-shaken ESM) + styles/adyen.css minified",
            files: vec![out.join("adyen/adyen-size.js"), out.join("adyen/adyen-size.css")],
            not_counted: "card fields' iframe (securedFields) and Google Pay/PayPal SDKs, fetched from the providers' CDNs at runtime",
        },
        Anchor {
            name: "Braintree Drop-in",
            package: format!("braintree-web-drop-in@{BRAINTREE}"),
            how: "esbuild --minify of dist/browser/dropin.js + dropin.css minified (loaded from Braintree's CDN at runtime)",
            files: vec![out.join("braintree/dropin.js"), out.join("braintree/dropin.css")],
            not_counted: "hosted-fields iframes and PayPal/Venmo SDKs fetched at runtime",
        },
        Anchor {
            name: "Shopify Buy Button",
            package: format!("@shopify/buy-button-js@{SHOPIFY}"),
            how: "esbuild --bundle --minify (styles are inside the JS)",
            files: vec![out.join("shopify/buybutton.js")],
            not_counted: "the iframes' documents and Storefront API calls",
        },
    ])
}

/// The Adyen page's script: the Drop-in with the same four components, rendering from a
/// local `paymentMethodsResponse` (no network), marking when it is ready.
const ADYEN_PAGE: &str = r#"
// Offline, Google Pay's and Apple Pay's availability checks retry their SDK downloads for
// about two seconds and then hide both methods; `?wallets` keeps them in to show that cost.
const wallets = /[?&]wallets/.test(location.search);
const paymentMethodsResponse = {
  paymentMethods: [
    { name: 'Cards', type: 'scheme', brands: ['visa', 'mc', 'amex'] },
    { name: 'Google Pay', type: 'googlepay', configuration: { merchantId: '1000', gatewayMerchantId: 'KassaBench' } },
    { name: 'Apple Pay', type: 'applepay', configuration: { merchantId: 'merchant.com.example.kassa', merchantName: 'Fjord Kayak Tours' } },
    { name: 'PayPal', type: 'paypal', configuration: { merchantId: 'KASSABENCH01', intent: 'capture' } },
  ].filter((m) => wallets || (m.type !== 'googlepay' && m.type !== 'applepay')),
};
const B = window.__bench || (window.__bench = {});
B.scriptAt = performance.now();
const checkout = await AdyenCheckout({
  environment: 'test',
  clientKey: 'test_KASSABENCHKASSABENCHKASSABENCH12',
  locale: 'en-US',
  countryCode: 'NO',
  amount: { value: 145000, currency: 'NOK' },
  paymentMethodsResponse,
  analytics: { enabled: false },
  onSubmit: (state, component, actions) => { actions.reject(); },
  onError: (e) => { B.adyenError = String(e && e.message || e); },
});
new Dropin(checkout, {
  paymentMethodComponents: [Card, GooglePay, ApplePay, PayPal],
  openFirstPaymentMethod: false,
  onReady: () => { B.readyAt = performance.now(); },
}).mount('#dropin');
"#;

/// Builds the Adyen page bundle into `out` (`page.js`, `page.css`).
pub fn build_adyen_page(out: &Path) -> anyhow::Result<()> {
    let d = dir();
    std::fs::write(d.join("adyen-page.js"), format!("{ADYEN_IMPORTS}{ADYEN_PAGE}"))?;
    let outdir = format!("--outdir={}", out.display());
    esbuild(&[
        "adyen-page.js",
        "--bundle",
        "--minify",
        "--format=esm",
        "--target=es2022",
        "--entry-names=page",
        &outdir,
    ])
}

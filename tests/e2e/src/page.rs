//! Page objects: the booking page with the widget in its shadow root, and the simulator's
//! hosted pages. Elements are found the way people find them: by role and accessible name,
//! as Chromium's accessibility tree computes them.

use std::time::Duration;

use anyhow::{bail, Context as _};
use serde_json::{json, Value};
use thirtyfour::prelude::*;

use crate::WAIT;

/// The widget on a page.
#[derive(Debug)]
pub struct CheckoutPage<'a> {
    driver: &'a WebDriver,
    /// CSS selector of the `<kassa-checkout>` host.
    host: String,
}

/// CSS that finds candidates for a role inside the shadow root.
fn candidates(role: &str) -> &'static str {
    match role {
        "radio" => "input[type=radio], [role=radio]",
        "radiogroup" => "fieldset, [role=radiogroup]",
        "button" => "button, [role=button]",
        "heading" => "h1, h2, h3, h4, [role=heading]",
        "textbox" => "input:not([type=radio]):not([type=checkbox]), textarea",
        "link" => "a[href]",
        "iframe" => "iframe",
        _ => "*",
    }
}

impl<'a> CheckoutPage<'a> {
    /// The first `<kassa-checkout>` on the page.
    pub fn new(driver: &'a WebDriver) -> Self {
        Self::with_host(driver, "kassa-checkout")
    }

    /// A specific widget.
    pub fn with_host(driver: &'a WebDriver, host: &str) -> Self {
        CheckoutPage { driver, host: host.to_owned() }
    }

    /// Runs JS with `root` bound to the widget's shadow root (or null).
    async fn in_root(
        &self,
        body: &str,
        args: Vec<Value>,
    ) -> anyhow::Result<thirtyfour::session::scriptret::ScriptRet> {
        let script = format!(
            "const host = document.querySelector({host}); const root = host && host.shadowRoot; {body}",
            host = json!(self.host)
        );
        Ok(self.driver.execute(script, args).await?)
    }

    /// The widget's `data-state`, if it has rendered.
    pub async fn state(&self) -> anyhow::Result<Option<String>> {
        let ret = self.in_root("const el = root && root.querySelector('[data-state]'); return el ? el.dataset.state : null;", vec![]).await?;
        Ok(ret.json().as_str().map(str::to_owned))
    }

    /// Waits until `data-state` is `want`.
    pub async fn wait_state(&self, want: &str) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut last = None;
        while tokio::time::Instant::now() < deadline {
            last = self.state().await?;
            if last.as_deref() == Some(want) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let text = self.text().await.unwrap_or_default();
        bail!("the widget stayed in state {last:?}, not {want:?}; it shows: {text}")
    }

    /// All visible text of the widget.
    pub async fn text(&self) -> anyhow::Result<String> {
        let ret = self.in_root("return root ? root.textContent : '';", vec![]).await?;
        Ok(ret.json().as_str().unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// Elements in the shadow root that have `role` and whose accessible name is `name`
    /// (or starts with it, when `prefix`).
    pub async fn all_by_role(
        &self,
        role: &str,
        name: &str,
        prefix: bool,
    ) -> anyhow::Result<Vec<WebElement>> {
        let ret = self
            .in_root(
                "return root ? Array.from(root.querySelectorAll(arguments[0])) : [];",
                vec![json!(candidates(role))],
            )
            .await?;
        let mut found = vec![];
        for el in ret.elements()? {
            let Some((r, n)) = accessible_if_present(self.driver, &el).await? else {
                continue;
            };
            let name_ok = if prefix { n.starts_with(name) } else { n == name };
            if r == role && name_ok {
                found.push(el);
            }
        }
        Ok(found)
    }

    /// Waits for one element with `role` and accessible `name`.
    pub async fn by_role(&self, role: &str, name: &str) -> anyhow::Result<WebElement> {
        self.wait_role(role, name, false).await
    }

    /// Waits for one element with `role` whose accessible name starts with `prefix`.
    pub async fn by_role_prefix(&self, role: &str, prefix: &str) -> anyhow::Result<WebElement> {
        self.wait_role(role, prefix, true).await
    }

    async fn wait_role(&self, role: &str, name: &str, prefix: bool) -> anyhow::Result<WebElement> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(el) = self.all_by_role(role, name, prefix).await?.into_iter().next() {
                return Ok(el);
            }
            if tokio::time::Instant::now() >= deadline {
                let text = self.text().await.unwrap_or_default();
                bail!("no {role} named {name:?} in the widget; it shows: {text}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Picks a payment method by its display name, and waits for the details form it asks
    /// for: that part of the widget loads after the picker (`src/components/part.rs`) and
    /// says "Loading" (`aria-busy`) until it is there.
    pub async fn choose(&self, method: &str) -> anyhow::Result<()> {
        self.click_role("radio", method, false).await.context("clicking the method")?;
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let loading = self
                .in_root(
                    "return !!(root && root.querySelector('[data-testid=kassa-fields-loading]'));",
                    vec![],
                )
                .await?;
            if loading.json().as_bool() == Some(false) {
                return Ok(());
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "the details form for {method:?} never loaded"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks the Pay button and returns its accessible name.
    pub async fn pay(&self) -> anyhow::Result<String> {
        self.click_role("button", "Pay", true).await
    }

    /// Clicks a button by accessible name.
    pub async fn click(&self, name: &str) -> anyhow::Result<()> {
        self.click_role("button", name, false).await?;
        Ok(())
    }

    /// Waits for an element with `role` and accessible `name` (or a name starting with it,
    /// when `prefix`), clicks it and returns its full accessible name. An element the widget
    /// re-rendered between finding and clicking is found again, as a person's second look would.
    async fn click_role(&self, role: &str, name: &str, prefix: bool) -> anyhow::Result<String> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let el = self.wait_role(role, name, prefix).await?;
            if let Some((_, full_name)) = accessible_if_present(self.driver, &el).await? {
                match el.click().await {
                    Ok(()) => return Ok(full_name),
                    Err(e) if el.is_present().await.unwrap_or(false) => return Err(e.into()),
                    Err(_) => {}
                }
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "the {role} named {name:?} kept being replaced before it could be clicked"
            );
        }
    }

    /// Waits for a heading with exactly this accessible name.
    pub async fn expect_heading(&self, name: &str) -> anyhow::Result<()> {
        self.by_role("heading", name).await.map(|_| ())
    }

    /// The iframe the widget shows, once present: its own (in the shadow root), or Stripe's
    /// embedded checkout (in the `<kassa-stripe-mount>` the widget slots in from the light DOM).
    pub async fn frame(&self) -> anyhow::Result<WebElement> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let ret = self
                .in_root(
                    "return root ? (root.querySelector('iframe') || host.querySelector(':scope > kassa-stripe-mount iframe')) : null;",
                    vec![],
                )
                .await?;
            if let Ok(el) = ret.element() {
                return Ok(el);
            }
            anyhow::ensure!(tokio::time::Instant::now() < deadline, "the widget shows no iframe");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types `value` into the text field whose accessible name starts with `label`.
    pub async fn fill(&self, label: &str, value: &str) -> anyhow::Result<()> {
        let field = self.by_role_prefix("textbox", label).await?;
        field.clear().await?;
        field.send_keys(value).await?;
        Ok(())
    }

    /// Fills whichever of name, email and phone the chosen method asks for, and the fields
    /// the simulated Checkfront account's booking form adds (a guide language, a pickup point).
    pub async fn fill_contact(&self) -> anyhow::Result<()> {
        for (label, value) in
            [("Full name", "Kari Nordmann"), ("Email", "kari@example.no"), ("Phone", "+4791234567")]
        {
            if !self.all_by_role("textbox", label, true).await?.is_empty() {
                self.fill(label, value).await?;
            }
        }
        self.fill_account_fields().await
    }

    /// Fills the fields the simulated Checkfront account's booking form adds, where shown.
    pub async fn fill_account_fields(&self) -> anyhow::Result<()> {
        if !self.all_by_role("textbox", "Pickup point", true).await?.is_empty() {
            self.fill("Pickup point", "Bryggen").await?;
        }
        if !self.selects("Guide language").await?.is_empty() {
            self.select("Guide language", "Norsk").await?;
        }
        Ok(())
    }

    /// The text of the element with this id in the widget (an error line), trimmed.
    pub async fn text_of(&self, id: &str) -> anyhow::Result<String> {
        let ret = self
            .in_root(
                "const el = root && root.getElementById(arguments[0]); return el ? el.textContent : null;",
                vec![json!(id)],
            )
            .await?;
        ret.json().as_str().map(|t| t.trim().to_owned()).context("no such element")
    }

    /// The `<select>`s whose accessible name starts with `label`.
    pub async fn selects(&self, label: &str) -> anyhow::Result<Vec<WebElement>> {
        let ret = self
            .in_root("return root ? Array.from(root.querySelectorAll('select')) : [];", vec![])
            .await?;
        let mut found = vec![];
        for el in ret.elements()? {
            let Some((_, name)) = accessible_if_present(self.driver, &el).await? else {
                continue;
            };
            if name.starts_with(label) {
                found.push(el);
            }
        }
        Ok(found)
    }

    /// Picks the option shown as `option` in the select whose accessible name starts with
    /// `label`, as a person does: by clicking it.
    pub async fn select(&self, label: &str, option: &str) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + WAIT;
        let select = loop {
            if let Some(el) = self.selects(label).await?.into_iter().next() {
                break el;
            }
            anyhow::ensure!(tokio::time::Instant::now() < deadline, "no select named {label:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        select.click().await?;
        let xpath = format!(".//option[normalize-space()='{option}']");
        select.find(By::XPath(xpath)).await?.click().await.context("choosing the option")?;
        Ok(())
    }

    /// Pays with the chosen method, presses `button` on the provider's page (`shown` in a
    /// frame, or in the window), follows "Return to merchant" where the page offers it (all
    /// but "Cancel"), and comes back: to the top document, or to `site`.
    pub async fn pay_and_press(
        &self,
        shown: Shown,
        button: &str,
        site: &str,
    ) -> anyhow::Result<()> {
        self.pay().await?;
        let provider = ProviderPage::new(self.driver);
        if shown == Shown::Frame {
            self.wait_state("iframe").await?;
            self.frame().await?.enter_frame().await?;
        }
        provider.click(button).await?;
        if button != "Cancel" {
            provider.follow("Return to merchant").await?;
        }
        match shown {
            Shown::Frame => self.driver.enter_default_frame().await?,
            Shown::Redirect => {
                provider.wait_url(site).await?;
            }
        }
        Ok(())
    }

    /// Presses `button` on the provider's page inside the widget (its frame, or Stripe's
    /// embedded checkout), then comes back to the top document.
    pub async fn press_in_frame(&self, button: &str) -> anyhow::Result<()> {
        self.frame().await?.enter_frame().await?;
        ProviderPage::new(self.driver).click(button).await?;
        self.driver.enter_default_frame().await?;
        Ok(())
    }
}

/// Where a provider's page shows: in the whole window, or in the widget's frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// The window goes to the provider.
    Redirect,
    /// The provider's page is framed in the widget.
    Frame,
}

/// Holds every request the browser sends whose URL matches `pattern` (DevTools `Fetch`
/// wildcards) until [`release`]: a screen that otherwise passes in a moment stays.
pub async fn hold(driver: &WebDriver, pattern: &str) -> anyhow::Result<()> {
    driver
        .cdp()
        .send_raw(
            "Fetch.enable",
            json!({"patterns": [{"urlPattern": pattern, "requestStage": "Request"}]}),
        )
        .await?;
    Ok(())
}

/// Lets held requests go on.
pub async fn release(driver: &WebDriver) -> anyhow::Result<()> {
    driver.cdp().send_raw("Fetch.disable", json!({})).await?;
    Ok(())
}

/// Tags the top document, so that [`same_document`] can tell whether it navigated since
/// (a navigation, even to the same URL, starts a fresh `window`).
pub async fn tag_document(driver: &WebDriver) -> anyhow::Result<()> {
    driver.enter_default_frame().await?;
    driver.execute("window.__kassaE2eTag = 'untouched';", vec![]).await?;
    Ok(())
}

/// Whether the top document is still the one [`tag_document`] tagged.
pub async fn same_document(driver: &WebDriver) -> anyhow::Result<bool> {
    driver.enter_default_frame().await?;
    let tag = driver.execute("return window.__kassaE2eTag || null;", vec![]).await?;
    Ok(tag.json() == &json!("untouched"))
}

/// [`accessible`] for an element found by a query a moment ago: `None` when the widget has
/// re-rendered since and the element is gone, so a waiting caller looks again instead of
/// failing on a stale reference.
async fn accessible_if_present(
    driver: &WebDriver,
    el: &WebElement,
) -> anyhow::Result<Option<(String, String)>> {
    match accessible(driver, el).await {
        Ok(found) => Ok(Some(found)),
        Err(_) if !el.is_present().await.unwrap_or(false) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Chromium's computed role and accessible name for `el`.
pub async fn accessible(driver: &WebDriver, el: &WebElement) -> anyhow::Result<(String, String)> {
    let node = el.cdp_backend_node_id().await?;
    let tree = driver
        .cdp()
        .send_raw(
            "Accessibility.getPartialAXTree",
            json!({"backendNodeId": node, "fetchRelatives": false}),
        )
        .await?;
    let first = tree["nodes"].get(0).cloned().unwrap_or(Value::Null);
    let role = first["role"]["value"].as_str().unwrap_or_default().to_owned();
    let name = first["name"]["value"].as_str().unwrap_or_default().trim().to_owned();
    Ok((role, name))
}

/// A simulator's hosted page (plain light DOM).
#[derive(Debug)]
pub struct ProviderPage<'a> {
    driver: &'a WebDriver,
}

impl<'a> ProviderPage<'a> {
    /// The page in the current browsing context.
    pub fn new(driver: &'a WebDriver) -> Self {
        ProviderPage { driver }
    }

    /// Waits for a button with this text and clicks it.
    pub async fn click(&self, label: &str) -> anyhow::Result<()> {
        let xpath = format!(
            "//button[normalize-space()='{label}'] | //input[@type='submit' and @value='{label}']"
        );
        let el = self
            .driver
            .query(By::XPath(xpath))
            .wait(WAIT, Duration::from_millis(50))
            .first()
            .await?;
        el.click().await?;
        Ok(())
    }

    /// Waits for a link with this text and follows it.
    pub async fn follow(&self, label: &str) -> anyhow::Result<()> {
        let el = self
            .driver
            .query(By::LinkText(label.to_owned()))
            .wait(WAIT, Duration::from_millis(50))
            .first()
            .await?;
        el.click().await?;
        Ok(())
    }

    /// Once the window shows the provider's page (its URL starts with `page`), presses
    /// `button` there and waits until the provider sends the customer back to `site`; the
    /// return URL.
    pub async fn press_and_return(
        &self,
        page: &str,
        button: &str,
        site: &str,
    ) -> anyhow::Result<String> {
        self.wait_url(page).await?;
        self.click(button).await?;
        self.wait_url(site).await
    }

    /// Waits until the top-level URL starts with `prefix`.
    pub async fn wait_url(&self, prefix: &str) -> anyhow::Result<String> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let url = self.driver.current_url().await?.to_string();
            if url.starts_with(prefix) {
                return Ok(url);
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "the browser is at {url}, not {prefix}…"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// axe-core's source (`cargo xtask setup` installs it; `KASSA_AXE_JS` overrides the path).
pub fn axe_source() -> anyhow::Result<String> {
    let path =
        std::env::var_os("KASSA_AXE_JS").map(std::path::PathBuf::from).unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../.tools/axe/node_modules/axe-core/axe.min.js")
        });
    std::fs::read_to_string(&path).with_context(|| {
        format!("reading axe-core at {} (run `cargo xtask setup`)", path.display())
    })
}

impl CheckoutPage<'_> {
    /// Clicks the element with this `data-testid` in the widget.
    pub async fn click_testid(&self, testid: &str) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let ret = self
                .in_root("return root ? root.querySelector('[data-testid=\"' + arguments[0] + '\"]') : null;", vec![json!(testid)])
                .await?;
            if let Ok(el) = ret.element() {
                el.click().await?;
                return Ok(());
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "no [data-testid={testid}] in the widget"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types `value` into the widget's input with this `data-testid`.
    pub async fn type_testid(&self, testid: &str, value: &str) -> anyhow::Result<()> {
        let ret = self
            .in_root("return root ? root.querySelector('[data-testid=\"' + arguments[0] + '\"]') : null;", vec![json!(testid)])
            .await?;
        let el =
            ret.element().with_context(|| format!("no [data-testid={testid}] in the widget"))?;
        el.clear().await?;
        el.send_keys(value).await?;
        Ok(())
    }

    /// Runs axe-core (WCAG 2.0–2.2 A and AA rules) on the widget, through its open shadow
    /// root, and returns one line per violation (empty when there is none).
    pub async fn axe(&self, axe_js: &str) -> anyhow::Result<Vec<String>> {
        let loaded = self.driver.execute("return typeof window.axe === 'object';", vec![]).await?;
        if loaded.json().as_bool() != Some(true) {
            self.driver.execute(format!("{axe_js}\n;return true;"), vec![]).await?;
        }
        let script = format!(
            "const done = arguments[arguments.length - 1];\
             axe.run({{ include: [[{host}]] }}, {{ iframes: false,\
               runOnly: {{ type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa','wcag22aa'] }} }})\
             .then(r => {{\
               const inShadow = r.passes.some(p => p.nodes.some(n => Array.isArray(n.target[0])));\
               const found = r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' +\
                 v.nodes.map(n => JSON.stringify(n.target) + ' ' + (n.failureSummary || '').replace(/\\s+/g, ' ')).join('; '));\
               done(inShadow ? found : found.concat(['axe checked nothing inside the shadow root']));\
             }})\
             .catch(e => done(['axe failed: ' + e]));",
            host = json!(self.host)
        );
        let ret = self.driver.execute_async(script, vec![]).await?;
        Ok(serde_json::from_value(ret.json().clone())
            .unwrap_or_else(|_| vec![format!("axe answered {}", ret.json())]))
    }
}

/// Runs `body` in the page with `root` bound to the widget's shadow root (the first
/// `<kassa-checkout>`); returns its value.
pub async fn in_widget(driver: &WebDriver, body: &str) -> anyhow::Result<Value> {
    let script =
        format!("const root = document.querySelector('kassa-checkout').shadowRoot; {body}");
    Ok(driver.execute(script, vec![]).await?.json().clone())
}

/// Waits until `script` (an expression over the widget's shadow root `root`) is true.
pub async fn wait_until(driver: &WebDriver, what: &str, script: &str) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + WAIT;
    while in_widget(driver, &format!("return !!({script});")).await?.as_bool() != Some(true) {
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "waited in vain for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

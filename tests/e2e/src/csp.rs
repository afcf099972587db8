//! The Content-Security-Policy a page needs for the widget, per presentation: the one the
//! README prints (for Stripe's real hosts) and the one the browser tests serve (for the
//! simulator's origin), made by the same function so that the two cannot drift
//! (`readme_shows_the_policies_this_module_makes` checks the README).
//!
//! Stripe's hosts are the ones Stripe lists for Stripe.js and Checkout in its integration
//! security guide (https://docs.stripe.com/security/guide#content-security-policy):
//! `script-src` https://js.stripe.com https://*.js.stripe.com https://checkout.stripe.com,
//! `connect-src` https://api.stripe.com https://checkout.stripe.com, `frame-src`
//! https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com
//! https://checkout.stripe.com, `img-src` https://*.stripe.com.

/// How a payment method shows its payment page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presentation {
    /// The whole page goes to the provider (navigations are not restricted by CSP).
    Redirect,
    /// The provider's page in the widget's iframe.
    Iframe,
    /// Stripe's embedded checkout (Stripe's own methods and BokaMera's embedded one).
    StripeEmbedded,
}

/// Where Stripe.js comes from and what it reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StripeHosts {
    /// `script-src`.
    pub scripts: Vec<String>,
    /// `connect-src`.
    pub connect: Vec<String>,
    /// `frame-src`.
    pub frames: Vec<String>,
    /// `img-src`.
    pub images: Vec<String>,
}

impl StripeHosts {
    /// Stripe's published hosts.
    pub fn stripe() -> StripeHosts {
        let list = |hosts: &[&str]| hosts.iter().map(|h| (*h).to_owned()).collect();
        StripeHosts {
            scripts: list(&[
                "https://js.stripe.com",
                "https://*.js.stripe.com",
                "https://checkout.stripe.com",
            ]),
            connect: list(&["https://api.stripe.com", "https://checkout.stripe.com"]),
            frames: list(&[
                "https://js.stripe.com",
                "https://*.js.stripe.com",
                "https://hooks.stripe.com",
                "https://checkout.stripe.com",
            ]),
            images: list(&["https://*.stripe.com"]),
        }
    }

    /// The simulator standing in for all of Stripe's hosts at one origin.
    pub fn simulated(origin: &str) -> StripeHosts {
        let one = vec![origin.to_owned()];
        StripeHosts { scripts: one.clone(), connect: one.clone(), frames: one.clone(), images: one }
    }
}

/// The origins a page's policy names.
#[derive(Clone, Debug)]
pub struct Origins {
    /// Where `kassa.js` and the Wasm come from; `None` when from the page's own origin.
    pub widget: Option<String>,
    /// The merchant backend.
    pub backend: String,
    /// The `page_origins` of the methods shown in the widget's frame.
    pub frames: Vec<String>,
    /// Stripe's hosts (or the simulator's).
    pub stripe: StripeHosts,
}

/// The policy's directives for a page that offers methods of these presentations.
pub fn directives(presentations: &[Presentation], o: &Origins) -> Vec<String> {
    let iframe = presentations.contains(&Presentation::Iframe);
    let stripe = presentations.contains(&Presentation::StripeEmbedded);
    let widget: Vec<String> = o.widget.iter().cloned().collect();
    let when = |on: bool, list: &[String]| if on { list.to_vec() } else { Vec::new() };
    let directive = |name: &str, parts: Vec<Vec<String>>| {
        let mut seen: Vec<String> = Vec::new();
        for part in parts.into_iter().flatten() {
            if !seen.contains(&part) {
                seen.push(part);
            }
        }
        format!("{name} {}", seen.join(" "))
    };
    let quoted = |s: &[&str]| s.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    vec![
        "default-src 'none'".to_owned(),
        directive(
            "script-src",
            vec![
                quoted(&["'self'"]),
                widget.clone(),
                quoted(&["'wasm-unsafe-eval'"]),
                when(stripe, &o.stripe.scripts),
            ],
        ),
        directive("style-src", vec![quoted(&["'self'"]), widget.clone()]),
        // The payment marks are images beside the widget's bundle (`marks/`).
        directive(
            "img-src",
            vec![quoted(&["'self'"]), widget.clone(), when(stripe, &o.stripe.images)],
        ),
        directive(
            "connect-src",
            vec![
                quoted(&["'self'"]),
                widget,
                vec![o.backend.clone()],
                when(stripe, &o.stripe.connect),
            ],
        ),
        directive(
            "frame-src",
            vec![quoted(&["'self'"]), when(iframe, &o.frames), when(stripe, &o.stripe.frames)],
        ),
        "base-uri 'none'".to_owned(),
        "form-action 'self'".to_owned(),
    ]
}

/// The header value.
pub fn header_value(presentations: &[Presentation], o: &Origins) -> String {
    directives(presentations, o).join("; ")
}

/// The header as the README prints it: one directive a line.
pub fn readme_block(presentations: &[Presentation], o: &Origins) -> String {
    format!("Content-Security-Policy: {}", directives(presentations, o).join(";\n  "))
}

/// The README's example origins with Stripe's real hosts.
pub fn readme_origins() -> Origins {
    Origins {
        widget: Some("https://widget.example".into()),
        backend: "https://backend.example".into(),
        frames: vec!["https://pay.provider.example".into()],
        stripe: StripeHosts::stripe(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_shows_the_policies_this_module_makes() {
        let readme = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"),
        )
        .expect("README.md");
        let o = readme_origins();
        for p in [Presentation::Redirect, Presentation::Iframe, Presentation::StripeEmbedded] {
            let block = readme_block(&[p], &o);
            assert!(readme.contains(&block), "the README lacks the policy for {p:?}:\n{block}");
        }
    }

    #[test]
    fn stripe_hosts_appear_only_with_embedded_checkout() {
        let o = readme_origins();
        let hosted = header_value(&[Presentation::Redirect, Presentation::Iframe], &o);
        assert!(!hosted.contains("stripe.com"), "{hosted}");
        let embedded = header_value(&[Presentation::StripeEmbedded], &o);
        for needed in [
            "connect-src 'self' https://widget.example https://backend.example https://api.stripe.com https://checkout.stripe.com",
            "img-src 'self' https://widget.example https://*.stripe.com",
            "https://hooks.stripe.com",
        ] {
            assert!(embedded.contains(needed), "{needed} missing from {embedded}");
        }
        assert!(!embedded.contains("pay.provider.example"), "no iframe origins: {embedded}");
    }
}

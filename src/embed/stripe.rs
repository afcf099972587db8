//! Stripe embedded checkout: mounted in the host page's light DOM, shown inside the widget.
//!
//! - **Light DOM.** Stripe.js refuses a mount target inside a shadow root ("Elements cannot be
//!   mounted in a ShadowRoot. Please mount in the Light DOM.", stripe/stripe-js#399, #662):
//!   its frames must reach the page. So the widget creates a `<kassa-stripe-mount>` child of
//!   its `<kassa-checkout>` host while the card form shows, with `slot="kassa-stripe"`; the
//!   shadow root shows it through `<slot name="kassa-stripe">`. The node is removed with the
//!   screen (leaving, `unmount()`, removal of the element, a failed start). Page stylesheets
//!   cannot hide or resize it: `kassa.css` styles it through `::slotted()` with `!important`,
//!   and for important declarations the shadow tree's rules win over the page's
//!   (CSS Cascade 4, "context"). Stripe's frames protect themselves with inline `!important`.
//! - **Release trains.** dahlia's Stripe.js has `createEmbeddedCheckoutPage` and throws on the
//!   old `initEmbeddedCheckout`; `js.stripe.com/v3` has only the old name (docs.stripe.com
//!   changelog, dahlia 2026-03-25). The widget calls whichever this `window.Stripe` has, so
//!   a Stripe.js the host page loaded itself, of either train, works too.
//! - **One `Stripe()` per (key, account)**, reused (docs.stripe.com/js/initializing).
//! - **One embedded checkout per page.** Stripe.js refuses a second one, even while the first is
//!   still starting ("You cannot have multiple Embedded Checkout objects."), and throws on a
//!   second `destroy()` (stripe/stripe-js#685). So starts run one after another, page-wide:
//!   each waits until the previous start has mounted or given up, then destroys the live
//!   instance (exactly once) before creating the next.
//! - **Failures.** A script that does not load, a `Stripe()`, start or `mount()` that throws,
//!   or a start that does not finish in [`START_MS`] shows "We couldn't start the card form"
//!   with "Try again" (same session) beside "Choose another way to pay", and leaves no node
//!   behind. Before mounting, the backend is asked about the session, so one that expired (or
//!   was paid) meanwhile shows that screen instead of a blank form.
//!
//! The script is loaded once, from the method's `stripe_js_url` after its origin passed
//! `navigate::check`.

use std::cell::{Cell, RefCell};

use js_sys::{Array, Function, Object, Promise, Reflect};
use leptos::{prelude::*, task::spawn_local};
use send_wrapper::SendWrapper;
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;

use super::LeaveButton;
use crate::{
    flow::{self, use_ctx, Ctx},
    outcome::settled_screen,
    poll::Check,
    screen::{Embed, Next, Problem, Screen},
    t,
};

/// How long loading Stripe.js and starting the checkout may take before the widget gives up.
pub const START_MS: i32 = 15_000;
/// The tag of the light-DOM node Stripe mounts in.
pub const MOUNT_TAG: &str = "kassa-stripe-mount";
/// The name of the slot that shows it.
pub const SLOT: &str = "kassa-stripe";

/// `fetchClientSecret` and `onComplete`, kept alive as long as Stripe may call them.
type Callbacks = (Closure<dyn FnMut() -> Promise>, Closure<dyn FnMut()>);

/// The one live instance, with the callbacks Stripe holds on to.
struct Live {
    token: u32,
    checkout: JsValue,
    _callbacks: Callbacks,
    /// Tells its screen that another widget's start took the page's one instance.
    lost: Box<dyn Fn()>,
}

thread_local! {
    static LIVE: RefCell<Option<Live>> = const { RefCell::new(None) };
    /// The start that currently wants an instance (0: none).
    static WANTED: Cell<u32> = const { Cell::new(0) };
    static NEXT_TOKEN: Cell<u32> = const { Cell::new(1) };
    /// The Stripe.js `<script>` the widget added, by URL, and its load.
    static SCRIPT: RefCell<Option<Script>> = const { RefCell::new(None) };
    /// Settles when the latest start has mounted or given up: the next one waits for it.
    static STARTING: RefCell<Option<Promise>> = const { RefCell::new(None) };
    /// `Stripe()` instances by (publishable key, connected account), with the `window.Stripe`
    /// that made them: a page that replaces Stripe.js gets fresh instances.
    static STRIPES: RefCell<Vec<Instance>> = const { RefCell::new(Vec::new()) };
}

/// A `<script>` the widget added and the promise of its load.
struct Script {
    url: String,
    loaded: Promise,
    element: web_sys::Element,
}

/// One `Stripe()` instance.
struct Instance {
    key: String,
    account: Option<String>,
    made_by: JsValue,
    stripe: JsValue,
}

/// Calls `name` on `target` with `args`; a throw or a missing method is an `Err`.
fn call(target: &JsValue, name: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = Reflect::get(target, &JsValue::from_str(name))?.dyn_into()?;
    f.apply(target, &args.iter().copied().collect::<Array>())
}

/// Destroys the live instance if start `token` made it.
fn destroy_live(token: u32) {
    let live = LIVE.with(|l| {
        let mut l = l.borrow_mut();
        if l.as_ref().is_some_and(|live| live.token == token) {
            l.take()
        } else {
            None
        }
    });
    if let Some(live) = live {
        let _ = call(&live.checkout, "destroy", &[]);
    }
}

/// Destroys the live instance before start `token` creates its own; the screen that showed it
/// (another widget on the page) offers "Try again".
fn take_over(token: u32) {
    let live = LIVE.with(|l| l.borrow_mut().take());
    if let Some(live) = live {
        let _ = call(&live.checkout, "destroy", &[]);
        if live.token != token {
            (live.lost)();
        }
    }
}

/// Number of live embedded checkouts (0 or 1), for tests.
pub fn live_instances() -> usize {
    LIVE.with(|l| usize::from(l.borrow().is_some()))
}

fn next_token() -> u32 {
    NEXT_TOKEN.with(|t| {
        let v = t.get();
        t.set(v.wrapping_add(1).max(1));
        v
    })
}

/// A `<kassa-stripe-mount slot="kassa-stripe">` appended to `host`.
fn mount_node(host: &web_sys::HtmlElement) -> Option<web_sys::Element> {
    let el = document().create_element(MOUNT_TAG).ok()?;
    el.set_attribute("slot", SLOT).ok()?;
    host.append_child(&el).ok()?;
    Some(el)
}

/// The card form and a "Choose another way to pay" button.
#[component]
pub fn StripeCheckout(
    /// The session's keys and the checked Stripe.js URL.
    embed: Embed,
) -> impl IntoView {
    let ctx = use_ctx();
    let token = next_token();
    WANTED.with(|w| w.set(token));
    let node = ctx.host().and_then(|host| mount_node(&host));
    match &node {
        Some(el) => spawn_local(start(ctx, embed.clone(), el.clone(), token)),
        None => flow::show(ctx, failed(ctx, embed.clone())),
    }
    // The cleanup runs on this (the only) thread; Leptos asks for `Send` all the same.
    let held = SendWrapper::new(node);
    on_cleanup(move || {
        WANTED.with(|w| {
            if w.get() == token {
                w.set(0);
            }
        });
        destroy_live(token);
        if let Some(el) = held.take() {
            el.remove();
        }
    });
    let session = embed.session;
    view! {
        <section class="kassa-embedded" data-testid="kassa-embedded">
            <h2 class="kassa__title" tabindex="-1">{t!(ctx.lang(), pay_by_card)}</h2>
            <div class="kassa-embedded__mount" data-testid="kassa-stripe">
                <slot name=SLOT></slot>
            </div>
            <LeaveButton session/>
        </section>
    }
}

/// "We couldn't start the card form", with "Try again" and "Choose another way to pay".
fn failed(ctx: Ctx, embed: Embed) -> Screen {
    Screen::Problem(Problem {
        title: t!(ctx.lang(), embed_failed).into(),
        detail: Some(t!(ctx.lang(), embed_failed_text).into()),
        next: Next::Embed(embed),
        code: String::from("embed_failed"),
    })
}

/// Why a start did not mount.
enum Failure {
    /// The session is no longer open: show what it became.
    Settled(Screen),
    /// Stripe.js did not load, threw, or took too long.
    Broken,
}

#[cfg_attr(feature = "split", leptos::lazy)]
async fn start(ctx: Ctx, embed: Embed, el: web_sys::Element, token: u32) {
    // Page-wide, one start at a time: wait for the previous one to mount or give up.
    let mut done = None;
    let turn = Promise::new(&mut |resolve, _| done = Some(resolve));
    if let Some(previous) = STARTING.with(|s| s.borrow_mut().replace(turn.clone())) {
        let _ = JsFuture::from(previous).await;
    }
    let lost = {
        let embed = embed.clone();
        Box::new(move || flow::show(ctx, failed(ctx, embed.clone())))
    };
    let result = mount_checkout(ctx, &embed, &el, token, lost).await;
    if let Some(done) = done {
        let _ = done.call0(&JsValue::UNDEFINED);
    }
    STARTING.with(|s| {
        let mut s = s.borrow_mut();
        if s.as_ref()
            .is_some_and(|p| AsRef::<JsValue>::as_ref(p) == AsRef::<JsValue>::as_ref(&turn))
        {
            *s = None;
        }
    });
    let Err(failure) = result else { return };
    if WANTED.with(Cell::get) != token {
        return;
    }
    // The screen goes, and its node with it.
    flow::show(
        ctx,
        match failure {
            Failure::Settled(screen) => screen,
            Failure::Broken => failed(ctx, embed),
        },
    );
}

/// A promise that rejects after `ms`, and the timer to clear when it is not needed.
fn deadline(ms: i32) -> (Promise, Option<i32>) {
    let mut timer = None;
    let promise = Promise::new(&mut |_, reject| {
        timer = window().set_timeout_with_callback_and_timeout_and_arguments_0(&reject, ms).ok();
    });
    (promise, timer)
}

/// Awaits `promise`, or fails once `limit` has rejected.
async fn within(promise: &Promise, limit: &Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::race(&Array::of2(promise, limit))).await
}

async fn mount_checkout(
    ctx: Ctx,
    embed: &Embed,
    el: &web_sys::Element,
    token: u32,
    lost: Box<dyn Fn()>,
) -> Result<(), Failure> {
    let (limit, timer) = deadline(START_MS);
    let result = mount_within(ctx, embed, el, token, &limit, lost).await;
    if let Some(timer) = timer {
        window().clear_timeout_with_handle(timer);
    }
    result
}

async fn mount_within(
    ctx: Ctx,
    embed: &Embed,
    el: &web_sys::Element,
    token: u32,
    limit: &Promise,
    lost: Box<dyn Fn()>,
) -> Result<(), Failure> {
    within(&load_script(&embed.script_url), limit).await.map_err(|_| {
        forget_script();
        Failure::Broken
    })?;
    if WANTED.with(Cell::get) != token {
        return Ok(());
    }
    // The session may have expired (or been paid) while Stripe.js loaded.
    if let Ok(s) = ctx_session(ctx, &embed.session).await {
        if let Some(screen) = settled_screen(&s, ctx.lang()) {
            return Err(Failure::Settled(screen));
        }
    }
    if WANTED.with(Cell::get) != token {
        return Ok(());
    }
    let stripe = stripe_for(&embed.publishable_key, embed.stripe_account.as_deref())
        .map_err(|_| Failure::Broken)?;
    let secret = JsValue::from_str(&embed.client_secret);
    let fetch_secret = Closure::<dyn FnMut() -> Promise>::new(move || Promise::resolve(&secret));
    let session = embed.session.clone();
    let on_complete = Closure::<dyn FnMut()>::new(move || {
        if WANTED.with(Cell::get) == token {
            flow::confirm(ctx, session.clone(), Check::Confirm);
        }
    });
    let options = Object::new();
    let _ = Reflect::set(&options, &"fetchClientSecret".into(), fetch_secret.as_ref());
    let _ = Reflect::set(&options, &"onComplete".into(), on_complete.as_ref());
    // Never two: the previous instance goes before the next is made.
    take_over(token);
    let started: Promise = create_checkout(&stripe, &options)
        .map(|started| Promise::resolve(&started))
        .map_err(|_| Failure::Broken)?;
    let checkout = match within(&started, limit).await {
        Ok(checkout) => checkout,
        Err(_) => {
            // Too late or failed: an instance that still arrives is destroyed at once.
            let late = Closure::<dyn FnMut(JsValue)>::new(|c: JsValue| {
                let _ = call(&c, "destroy", &[]);
            });
            let _ = started.then(&late);
            late.forget();
            return Err(Failure::Broken);
        }
    };
    if WANTED.with(Cell::get) != token {
        // The customer left while Stripe was starting.
        let _ = call(&checkout, "destroy", &[]);
        return Ok(());
    }
    if call(&checkout, "mount", &[el.as_ref()]).is_err() {
        let _ = call(&checkout, "destroy", &[]);
        return Err(Failure::Broken);
    }
    LIVE.with(|l| {
        *l.borrow_mut() =
            Some(Live { token, checkout, _callbacks: (fetch_secret, on_complete), lost })
    });
    Ok(())
}

/// The backend's view of the session (a failed request is no reason not to try Stripe).
async fn ctx_session(ctx: Ctx, session: &str) -> Result<kassa_wire::Session, ()> {
    let api = ctx.setup.try_with_value(|s| s.api.clone()).ok_or(())?;
    api.session(session).await.map_err(drop)
}

/// dahlia and later: `createEmbeddedCheckoutPage`; earlier trains: `initEmbeddedCheckout`.
fn create_checkout(stripe: &JsValue, options: &Object) -> Result<JsValue, JsValue> {
    let dahlia = Reflect::get(stripe, &JsValue::from_str("createEmbeddedCheckoutPage"))
        .is_ok_and(|f| f.is_function());
    let name = if dahlia { "createEmbeddedCheckoutPage" } else { "initEmbeddedCheckout" };
    call(stripe, name, &[options.as_ref()])
}

/// The page's `Stripe()` instance for this key and account, made once.
fn stripe_for(key: &str, account: Option<&str>) -> Result<JsValue, JsValue> {
    let constructor = Reflect::get(&js_sys::global(), &JsValue::from_str("Stripe"))?;
    let cached = STRIPES.with(|s| {
        s.borrow()
            .iter()
            .find(|i| i.key == key && i.account.as_deref() == account && i.made_by == constructor)
            .map(|i| i.stripe.clone())
    });
    if let Some(stripe) = cached {
        return Ok(stripe);
    }
    let function: &Function = constructor.dyn_ref().ok_or(JsValue::UNDEFINED)?;
    let options = match account {
        Some(account) => {
            let o = Object::new();
            Reflect::set(&o, &"stripeAccount".into(), &JsValue::from_str(account))?;
            o.into()
        }
        None => JsValue::UNDEFINED,
    };
    let stripe = function.call2(&JsValue::UNDEFINED, &JsValue::from_str(key), &options)?;
    if !stripe.is_object() {
        return Err(JsValue::UNDEFINED);
    }
    STRIPES.with(|s| {
        let mut s = s.borrow_mut();
        s.retain(|i| i.made_by == constructor);
        s.push(Instance {
            key: key.to_owned(),
            account: account.map(str::to_owned),
            made_by: constructor.clone(),
            stripe: stripe.clone(),
        });
    });
    Ok(stripe)
}

/// Loads Stripe.js once (or uses the page's own copy, of whichever train).
fn load_script(url: &str) -> Promise {
    let has_stripe = Reflect::get(&js_sys::global(), &JsValue::from_str("Stripe"))
        .is_ok_and(|s| s.is_function());
    if has_stripe {
        return Promise::resolve(&JsValue::UNDEFINED);
    }
    if let Some(p) =
        SCRIPT.with(|s| s.borrow().as_ref().filter(|s| s.url == url).map(|s| s.loaded.clone()))
    {
        return p;
    }
    forget_script();
    let doc = document();
    let Ok(element) = doc.create_element("script") else {
        return Promise::reject(&JsValue::UNDEFINED);
    };
    let script: &web_sys::HtmlScriptElement = element.unchecked_ref();
    let loaded = Promise::new(&mut |resolve, reject| {
        script.set_src(url);
        script.set_async(true);
        script.set_onload(Some(&resolve));
        script.set_onerror(Some(&reject));
    });
    let parent = doc.head().map(web_sys::Node::from).or_else(|| doc.body().map(Into::into));
    if let Some(parent) = parent {
        let _ = parent.append_child(&element);
    }
    SCRIPT.with(|s| {
        *s.borrow_mut() = Some(Script { url: url.to_owned(), loaded: loaded.clone(), element })
    });
    loaded
}

/// A load that failed or took too long is not cached, and its `<script>` goes, so that
/// "Try again" loads afresh and nothing is left behind.
fn forget_script() {
    if let Some(script) = SCRIPT.with(|s| s.borrow_mut().take()) {
        script.element.remove();
    }
}

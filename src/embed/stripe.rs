//! Stripe embedded checkout, mounted inside the widget's shadow root.
//!
//! Stripe.js allows one embedded checkout per page, and an orphaned one breaks the next
//! purchase. So exactly one instance is alive at a time, page-wide: the previous one is
//! `destroy()`ed before another is created, and an instance is destroyed when its screen
//! goes away (including when the element is removed by a single-page app). The script is
//! loaded once, from the method's `stripe_js_url` after its origin passed `navigate::check`.

use std::cell::{Cell, RefCell};

use js_sys::{Object, Promise, Reflect};
use leptos::{html::Div, prelude::*, task::spawn_local};
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;

use crate::{
    flow::{self, Ctx},
    state::{Next, Problem, Screen},
    t,
};

#[wasm_bindgen]
extern "C" {
    type StripeJs;
    #[wasm_bindgen(js_name = Stripe, catch)]
    fn new_stripe(publishable_key: &str, options: &JsValue) -> Result<StripeJs, JsValue>;
    #[wasm_bindgen(method, catch, js_name = initEmbeddedCheckout)]
    fn init_embedded_checkout(this: &StripeJs, options: &Object) -> Result<Promise, JsValue>;

    type EmbeddedCheckout;
    #[wasm_bindgen(method, catch)]
    fn mount(this: &EmbeddedCheckout, element: &web_sys::Element) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn destroy(this: &EmbeddedCheckout) -> Result<(), JsValue>;
}

/// `fetchClientSecret` and `onComplete`, kept alive as long as Stripe may call them.
type Callbacks = (Closure<dyn FnMut() -> Promise>, Closure<dyn FnMut()>);

/// The one live instance, with the callbacks Stripe holds on to.
struct Live {
    token: u32,
    checkout: EmbeddedCheckout,
    _callbacks: Callbacks,
}

thread_local! {
    static LIVE: RefCell<Option<Live>> = const { RefCell::new(None) };
    /// The screen that currently wants an instance (0: none).
    static WANTED: Cell<u32> = const { Cell::new(0) };
    static NEXT_TOKEN: Cell<u32> = const { Cell::new(1) };
    static SCRIPT: RefCell<Option<(String, Promise)>> = const { RefCell::new(None) };
}

fn destroy_live(only: Option<u32>) {
    let live = LIVE.with(|l| {
        let mut l = l.borrow_mut();
        match (&*l, only) {
            (Some(live), Some(t)) if live.token != t => None,
            _ => l.take(),
        }
    });
    if let Some(live) = live {
        let _ = live.checkout.destroy();
    }
}

/// Number of live embedded checkouts (0 or 1), for tests.
pub fn live_instances() -> usize {
    LIVE.with(|l| usize::from(l.borrow().is_some()))
}

/// The card form and a "Choose another way to pay" button. `embed` holds the keys and the
/// checked script URL.
pub fn stripe_checkout(ctx: Ctx, embed: crate::state::Embed) -> AnyView {
    let target = NodeRef::<Div>::new();
    let token = NEXT_TOKEN.with(|t| {
        let v = t.get();
        t.set(v.wrapping_add(1).max(1));
        v
    });
    WANTED.with(|w| w.set(token));
    on_cleanup(move || {
        WANTED.with(|w| {
            if w.get() == token {
                w.set(0);
            }
        });
        destroy_live(Some(token));
    });
    let session = embed.session.clone();
    let started = Cell::new(false);
    Effect::new(move |_| {
        if let Some(el) = target.get() {
            if !started.replace(true) {
                spawn_local(start(ctx, embed.clone(), el.into(), token));
            }
        }
    });
    view! {
        <section class="kassa-embedded" data-testid="kassa-embedded">
            <h2 class="kassa__title" tabindex="-1">{t!(ctx.lang(), pay_by_card)}</h2>
            <div class="kassa-embedded__mount" data-testid="kassa-stripe" node_ref=target></div>
            <button
                type="button"
                class="kassa-button kassa-button--secondary"
                data-testid="kassa-leave"
                on:click=move |_| flow::leave_for_picker(ctx, session.clone())
            >
                {t!(ctx.lang(), leave)}
            </button>
        </section>
    }
    .into_any()
}

async fn start(ctx: Ctx, embed: crate::state::Embed, el: web_sys::Element, token: u32) {
    // Never two: the previous instance goes before the next is made.
    destroy_live(None);
    if let Err(()) = mount_checkout(ctx, &embed, &el, token).await {
        if WANTED.with(Cell::get) == token {
            flow::show(
                ctx,
                Screen::Problem(Problem {
                    title: t!(ctx.lang(), embed_failed).into(),
                    detail: Some(t!(ctx.lang(), embed_failed_text).into()),
                    next: Next::Picker,
                    code: String::from("embed_failed"),
                }),
            );
        }
    }
}

async fn mount_checkout(
    ctx: Ctx,
    embed: &crate::state::Embed,
    el: &web_sys::Element,
    token: u32,
) -> Result<(), ()> {
    JsFuture::from(load_script(&embed.script_url)).await.map_err(|_| forget_script())?;
    if WANTED.with(Cell::get) != token {
        return Ok(());
    }
    let options = match &embed.stripe_account {
        Some(account) => {
            let o = Object::new();
            let _ =
                Reflect::set(&o, &JsValue::from_str("stripeAccount"), &JsValue::from_str(account));
            o.into()
        }
        None => JsValue::UNDEFINED,
    };
    let stripe = new_stripe(&embed.publishable_key, &options).map_err(drop)?;
    let secret = JsValue::from_str(&embed.client_secret);
    let fetch_secret = Closure::<dyn FnMut() -> Promise>::new(move || Promise::resolve(&secret));
    let session = embed.session.clone();
    let on_complete = Closure::<dyn FnMut()>::new(move || {
        if WANTED.with(Cell::get) == token {
            flow::confirm(ctx, session.clone(), false);
        }
    });
    let init = Object::new();
    let _ = Reflect::set(&init, &JsValue::from_str("fetchClientSecret"), fetch_secret.as_ref());
    let _ = Reflect::set(&init, &JsValue::from_str("onComplete"), on_complete.as_ref());
    let promise = stripe.init_embedded_checkout(&init).map_err(drop)?;
    let checkout: EmbeddedCheckout = JsFuture::from(promise).await.map_err(drop)?.unchecked_into();
    if WANTED.with(Cell::get) != token {
        // The customer left while Stripe was starting.
        let _ = checkout.destroy();
        return Ok(());
    }
    destroy_live(None);
    checkout.mount(el).map_err(|_| {
        let _ = checkout.destroy();
    })?;
    LIVE.with(|l| {
        *l.borrow_mut() = Some(Live { token, checkout, _callbacks: (fetch_secret, on_complete) })
    });
    Ok(())
}

/// Loads Stripe.js once (or uses the page's own copy).
fn load_script(url: &str) -> Promise {
    let has_stripe = Reflect::get(&js_sys::global(), &JsValue::from_str("Stripe"))
        .is_ok_and(|s| s.is_function());
    if has_stripe {
        return Promise::resolve(&JsValue::UNDEFINED);
    }
    if let Some(p) =
        SCRIPT.with(|s| s.borrow().as_ref().filter(|(u, _)| u == url).map(|(_, p)| p.clone()))
    {
        return p;
    }
    let doc = document();
    let promise = Promise::new(&mut |resolve, reject| {
        let Ok(script) = doc.create_element("script") else {
            let _ = reject.call0(&JsValue::UNDEFINED);
            return;
        };
        let script: web_sys::HtmlScriptElement = script.unchecked_into();
        script.set_src(url);
        script.set_async(true);
        script.set_onload(Some(&resolve));
        script.set_onerror(Some(&reject));
        let parent = doc.head().map(web_sys::Node::from).or_else(|| doc.body().map(Into::into));
        if let Some(parent) = parent {
            let _ = parent.append_child(&script);
        }
    });
    SCRIPT.with(|s| *s.borrow_mut() = Some((url.to_owned(), promise.clone())));
    promise
}

/// A failed load is not cached, so that a later attempt loads the script again.
fn forget_script() {
    SCRIPT.with(|s| *s.borrow_mut() = None);
}

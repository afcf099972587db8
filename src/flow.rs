//! The effectful half of the checkout: runs requests, moves the [`Screen`], emits events.
//!
//! `state.rs` decides; this module does. Every asynchronous step carries the `epoch` it was
//! started in and drops its result if the customer has moved on (or the element was removed)
//! in the meantime, so a late answer never overwrites a newer screen.

use kassa_wire::{
    Action, CartItem, CheckoutConfig, CreateSession, CustomerDetails, PaymentMethod, Quote,
    Session, SessionState, RETURN_OUTCOME_PARAM, RETURN_SESSION_PARAM,
};
use leptos::{prelude::*, task::spawn_local};
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CustomEvent, CustomEventInit, HtmlElement};

use crate::{
    api::{sleep, Api},
    lang::Locale,
    navigate,
    state::{
        self, after_session, attempt_for, key_survives, problem_for, problem_for_url, AfterSession,
        ApiFailure, Attempt, Embed, Next, Retry, Return, Screen,
    },
    t,
};

/// Everything one widget instance shares between its components. `Copy`: all handles.
#[derive(Clone, Copy)]
pub struct Ctx {
    /// The current screen.
    pub screen: RwSignal<Screen>,
    /// The method id the customer picked.
    pub selected: RwSignal<Option<String>>,
    /// Field problems from the last Pay press (field key, message).
    pub field_errors: RwSignal<Vec<(&'static str, &'static str)>>,
    /// Problems with the provider's extra fields (field id, message).
    pub extra_errors: RwSignal<Vec<(String, &'static str)>>,
    /// Non-reactive per-instance data.
    pub env: StoredValue<Env, LocalStorage>,
}

/// The non-reactive part of an instance.
pub struct Env {
    /// The backend client.
    pub api: Api,
    /// The page's cart, already checked.
    pub items: Vec<CartItem>,
    /// The locale for `Intl` (a tag of `lang`'s language, e.g. `nb-NO`), also sent to the
    /// backend for providers that take a language.
    pub locale: String,
    /// The language of the widget's texts.
    pub lang: Locale,
    /// Which widget on the page this is (its `id`, else its position): added to the return
    /// URL so that only this widget resumes the payment when the customer comes back.
    pub widget: String,
    /// The `<kassa-checkout>` element, where events are dispatched.
    pub host: HtmlElement,
    /// The backend's config, once loaded.
    pub config: Option<CheckoutConfig>,
    /// The backend's price of the page's cart, once loaded.
    pub quote: Option<Quote>,
    /// What the customer typed, unchecked.
    pub typed: CustomerDetails,
    /// The attempt whose session request has not been answered yet.
    pub pending: Option<Attempt>,
    /// Bumped whenever the flow moves on; stale async work compares against it.
    pub epoch: u32,
    /// False once the element is gone.
    pub alive: bool,
    /// True after the customer did something (focus only moves after that).
    pub interacted: bool,
    /// A method to retry with once the config is loaded ("Try again" after a reload).
    pub retry_method: Option<String>,
    /// A session whose framed or embedded page to show again once the config is loaded
    /// (the page was reloaded while it showed).
    pub resume: Option<String>,
}

impl Ctx {
    /// A fresh instance state.
    pub fn new(env: Env) -> Self {
        Ctx {
            screen: RwSignal::new(Screen::Loading),
            selected: RwSignal::new(None),
            field_errors: RwSignal::new(Vec::new()),
            extra_errors: RwSignal::new(Vec::new()),
            env: StoredValue::new_local(env),
        }
    }

    /// Starts a new step: later answers to earlier steps are ignored.
    fn begin(self) -> u32 {
        self.env
            .try_update_value(|e| {
                e.epoch = e.epoch.wrapping_add(1);
                e.epoch
            })
            .unwrap_or(0)
    }

    /// True while `epoch` is still the current step of a mounted widget.
    fn live(self, epoch: u32) -> bool {
        self.env.try_with_value(|e| e.alive && e.epoch == epoch).unwrap_or(false)
    }

    fn api(self) -> Api {
        self.env.with_value(|e| e.api.clone())
    }

    /// The locale for formatting.
    pub fn locale(self) -> String {
        self.env.with_value(|e| e.locale.clone())
    }

    /// The language of the texts.
    pub fn lang(self) -> Locale {
        self.env.try_with_value(|e| e.lang).unwrap_or(Locale::en)
    }

    /// Records that the customer acted, so focus may follow the flow.
    pub fn touched(self) {
        self.env.update_value(|e| e.interacted = true);
    }

    /// The method with this id from the config.
    pub fn method(self, id: &str) -> Option<PaymentMethod> {
        self.env.with_value(|e| e.config.as_ref()?.methods.iter().find(|m| m.id == id).cloned())
    }

    /// True once config and quote are in.
    pub fn loaded(self) -> bool {
        self.env.with_value(|e| e.config.is_some())
    }

    /// What the customer has typed so far.
    pub fn typed(self) -> CustomerDetails {
        self.env.with_value(|e| e.typed.clone())
    }

    /// Stops all work; called when the element leaves the page.
    pub fn dispose(self) {
        self.env.try_update_value(|e| e.alive = false);
    }
}

/// Dispatches `kassa:<name>` on the host element: bubbling, composed, with `detail`.
pub fn emit<T: Serialize>(ctx: Ctx, name: &str, detail: &T) {
    let detail = crate::api::to_js(detail).unwrap_or(JsValue::NULL);
    let Some(host) = ctx.env.try_with_value(|e| e.host.clone()) else { return };
    let init = CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(&detail);
    if let Ok(event) = CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = host.dispatch_event(&event);
    }
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct MethodDetail<'a> {
    method: &'a str,
}

#[derive(Serialize)]
struct SessionDetail<'a> {
    session_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<&'a str>,
}

#[derive(Serialize)]
struct PaidDetail<'a> {
    session_id: &'a str,
    amount_minor: i64,
    currency: &'a str,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

/// Shows `screen` and emits the event that goes with it; starts polling for `Confirming`.
pub fn show(ctx: Ctx, screen: Screen) {
    match &screen {
        Screen::Paid(p) => emit(
            ctx,
            "kassa:paid",
            &PaidDetail {
                session_id: &p.session,
                amount_minor: p.amount.minor(),
                currency: p.amount.currency().code(),
            },
        ),
        Screen::Invoiced { session } => {
            emit(ctx, "kassa:invoiced", &SessionDetail { session_id: session, method: None })
        }
        Screen::Failed { session, .. } => {
            emit(ctx, "kassa:failed", &SessionDetail { session_id: session, method: None })
        }
        Screen::Cancelled { session } => {
            emit(ctx, "kassa:cancelled", &SessionDetail { session_id: session, method: None })
        }
        Screen::Expired { session, .. } => {
            emit(ctx, "kassa:expired", &SessionDetail { session_id: session, method: None })
        }
        Screen::Problem(p) => {
            emit(ctx, "kassa:error", &ErrorDetail { code: &p.code, message: &p.title })
        }
        _ => {}
    }
    if let Screen::Iframe { session, .. } | Screen::Embedded(Embed { session, .. }) = &screen {
        mark_in_address(ctx, session);
    }
    if let Screen::Confirming { session, stalled: false } = &screen {
        let session = session.clone();
        ctx.screen.set(screen);
        poll(ctx, session, false, false);
    } else {
        ctx.screen.set(screen);
    }
}

/// How long a framed return page waits for the parent widget to take over.
const PARENT_TAKEOVER_MS: u32 = 3_000;

/// The first step of a mounted widget: resume a return from a provider, or load the checkout.
pub fn start(ctx: Ctx, returned: Option<Return>) {
    let Some(ret) = returned else { return load(ctx) };
    if ret.reload {
        // (c) The page was reloaded while it showed the provider's page: show it again.
        ctx.env.update_value(|e| e.resume = Some(ret.session));
        return load(ctx);
    }
    let window = web_sys::window();
    let framed = window.as_ref().is_some_and(|w| {
        let me: &JsValue = w.as_ref();
        w.parent().ok().flatten().is_some_and(|p| AsRef::<JsValue>::as_ref(&p) != me)
    });
    if framed {
        // (a) We are the provider's return page inside our own iframe: hand over to the
        // widget in the parent page, which owns the checkout.
        post_return_to_parent(&ret);
        ctx.screen.set(Screen::Returning);
        // A parent widget that accepts the message removes this frame at once. If we are
        // still here, the parent is some other page that happens to frame this one: confirm
        // the payment here instead of waiting forever.
        let epoch = ctx.begin();
        spawn_local(async move {
            sleep(PARENT_TAKEOVER_MS).await;
            if ctx.live(epoch) {
                confirm(ctx, ret.session, ret.cancelled);
            }
        });
        return;
    }
    ctx.touched();
    confirm(ctx, ret.session, ret.cancelled);
}

fn post_return_to_parent(ret: &Return) {
    let Some(window) = web_sys::window() else { return };
    let Ok(Some(parent)) = window.parent() else { return };
    let Ok(origin) = window.location().origin() else { return };
    #[derive(Serialize)]
    struct Msg<'a> {
        r#type: &'a str,
        session: &'a str,
        outcome: &'a str,
    }
    let msg = Msg {
        r#type: "kassa:return",
        session: &ret.session,
        outcome: if ret.cancelled { "cancel" } else { "success" },
    };
    let Some(msg) = crate::api::to_js(&msg) else { return };
    let _ = parent.post_message(&msg, &origin);
}

/// Loads config and quote in parallel, then shows the picker.
pub fn load(ctx: Ctx) {
    let epoch = ctx.begin();
    ctx.screen.set(Screen::Loading);
    let api = ctx.api();
    let items = ctx.env.with_value(|e| e.items.clone());
    spawn_local(async move {
        // Both requests are in flight before either answer is awaited.
        let (config, quote) = futures::future::join(api.config(), api.quote(&items)).await;
        if !ctx.live(epoch) {
            return;
        }
        match (config, quote) {
            (Ok(config), Ok(quote)) => {
                let usable: Vec<_> =
                    config.methods.iter().filter(|m| state::supported(m)).collect();
                if ctx.selected.get_untracked().is_none() && usable.len() == 1 {
                    ctx.selected.set(Some(usable[0].id.clone()));
                }
                ctx.env.update_value(|e| {
                    e.config = Some(config);
                    e.quote = Some(quote);
                });
                let resume = ctx.env.try_update_value(|e| e.resume.take()).flatten();
                if resume.is_none() {
                    ctx.screen.set(Screen::Picker);
                }
                emit(ctx, "kassa:ready", &Empty {});
                if let Some(session) = resume {
                    return reopen(ctx, session);
                }
                if let Some(method) = ctx.env.try_update_value(|e| e.retry_method.take()).flatten()
                {
                    try_again(ctx, method);
                }
            }
            (Err(f), _) | (_, Err(f)) => {
                show(ctx, Screen::Problem(problem_for(&f, Retry::Load, Next::Nothing, ctx.lang())))
            }
        }
    });
}

/// The Pay button: checks the method and fields, then creates the session. Does nothing
/// while a request is already in flight, so double clicks create nothing extra.
pub fn pay(ctx: Ctx) {
    ctx.touched();
    if ctx.screen.get_untracked() != Screen::Picker {
        return;
    }
    let Some(method) = ctx.selected.get_untracked().and_then(|id| ctx.method(&id)) else {
        ctx.field_errors.set(vec![("method", t!(ctx.lang(), choose_method_error))]);
        return;
    };
    let typed = ctx.typed();
    let checked = state::customer_for(&method.required_fields, &typed, ctx.lang());
    let extra = state::extra_for(&method.extra_fields, &typed, ctx.lang());
    let (mut customer, extra) = match (checked, extra) {
        (Ok(c), Ok(x)) => (c, x),
        (checked, extra) => {
            ctx.field_errors.set(
                checked
                    .err()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(f, m)| (state::field_key(f), m))
                    .collect(),
            );
            ctx.extra_errors.set(extra.err().unwrap_or_default());
            return;
        }
    };
    customer.extra = extra;
    ctx.field_errors.set(Vec::new());
    ctx.extra_errors.set(Vec::new());
    ctx.env.update_value(|e| {
        let attempt = attempt_for(e.pending.as_ref(), &method.id, &customer, new_key);
        e.pending = Some(attempt);
    });
    create(ctx);
}

/// A fresh idempotency key: `crypto.randomUUID()`, or a v4 UUID from `getRandomValues`
/// where `randomUUID` is missing (insecure contexts).
fn new_key() -> String {
    let crypto = web_sys::window().and_then(|w| w.crypto().ok());
    let Some(crypto) = crypto else { return String::from("kassa-no-crypto") };
    let has_uuid = js_sys::Reflect::get(&crypto, &JsValue::from_str("randomUUID"))
        .is_ok_and(|f| f.is_function());
    if has_uuid {
        return crypto.random_uuid();
    }
    let mut bytes = [0u8; 16];
    let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

/// Sends the pending attempt's session request (again, with the same key, on Retry).
pub fn create(ctx: Ctx) {
    let Some(attempt) = ctx.env.with_value(|e| e.pending.clone()) else { return };
    let Some(method) = ctx.method(&attempt.method) else { return };
    let epoch = ctx.begin();
    ctx.screen.set(Screen::Creating);
    let (api, items, locale) =
        ctx.env.with_value(|e| (e.api.clone(), e.items.clone(), e.locale.clone()));
    let body = CreateSession {
        items,
        method: attempt.method.clone(),
        return_url: return_url(ctx),
        customer: attempt.customer.clone(),
        locale: Some(locale),
    };
    spawn_local(async move {
        let result = api.create_session(&body, &attempt.key).await;
        if !ctx.live(epoch) {
            return;
        }
        match result {
            Ok(session) => {
                ctx.env.update_value(|e| e.pending = None);
                emit(
                    ctx,
                    "kassa:session-created",
                    &SessionDetail { session_id: &session.id, method: Some(&method.id) },
                );
                act(ctx, &session, Some(&method));
            }
            Err(failure) => {
                if !key_survives(&failure) {
                    ctx.env.update_value(|e| e.pending = None);
                }
                show(
                    ctx,
                    Screen::Problem(problem_for(&failure, Retry::Create, Next::Picker, ctx.lang())),
                );
            }
        }
    });
}

/// Does what a session answer asks: a settled screen, a checked redirect, a frame, Stripe.
fn act(ctx: Ctx, session: &Session, method: Option<&PaymentMethod>) {
    match after_session(session, method, navigate::check, ctx.lang()) {
        Ok(AfterSession::Show(screen)) => show(ctx, screen),
        Ok(AfterSession::Redirect(url)) => {
            // The button keeps saying "Processing…" while the page goes.
            if let Some(w) = web_sys::window() {
                let _ = w.location().assign(&url);
            }
        }
        Ok(AfterSession::FrameRefused(url)) => frame_fallback(ctx, url),
        Err(e) => show(ctx, Screen::Problem(problem_for_url(&e, ctx.lang()))),
    }
}

/// Shows a reloaded page's open session again: its frame or embedded checkout, or the
/// screen it has settled on meanwhile. Never navigates the page by itself.
fn reopen(ctx: Ctx, session: String) {
    ctx.screen.set(Screen::Loading);
    poll(ctx, session, false, true);
}

/// Writes `session` (and this widget's name) into the address without navigating, so that a
/// reload while the provider's page shows in the widget comes back to it ([`reopen`]).
/// No storage: the address is all there is, as for a return from the provider.
fn mark_in_address(ctx: Ctx, session: &str) {
    let Some(w) = web_sys::window() else { return };
    let Ok(url) = web_sys::Url::new(&clean_url(false)) else { return };
    let params = url.search_params();
    params.set(RETURN_SESSION_PARAM, session);
    params.set(WIDGET_PARAM, &ctx.env.with_value(|e| e.widget.clone()));
    url.set_search(&String::from(params.to_string()));
    if let Ok(history) = w.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url.href()));
    }
}

/// How long the "taking you to the payment page" notice shows before the page goes.
const FALLBACK_NOTICE_MS: u32 = 1_500;

/// The provider's page cannot be shown in its frame (it refuses to be framed, or did not
/// load in time): say so, then send the whole page to the same (already checked) URL. The
/// return URL brings the customer back to this widget.
pub fn frame_fallback(ctx: Ctx, url: String) {
    let epoch = ctx.begin();
    ctx.screen.set(Screen::Redirecting);
    spawn_local(async move {
        sleep(FALLBACK_NOTICE_MS).await;
        if ctx.live(epoch) {
            if let Some(w) = web_sys::window() {
                let _ = w.location().assign(&url);
            }
        }
    });
}

/// The query parameter naming the widget a return URL belongs to.
pub const WIDGET_PARAM: &str = "kassa_widget";

/// The page's URL without Kassa's return parameters (and without a fragment), naming this
/// widget: where the provider sends the customer back. The backend appends the session.
fn return_url(ctx: Ctx) -> String {
    let href = clean_url(true);
    let Ok(url) = web_sys::Url::new(&href) else { return href };
    let widget = ctx.env.with_value(|e| e.widget.clone());
    url.search_params().append(WIDGET_PARAM, &widget);
    url.href()
}

fn clean_url(drop_hash: bool) -> String {
    let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
    let Ok(url) = web_sys::Url::new(&href) else { return href };
    let params = url.search_params();
    params.delete(RETURN_SESSION_PARAM);
    params.delete(RETURN_OUTCOME_PARAM);
    params.delete(WIDGET_PARAM);
    url.set_search(&String::from(params.to_string()));
    if drop_hash {
        url.set_hash("");
    }
    url.href()
}

/// Removes the return parameters from the address if they name `widget`: called when the
/// element leaves the page, so that nothing of it remains for a later reload.
pub fn forget_address(widget: &str) {
    let Some(w) = web_sys::window() else { return };
    let search = w.location().search().unwrap_or_default();
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else { return };
    if params.get(WIDGET_PARAM).as_deref() == Some(widget) {
        strip_return_params();
    }
}

/// Removes `kassa_session`/`kassa_return` from the address bar, so a reload starts afresh.
fn strip_return_params() {
    let Some(w) = web_sys::window() else { return };
    let has = w.location().search().is_ok_and(|s| s.contains(RETURN_SESSION_PARAM));
    if has {
        if let Ok(history) = w.history() {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&clean_url(false)));
        }
    }
}

/// The confirming screen: cancels first if the customer came back through the cancel URL
/// and the session is still open, then polls with back-off until the session settles.
pub fn confirm(ctx: Ctx, session: String, cancelled: bool) {
    ctx.screen.set(Screen::Confirming { session: session.clone(), stalled: false });
    poll(ctx, session, cancelled, false);
}

/// Asks for the session until it settles (with back-off, within the poll budget). With
/// `reopen`, an open session whose page the widget shows itself (a frame, Stripe's embedded
/// checkout) is shown again at once.
fn poll(ctx: Ctx, session: String, cancelled: bool, reopen: bool) {
    let epoch = ctx.begin();
    let api = ctx.api();
    spawn_local(async move {
        let mut waited = 0u32;
        let mut n = 0u32;
        let mut cancel_pending = cancelled;
        loop {
            let result = api.session(&session).await;
            if !ctx.live(epoch) {
                return;
            }
            let failure = match result {
                Ok(s) if cancel_pending && !s.state.is_settled() => {
                    cancel_pending = false;
                    let result = api.cancel(&s.id).await;
                    if !ctx.live(epoch) {
                        return;
                    }
                    if let Ok(s) = result {
                        if let Some(screen) = state::settled_screen(&s, ctx.lang()) {
                            return show(ctx, screen);
                        }
                    }
                    continue;
                }
                Ok(s) => {
                    if let Some(screen) = state::settled_screen(&s, ctx.lang()) {
                        return show(ctx, screen);
                    }
                    if reopen
                        && matches!(
                            s.action,
                            Some(Action::Iframe { .. } | Action::StripeEmbedded { .. })
                        )
                    {
                        return act(ctx, &s, ctx.method(&s.method).as_ref());
                    }
                    None
                }
                Err(ApiFailure::Api(e)) => {
                    let retry = Retry::Confirm { session, cancelled: cancel_pending };
                    return show(
                        ctx,
                        Screen::Problem(problem_for(
                            &ApiFailure::Api(e),
                            retry,
                            Next::StartOver,
                            ctx.lang(),
                        )),
                    );
                }
                Err(f) => Some(f),
            };
            if waited >= state::POLL_BUDGET_MS {
                let screen = match failure {
                    Some(f) => {
                        let retry = Retry::Confirm { session, cancelled: cancel_pending };
                        Screen::Problem(problem_for(&f, retry, Next::StartOver, ctx.lang()))
                    }
                    None => Screen::Confirming { session, stalled: true },
                };
                return show(ctx, screen);
            }
            let delay = state::poll_delay_ms(n);
            n += 1;
            waited += delay;
            sleep(delay).await;
            if !ctx.live(epoch) {
                return;
            }
        }
    });
}

/// "Choose another way to pay" from a frame: cancels the open session, then the picker.
/// If the cancel answer says the session was paid (or invoiced) after all, that wins.
pub fn leave_for_picker(ctx: Ctx, session: String) {
    ctx.touched();
    let epoch = ctx.begin();
    ctx.screen.set(Screen::Loading);
    let api = ctx.api();
    spawn_local(async move {
        let result = api.cancel(&session).await;
        if !ctx.live(epoch) {
            return;
        }
        match result {
            // Paid, or invoiced, after all: that wins over going back to the picker.
            Ok(s) if matches!(s.state, SessionState::Paid | SessionState::Invoiced) => {
                act(ctx, &s, None)
            }
            _ => {
                emit(ctx, "kassa:cancelled", &SessionDetail { session_id: &session, method: None });
                strip_return_params();
                ctx.screen.set(Screen::Picker);
            }
        }
    });
}

/// "Retry" on a problem screen.
pub fn retry(ctx: Ctx, what: Retry) {
    ctx.touched();
    match what {
        Retry::Load => load(ctx),
        Retry::Create => create(ctx),
        Retry::Confirm { session, cancelled } => confirm(ctx, session, cancelled),
    }
}

/// "Choose another method" / "Choose a payment method": back to the picker.
pub fn to_picker(ctx: Ctx) {
    ctx.touched();
    strip_return_params();
    ctx.begin();
    if ctx.loaded() {
        ctx.screen.set(Screen::Picker);
    } else {
        load(ctx);
    }
}

/// "Start over": a fresh checkout (new quote, new attempt).
pub fn start_over(ctx: Ctx) {
    ctx.touched();
    strip_return_params();
    ctx.env.update_value(|e| e.pending = None);
    load(ctx);
}

/// "Try again" after a failed payment: the same method, a new attempt with a new key. If
/// the details that method needs are not known (after a reload), the picker asks for them.
pub fn try_again(ctx: Ctx, method: String) {
    ctx.touched();
    strip_return_params();
    ctx.env.update_value(|e| e.pending = None);
    if !ctx.loaded() {
        ctx.env.update_value(|e| e.retry_method = Some(method));
        return load(ctx);
    }
    let Some(m) = ctx.method(&method) else {
        ctx.screen.set(Screen::Picker);
        return;
    };
    ctx.selected.set(Some(method));
    ctx.begin();
    ctx.screen.set(Screen::Picker);
    let typed = ctx.typed();
    if state::customer_for(&m.required_fields, &typed, ctx.lang()).is_ok()
        && state::extra_for(&m.extra_fields, &typed, ctx.lang()).is_ok()
    {
        pay(ctx);
    }
}

/// The customer picked a method.
pub fn select(ctx: Ctx, id: String) {
    ctx.touched();
    emit(ctx, "kassa:method-selected", &MethodDetail { method: &id });
    ctx.field_errors.update(|e| e.retain(|(k, _)| *k != "method"));
    ctx.selected.set(Some(id));
}

/// The host element, for embedding code that needs the document.
pub fn host(ctx: Ctx) -> Option<HtmlElement> {
    ctx.env.try_with_value(|e| e.host.clone())
}

/// Casts helper kept here so components need not import `JsCast`.
pub fn as_html(el: &web_sys::Element) -> Option<HtmlElement> {
    el.clone().dyn_into().ok()
}

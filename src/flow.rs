//! The effectful half of the checkout: runs requests, moves the [`Screen`], emits events.
//!
//! The pure modules decide (`outcome`, `problem`, `attempt`, `customer`, `returns`,
//! `poll::polled`); this module does, with Leptos's own tools:
//! - config and quote are one [`LocalResource`], fetched when the widget starts and again on
//!   "Retry" or "Start over"; a newer fetch replaces an older one in flight;
//! - creating a session and cancelling one are [`Action`]s: a second dispatch supersedes the
//!   first (only the latest answer is kept), and `pending()` makes the Pay button busy;
//! - everything else that waits (polling, the notice before a redirect, the parent frame's
//!   takeover) runs as the widget's current *step* ([`Ctx::run`]): each step's task lives
//!   under its own reactive owner, and starting the next step cleans that owner up, which
//!   aborts the task (`spawn_local_scoped_with_cancellation`). So a late answer never
//!   overwrites a newer screen, and unmounting the widget (its owner goes) stops everything.

use std::future::Future;

use kassa_wire::{
    CartItem, CheckoutConfig, CreateSession, CustomerDetails, MethodId, Money, PaymentMethod,
    Quote, Session, SessionId, SessionState, RETURN_OUTCOME_PARAM, RETURN_SESSION_PARAM,
};
use leptos::{prelude::*, reactive::owner::WeakOwner, task::spawn_local_scoped_with_cancellation};
use serde::Serialize;
use wasm_bindgen::JsValue;
use web_sys::{CustomEvent, CustomEventInit, HtmlElement};

use crate::{
    api::{sleep, to_js, Api, Prefetched},
    attempt::{attempt_for, key_survives, new_key, repriced, Attempt, Repriced},
    customer,
    lang::Locale,
    navigate,
    outcome::{after_session, supported, AfterSession},
    poll::{poll_delay_ms, polled, Check, Polled},
    problem::{problem_for, problem_for_url, ApiFailure},
    returns::Return,
    screen::{Embed, Next, Retry, Screen},
    t,
};

/// What one widget was mounted with; fixed for its life.
pub struct Setup {
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
    /// The details the page already knows (`customer-*` attributes).
    pub prefill: CustomerDetails,
    /// Config and quote as the loader fetched them while the Wasm downloaded, for the first
    /// load only.
    pub prefetched: Option<Prefetched>,
}

/// The backend's config and its price of the page's cart, loaded together.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// Merchant name and payment methods.
    pub config: CheckoutConfig,
    /// The priced cart.
    pub quote: Quote,
}

impl Loaded {
    /// The method with this id.
    pub fn method(&self, id: &str) -> Option<&PaymentMethod> {
        self.config.methods.iter().find(|m| m.id == id)
    }

    /// The methods this widget can present, in the backend's order.
    pub fn usable_methods(&self) -> Vec<PaymentMethod> {
        self.config.methods.iter().filter(|m| supported(m)).cloned().collect()
    }

    /// The method selected when the picker opens: the only one, else the one the merchant
    /// chose to select at first.
    fn first_choice(&self) -> Option<MethodId> {
        let usable = self.usable_methods();
        match usable.as_slice() {
            [only] => Some(only.id.clone()),
            _ => self
                .config
                .default_method
                .as_deref()
                .and_then(|d| usable.iter().find(|m| m.id.as_str() == d).map(|m| m.id.clone())),
        }
    }
}

/// The customer's side of the picker: the chosen method, what was typed, and the problems
/// found in it.
#[derive(Clone, Copy)]
pub struct Form {
    /// The method id the customer picked.
    pub selected: RwSignal<Option<MethodId>>,
    /// What the customer typed, unchecked (not reactive: inputs own their values).
    pub typed: StoredValue<CustomerDetails>,
    /// Field problems from the last check (field key, message).
    pub field_errors: RwSignal<Vec<(&'static str, &'static str)>>,
    /// Problems with the provider's extra fields (field id, message).
    pub extra_errors: RwSignal<Vec<(String, &'static str)>>,
}

/// What to do once config and quote are in, besides showing the picker.
#[derive(Clone, Debug, PartialEq, Eq)]
enum AfterLoad {
    /// Just the picker.
    Picker,
    /// The page was reloaded while it showed this session's page: show it again.
    Reopen(SessionId),
    /// "Try again" with this method after a reload (its details may be known).
    TryAgain(MethodId),
}

/// One widget's state, shared by its components through Leptos's context
/// ([`use_ctx`]). `Copy`: all handles, disposed with the widget's owner.
#[derive(Clone, Copy)]
pub struct Ctx {
    /// What the widget was mounted with.
    pub setup: StoredValue<Setup, LocalStorage>,
    /// The current screen.
    pub screen: RwSignal<Screen>,
    /// The picker's form.
    pub form: Form,
    /// Config and quote (`None` until asked for: a return from the provider needs neither).
    loaded: LocalResource<Option<(u32, Result<Loaded, ApiFailure>)>>,
    /// The number of the latest load asked for, and of the latest one acted on.
    loads: StoredValue<(u32, u32)>,
    /// What follows the next load.
    after_load: StoredValue<AfterLoad>,
    /// Creates the session for an attempt; its answer is handled by [`created`].
    create: Action<Attempt, (Attempt, Result<Session, ApiFailure>)>,
    /// Cancels a session ("Choose another way to pay"); its answer is handled by [`left`].
    cancel: Action<SessionId, (SessionId, Result<Session, ApiFailure>)>,
    /// The attempt whose session request has not been answered for sure.
    pending: StoredValue<Option<Attempt>>,
    /// The quote the customer sees (the loaded one, or the fresh one from a refusal).
    pub quote: RwSignal<Option<Quote>>,
    /// The new total after the backend refused a request because the price changed.
    pub price_notice: RwSignal<Option<Money>>,
    /// True while the request in flight is the widget's own renewal of an expired quote.
    renewed: StoredValue<bool>,
    /// The widget's owner (weak: it owns this very value) and the owner of its current step.
    owners: StoredValue<(WeakOwner, Option<Owner>)>,
    /// True after the customer did something (focus only moves after that).
    acted: StoredValue<bool>,
}

/// The widget's [`Ctx`], provided by the `Checkout` component.
pub fn use_ctx() -> Ctx {
    expect_context::<Ctx>()
}

impl Ctx {
    /// The state of a fresh widget, created under (and disposed with) the current owner.
    pub fn new(setup: Setup) -> Self {
        let prefill = setup.prefill.clone();
        let setup = StoredValue::new_local(setup);
        let loads = StoredValue::new((0u32, 0u32));
        let selected = RwSignal::new(None::<MethodId>);
        let loaded = LocalResource::new(move || {
            let (wanted, _) = loads.get_value();
            let api = setup.with_value(|s| s.api.clone());
            let items = setup.with_value(|s| s.items.clone());
            let prefetched = if wanted == 0 {
                None
            } else {
                setup.try_update_value(|s| s.prefetched.take()).flatten()
            };
            async move {
                if wanted == 0 {
                    return None;
                }
                // Both requests are in flight before either answer is awaited.
                let (config, quote) = match prefetched {
                    Some(prefetched) => prefetched.answers(&api, &items).await,
                    None => futures::future::join(api.config(), api.quote(&items)).await,
                };
                let answer = config.and_then(|config| Ok(Loaded { config, quote: quote? }));
                if let Ok(loaded) = &answer {
                    // The picker opens with its form when the method selected at first asks
                    // for details: that part is loaded first, or it would push the picker
                    // down when it came. For a while only: a part that is slow to come must
                    // not keep the picker from the customer (the form then says "Loading").
                    let shown = selected.get_untracked().or_else(|| loaded.first_choice());
                    if shown
                        .and_then(|id| loaded.method(&id))
                        .is_some_and(customer::asks_for_details)
                    {
                        let form = std::pin::pin!(crate::components::customer_fields::ready());
                        let patience = std::pin::pin!(sleep(FORM_WAIT_MS));
                        futures::future::select(form, patience).await;
                    }
                }
                Some((wanted, answer))
            }
        });
        let create = Action::new_local(move |attempt: &Attempt| {
            let attempt = attempt.clone();
            let body = session_request(setup, &attempt);
            let api = setup.with_value(|s| s.api.clone());
            async move {
                let answer = api.create_session(&body, &attempt.key).await;
                (attempt, answer)
            }
        });
        let cancel = Action::new_local(move |session: &SessionId| {
            let session = session.clone();
            let api = setup.with_value(|s| s.api.clone());
            async move {
                let answer = api.cancel(&session).await;
                (session, answer)
            }
        });
        let ctx = Ctx {
            setup,
            screen: RwSignal::new(Screen::Loading),
            form: Form {
                selected,
                typed: StoredValue::new(prefill),
                field_errors: RwSignal::new(Vec::new()),
                extra_errors: RwSignal::new(Vec::new()),
            },
            loaded,
            loads,
            after_load: StoredValue::new(AfterLoad::Picker),
            create,
            cancel,
            pending: StoredValue::new(None),
            quote: RwSignal::new(None),
            price_notice: RwSignal::new(None),
            renewed: StoredValue::new(false),
            owners: StoredValue::new((Owner::current().unwrap_or_default().downgrade(), None)),
            acted: StoredValue::new(false),
        };
        provide_context(ctx);
        // Each answer is handled once, by the step that asked for it.
        Effect::new(move |_| {
            if let Some(Some((n, answer))) = loaded.get() {
                untrack(|| ctx.on_loaded(n, answer));
            }
        });
        Effect::new(move |_| {
            if let Some((attempt, answer)) = create.value().get() {
                untrack(|| created(ctx, attempt, answer));
            }
        });
        Effect::new(move |_| {
            if let Some((session, answer)) = cancel.value().get() {
                untrack(|| left(ctx, session, answer));
            }
        });
        ctx
    }

    /// Runs `task` as the widget's current step, ending the previous step first (its owner
    /// is cleaned up, which aborts its task).
    fn run(self, task: impl Future<Output = ()> + 'static) {
        let root = self.owners.try_with_value(|(root, _)| root.upgrade()).flatten();
        let Some(owner) = root.map(|root| root.child()) else { return };
        self.stop();
        self.owners.update_value(|(_, step)| *step = Some(owner.clone()));
        owner.with(|| spawn_local_scoped_with_cancellation(task));
    }

    /// Ends the current step, if any: whatever it was waiting for no longer matters.
    fn stop(self) {
        if let Some(Some(step)) = self.owners.try_update_value(|(_, step)| step.take()) {
            step.cleanup();
        }
    }

    /// The backend client.
    pub fn api(self) -> Api {
        self.setup.with_value(|s| s.api.clone())
    }

    /// The locale for formatting.
    pub fn locale(self) -> String {
        self.setup.with_value(|s| s.locale.clone())
    }

    /// The language of the texts.
    pub fn lang(self) -> Locale {
        self.setup.try_with_value(|s| s.lang).unwrap_or(Locale::en)
    }

    /// The `<kassa-checkout>` element.
    pub fn host(self) -> Option<HtmlElement> {
        self.setup.try_with_value(|s| s.host.clone())
    }

    /// Records that the customer acted, so focus may follow the flow.
    pub fn touched(self) {
        self.acted.set_value(true);
    }

    /// True once the customer has acted.
    pub fn has_acted(self) -> bool {
        self.acted.try_get_value().unwrap_or(false)
    }

    /// Config and quote, once both are in (not reactive).
    pub fn loaded(self) -> Option<Loaded> {
        self.loaded.try_with_untracked(|l| l.clone()).flatten().flatten().and_then(|(_, l)| l.ok())
    }

    /// The quote the customer sees (not reactive).
    pub fn quote(self) -> Option<Quote> {
        self.quote.get_untracked()
    }

    /// The method with this id from the config.
    pub fn method(self, id: &str) -> Option<PaymentMethod> {
        self.loaded()?.method(id).cloned()
    }

    /// Asks for config and quote (again), then does `next`.
    fn load(self, next: AfterLoad) {
        self.stop();
        self.after_load.set_value(next);
        self.screen.set(Screen::Loading);
        self.loads.update_value(|(wanted, _)| *wanted += 1);
        self.loaded.refetch();
    }

    /// Config and quote (or why not) for load number `n`.
    fn on_loaded(self, n: u32, answer: Result<Loaded, ApiFailure>) {
        let (wanted, handled) = self.loads.get_value();
        if n != wanted || n == handled {
            return;
        }
        self.loads.set_value((wanted, n));
        let loaded = match answer {
            Ok(loaded) => loaded,
            Err(f) => {
                let problem = problem_for(&f, Retry::Load, Next::Nothing, self.lang());
                return show(self, Screen::Problem(problem));
            }
        };
        self.quote.set(Some(loaded.quote.clone()));
        self.price_notice.set(None);
        if self.form.selected.get_untracked().is_none() {
            let first = loaded.first_choice();
            if first.is_some() {
                self.form.selected.set(first);
            }
        }
        let next = self.after_load.try_update_value(|a| std::mem::replace(a, AfterLoad::Picker));
        if !matches!(next, Some(AfterLoad::Reopen(_))) {
            self.screen.set(Screen::Picker);
        }
        emit(self, "kassa:ready", &Empty {});
        match next {
            Some(AfterLoad::Reopen(session)) => reopen(self, session),
            Some(AfterLoad::TryAgain(method)) => try_again(self, method),
            _ => {}
        }
    }
}

/// The session request for `attempt`.
fn session_request(setup: StoredValue<Setup, LocalStorage>, attempt: &Attempt) -> CreateSession {
    let (items, locale, widget) =
        setup.with_value(|s| (s.items.clone(), s.locale.clone(), s.widget.clone()));
    CreateSession {
        items,
        quote_id: attempt.quote_id.clone(),
        method: attempt.method.clone(),
        return_url: return_url(&widget),
        customer: attempt.customer.clone(),
        locale: Some(locale),
    }
}

/// Dispatches `kassa:<name>` on the host element: bubbling, composed, with `detail`.
pub fn emit<T: Serialize>(ctx: Ctx, name: &str, detail: &T) {
    let detail = to_js(detail).unwrap_or(JsValue::NULL);
    let Some(host) = ctx.host() else { return };
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

/// The event that goes with `screen`, if any: `(name, session id)`.
fn session_event(screen: &Screen) -> Option<(&'static str, &str)> {
    Some(match screen {
        Screen::Invoiced { session } => ("kassa:invoiced", session),
        Screen::Failed { session, .. } => ("kassa:failed", session),
        Screen::Cancelled { session } => ("kassa:cancelled", session),
        Screen::Expired { session, .. } => ("kassa:expired", session),
        _ => return None,
    })
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
        Screen::Problem(p) => {
            emit(ctx, "kassa:error", &ErrorDetail { code: &p.code, message: &p.title })
        }
        other => {
            if let Some((name, session)) = session_event(other) {
                emit(ctx, name, &SessionDetail { session_id: session, method: None });
            }
        }
    }
    if let Screen::Iframe { session, .. } | Screen::Embedded(Embed { session, .. }) = &screen {
        mark_in_address(ctx, session);
    }
    let confirm = match &screen {
        Screen::Confirming { session, stalled: false } => Some(session.clone()),
        _ => None,
    };
    ctx.screen.set(screen);
    if let Some(session) = confirm {
        poll(ctx, session, Check::Confirm);
    }
}

/// How long the picker's first paint waits for the details form's part (the method selected
/// at first asks for details) before it shows without it.
const FORM_WAIT_MS: u32 = 2_000;

/// How long a framed return page waits for the parent widget to take over.
const PARENT_TAKEOVER_MS: u32 = 3_000;

/// The first step of a mounted widget: resume a return from a provider, or load the checkout.
pub fn start(ctx: Ctx, returned: Option<Return>) {
    let Some(ret) = returned else { return ctx.load(AfterLoad::Picker) };
    if ret.reload {
        // The page was reloaded while it showed the provider's page: show it again.
        return ctx.load(AfterLoad::Reopen(ret.session));
    }
    if in_a_frame() {
        // We are the provider's return page inside our own iframe: hand over to the widget
        // in the parent page, which owns the checkout.
        post_return_to_parent(&ret);
        ctx.screen.set(Screen::Returning);
        // A parent widget that accepts the message removes this frame at once. If we are
        // still here, the parent is some other page that happens to frame this one: confirm
        // the payment here instead of waiting forever.
        ctx.run(async move {
            sleep(PARENT_TAKEOVER_MS).await;
            confirm(ctx, ret.session.clone(), ret.check());
        });
        return;
    }
    ctx.touched();
    confirm(ctx, ret.session.clone(), ret.check());
}

/// True when this page is inside a frame.
fn in_a_frame() -> bool {
    let Some(window) = web_sys::window() else { return false };
    let me: &JsValue = window.as_ref();
    window.parent().ok().flatten().is_some_and(|p| AsRef::<JsValue>::as_ref(&p) != me)
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
    let Some(msg) = to_js(&msg) else { return };
    let _ = parent.post_message(&msg, &origin);
}

/// The Pay button: checks the method and fields, then creates the session. Does nothing
/// while a request is already in flight, so double clicks create nothing extra.
pub fn pay(ctx: Ctx) {
    ctx.touched();
    if ctx.screen.get_untracked() != Screen::Picker || ctx.create.pending().get_untracked() {
        return;
    }
    let l = ctx.lang();
    let form = ctx.form;
    let Some(method) = form.selected.get_untracked().and_then(|id| ctx.method(&id)) else {
        form.field_errors.set(vec![("method", t!(l, choose_method_error))]);
        return;
    };
    let typed = form.typed.get_value();
    let merchant = ctx.loaded().and_then(|loaded| loaded.config.country);
    let checked = customer::customer_for(&method, &typed, merchant.as_deref(), l);
    let extra = customer::extra_for(&method.extra_fields, &typed, l);
    let (mut details, extra) = match (checked, extra) {
        (Ok(c), Ok(x)) => (c, x),
        (checked, extra) => {
            let errors = checked.err().unwrap_or_default();
            form.field_errors
                .set(errors.into_iter().map(|(f, m)| (customer::field_key(f), m)).collect());
            form.extra_errors.set(extra.err().unwrap_or_default());
            return;
        }
    };
    details.extra = extra;
    form.field_errors.set(Vec::new());
    form.extra_errors.set(Vec::new());
    ctx.price_notice.set(None);
    ctx.renewed.set_value(false);
    // The quote whose total the Pay button showed.
    let Some(quote_id) = ctx.quote().map(|q| q.id) else { return };
    let attempt = ctx.pending.with_value(|pending| {
        attempt_for(pending.as_ref(), &method.id, &quote_id, &details, new_key)
    });
    ctx.pending.set_value(Some(attempt));
    create(ctx);
}

/// Sends the pending attempt's session request (again, with the same key, on Retry).
pub fn create(ctx: Ctx) {
    let Some(attempt) = ctx.pending.get_value() else { return };
    ctx.stop();
    ctx.screen.set(Screen::Creating);
    ctx.create.dispatch_local(attempt);
}

/// The answer to a session request.
fn created(ctx: Ctx, attempt: Attempt, answer: Result<Session, ApiFailure>) {
    if ctx.screen.get_untracked() != Screen::Creating {
        return;
    }
    let method = attempt.method.clone();
    match answer {
        Ok(session) => {
            ctx.pending.set_value(None);
            let detail = SessionDetail { session_id: &session.id, method: Some(&method) };
            emit(ctx, "kassa:session-created", &detail);
            act(ctx, &session, ctx.method(&method).as_ref());
        }
        Err(failure) => {
            if let Some(r) = repriced(&failure, ctx.renewed.get_value()) {
                return reprice(ctx, attempt, r, &failure);
            }
            if !key_survives(&failure) {
                ctx.pending.set_value(None);
            }
            let problem = problem_for(&failure, Retry::Create, Next::Picker, ctx.lang());
            show(ctx, Screen::Problem(problem));
        }
    }
}

/// The backend created nothing because the quote expired or the price changed: take the
/// fresh quote, then send again by ourselves (same total) or let the customer decide.
fn reprice(ctx: Ctx, attempt: Attempt, r: Repriced, failure: &ApiFailure) {
    // The request differs from now on (another quote id), so its key is done with.
    ctx.pending.set_value(None);
    match r {
        Repriced::Renew(quote) => {
            let renewed = Attempt { key: new_key(), quote_id: quote.id.clone(), ..attempt };
            ctx.quote.set(Some(quote));
            ctx.renewed.set_value(true);
            ctx.pending.set_value(Some(renewed));
            create(ctx);
        }
        Repriced::Changed(quote) => {
            ctx.price_notice.set(Some(quote.total));
            ctx.quote.set(Some(quote));
            ctx.screen.set(Screen::Picker);
        }
        Repriced::Stale(quote) => {
            ctx.quote.set(Some(quote));
            let problem = problem_for(failure, Retry::Load, Next::Picker, ctx.lang());
            show(ctx, Screen::Problem(problem));
        }
    }
}

/// Does what a session answer asks: a settled screen, a checked redirect, a frame, Stripe.
fn act(ctx: Ctx, session: &Session, method: Option<&PaymentMethod>) {
    match after_session(session, method, navigate::check, ctx.lang()) {
        Ok(AfterSession::Show(screen)) => show(ctx, screen),
        // The button keeps saying "Processing…" while the page goes.
        Ok(AfterSession::Redirect(url)) => go_to(&url),
        Ok(AfterSession::FrameRefused(url)) => frame_fallback(ctx, url),
        Err(e) => show(ctx, Screen::Problem(problem_for_url(&e, ctx.lang()))),
    }
}

/// Sends the whole page to `url` (already checked).
fn go_to(url: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(url);
    }
}

/// Shows a reloaded page's open session again: its frame or embedded checkout, or the
/// screen it has settled on meanwhile. Never navigates the page by itself.
fn reopen(ctx: Ctx, session: SessionId) {
    ctx.screen.set(Screen::Loading);
    poll(ctx, session, Check::Reopen);
}

/// How long the "taking you to the payment page" notice shows before the page goes.
const FALLBACK_NOTICE_MS: u32 = 1_500;

/// The provider's page cannot be shown in its frame (it refuses to be framed, or did not
/// load in time): say so, then send the whole page to the same (already checked) URL. The
/// return URL brings the customer back to this widget.
pub fn frame_fallback(ctx: Ctx, url: String) {
    ctx.screen.set(Screen::Redirecting);
    ctx.run(async move {
        sleep(FALLBACK_NOTICE_MS).await;
        go_to(&url);
    });
}

/// The confirming screen: cancels first if the customer came back through the cancel URL
/// and the session is still open, then polls with back-off until the session settles.
pub fn confirm(ctx: Ctx, session: SessionId, check: Check) {
    ctx.screen.set(Screen::Confirming { session: session.clone(), stalled: false });
    poll(ctx, session, check);
}

/// Asks for the session until it settles (with back-off, within the poll budget); what each
/// answer means is [`polled`]'s to say.
fn poll(ctx: Ctx, session: SessionId, check: Check) {
    let api = ctx.api();
    ctx.run(async move {
        let mut cancel_first = check == Check::CancelThenConfirm;
        let mut waited = 0;
        let mut n = 0;
        loop {
            let mut answer = api.session(&session).await;
            if cancel_first && answer.as_ref().is_ok_and(|s| !s.state.is_settled()) {
                cancel_first = false;
                answer = api.cancel(&session).await;
                if !answer.as_ref().is_ok_and(|s| s.state.is_settled()) {
                    continue;
                }
            }
            let retry = Retry::Confirm { session: session.clone(), cancelled: cancel_first };
            match polled(answer, check, waited, retry, ctx.lang()) {
                Polled::Show(screen) => return show(ctx, screen),
                Polled::Act(s) => return act(ctx, &s, ctx.method(&s.method).as_ref()),
                Polled::Again => {}
            }
            let delay = poll_delay_ms(n);
            n += 1;
            waited += delay;
            sleep(delay).await;
        }
    });
}

/// "Choose another way to pay" from a frame: cancels the open session, then the picker.
pub fn leave_for_picker(ctx: Ctx, session: SessionId) {
    ctx.touched();
    ctx.stop();
    ctx.screen.set(Screen::Loading);
    ctx.cancel.dispatch_local(session);
}

/// The answer to "Choose another way to pay". If the session was paid (or invoiced) after
/// all, that wins over going back to the picker.
fn left(ctx: Ctx, session: SessionId, answer: Result<Session, ApiFailure>) {
    if ctx.screen.get_untracked() != Screen::Loading {
        return;
    }
    match answer {
        Ok(s) if matches!(s.state, SessionState::Paid | SessionState::Invoiced) => {
            act(ctx, &s, None)
        }
        _ => {
            emit(ctx, "kassa:cancelled", &SessionDetail { session_id: &session, method: None });
            strip_return_params();
            ctx.screen.set(Screen::Picker);
        }
    }
}

/// "Retry" on a problem screen.
pub fn retry(ctx: Ctx, what: Retry) {
    ctx.touched();
    match what {
        Retry::Load => ctx.load(AfterLoad::Picker),
        Retry::Create => create(ctx),
        Retry::Confirm { session, cancelled } => {
            confirm(ctx, session, if cancelled { Check::CancelThenConfirm } else { Check::Confirm })
        }
    }
}

/// "Choose another method" / "Choose a payment method": back to the picker.
pub fn to_picker(ctx: Ctx) {
    ctx.touched();
    strip_return_params();
    ctx.stop();
    if ctx.loaded().is_some() {
        ctx.screen.set(Screen::Picker);
    } else {
        ctx.load(AfterLoad::Picker);
    }
}

/// "Start over": a fresh checkout (new quote, new attempt).
pub fn start_over(ctx: Ctx) {
    ctx.touched();
    strip_return_params();
    ctx.pending.set_value(None);
    ctx.load(AfterLoad::Picker);
}

/// "Try again" after a failed payment: the same method, a new attempt with a new key. If
/// the details that method needs are not known (after a reload), the picker asks for them.
pub fn try_again(ctx: Ctx, method: MethodId) {
    ctx.touched();
    strip_return_params();
    ctx.pending.set_value(None);
    let Some(loaded) = ctx.loaded() else { return ctx.load(AfterLoad::TryAgain(method)) };
    ctx.stop();
    ctx.screen.set(Screen::Picker);
    let Some(m) = loaded.method(&method) else { return };
    ctx.form.selected.set(Some(method.clone()));
    let typed = ctx.form.typed.get_value();
    let l = ctx.lang();
    let merchant = loaded.config.country.as_deref();
    if customer::customer_for(m, &typed, merchant, l).is_ok()
        && customer::extra_for(&m.extra_fields, &typed, l).is_ok()
    {
        pay(ctx);
    }
}

/// The customer picked a method.
pub fn select(ctx: Ctx, id: MethodId) {
    ctx.touched();
    emit(ctx, "kassa:method-selected", &MethodDetail { method: &id });
    ctx.form.field_errors.update(|e| e.retain(|(k, _)| *k != "method"));
    ctx.form.selected.set(Some(id));
}

// ------------------------------------------------------------------ the page's address

/// The query parameter naming the widget a return URL belongs to.
pub const WIDGET_PARAM: &str = "kassa_widget";

/// Writes `session` (and this widget's name) into the address without navigating, so that a
/// reload while the provider's page shows in the widget comes back to it ([`reopen`]).
/// No storage: the address is all there is, as for a return from the provider.
fn mark_in_address(ctx: Ctx, session: &str) {
    let Some(w) = web_sys::window() else { return };
    let Ok(url) = web_sys::Url::new(&clean_url(false)) else { return };
    let params = url.search_params();
    params.set(RETURN_SESSION_PARAM, session);
    params.set(WIDGET_PARAM, &ctx.setup.with_value(|s| s.widget.clone()));
    url.set_search(&String::from(params.to_string()));
    if let Ok(history) = w.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url.href()));
    }
}

/// The page's URL without Kassa's return parameters (and without a fragment), naming this
/// widget: where the provider sends the customer back. The backend appends the session.
fn return_url(widget: &str) -> String {
    let href = clean_url(true);
    let Ok(url) = web_sys::Url::new(&href) else { return href };
    url.search_params().append(WIDGET_PARAM, widget);
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

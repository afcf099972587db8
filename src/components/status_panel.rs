//! `status_panel`: the screens after the picker: confirming, the receipt, failed,
//! cancelled, expired, and problems. Each has an `<h2>` and a clear way on.

use leptos::prelude::*;

use crate::{
    flow::{self, Ctx},
    format,
    state::{Next, Screen},
};

/// One status screen: any `screen` but the picker and the frames.
pub fn status_panel(ctx: Ctx, screen: Screen) -> AnyView {
    match screen {
        Screen::Confirming { session, stalled } => {
            let again = stalled.then(|| {
                view! {
                    <p class="kassa-status__text">"This is taking longer than usual. The payment is not lost."</p>
                    {button("Check again", "kassa-check-again", move || flow::confirm(ctx, session.clone(), false))}
                }
            });
            panel(
                "kassa-status kassa-status--busy",
                view! { <h2 class="kassa__title" tabindex="-1">"Confirming your payment…"</h2> {again} }.into_any(),
            )
        }
        Screen::Returning => view! {
            <p class="kassa-status kassa-status--busy" data-testid="kassa-returning">"Returning to checkout…"</p>
        }
        .into_any(),
        Screen::Paid(paid) => {
            let amount = format::money(paid.amount, &ctx.locale());
            let reference = paid.provider_reference.map(|r| {
                view! {
                    <dt>"Provider reference"</dt>
                    <dd data-testid="kassa-receipt-provider-reference">{r}</dd>
                }
            });
            panel(
                "kassa-status kassa-status--paid",
                view! {
                    <h2 class="kassa__title" tabindex="-1">"Payment received"</h2>
                    <dl class="kassa-receipt" data-testid="kassa-receipt">
                        <dt>"Amount"</dt>
                        <dd data-testid="kassa-receipt-amount">{amount}</dd>
                        <dt>"Reference"</dt>
                        <dd data-testid="kassa-receipt-reference">{paid.session}</dd>
                        {reference}
                    </dl>
                }.into_any(),
            )
        }
        Screen::Failed { method, .. } => panel(
            "kassa-status kassa-status--failed",
            view! {
                <h2 class="kassa__title" tabindex="-1">"Payment failed"</h2>
                <p class="kassa-status__text">"The payment did not go through."</p>
                <div class="kassa-actions">
                    {button("Try again", "kassa-try-again", move || flow::try_again(ctx, method.clone()))}
                    {secondary("Choose another method", "kassa-choose-another", move || flow::to_picker(ctx))}
                </div>
            }.into_any(),
        ),
        Screen::Cancelled { .. } => panel(
            "kassa-status kassa-status--cancelled",
            view! {
                <h2 class="kassa__title" tabindex="-1">"Payment cancelled"</h2>
                <p class="kassa-status__text">"Nothing was charged."</p>
                {button("Choose a payment method", "kassa-choose-method", move || flow::to_picker(ctx))}
            }.into_any(),
        ),
        Screen::Expired { .. } => panel(
            "kassa-status kassa-status--expired",
            view! {
                <h2 class="kassa__title" tabindex="-1">"Session expired"</h2>
                <p class="kassa-status__text">"The time to pay ran out. Nothing was charged."</p>
                {button("Start over", "kassa-start-over", move || flow::start_over(ctx))}
            }.into_any(),
        ),
        Screen::Problem(problem) => {
            let action = match problem.next {
                Next::Nothing => None,
                Next::Retry(what) => Some(button("Retry", "kassa-retry", move || flow::retry(ctx, what.clone()))),
                Next::Picker => Some(button("Choose another method", "kassa-choose-another", move || flow::to_picker(ctx))),
                Next::StartOver => Some(button("Start over", "kassa-start-over", move || flow::start_over(ctx))),
            };
            panel(
                "kassa-status kassa-status--error",
                view! {
                    <h2 class="kassa__title" tabindex="-1" data-testid="kassa-error-title">{problem.title}</h2>
                    {problem.detail.map(|d| view! { <p class="kassa-status__text" data-testid="kassa-error-detail">{d}</p> })}
                    {action}
                }.into_any(),
            )
        }
        _ => ().into_any(),
    }
}

fn panel(class: &'static str, inner: AnyView) -> AnyView {
    view! { <section class=class data-testid="kassa-status">{inner}</section> }.into_any()
}

/// A button; the handler is boxed so that every button shares one piece of view code.
fn button(label: &'static str, testid: &'static str, on_click: impl Fn() + 'static) -> AnyView {
    styled_button("kassa-button", label, testid, Box::new(on_click))
}

fn secondary(label: &'static str, testid: &'static str, on_click: impl Fn() + 'static) -> AnyView {
    styled_button("kassa-button kassa-button--secondary", label, testid, Box::new(on_click))
}

fn styled_button(class: &'static str, label: &'static str, testid: &'static str, on_click: Box<dyn Fn()>) -> AnyView {
    view! {
        <button type="button" class=class data-testid=testid on:click=move |_| on_click()>{label}</button>
    }
    .into_any()
}

//! `status_panel`: every screen that is not the picker or a frame: loading, confirming,
//! the receipt, failed, cancelled, expired and problems. Each has an `<h2>` and a clear way
//! on.
//!
//! The screens are described as data ([`Panel`]) and drawn by one view, so that the widget
//! carries one piece of view code for all of them instead of one per screen.

use leptos::prelude::*;

use crate::{
    flow::{self, Ctx},
    format,
    state::{Next, Screen},
};

type OnClick = Box<dyn Fn()>;

/// A button on a panel.
struct Action {
    label: &'static str,
    testid: &'static str,
    secondary: bool,
    on_click: OnClick,
}

fn action(label: &'static str, testid: &'static str, on_click: impl Fn() + 'static) -> Action {
    Action { label, testid, secondary: false, on_click: Box::new(on_click) }
}

/// What a status screen shows.
#[derive(Default)]
struct Panel {
    /// Block modifier, e.g. `kassa-status--paid`.
    class: &'static str,
    /// The heading; `None` for a bare status line (loading, returning).
    title: Option<String>,
    /// A sentence under the heading.
    text: Option<String>,
    /// Receipt rows `(label, testid, value)`.
    rows: Vec<(&'static str, &'static str, String)>,
    /// Buttons.
    actions: Vec<Action>,
}

/// One status screen: any `screen` but the picker and the frames.
pub fn status_panel(ctx: Ctx, screen: Screen) -> AnyView {
    let panel = match screen {
        Screen::Loading => Panel {
            class: "kassa-status kassa-status--busy",
            text: Some(String::from("Loading checkout…")),
            ..Panel::default()
        },
        Screen::Returning => Panel {
            class: "kassa-status kassa-status--busy",
            text: Some(String::from("Returning to checkout…")),
            ..Panel::default()
        },
        Screen::Confirming { session, stalled } => Panel {
            class: "kassa-status kassa-status--busy",
            title: Some(String::from("Confirming your payment…")),
            text: stalled.then(|| {
                String::from("This is taking longer than usual. The payment is not lost.")
            }),
            actions: if stalled {
                vec![action("Check again", "kassa-check-again", move || {
                    flow::confirm(ctx, session.clone(), false)
                })]
            } else {
                vec![]
            },
            ..Panel::default()
        },
        Screen::Paid(paid) => {
            let mut rows = vec![
                ("Amount", "kassa-receipt-amount", format::money(paid.amount, &ctx.locale())),
                ("Reference", "kassa-receipt-reference", paid.session),
            ];
            if let Some(r) = paid.provider_reference {
                rows.push(("Provider reference", "kassa-receipt-provider-reference", r));
            }
            Panel {
                class: "kassa-status kassa-status--paid",
                title: Some(String::from("Payment received")),
                rows,
                ..Panel::default()
            }
        }
        Screen::Failed { method, .. } => Panel {
            class: "kassa-status kassa-status--failed",
            title: Some(String::from("Payment failed")),
            text: Some(String::from("The payment did not go through.")),
            actions: vec![
                action("Try again", "kassa-try-again", move || {
                    flow::try_again(ctx, method.clone())
                }),
                Action {
                    secondary: true,
                    ..action("Choose another method", "kassa-choose-another", move || {
                        flow::to_picker(ctx)
                    })
                },
            ],
            ..Panel::default()
        },
        Screen::Cancelled { .. } => Panel {
            class: "kassa-status kassa-status--cancelled",
            title: Some(String::from("Payment cancelled")),
            text: Some(String::from("Nothing was charged.")),
            actions: vec![action("Choose a payment method", "kassa-choose-method", move || {
                flow::to_picker(ctx)
            })],
            ..Panel::default()
        },
        Screen::Expired { .. } => Panel {
            class: "kassa-status kassa-status--expired",
            title: Some(String::from("Session expired")),
            text: Some(String::from("The time to pay ran out. Nothing was charged.")),
            actions: vec![action("Start over", "kassa-start-over", move || flow::start_over(ctx))],
            ..Panel::default()
        },
        Screen::Problem(problem) => Panel {
            class: "kassa-status kassa-status--error",
            title: Some(problem.title),
            text: problem.detail,
            actions: match problem.next {
                Next::Nothing => vec![],
                Next::Retry(what) => {
                    vec![action("Retry", "kassa-retry", move || flow::retry(ctx, what.clone()))]
                }
                Next::Picker => {
                    vec![action("Choose another method", "kassa-choose-another", move || {
                        flow::to_picker(ctx)
                    })]
                }
                Next::StartOver => {
                    vec![action("Start over", "kassa-start-over", move || flow::start_over(ctx))]
                }
            },
            ..Panel::default()
        },
        Screen::Picker | Screen::Creating | Screen::Iframe { .. } | Screen::Embedded(_) => {
            Panel::default()
        }
    };
    draw(panel)
}

fn draw(panel: Panel) -> AnyView {
    let receipt = (!panel.rows.is_empty()).then(|| {
        let rows = panel
            .rows
            .into_iter()
            .map(|(label, testid, value)| view! { <dt>{label}</dt><dd data-testid=testid>{value}</dd> })
            .collect_view();
        view! { <dl class="kassa-receipt" data-testid="kassa-receipt">{rows}</dl> }
    });
    let actions = (!panel.actions.is_empty()).then(|| {
        let buttons = panel
            .actions
            .into_iter()
            .map(|a| {
                let class = if a.secondary { "kassa-button kassa-button--secondary" } else { "kassa-button" };
                let on_click = a.on_click;
                view! {
                    <button type="button" class=class data-testid=a.testid on:click=move |_| on_click()>{a.label}</button>
                }
            })
            .collect_view();
        view! { <div class="kassa-actions">{buttons}</div> }
    });
    view! {
        <section class=panel.class data-testid="kassa-status">
            {panel.title.map(|t| view! { <h2 class="kassa__title" tabindex="-1" data-testid="kassa-heading">{t}</h2> })}
            {panel.text.map(|t| view! { <p class="kassa-status__text" data-testid="kassa-status-text">{t}</p> })}
            {receipt}
            {actions}
        </section>
    }
    .into_any()
}

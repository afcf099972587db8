//! `StatusPanel`: every screen that is not the picker or a frame: loading, confirming,
//! the receipt, invoiced, failed, cancelled, expired and problems. Each has an `<h2>` and a clear way
//! on.
//!
//! The screens are described as data ([`Panel`]) and drawn by one view, so that the widget
//! carries one piece of view code for all of them instead of one per screen.

use leptos::prelude::*;

use crate::{
    flow::{self, use_ctx},
    format,
    poll::Check,
    screen::{Next, Screen},
    t,
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

/// One status screen, with its heading and its way on.
#[component]
pub fn StatusPanel(
    /// Any screen but the picker and the frames.
    screen: Screen,
) -> impl IntoView {
    let ctx = use_ctx();
    let l = ctx.lang();
    let panel = match screen {
        Screen::Loading => Panel {
            class: "kassa-status kassa-status--busy",
            text: Some(t!(l, loading).into()),
            ..Panel::default()
        },
        Screen::Returning => Panel {
            class: "kassa-status kassa-status--busy",
            text: Some(t!(l, returning).into()),
            ..Panel::default()
        },
        Screen::Redirecting => Panel {
            class: "kassa-status kassa-status--busy",
            text: Some(t!(l, frame_fallback).into()),
            ..Panel::default()
        },
        Screen::Confirming { session, stalled } => Panel {
            class: "kassa-status kassa-status--busy",
            title: Some(t!(l, confirming).into()),
            text: stalled.then(|| t!(l, stalled).into()),
            actions: if stalled {
                vec![action(t!(l, check_again), "kassa-check-again", move || {
                    flow::confirm(ctx, session.clone(), Check::Confirm)
                })]
            } else {
                vec![]
            },
            ..Panel::default()
        },
        Screen::Paid(paid) => {
            let mut rows = vec![
                (t!(l, amount), "kassa-receipt-amount", format::money(paid.amount, &ctx.locale())),
                (t!(l, reference), "kassa-receipt-reference", paid.session.into_string()),
            ];
            if let Some(r) = paid.provider_reference {
                rows.push((t!(l, provider_reference), "kassa-receipt-provider-reference", r));
            }
            Panel {
                class: "kassa-status kassa-status--paid",
                title: Some(t!(l, paid).into()),
                rows,
                ..Panel::default()
            }
        }
        Screen::Invoiced { session } => Panel {
            class: "kassa-status kassa-status--invoiced",
            title: Some(t!(l, invoiced).into()),
            rows: vec![(t!(l, reference), "kassa-receipt-reference", session.into_string())],
            ..Panel::default()
        },
        Screen::Failed { method, .. } => Panel {
            class: "kassa-status kassa-status--failed",
            title: Some(t!(l, failed).into()),
            text: Some(t!(l, failed_text).into()),
            actions: vec![
                action(t!(l, try_again), "kassa-try-again", move || {
                    flow::try_again(ctx, method.clone())
                }),
                Action {
                    secondary: true,
                    ..action(t!(l, choose_another), "kassa-choose-another", move || {
                        flow::to_picker(ctx)
                    })
                },
            ],
            ..Panel::default()
        },
        Screen::Cancelled { .. } => Panel {
            class: "kassa-status kassa-status--cancelled",
            title: Some(t!(l, cancelled).into()),
            text: Some(t!(l, nothing_charged).into()),
            actions: vec![action(t!(l, choose_method), "kassa-choose-method", move || {
                flow::to_picker(ctx)
            })],
            ..Panel::default()
        },
        Screen::Expired { hold, .. } => Panel {
            class: "kassa-status kassa-status--expired",
            title: Some(t!(l, expired).into()),
            text: Some(if hold { t!(l, hold_ran_out) } else { t!(l, expired_text) }.into()),
            actions: vec![action(
                if hold { t!(l, book_again) } else { t!(l, start_over) },
                "kassa-start-over",
                move || flow::start_over(ctx),
            )],
            ..Panel::default()
        },
        Screen::Problem(problem) => Panel {
            class: "kassa-status kassa-status--error",
            title: Some(problem.title),
            text: problem.detail,
            actions: match problem.next {
                Next::Nothing => vec![],
                Next::Retry(what) => {
                    vec![action(t!(l, retry), "kassa-retry", move || {
                        flow::retry(ctx, what.clone())
                    })]
                }
                Next::Picker => {
                    vec![action(t!(l, choose_another), "kassa-choose-another", move || {
                        flow::to_picker(ctx)
                    })]
                }
                Next::StartOver => {
                    vec![action(t!(l, start_over), "kassa-start-over", move || {
                        flow::start_over(ctx)
                    })]
                }
                Next::Embed(embed) => {
                    let session = embed.session.clone();
                    vec![
                        action(t!(l, try_again), "kassa-embed-retry", move || {
                            ctx.touched();
                            flow::show(ctx, Screen::Embedded(embed.clone()))
                        }),
                        Action {
                            secondary: true,
                            ..action(t!(l, leave), "kassa-leave", move || {
                                flow::leave_for_picker(ctx, session.clone())
                            })
                        },
                    ]
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

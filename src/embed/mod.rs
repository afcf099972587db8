//! Payment pages shown inside the widget: a provider's page in an iframe, or Stripe's
//! embedded checkout. URLs reach this module only after `navigate::check`.

pub mod iframe;
pub mod stripe;

use kassa_wire::SessionId;
use leptos::prelude::*;

use crate::{flow, t};

/// "Choose another way to pay" under an embedded payment page: leaves `session` (the backend
/// cancels it) and goes back to the picker.
#[component]
pub fn LeaveButton(
    /// The session shown above the button.
    session: SessionId,
) -> impl IntoView {
    let ctx = flow::use_ctx();
    view! {
        <button
            type="button"
            class="kassa-button kassa-button--secondary"
            data-testid="kassa-leave"
            on:click=move |_| flow::leave_for_picker(ctx, session.clone())
        >
            {t!(ctx.lang(), leave)}
        </button>
    }
}

//! `AfterPay`: every screen after the picker (the provider's frame, Stripe's embedded
//! checkout, confirming, the receipt and the other statuses, problems) as one part of the
//! widget that the bundle build (`cargo xtask widget`, feature `split`) splits into a Wasm
//! chunk of its own. The customer downloads it while reading the picker ([`preload`], called
//! by the picker), so pressing Pay never waits for code; without the `split` feature (the
//! component tests, a build that does not split) it is ordinary code.
//!
//! A chunk that does not load shows "Part of the checkout couldn't load" with Retry
//! ([`super::part`]): the split point is `fallible`, so a failed load is an error here and
//! not a panic that would stop the whole widget.

use leptos::prelude::*;

use super::{
    part::{LazyPart, LoadingNotice, PartMissing},
    status_panel::StatusPanel,
};
use crate::{
    embed::{iframe::Frame, stripe::StripeCheckout},
    screen::Screen,
};

/// The view of a screen after the picker: loaded (once) from its chunk, then drawn.
#[component]
pub fn AfterPay(
    /// Any screen but the picker and loading.
    screen: Screen,
) -> impl IntoView {
    // While the chunk is on its way (it normally came while the picker showed): "Loading".
    view! { <LazyPart draw=move || draw(screen.clone()) fallback=|| view! { <LoadingNotice/> }/> }
}

/// Fetches the chunk in the background (from the picker), so that it is there when the
/// customer presses Pay. A failure here is tried again when the part is needed.
pub fn preload() {
    #[cfg(feature = "split")]
    leptos::task::spawn_local(async {
        let _ = preload_after_pay().await;
    });
}

/// The split point: everything the after-Pay screens draw is reached only from here.
#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(
        kassa_after_pay,
        wasm_split_path = ::leptos::wasm_split,
        fallible,
        preload(#[doc(hidden)] preload_after_pay)
    )
)]
#[cfg_attr(not(feature = "split"), allow(clippy::unnecessary_wraps))]
fn draw_after_pay(screen: Screen) -> Result<AnyView, PartMissing> {
    Ok(match screen {
        Screen::Iframe { session, url, title, expires_at } => {
            view! { <Frame session url title expires_at/> }.into_any()
        }
        Screen::Embedded(embed) => view! { <StripeCheckout embed/> }.into_any(),
        other => view! { <StatusPanel screen=other/> }.into_any(),
    })
}

/// [`draw_after_pay`], awaited: with `split`, the macro made it `async` (it loads the chunk
/// first); without, it is called directly.
async fn draw(screen: Screen) -> Result<AnyView, PartMissing> {
    #[cfg(feature = "split")]
    return draw_after_pay(screen).await;
    #[cfg(not(feature = "split"))]
    return draw_after_pay(screen);
}

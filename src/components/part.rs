//! What the parts of the widget that load after the picker have in common: the bundle build
//! (`cargo xtask widget`, feature `split`) moves each one into a Wasm chunk of its own
//! (docs/toolchain.md section 3), fetched while the customer reads the picker. Such a part
//! can fail to arrive (the network dropped, a proxy blocked it); then it says "Part of the
//! checkout couldn't load" with Retry in its place, never a blank box.
//!
//! The parts: the customer's details form (`customer_fields`) and every screen after the
//! picker (`after_pay`).

use std::future::Future;

use leptos::prelude::*;

use crate::{flow::use_ctx, t};

/// A part of the widget that could not be loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartMissing;

impl From<leptos::wasm_split::SplitLoaderError> for PartMissing {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        PartMissing
    }
}

/// A part drawn once its chunk is there: `draw` loads the chunk (the first time only) and
/// draws the part; `fallback` shows while it loads; when it cannot load, the notice with
/// Retry takes its place, and Retry calls `draw` again.
#[component]
pub fn LazyPart<D, Fut>(
    /// Loads the part's chunk if needed, then draws the part.
    draw: D,
    /// What shows while the chunk loads (nothing unless given).
    #[prop(optional, into)]
    fallback: ViewFnOnce,
) -> impl IntoView
where
    D: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<AnyView, PartMissing>> + Send + 'static,
{
    let tries = RwSignal::new(0u32);
    view! {
        <Suspense fallback>
            {move || {
                tries.track();
                let drawn = draw();
                Suspend::new(async move {
                    match drawn.await {
                        Ok(view) => view,
                        Err(PartMissing) => view! { <PartMissingNotice tries/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// "Loading checkout…": shown while config and quote load, and in place of a screen whose
/// part is still on its way, so the widget is never a blank box.
#[component]
pub fn LoadingNotice() -> impl IntoView {
    let l = use_ctx().lang();
    view! {
        <section class="kassa-status kassa-status--busy" data-testid="kassa-status">
            <p class="kassa-status__text" data-testid="kassa-status-text">{t!(l, loading)}</p>
        </section>
    }
}

/// "Part of the checkout couldn't load", with Retry, in place of the part: an alert, since it
/// comes later than what the customer did (a method chosen, Pay pressed) and nothing else
/// would say it to a screen reader. Retry counts up
/// `tries`, which the part's view tracks, so it asks for the chunk again.
#[component]
pub fn PartMissingNotice(
    /// Counted up by Retry.
    tries: RwSignal<u32>,
) -> impl IntoView {
    let l = use_ctx().lang();
    view! {
        <section class="kassa-status kassa-status--error" role="alert" data-testid="kassa-status">
            <h2 class="kassa__title" tabindex="-1" data-testid="kassa-heading">{t!(l, part_missing)}</h2>
            <div class="kassa-actions">
                <button
                    type="button"
                    class="kassa-button"
                    data-testid="kassa-part-retry"
                    on:click=move |_| tries.update(|n| *n += 1)
                >
                    {t!(l, retry)}
                </button>
            </div>
        </section>
    }
}

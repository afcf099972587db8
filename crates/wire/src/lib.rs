//! `kassa-wire`: the types that cross between the Kassa widget and a merchant backend.
//!
//! No IO, and nothing that fails to build for `wasm32-unknown-unknown`: the widget and the
//! backend share this crate, so the contract cannot drift. [`Money`] lives here because
//! both sides handle amounts and neither may touch a float.

#![warn(missing_docs)]
#![deny(clippy::float_arithmetic)]

mod contract;
mod money;
mod picker;
mod state;

pub use contract::*;
pub use money::{Currency, Money, MoneyError, MAX_SAFE_MINOR};
pub use picker::{group_order, picker_entries, Mark, MethodGroup, MethodName, PickerEntry, Place};
pub use state::{PaymentEvent, SessionState};

//! The widget's components, one per file, each a `#[component]` with documented props.
//! They draw the state and read the widget's `flow::Ctx` from context; `flow.rs` moves it.

pub mod after_pay;
pub mod checkout;
pub mod customer_fields;
pub mod method_picker;
pub mod order_summary;
pub mod part;
pub mod pay_button;
pub mod picker;
pub mod price_notice;
pub mod status_panel;

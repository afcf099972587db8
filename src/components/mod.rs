//! The widget's components, one per file. They draw the state; `flow.rs` moves it.

pub mod checkout;
pub mod customer_fields;
pub mod method_picker;
pub mod order_summary;
pub mod pay_button;
pub mod status_panel;

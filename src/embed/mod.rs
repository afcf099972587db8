//! Payment pages shown inside the widget: a provider's page in an iframe, or Stripe's
//! embedded checkout. URLs reach this module only after `navigate::check`.

pub mod iframe;
pub mod stripe;

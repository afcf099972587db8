//! `kassa-wire`: the types that cross between the Kassa widget and a merchant backend.
//!
//! No IO, and nothing that fails to build for `wasm32-unknown-unknown`: the widget and the
//! backend share this crate, so the contract cannot drift. [`Money`] lives here because
//! both sides handle amounts and neither may touch a float.
//!
//! Parse, don't validate: every rule about a value from outside (an id, an e-mail address,
//! a phone number, a personal number, a booking date) is one parser here, which both the
//! widget and the backend call, and whose result type says the rule was applied.
//!
//! | rule | where |
//! |---|---|
//! | ids (session, method, idempotency key, provider reference, quote) | [`ids`](SessionId) |
//! | e-mail, name/street/city, postal code, customer type, [`Customer`] | `customer.rs` |
//! | phone numbers → E.164 | [`Phone`] |
//! | personal and organisation numbers with check digits | [`PersonalNumber`], [`OrganisationNumber`] |
//! | country codes | [`CountryCode`] |
//! | language tags | [`LanguageTag`] |
//! | booking dates and periods | [`BookingDate`], [`BookingPeriod`] |
//! | enum names (serde and text from one list) | `named.rs` |

#![warn(missing_docs)]
#![deny(clippy::float_arithmetic)]

mod contract;
mod country;
mod customer;
mod date;
mod ids;
mod locale;
mod money;
mod named;
mod national_id;
mod phone;
mod picker;
mod state;

pub use contract::*;
pub use country::{CountryCode, CountryError};
pub use customer::{
    Customer, CustomerError, CustomerKind, Email, FieldProblem, PostalCode, Text, DEFAULT_COUNTRY,
};
pub use date::{BookingDate, BookingPeriod, DateError, PeriodError};
pub use ids::{IdError, IdempotencyKey, MethodId, ProviderRef, QuoteId, SessionId};
pub use locale::{LanguageTag, LanguageTagError};
pub use money::{Currency, Money, MoneyError, MAX_SAFE_MINOR};
pub use national_id::{NationalIdError, OrganisationNumber, PersonalNumber};
pub use phone::{Phone, PhoneError};
pub use picker::{group_order, picker_entries, Mark, MethodGroup, MethodName, PickerEntry, Place};
pub use state::{PaymentEvent, SessionState};

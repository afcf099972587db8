//! Black-box tests: the simulator on port 0, driven over real HTTP with reqwest, with a tiny
//! axum receiver standing in for the merchant backend's webhook endpoint.

mod bokamera;
mod checkfront;
mod front_payment;
mod helpers;
mod payfect;
mod stripe;
mod stripe_js;

//! The end-to-end harness: the simulator, the backend on a real SQLite file, a static site
//! with the built widget, and headless Chromium driven through Debian's chromedriver.
//!
//! Everything talks real HTTP on 127.0.0.1. Tests wait on conditions (an element, a
//! `data-state`), never on fixed sleeps.

pub mod browser;
pub mod csp;
pub mod page;
pub mod stack;

pub use browser::Browser;
pub use page::CheckoutPage;
pub use stack::{Stack, StackOptions, StripeTrain};

/// How long any single wait may take before the test fails.
pub const WAIT: std::time::Duration = std::time::Duration::from_secs(20);

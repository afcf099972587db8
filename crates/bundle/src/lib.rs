//! The widget's Wasm: everything is the `kassa` crate; this cdylib only links it with LTO,
//! with `kassa`'s `split` feature on, so its `#[lazy]` functions become split points
//! (`xtask/src/split.rs` splits them into chunks).
//!
//! The `#[wasm_bindgen]` exports (`start`, the mounted widget) and the `#[lazy]` split points
//! are `#[no_mangle]` items of `kassa` and stay exported from this cdylib because it links
//! `kassa` through the `use` below.

pub use kassa::start;

//! The widget's Wasm: everything is the `kassa` crate; this cdylib only links it with LTO,
//! with `kassa`'s `split` feature on, so its `#[lazy]` functions become split points
//! (`xtask/src/split.rs` splits them into chunks).
//!
//! The `#[wasm_bindgen]` exports (`start`, the mounted widget) and the `#[lazy]` split points
//! are `#[no_mangle]` items of `kassa` and stay exported from this cdylib because it links
//! `kassa` through the `use` below.

pub use kassa::start;

/// The allocator: Talc instead of Rust's default for Wasm (dlmalloc), because it is smaller
/// (dlmalloc was about 7 KB of the Wasm, measured with twiggy) and the widget allocates
/// little. `disable-realloc-in-place` trades some reallocation speed for bytes
/// (talc's WebAssembly README, <https://github.com/SFBdragon/talc/blob/master/talc/README_WASM.md>).
/// The saving is measured in `docs/toolchain.md` section 5.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

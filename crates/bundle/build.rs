//! Keeps the linker's relocations in the Wasm (`--emit-relocs`), for this crate's link only
//! and only for wasm32 (rust-lld): `cargo xtask widget` splits the Wasm at Leptos's `#[lazy]`
//! functions with `wasm_split_cli_support`, which reads them to move code into chunks.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo::rustc-link-arg-cdylib=--emit-relocs");
    }
}

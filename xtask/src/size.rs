//! The widget's transfer size, raw, gzip -9 and brotli -q 11, checked against two ceilings:
//!
//! - the **critical path**: every byte a customer downloads before the picker can be used:
//!   the loader `kassa.js`, the glue `kassa_widget.js` (with its snippets and the split
//!   loader, bundled into it in release builds), the main Wasm `kassa_widget_bg.wasm` and
//!   `kassa.css`. Goal: at most 60 KB brotli.
//! - the **total**: the critical path plus what the widget fetches later: the `#[lazy]`
//!   chunks (every other `.wasm`, fetched when a lazy part is first needed) and the brand
//!   marks (`marks/`, images the browser fetches after the picker is drawn).
//!
//! The ceilings sit just above the sizes reached; lower them whenever the widget shrinks, so
//! no change can quietly grow it. Raising one needs a reason in the commit. The bench
//! (`cargo xtask bench`) reports both beside the anchor widgets (`docs/bench/report.md`).

use std::{io::Write as _, path::Path};

use anyhow::Context as _;

use crate::widget::{dist_dir, WASM_NAME};

/// Brotli bytes the critical path may not exceed: just above the 182,393 B measured once the
/// marks and method groups took their names from `named_enum!` and the two embedded pages
/// shared one "Choose another way to pay" component (+182 B, of 127 B raw), on the 182,211 B
/// measured once a provider with a price of its own was told as such in five languages and
/// each screen's news was said once (by the focused heading or by the live region, not
/// both): +184 B on
/// the 182,027 B measured once the widget kept its `Intl` formatters and the loader started
/// the browser's ICU while the Wasm downloads (+318 B for the picker 20 ms sooner over a
/// link, `docs/toolchain.md` section 7), on the 181,709 B measured after the forms follow-up
/// (+1,552 B: the method's countries for a private invoice checked at the personal number,
/// the merchant's country for phone numbers, a provider's refusal said in the customer's
/// language with the order reference), on the 180,148 B measured with issue 15's forms and
/// issue 13's one set of customer rules on top of the 169,648 B below.
/// The widget checks every customer field with kassa-wire's rules, the backend's own
/// (`Customer::parse`: e-mail, E.164 phone plans of five countries, personal and organisation
/// numbers of four with their check digits, postal codes by country): +7,372 B, down from
/// 14,563 B once `format!`, Unicode case mapping and string searches left the shared code. The
/// country list and the phone number shown back: +3,189 B (the names and their sort come from
/// the browser's `Intl`).
///
/// 169,648 B was measured after `Action` was read without serde's `Content` buffer (−4,541 B),
/// Talc replaced dlmalloc (−335 B) and the loader learnt to remember the picker's height
/// (+222 B); each cut is measured in `docs/toolchain.md` section 6. History: 174,306 B after
/// the widget moved onto gloo-net, serde-wasm-bindgen and Leptos's resources and actions
/// (issue 12) and gained the grouped picker (issue 15), a move that cost bytes
/// (serde-wasm-bindgen's error formatting about 15 KB, Leptos's `LocalResource`/`Action`/owner
/// machinery about 18 KB, the picker about 6 KB) that the split of the after-Pay screens did
/// not win back; 127,410 B after issue 9; 139,265 B after issues 10 and 11 (all of it critical
/// then); 133,516 B when the bundle moved to Trunk with `crates/bundle`, wasm-opt `--flatten
/// --rereloop -Oz --converge`, esbuild and the first `#[lazy]` chunk.
pub const CRITICAL_BROTLI_CEILING: usize = 182_400;
/// Brotli bytes the whole bundle (critical path, chunks, marks) may not exceed: just above the
/// 211,057 B measured with the critical path above (210,858 B before it), on the 210,515 B measured with the critical path above (209,019 B before the forms follow-up).
pub const TOTAL_BROTLI_CEILING: usize = 211_150;
/// Where we want the critical path to be.
pub const BROTLI_GOAL: usize = 60_000;

/// Sizes of one file or a sum.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sizes {
    /// Uncompressed bytes.
    pub raw: usize,
    /// gzip -9.
    pub gzip: usize,
    /// brotli -q 11.
    pub brotli: usize,
}

impl std::ops::AddAssign for Sizes {
    fn add_assign(&mut self, other: Sizes) {
        self.raw += other.raw;
        self.gzip += other.gzip;
        self.brotli += other.brotli;
    }
}

/// When the browser fetches a bundle file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Before the picker is usable.
    Critical,
    /// When a `#[lazy]` part is first needed (a Wasm chunk).
    Lazy,
    /// After the picker is drawn (brand mark images).
    Marks,
}

impl Part {
    /// The part of the bundle-relative path `rel` (with `/` separators).
    pub fn of(rel: &str) -> Part {
        if rel.starts_with("marks/") {
            Part::Marks
        } else if rel.ends_with(".wasm") && rel != format!("{WASM_NAME}_bg.wasm") {
            Part::Lazy
        } else {
            Part::Critical
        }
    }

    fn label(self) -> &'static str {
        match self {
            Part::Critical => "critical",
            Part::Lazy => "lazy",
            Part::Marks => "marks",
        }
    }
}

/// The bundle's sizes.
#[derive(Clone, Debug, Default)]
pub struct Bundle {
    /// Each file: bundle-relative path, part, sizes.
    pub files: Vec<(String, Part, Sizes)>,
    /// The critical path.
    pub critical: Sizes,
    /// Everything.
    pub total: Sizes,
}

/// Measures the bundle in `dir`.
pub fn measure_bundle(dir: &Path) -> anyhow::Result<Bundle> {
    let mut paths = vec![];
    collect(dir, &mut paths)?;
    paths.sort();
    anyhow::ensure!(
        !paths.is_empty(),
        "no widget bundle in {}; run `cargo xtask widget`",
        dir.display()
    );
    let mut bundle = Bundle::default();
    for path in paths {
        let rel = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy().replace('\\', "/");
        let sizes = measure(&std::fs::read(&path)?)?;
        let part = Part::of(&rel);
        if part == Part::Critical {
            bundle.critical += sizes;
        }
        bundle.total += sizes;
        bundle.files.push((rel, part, sizes));
    }
    Ok(bundle)
}

/// Measures the bundle in dist/kassa; prints a table when `print`; fails over a ceiling.
pub fn report(print: bool) -> anyhow::Result<Bundle> {
    let bundle = measure_bundle(&dist_dir())?;
    if print {
        println!(
            "{:<40} {:>8} {:>10} {:>10} {:>10}",
            "file", "part", "raw", "gzip -9", "brotli 11"
        );
        for (name, part, s) in &bundle.files {
            println!(
                "{name:<40} {:>8} {:>10} {:>10} {:>10}",
                part.label(),
                s.raw,
                s.gzip,
                s.brotli
            );
        }
        for (label, s) in [("critical path", bundle.critical), ("total", bundle.total)] {
            println!("{label:<49} {:>10} {:>10} {:>10}", s.raw, s.gzip, s.brotli);
        }
        println!(
            "critical path {} B brotli: ceiling {CRITICAL_BROTLI_CEILING} B, goal {BROTLI_GOAL} B ({:+} B to the goal); total {} B: ceiling {TOTAL_BROTLI_CEILING} B",
            bundle.critical.brotli,
            bundle.critical.brotli as i64 - BROTLI_GOAL as i64,
            bundle.total.brotli,
        );
    }
    check(&bundle)?;
    Ok(bundle)
}

/// Fails when the bundle is over a ceiling.
fn check(bundle: &Bundle) -> anyhow::Result<()> {
    anyhow::ensure!(
        bundle.critical.brotli <= CRITICAL_BROTLI_CEILING,
        "the widget's critical path grew to {} B brotli, over the ceiling of {CRITICAL_BROTLI_CEILING} B",
        bundle.critical.brotli
    );
    anyhow::ensure!(
        bundle.total.brotli <= TOTAL_BROTLI_CEILING,
        "the whole widget grew to {} B brotli, over the ceiling of {TOTAL_BROTLI_CEILING} B",
        bundle.total.brotli
    );
    Ok(())
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// raw, gzip -9 and brotli -q 11 sizes of `bytes`.
pub fn measure(bytes: &[u8]) -> anyhow::Result<Sizes> {
    Ok(Sizes { raw: bytes.len(), gzip: gzip_best(bytes)?.len(), brotli: brotli_best(bytes)?.len() })
}

/// `bytes` compressed as `gzip -9` would.
pub fn gzip_best(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes)?;
    Ok(gz.finish()?)
}

/// `bytes` compressed as `brotli -q 11` would (what a CDN serves, and what the sizes count).
pub fn brotli_best(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut br = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut &bytes[..], &mut br, &params)?;
    Ok(br)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_and_marks_are_off_the_critical_path() {
        assert_eq!(Part::of("kassa.js"), Part::Critical);
        assert_eq!(Part::of("kassa_widget.js"), Part::Critical);
        assert_eq!(Part::of("kassa_widget_bg.wasm"), Part::Critical);
        assert_eq!(Part::of("kassa.css"), Part::Critical);
        assert_eq!(Part::of("snippets/kassa-0123/inline0.js"), Part::Critical);
        assert_eq!(Part::of("__wasm_split.js"), Part::Critical);
        assert_eq!(Part::of("split_details.wasm"), Part::Lazy);
        assert_eq!(Part::of("chunk_3.wasm"), Part::Lazy);
        assert_eq!(Part::of("marks/visa.svg"), Part::Marks);
    }

    #[test]
    fn a_bundle_over_either_ceiling_fails() {
        let sizes = |brotli| Sizes { raw: brotli * 3, gzip: brotli + 1, brotli };
        let ok = Bundle {
            files: vec![],
            critical: sizes(CRITICAL_BROTLI_CEILING),
            total: sizes(TOTAL_BROTLI_CEILING),
        };
        assert!(check(&ok).is_ok());
        let heavy_critical = Bundle { critical: sizes(CRITICAL_BROTLI_CEILING + 1), ..ok.clone() };
        assert!(check(&heavy_critical).unwrap_err().to_string().contains("critical path"));
        let heavy_total = Bundle { total: sizes(TOTAL_BROTLI_CEILING + 1), ..ok };
        assert!(check(&heavy_total).unwrap_err().to_string().contains("whole widget"));
    }
}

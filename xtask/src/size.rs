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

/// Brotli bytes the critical path may not exceed: just above the 167,556 B measured once a
/// screen whose part is still on its way says "Loading checkout…" (+125 B; it was a blank
/// box), on the 167,431 B measured once the picker's first paint waited for the details form
/// only a while (2 s), on the 167,647 B
/// measured once the notice of a part that could not load became an alert (+286 B: a screen
/// reader heard of it from nothing else), on the 167,361 B measured once the customer's details form became a
/// part of its own, loaded while the picker shows (`src/components/customer_fields.rs`:
/// −15,032 B from 182,393 B, `docs/toolchain.md` section 6; of which +144 B for one
/// `LazyPart` component shared by both parts in place of two copies of its Suspense and
/// Retry).
///
/// How the 182,393 B before came about, newest first: the marks and method groups named by
/// `named_enum!` and one shared "Choose another way to pay" (+182 B); a provider's own price
/// told as such in five languages, each screen's news said once (+184 B); the kept `Intl`
/// formatters and the loader starting the browser's ICU early (+318 B, the picker 20 ms
/// sooner over a link, section 7); the forms follow-up (+1,552 B); issue 15's forms and issue
/// 13's one set of customer rules, kassa-wire's `Customer::parse` in the widget (+10,561 B in
/// all, the country names and their sort left to the browser's `Intl`) on 169,648 B, which was
/// reached by reading `Action` without serde's `Content` buffer (−4,541 B), Talc for dlmalloc
/// (−335 B) and the loader remembering the picker's height (+222 B) from 174,306 B, the widget
/// on gloo-net, serde-wasm-bindgen and Leptos's resources and actions (issue 12) with the
/// grouped picker (issue 15). Earlier: 127,410 B after issue 9; 139,265 B after issues 10 and
/// 11; 133,516 B when the bundle moved to Trunk with the first `#[lazy]` chunk.
pub const CRITICAL_BROTLI_CEILING: usize = 167_600;
/// Brotli bytes the whole bundle (critical path, chunks, marks) may not exceed: just above the
/// 218,857 B measured with the critical path above (211,114 B before the form's split). The details form's
/// chunk is 54,177 B raw, 22,211 B brotli, while the main Wasm lost 42,311 B raw, 15,089 B
/// brotli: a chunk is compressed on its own, and it reaches the main module's functions
/// through imports and the shared table.
pub const TOTAL_BROTLI_CEILING: usize = 218_950;
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

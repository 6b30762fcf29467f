//! Generates synthetic dataset folders for benchmarks and manual checks (see `batchscope::synth`).
//!
//! `cargo run --release --example gen_dataset -- OUT [--classes N] [--per-class M] [--size HxW]
//!  [--format jpg|png|mixed|tiny] [--long-names]`

use std::path::PathBuf;

use batchscope::size::Size;
use batchscope::synth::{self, Kind, Spec};

fn parse() -> Result<(PathBuf, Spec), String> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().ok_or("usage: gen_dataset OUT [options]")?);
    let mut spec = Spec {
        classes: 10,
        per_class: 100,
        size: Size::square(256),
        kind: Kind::Jpeg,
        long_names: false,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--classes" => {
                spec.classes = value()?.parse().map_err(|e| format!("--classes: {e}"))?;
            }
            "--per-class" => {
                spec.per_class = value()?.parse().map_err(|e| format!("--per-class: {e}"))?;
            }
            "--size" => spec.size = batchscope::cli::parse_image_size(&value()?)?,
            "--format" => {
                spec.kind = match value()?.as_str() {
                    "jpg" | "jpeg" => Kind::Jpeg,
                    "png" => Kind::Png,
                    "mixed" => Kind::Mixed,
                    "tiny" => Kind::Tiny,
                    "scenes" => Kind::Scenes,
                    other => return Err(format!("unknown format {other}")),
                }
            }
            "--long-names" => spec.long_names = true,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok((out, spec))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (out, spec) = parse()?;
    let n = synth::write_dataset(&out, &spec)?;
    println!(
        "wrote {n} images in {} classes to {}",
        spec.classes,
        out.display()
    );
    Ok(())
}

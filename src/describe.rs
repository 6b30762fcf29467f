//! The loader options in words, in one place: `inspect`'s options line, the viewer's "Showing:" line
//! and its note about settings carried over (restored from the last run, or kept from the previous
//! dataset). Values are spelled as Keras and the command line spell them (`rgb`, `bilinear`), never as
//! Rust's enum variants or as JSON.

use crate::options::{
    AspectFit, JpegDecoder, LabelSource, LoadOptions, PlanOptions, PreprocessOptions,
};

/// One line naming the options that produce the batches: `rgb, native size, batch 32, sorted`.
pub fn describe(options: &LoadOptions) -> String {
    let p = &options.preprocess;
    let size = match p.image_size {
        Some(size) => format!("{size} {}", p.interpolation),
        None => "native size".into(),
    };
    let fit = match p.fit {
        AspectFit::Stretch => "",
        AspectFit::Crop => ", crop to ratio",
        AspectFit::Pad => ", pad to ratio",
    };
    let plan = &options.plan;
    let order = match (plan.shuffle, plan.seed) {
        (false, _) => "sorted".to_owned(),
        (true, Some(seed)) => format!("shuffled (seed {seed})"),
        (true, None) => "shuffled".to_owned(),
    };
    let split = match (plan.validation_split, plan.subset) {
        (Some(v), Some(s)) => format!(", {s} of split {v}"),
        _ => String::new(),
    };
    // Only the non-default decoder is named: the default gives TensorFlow's pixels.
    let jpeg = match p.jpeg {
        JpegDecoder::Exact => "",
        JpegDecoder::Fast => ", fast JPEG",
    };
    format!(
        "{}{jpeg}, {size}{fit}, batch {}{}, {order}{split}",
        p.color_mode,
        plan.batch_size,
        if plan.drop_remainder {
            " (drop remainder)"
        } else {
            ""
        }
    )
}

/// `inspect`'s options line: where labels come from, then [`describe`].
pub fn describe_with_labels(options: &LoadOptions) -> String {
    let labels = match options.index.labels {
        LabelSource::Inferred => "labels inferred",
        LabelSource::None => "labels none",
    };
    format!("{labels}, {}", describe(options))
}

/// The options that differ from the defaults, each in a few words (`batch size 4`, `resize 256x256`),
/// in the order the settings panel lists them; empty when every option is the default.
pub fn changes_from_default(options: &LoadOptions) -> Vec<String> {
    let mut changes = Vec::new();
    let index = &options.index;
    if index.labels == LabelSource::None {
        changes.push("labels none".to_owned());
    }
    if let Some(names) = &index.class_names {
        changes.push(format!("classes {}", names.join(",")));
    }
    if index.follow_links {
        changes.push("follow links".to_owned());
    }
    if index.extra_formats {
        changes.push("also .webp .tif .tiff".to_owned());
    }
    preprocess_changes(&options.preprocess, &mut changes);
    plan_changes(&options.plan, &mut changes);
    changes
}

fn preprocess_changes(p: &PreprocessOptions, changes: &mut Vec<String>) {
    let default = PreprocessOptions::default();
    if p.color_mode != default.color_mode {
        changes.push(format!("color mode {}", p.color_mode));
    }
    if let Some(size) = p.image_size {
        changes.push(format!("resize {size}"));
        if p.interpolation != default.interpolation {
            changes.push(p.interpolation.to_string());
        }
        match p.fit {
            AspectFit::Stretch => {}
            AspectFit::Crop => changes.push("crop to ratio".to_owned()),
            AspectFit::Pad => changes.push("pad to ratio".to_owned()),
        }
    }
    if p.jpeg != default.jpeg {
        changes.push(format!("{} JPEG decoder", p.jpeg));
    }
    if p.max_file_bytes != default.max_file_bytes {
        changes.push(format!(
            "max file size {}",
            crate::export::human_bytes(p.max_file_bytes)
        ));
    }
}

fn plan_changes(plan: &PlanOptions, changes: &mut Vec<String>) {
    let default = PlanOptions::default();
    if plan.batch_size != default.batch_size {
        changes.push(format!("batch size {}", plan.batch_size));
    }
    if plan.drop_remainder {
        changes.push("drop remainder".to_owned());
    }
    if plan.shuffle {
        changes.push(match plan.seed {
            Some(seed) => format!("shuffle (seed {seed})"),
            None => "shuffle".to_owned(),
        });
    }
    if let Some(v) = plan.validation_split {
        changes.push(match plan.subset {
            Some(subset) => format!("validation split {v} ({subset})"),
            None => format!("validation split {v}"),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{ColorMode, Interpolation, Subset};
    use crate::size::Size;

    #[test]
    fn defaults_have_no_changes_and_read_as_keras_defaults() {
        let options = LoadOptions::default();
        assert!(changes_from_default(&options).is_empty());
        assert_eq!(
            describe_with_labels(&options),
            "labels inferred, rgb, native size, batch 32, sorted"
        );
    }

    #[test]
    fn every_change_is_named_in_words() {
        let mut options = LoadOptions::default();
        options.index.class_names = Some(vec!["b".into(), "a".into()]);
        options.preprocess.color_mode = ColorMode::Grayscale;
        options.preprocess.image_size = Some(Size {
            height: 256,
            width: 128,
        });
        options.preprocess.interpolation = Interpolation::Nearest;
        options.preprocess.fit = AspectFit::Pad;
        options.preprocess.jpeg = JpegDecoder::Fast;
        options.plan.batch_size = 4;
        options.plan.shuffle = true;
        options.plan.seed = Some(7);
        options.plan.validation_split = Some(0.2);
        options.plan.subset = Some(Subset::Validation);
        assert_eq!(
            changes_from_default(&options),
            [
                "classes b,a",
                "color mode grayscale",
                "resize 256x128",
                "nearest",
                "pad to ratio",
                "fast JPEG decoder",
                "batch size 4",
                "shuffle (seed 7)",
                "validation split 0.2 (validation)"
            ]
        );
        assert_eq!(
            describe(&options),
            "grayscale, fast JPEG, 256x128 nearest, pad to ratio, batch 4, shuffled (seed 7), validation of split 0.2"
        );
    }
}

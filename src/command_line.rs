//! The `batchscope export` command line equivalent to a set of options, so the GUI can show users the
//! exact command that writes the same files (and tests can check it parses back to the same options).

use std::path::Path;

use crate::export::ArrayOptions;
use crate::load::preprocess::Element;
use crate::options::{
    ArrayDtype, ArrayFormat, AspectFit, ColorMode, Interpolation, JpegDecoder, LabelMode,
    LabelSource, Layout, LoadOptions, Scale,
};

/// The arguments (after the program name) of the equivalent `batchscope export`, NHWC `.npy` arrays.
pub fn export_args(
    dir: &Path,
    out: &Path,
    load: &LoadOptions,
    element: Element,
    label_mode: LabelMode,
) -> Vec<String> {
    let arrays = ArrayOptions {
        dtype: element.dtype.into(),
        ..ArrayOptions::default()
    };
    export_args_with(dir, out, load, (element, arrays), label_mode)
}

/// [`export_args`] with the arrays' dtype, layout and format (`arrays.dtype` says the dtype written,
/// `element` the loader's and the scale).
pub fn export_args_with(
    dir: &Path,
    out: &Path,
    load: &LoadOptions,
    (element, arrays): (Element, ArrayOptions),
    label_mode: LabelMode,
) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "export".into(),
        dir.to_string_lossy().into_owned(),
        "--out".into(),
        out.to_string_lossy().into_owned(),
    ];
    let mut push = |flag: &str, value: Option<String>| {
        args.push(flag.to_owned());
        args.extend(value);
    };
    let index = &load.index;
    match (index.labels, &index.class_names) {
        // The index ignores a class list when labels are off (the GUI remembers it for when they are
        // back on), and the command line refuses the pair, so it is left out.
        (LabelSource::None, _) => push("--labels", Some(LabelSource::None.to_string())),
        // One flag per class: a name may hold a comma, which `--class-names a,b` would split.
        (LabelSource::Inferred, Some(names)) => {
            for name in names {
                push("--class-name", Some(name.clone()));
            }
        }
        (LabelSource::Inferred, None) => {}
    }
    if index.follow_links {
        push("--follow-links", None);
    }
    // How a non-folder source was opened (the viewer picks an array itself where the command line
    // would ask for one, so the command says which).
    if let Some(kind) = index.source {
        push("--source", Some(kind.to_string()));
    }
    if let Some(batched) = index.batched {
        push(
            "--batched",
            Some(if batched { "yes" } else { "no" }.to_owned()),
        );
    }
    if let Some(key) = &index.image_key {
        push("--image-key", Some(key.clone()));
    }
    if let Some(key) = &index.label_key {
        push("--label-key", Some(key.clone()));
    }
    if let Some(file) = &index.labels_file {
        push("--labels-file", Some(file.to_string_lossy().into_owned()));
    }
    if index.extra_formats {
        push("--extra-formats", None);
    }
    let p = &load.preprocess;
    if p.color_mode != ColorMode::default() {
        push("--color-mode", Some(p.color_mode.to_string()));
    }
    if p.jpeg != JpegDecoder::default() {
        push("--jpeg", Some(p.jpeg.to_string()));
    }
    if let Some(size) = p.image_size {
        push("--image-size", Some(size.to_string()));
        if p.interpolation != Interpolation::default() {
            push("--interpolation", Some(p.interpolation.to_string()));
        }
        match p.fit {
            AspectFit::Stretch => {}
            AspectFit::Crop => push("--crop-to-aspect-ratio", None),
            AspectFit::Pad => push("--pad-to-aspect-ratio", None),
        }
    }
    if p.max_file_bytes != crate::decode::DEFAULT_MAX_FILE_BYTES {
        push("--max-file-bytes", Some(p.max_file_bytes.to_string()));
    }
    let plan = &load.plan;
    if plan.shuffle {
        push("--shuffle", None);
    }
    if let Some(seed) = plan.seed.filter(|_| plan.shuffle) {
        push("--seed", Some(seed.to_string()));
    }
    if let (Some(v), Some(subset)) = (plan.validation_split, plan.subset) {
        push("--validation-split", Some(v.to_string()));
        push("--subset", Some(subset.to_string()));
    }
    if plan.batch_size != 32 {
        push("--batch-size", Some(plan.batch_size.to_string()));
    }
    if plan.drop_remainder {
        push("--drop-remainder", None);
    }
    args.extend(output_flags((element, arrays), label_mode, index.labels));
    args
}

/// The flags of the written files' form: dtype, scale, layout, format, label mode.
fn output_flags(
    (element, arrays): (Element, ArrayOptions),
    label_mode: LabelMode,
    labels: LabelSource,
) -> Vec<String> {
    let mut args = Vec::new();
    let mut push = |flag: &str, value: Option<String>| {
        args.push(flag.to_owned());
        args.extend(value);
    };
    if arrays.dtype != ArrayDtype::default() {
        push("--dtype", Some(arrays.dtype.to_string()));
        if element.scale == Scale::To1 {
            push("--scale", Some("1".into()));
        }
    }
    if arrays.layout != Layout::default() {
        push("--layout", Some(arrays.layout.to_string()));
    }
    if arrays.format != ArrayFormat::default() {
        push("--format", Some(arrays.format.to_string()));
        if arrays.compress {
            push("--compress", None);
        }
    }
    let default_mode = if labels == LabelSource::None {
        LabelMode::None
    } else {
        LabelMode::Int
    };
    if label_mode != default_mode {
        push("--label-mode", Some(label_mode.to_string()));
    }
    args
}

/// Quotes `arg` for a POSIX shell when it needs it.
pub fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./,=:@%+".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// The whole command, ready to paste into a shell.
pub fn export_command(
    dir: &Path,
    out: &Path,
    load: &LoadOptions,
    element: Element,
    label_mode: LabelMode,
) -> String {
    quoted(&export_args(dir, out, load, element, label_mode))
}

/// [`export_command`] with the arrays' dtype, layout and format.
pub fn export_command_with(
    dir: &Path,
    out: &Path,
    load: &LoadOptions,
    form: (Element, ArrayOptions),
    label_mode: LabelMode,
) -> String {
    quoted(&export_args_with(dir, out, load, form, label_mode))
}

/// `batchscope` and `args`, each quoted for a shell.
fn quoted(args: &[String]) -> String {
    std::iter::once("batchscope".to_owned())
        .chain(args.iter().map(|a| shell_quote(a)))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_leaves_plain_words_and_wraps_the_rest() {
        assert_eq!(shell_quote("/data/set-1"), "/data/set-1");
        assert_eq!(shell_quote("my data"), "'my data'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}

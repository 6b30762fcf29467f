//! The command line the GUI shows parses back to exactly the options it was made from.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

use std::path::Path;

use batchscope::cli::{Cli, Command};
use batchscope::command_line::{
    export_args, export_args_with, export_command, export_command_with,
};
use batchscope::export::ArrayOptions;
use batchscope::load::preprocess::Element;
use batchscope::options::{
    ArrayDtype, ArrayFormat, AspectFit, ColorMode, Dtype, IndexOptions, Interpolation, JpegDecoder,
    LabelMode, LabelSource, Layout, LoadOptions, PlanOptions, PreprocessOptions, Scale, SourceKind,
    Subset,
};
use batchscope::size::Size;
use clap::Parser as _;

/// The one validation accepts the parsed flags, for a source that would take every option (the
/// round trip carries options of several kinds at once).
fn accepted(loader: &batchscope::cli::LoaderArgs, args: &[String]) {
    let takes = batchscope::validate::Takes {
        decodes_images: true,
        record_limit: true,
        accepts: batchscope::validate::SourceOption::ALL,
        what: "any source",
    };
    batchscope::validate::validate(&loader.given(false), &takes)
        .unwrap_or_else(|e| panic!("{args:?} is refused: {e:?}"));
}

fn round_trip(load: &LoadOptions, element: Element, label_mode: LabelMode) {
    let args = export_args(
        Path::new("/data/my set"),
        Path::new("/out"),
        load,
        element,
        label_mode,
    );
    let cli =
        Cli::try_parse_from(std::iter::once("batchscope".to_owned()).chain(args.clone())).unwrap();
    let Some(Command::Export(export)) = cli.command else {
        panic!("not an export: {args:?}")
    };
    accepted(&export.loader, &args);
    assert_eq!(&export.loader.to_options(), load, "{args:?}");
    assert_eq!(export.dir, Path::new("/data/my set"));
    assert_eq!(export.dtype.unwrap_or_default(), element.dtype.into());
    assert_eq!(export.scale == "1", element.scale == Scale::To1);
    let default_mode = if load.index.labels == LabelSource::None {
        LabelMode::None
    } else {
        LabelMode::Int
    };
    assert_eq!(export.label_mode.unwrap_or(default_mode), label_mode);
}

#[test]
fn defaults_give_the_shortest_command() {
    let cmd = export_command(
        Path::new("/data/my set"),
        Path::new("/out"),
        &LoadOptions::default(),
        Element::default(),
        LabelMode::Int,
    );
    assert_eq!(cmd, "batchscope export '/data/my set' --out /out");
    round_trip(&LoadOptions::default(), Element::default(), LabelMode::Int);
}

#[test]
fn every_option_survives_the_round_trip() {
    let load = LoadOptions {
        index: IndexOptions {
            labels: LabelSource::Inferred,
            // A comma in a name survives (it is passed with --class-name).
            class_names: Some(vec!["b".into(), "a,c".into()]),
            follow_links: true,
            extra_formats: true,
            ..IndexOptions::default()
        },
        plan: PlanOptions {
            shuffle: true,
            seed: Some(4_000_000_000),
            validation_split: Some(0.15),
            subset: Some(Subset::Validation),
            batch_size: 7,
            drop_remainder: true,
        },
        preprocess: PreprocessOptions {
            color_mode: ColorMode::Rgba,
            image_size: Some(Size {
                height: 96,
                width: 128,
            }),
            interpolation: Interpolation::Area,
            fit: AspectFit::Pad,
            max_file_bytes: 123_456_789,
            // Not the default (exact): the command must name it.
            jpeg: JpegDecoder::Fast,
        },
    };
    round_trip(
        &load,
        Element {
            dtype: Dtype::Float32,
            scale: Scale::To1,
        },
        LabelMode::Categorical,
    );
    let mut crop = load.clone();
    crop.preprocess.fit = AspectFit::Crop;
    crop.preprocess.interpolation = Interpolation::Nearest;
    crop.preprocess.color_mode = ColorMode::Grayscale;
    round_trip(
        &crop,
        Element {
            dtype: Dtype::Float32,
            scale: Scale::To255,
        },
        LabelMode::Binary,
    );
    let unlabeled = LoadOptions {
        index: IndexOptions {
            labels: LabelSource::None,
            ..IndexOptions::default()
        },
        ..LoadOptions::default()
    };
    round_trip(&unlabeled, Element::default(), LabelMode::None);
    let saved = LoadOptions {
        index: IndexOptions {
            source: Some(SourceKind::Saved),
            batched: Some(false),
            image_key: Some("image/encoded".into()),
            label_key: Some("it's a label".into()),
            labels_file: Some("t10k labels".into()),
            ..IndexOptions::default()
        },
        ..LoadOptions::default()
    };
    round_trip(&saved, Element::default(), LabelMode::Int);
}

/// Issue 13: the arrays' dtype (float16 too), layout and format are in the command, and parse back.
#[test]
fn the_arrays_form_survives_the_round_trip() {
    let load = LoadOptions::default();
    for (element, arrays) in [
        (
            Element {
                dtype: Dtype::Float32,
                scale: Scale::To1,
            },
            ArrayOptions {
                layout: Layout::Nchw,
                dtype: ArrayDtype::Float16,
                format: ArrayFormat::Npz,
                compress: true,
            },
        ),
        (
            Element::default(),
            ArrayOptions {
                layout: Layout::Nchw,
                format: ArrayFormat::Npz,
                ..ArrayOptions::default()
            },
        ),
    ] {
        let args = export_args_with(
            Path::new("/d"),
            Path::new("/o"),
            &load,
            (element, arrays),
            LabelMode::Int,
        );
        let cli = Cli::try_parse_from(std::iter::once("batchscope".to_owned()).chain(args.clone()))
            .unwrap();
        let Some(Command::Export(export)) = cli.command else {
            panic!("not an export: {args:?}")
        };
        assert_eq!(
            (
                export.dtype.unwrap_or_default(),
                export.layout.unwrap_or_default(),
                export.format,
                export.compress
            ),
            (arrays.dtype, arrays.layout, arrays.format, arrays.compress),
            "{args:?}"
        );
        assert_eq!(export.scale == "1", element.scale == Scale::To1);
    }
    assert_eq!(
        export_command_with(
            Path::new("/d"),
            Path::new("/o"),
            &load,
            (
                Element {
                    dtype: Dtype::Float32,
                    scale: Scale::To255,
                },
                ArrayOptions {
                    layout: Layout::Nchw,
                    dtype: ArrayDtype::Float16,
                    format: ArrayFormat::Npz,
                    compress: false,
                },
            ),
            LabelMode::Int,
        ),
        "batchscope export /d --out /o --dtype float16 --layout nchw --format npz"
    );
}

/// Issue 9: the GUI keeps the class list when labels are switched to none (the index then ignores it),
/// but the command line refuses `--labels none --class-names ..` with exit 2. The command shown must
/// parse, and must select the same files as the options it was made from.
#[test]
fn labels_none_with_a_remembered_class_list_gives_a_command_that_parses_and_means_the_same() {
    let dir = tempfile::tempdir().unwrap();
    for rel in ["a/1.png", "b/2.png", "3.png"] {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        image::GrayImage::new(1, 1).save(&path).unwrap();
    }
    let gui = LoadOptions {
        index: IndexOptions {
            labels: LabelSource::None,
            class_names: Some(vec!["b".into()]),
            ..IndexOptions::default()
        },
        ..LoadOptions::default()
    };
    let args = export_args(
        dir.path(),
        Path::new("/out"),
        &gui,
        Element::default(),
        LabelMode::None,
    );
    let cli =
        Cli::try_parse_from(std::iter::once("batchscope".to_owned()).chain(args.clone())).unwrap();
    let Some(Command::Export(export)) = cli.command else {
        panic!("not an export: {args:?}")
    };
    accepted(&export.loader, &args);
    let parsed = export.loader.to_options();
    let files = |options: &LoadOptions| {
        let index = batchscope::index::scan(dir.path(), &options.index).unwrap();
        index
            .samples
            .iter()
            .map(|s| s.rel_path.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(files(&gui), ["3.png", "a/1.png", "b/2.png"]);
    assert_eq!(files(&parsed), files(&gui), "{args:?}");
    assert_eq!(parsed.plan, gui.plan);
    assert_eq!(parsed.preprocess, gui.preprocess);
}

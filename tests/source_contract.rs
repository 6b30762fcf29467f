//! The source contract (issue 21): every consumer reads a dataset through its source, so a folder that
//! holds a named pipe, a socket and an empty file under image names is read the same way by health,
//! export, inspect and the viewer: each is reported with its reason, none is opened for reading (a
//! pipe opened for reading waits forever for a writer), and the good images still come through.
//! The capabilities each kind of source declares are checked here too.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use std::path::Path;

use batchscope::options::{IndexOptions, SourceKind};
use batchscope::source::SourceOption;
use common::gui::{harness_with, step_until};
use common::{batchscope_watched, mkfifo, pattern, read_npy, save, write};
use egui_kittest::kittest::{NodeT as _, Queryable as _};

/// Two good 8x8 PNGs in class `a`, and a pipe, a socket and an empty file named `*.png` in class `b`.
/// Returns the socket's listener, which must live as long as the folder is read.
fn hostile_folder(root: &Path) -> std::os::unix::net::UnixListener {
    save(root, "a/0.png", &pattern(8, 8, 1));
    save(root, "a/1.png", &pattern(8, 8, 2));
    mkfifo(&root.join("b/fifo.png"));
    write(root, "b/empty.png", b"");
    std::os::unix::net::UnixListener::bind(root.join("b/socket.png")).unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn health_hung_forever_on_a_fifo_named_png_and_now_names_it_with_the_socket_and_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let _socket = hostile_folder(&data);
    let json = dir.path().join("health.json");
    let res = batchscope_watched(&[
        "health",
        data.to_str().unwrap(),
        "--no-cache",
        "--image-size",
        "8",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(res.status.success(), "{}", text(&res.stderr));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    // The two good images were measured; the three others failed, each with its own reason.
    assert_eq!(report["classes"], serde_json::json!({"a": 2, "b": 3}));
    let all = format!("{}{}{report}", text(&res.stdout), text(&res.stderr));
    for (name, reason) in [
        ("b/fifo.png", "not a regular file but a named pipe"),
        ("b/socket.png", "not a regular file but a socket"),
        ("b/empty.png", "empty file (0 bytes)"),
    ] {
        assert!(all.contains(name) && all.contains(reason), "{name}: {all}");
    }
}

#[test]
fn export_and_inspect_report_a_fifo_a_socket_and_an_empty_png_and_keep_the_good_images() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let _socket = hostile_folder(&data);
    let res = batchscope_watched(&["inspect", data.to_str().unwrap()]);
    assert!(res.status.success(), "{}", text(&res.stderr));
    let inspected = text(&res.stdout);
    for (name, reason) in [
        (
            "b/fifo.png",
            "not a regular file but a named pipe: not read",
        ),
        ("b/socket.png", "not a regular file but a socket: not read"),
        ("b/empty.png", "empty file (0 bytes)"),
    ] {
        assert!(
            inspected.contains(&format!("unreadable {reason}: \"{name}\"")),
            "{inspected}"
        );
    }
    let out = dir.path().join("out");
    let res = batchscope_watched(&[
        "export",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = text(&res.stderr);
    assert!(res.status.success(), "{err}");
    for (name, reason) in [
        ("b/fifo.png", "not a regular file but a named pipe"),
        ("b/socket.png", "not a regular file but a socket"),
        ("b/empty.png", "empty file (0 bytes)"),
    ] {
        assert!(
            err.contains(&format!("skipped \"{name}\": {reason}")),
            "{err}"
        );
    }
    let images = read_npy(&out.join("images.npy"));
    assert_eq!(images.shape, [2, 8, 8, 3]);
    assert_eq!(&images.data[..24], &pattern(8, 8, 1).as_raw()[..24]);
    let skipped = std::fs::read_to_string(out.join("skipped.csv")).unwrap();
    assert_eq!(skipped.lines().count(), 4, "{skipped}");
}

#[test]
fn the_viewer_lists_a_fifo_a_socket_and_an_empty_png_as_problems_and_runs_health() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let _socket = hostile_folder(&data);
    let mut settings = batchscope::app::Settings::default();
    settings.load.plan.batch_size = 8;
    let mut h = harness_with(&data, settings);
    step_until(&mut h, "the problems of the batches", |app| {
        app.session.as_ref().is_some_and(|s| s.problems.len() == 3)
    });
    assert_eq!(
        common::gui::problems(h.state()),
        [
            ("b/empty.png".to_owned(), "empty file (0 bytes)".to_owned()),
            (
                "b/fifo.png".to_owned(),
                "not a regular file but a named pipe: not read".to_owned()
            ),
            (
                "b/socket.png".to_owned(),
                "not a regular file but a socket: not read".to_owned()
            ),
        ]
    );
    h.get_by_label_contains("b/fifo.png");
    // The health pass (colour modes read from headers included) finishes on the same folder.
    h.get_by_label("Health").click();
    step_until(&mut h, "the Health view", |app| {
        app.view == batchscope::app::View::Health
    });
    // The pass runs when the view is first opened.
    step_until(&mut h, "the health result", |app| {
        app.health.result.is_some() && !app.health.is_running()
    });
    let result = h.state().health.result.as_ref().unwrap();
    assert_eq!(result.scan.entries.len(), 5);
    let mut failed: Vec<String> = result
        .scan
        .failures
        .iter()
        .map(|f| f.rel_path.to_string_lossy().into_owned())
        .collect();
    failed.sort();
    assert_eq!(failed, ["b/empty.png", "b/fifo.png", "b/socket.png"]);
    assert_eq!(
        result.scan.color_modes,
        [("unreadable".to_owned(), 3), ("Rgb8".to_owned(), 2)]
    );
}

fn open(path: &Path, options: &IndexOptions) -> batchscope::index::DatasetIndex {
    common::open_dataset(path, options).unwrap()
}

#[test]
fn each_kind_declares_what_it_can_do_and_which_options_it_takes() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("folder");
    save(&folder, "a/0.png", &pattern(4, 4, 0));
    let folder = open(&folder, &IndexOptions::default()).store.capabilities();
    assert!(folder.decodes_images && folder.samples_are_files);
    assert_eq!(folder.sequential_only, None);
    assert!(folder.accepts(SourceOption::ClassNames) && folder.accepts(SourceOption::FollowLinks));
    assert!(!folder.accepts(SourceOption::ImageKey));

    let npy = dir.path().join("x.npy");
    let mut bytes = batchscope::npy::header(batchscope::npy::NpyDtype::U8, &[2, 3, 3]);
    bytes.extend(0..18u8);
    std::fs::write(&npy, bytes).unwrap();
    let arrays = open(&npy, &IndexOptions::default()).store.capabilities();
    assert!(!arrays.decodes_images && !arrays.samples_are_files);
    // Class names name its integer labels (issue 22); the folder walk's options are not for it.
    assert!(arrays.accepts(SourceOption::ImageKey) && arrays.accepts(SourceOption::ClassNames));
    assert!(!arrays.accepts(SourceOption::FollowLinks));

    // An option the kind does not take is refused before anything is read, naming the option.
    let options = IndexOptions {
        follow_links: true,
        source: Some(SourceKind::Npy),
        ..IndexOptions::default()
    };
    let err = common::open_dataset(&npy, &options)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("--follow-links does not apply to"), "{err}");
}

/// The options the open session was opened with.
fn opened_with(app: &batchscope::app::BatchscopeApp) -> IndexOptions {
    let ready = app.session.as_ref().unwrap().ready().unwrap();
    ready.options.index.clone()
}

#[test]
fn the_viewer_disables_an_option_its_source_does_not_take_says_why_and_keeps_it_for_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("folder");
    save(&folder, "a/0.png", &pattern(4, 4, 0));
    save(&folder, "b/1.png", &pattern(4, 4, 1));
    let npy = dir.path().join("x.npy");
    let mut bytes = batchscope::npy::header(batchscope::npy::NpyDtype::U8, &[2, 3, 3]);
    bytes.extend(0..18u8);
    std::fs::write(&npy, bytes).unwrap();
    let mut settings = batchscope::app::Settings::default();
    settings.load.index.follow_links = true;
    let mut h = harness_with(&folder, settings);
    let ready_on = |path: &Path| {
        let path = path.to_path_buf();
        move |app: &batchscope::app::BatchscopeApp| {
            app.session.as_ref().is_some_and(|s| {
                s.ready().is_some_and(|r| r.index.root == path) && s.current_batch().is_some()
            })
        }
    };
    step_until(&mut h, "the folder", ready_on(&folder));
    assert!(opened_with(h.state()).follow_links);
    let links = "follow symlinked folders";
    assert!(!h.get_by_label(links).accesskit_node().is_disabled());

    // A .npy takes no folder option: a dataset opens with its own settings (issue 22), so the user
    // applies the folder's; the option is kept, not used, and drawn disabled with the reason.
    h.state_mut().open(&npy);
    step_until(&mut h, "the arrays", ready_on(&npy));
    assert!(!h.state().settings.load.index.follow_links);
    h.get_by_label("Apply previous dataset's settings").click();
    h.run_steps(3);
    step_until(&mut h, "the arrays again", ready_on(&npy));
    assert!(!opened_with(h.state()).follow_links);
    assert!(h.state().settings.load.index.follow_links);
    assert!(h.get_by_label(links).accesskit_node().is_disabled());
    h.get_by_label(links).hover();
    h.run();
    h.get_by_label("follow symlinked folders does not apply to .npy arrays");

    // The folder, reopened, takes it again: its own setting.
    h.state_mut().open(&folder);
    step_until(&mut h, "the folder again", ready_on(&folder));
    assert!(opened_with(h.state()).follow_links);
    assert!(!h.get_by_label(links).accesskit_node().is_disabled());
}

#[test]
fn a_named_pipe_given_as_a_tfrecord_or_npy_file_blocked_its_reader_forever() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["x.tfrecord", "y.npy", "snapshot.metadata"] {
        let path = dir.path().join(name);
        mkfifo(&path);
        let res = batchscope_watched(&["inspect", path.to_str().unwrap()]);
        let err = text(&res.stderr);
        assert_eq!(res.status.code(), Some(1), "{name}: {err}");
        assert!(
            err.contains("not a regular file but a named pipe: not read"),
            "{name}: {err}"
        );
    }
}

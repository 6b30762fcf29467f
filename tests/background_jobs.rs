//! The background-job type at work (issue 9): the UI thread never waits for a replaced job, a loader
//! that dies is an error of its own (not a cancel), the export's cancel reaches the loader, and the
//! on-demand loader serves the batch on screen first.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use batchscope::app::Settings;
use batchscope::export::{self, ExportError, ExportOptions};
use batchscope::index;
use batchscope::load::loader::{LoadSpec, Loader, LoaderStopped};
use batchscope::load::preprocess::Element;
use batchscope::load::spec::{self, SizeCheck};
use batchscope::options::{Interpolation, LabelMode, LoadOptions};
use batchscope::plan::BatchPlan;
use batchscope::size::Size;
use common::gui::{current, harness_with, step_until};
use common::{pattern, save};

/// `n` BMPs of `side` x `side` in class `a`.
fn slow_dataset(root: &Path, n: u32, side: u32) {
    for i in 0..n {
        save(root, &format!("a/{i}.bmp"), &pattern(side, side, i));
    }
}

fn small_dataset(root: &Path) {
    for i in 0..4 {
        save(root, &format!("b/{i}.png"), &pattern(8, 6, i));
    }
}

#[test]
fn opening_another_folder_never_waits_for_the_busy_loader_of_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let slow = dir.path().join("slow");
    let quick = dir.path().join("quick");
    // The first batch of `slow` holds a file its loader waits on (the test-only hold, which sleeps
    // without using CPU, so frame times measure the UI thread alone) until the test releases it.
    for i in 0..4 {
        save(&slow, &format!("a/{i}.png"), &pattern(8, 6, i));
    }
    let held = slow.join("a/3.png");
    batchscope::decode::hold_file_for_tests(&held);
    let _release = common::ReleaseOnDrop(held.clone());
    small_dataset(&quick);
    let mut settings = Settings::default();
    settings.load.plan.batch_size = 4;
    settings.load.preprocess.image_size = Some(Size::square(8));
    let mut h = harness_with(&slow, settings);
    step_until(&mut h, "the slow folder's plan", |app| {
        app.session.as_ref().is_some_and(|s| s.ready().is_some())
    });
    assert_eq!(
        current(h.state()),
        None,
        "the first batch waits on the pipe"
    );

    // A frame that waits for another thread sleeps: a voluntary context switch of this (the UI)
    // thread. Preemption by other processes is involuntary, so a frame slowed only by a busy machine
    // is still told apart from one that waited.
    let mut worst = Duration::ZERO;
    let mut frame =
        |h: &mut egui_kittest::Harness<'_, _>,
         step: &dyn Fn(&mut egui_kittest::Harness<'_, batchscope::app::BatchscopeApp>)| {
            let (slept_before, started) = (voluntary_switches(), Instant::now());
            step(h);
            let (elapsed, slept) = (started.elapsed(), voluntary_switches() - slept_before);
            worst = worst.max(elapsed);
            assert!(
                elapsed < Duration::from_millis(50) || slept == 0,
                "a frame took {elapsed:?} and slept {slept} times: it waited for another thread"
            );
        };
    frame(&mut h, &|h| h.state_mut().open(&quick));
    let switched = Instant::now();
    while current(h.state()).is_none() {
        assert!(switched.elapsed() < Duration::from_mins(1), "timed out");
        frame(&mut h, &|h| h.step());
        std::thread::sleep(Duration::from_millis(2));
    }
    let session = h.state().session.as_ref().unwrap();
    assert_eq!(session.root, quick);
    assert_eq!(session.current_batch().unwrap().samples.len(), 4);
    // Only a frame that slept counts as waiting (checked per frame above): a frame the machine's load
    // preempted may be slow without waiting for anything, so the worst time is reported, not judged.
    eprintln!("worst frame while switching away from a blocked loader: {worst:?}");
}

/// The uint8 job for `root` with `options`, every header checked (as an export plans it).
fn prepared(root: &Path, options: &LoadOptions) -> LoadSpec {
    let index = Arc::new(index::scan(root, &options.index).unwrap());
    spec::prepare(
        index,
        options,
        Element::default(),
        SizeCheck::AllFiles,
        &AtomicBool::new(false),
    )
    .unwrap()
}

/// Int labels into `out`, a 1 MiB loader queue.
fn export_options(out: &Path) -> ExportOptions {
    ExportOptions {
        out: out.to_path_buf(),
        label_mode: LabelMode::Int,
        overwrite: false,
        strict: false,
        queue_bytes: 1 << 20,
        excluded: Vec::new(),
        arrays: batchscope::export::ArrayOptions::default(),
        shard: None,
        corrections: None,
        boxes: batchscope::export::BoxOptions::default(),
    }
}

/// Voluntary context switches of the calling thread so far (Linux).
fn voluntary_switches() -> u64 {
    let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// A job whose plan names a sample the index does not have: loading it panics in the loader thread.
fn broken_job(root: &Path) -> Arc<LoadSpec> {
    small_dataset(root);
    let mut job = prepared(root, &LoadOptions::default());
    job.plan = Arc::new(BatchPlan {
        order: vec![0, 1, 99],
        batch_size: 2,
        seed: None,
        ends: None,
    });
    Arc::new(job)
}

#[test]
fn a_loader_that_dies_is_reported_with_its_panic_not_as_a_cancel() {
    let dir = tempfile::tempdir().unwrap();
    let job = broken_job(&dir.path().join("data"));
    let loader = Loader::sequential(Arc::clone(&job), 1 << 20, Arc::default(), None).unwrap();
    let stopped = loop {
        match loader.recv() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the loader finished normally"),
            Err(stopped) => break stopped,
        }
    };
    let LoaderStopped::Died(message) = stopped else {
        panic!("expected a death, got {stopped:?}")
    };
    assert!(message.contains("index out of bounds"), "{message}");

    let options = export_options(&dir.path().join("out"));
    let result = export::export(&job, &options, &mut |_| {}, &Arc::default());
    let Err(err @ ExportError::LoaderDied(_)) = result else {
        panic!("expected LoaderDied, got {result:?}")
    };
    assert!(
        err.to_string()
            .starts_with("the loader stopped unexpectedly: index out of bounds"),
        "{err}"
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn the_exports_cancel_flag_stops_its_loader_within_a_sample() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    slow_dataset(&data, 6, 64);
    let mut options = LoadOptions::default();
    options.plan.batch_size = 6;
    options.preprocess.image_size = Some(Size::square(16));
    options.preprocess.interpolation = Interpolation::Area;
    let job = Arc::new(prepared(&data, &options));
    let cancel = Arc::new(AtomicBool::new(false));
    // Cancelled before the first batch: every sample of the batch in flight is skipped as "cancelled"
    // rather than decoded, and the loader ends as cancelled.
    cancel.store(true, Ordering::Relaxed);
    let loader = Loader::sequential(Arc::clone(&job), 1 << 20, Arc::clone(&cancel), None).unwrap();
    match loader.recv() {
        Err(LoaderStopped::Cancelled) => {}
        Ok(Some(batch)) => panic!("a batch was loaded: {} rows", batch.samples.len()),
        other => panic!("expected a cancel, got {other:?}"),
    }
    let options = export_options(&dir.path().join("out"));
    let result = export::export(&job, &options, &mut |_| {}, &cancel);
    assert!(matches!(result, Err(ExportError::Cancelled)), "{result:?}");
}

#[test]
fn the_on_demand_loader_loads_the_newest_wish_first_and_drops_stale_ones() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..10 {
        save(dir.path(), &format!("a/{i}.png"), &pattern(4, 4, i));
    }
    let mut options = LoadOptions::default();
    options.plan.batch_size = 1;
    let job = Arc::new(prepared(dir.path(), &options));
    let loader = Loader::on_demand(job, None).unwrap();
    // The user flips far ahead before the loader starts: the old wishes are replaced, not queued.
    loader.want(&[0, 1, 2]);
    loader.want(&[9, 8]);
    let mut got = Vec::new();
    let start = Instant::now();
    while got.len() < 2 {
        assert!(
            start.elapsed() < Duration::from_mins(1),
            "timed out: {got:?}"
        );
        match loader.try_recv() {
            Ok(Some(batch)) => got.push(batch.number),
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => panic!("{e}"),
        }
    }
    // The loader may have started batch 0 before the second wish; nothing else from the first.
    got.retain(|&k| k != 0);
    while got.len() < 2 {
        match loader.try_recv() {
            Ok(Some(batch)) => got.push(batch.number),
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(got, [9, 8]);
}

/// Issue 10 row 9: the export's loader is cut by bytes, not batches: the decoded rows in flight stay
/// within the budget whatever the batch size, and tiny images do not make millions of queue slots.
#[test]
fn the_sequential_loader_cuts_the_plan_by_bytes_not_batches() {
    use batchscope::load::loader::{CHUNK_BYTES, Chunking};
    let dir = tempfile::tempdir().unwrap();
    for i in 0..300 {
        save(dir.path(), &format!("a/{i:03}.png"), &pattern(4, 4, i));
    }
    let chunking = |size: Option<Size>, batch_size: usize| {
        let mut options = LoadOptions::default();
        options.plan.batch_size = batch_size;
        options.preprocess.image_size = size;
        Chunking::of(&prepared(dir.path(), &options), 64 << 20)
    };
    // 1024x1024x3 uint8 rows are 3 MiB: 10 rows a chunk (4 for batches of 1), 2 chunks queued.
    for batch_size in [1, 32, 300, 4096] {
        let c = chunking(Some(Size::square(1024)), batch_size);
        let expected_rows = if batch_size == 1 { 4 } else { 10 };
        assert_eq!(c.rows, expected_rows, "batch {batch_size}");
        assert!(c.rows * (3 << 20) <= CHUNK_BYTES);
        assert!(c.queued * c.rows * (3 << 20) <= 64 << 20, "{c:?}");
    }
    // 4x4 images: four batches a chunk (fine-grained progress), a bounded number of queue slots.
    let c = chunking(None, 32);
    assert_eq!(
        c,
        Chunking {
            rows: 128,
            queued: 8
        }
    );
}

//! Helpers for the headless GUI tests: a harness around the real app, and stepping until background
//! work is done.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use batchscope::app::{BatchscopeApp, Settings};
use egui_kittest::Harness;

/// The app with batch size 4, opened on `root`, in a 1280x800 harness.
pub fn harness(root: &Path) -> Harness<'static, BatchscopeApp> {
    let mut settings = Settings::default();
    settings.load.plan.batch_size = 4;
    harness_with(root, settings)
}

/// The app with `settings`, opened on `root`.
pub fn harness_with(root: &Path, settings: Settings) -> Harness<'static, BatchscopeApp> {
    opened(BatchscopeApp::new(settings, Arc::new(|| {})), root)
}

/// The app as `run` builds it from what the last run saved (`None`: a first run), opened on `root`.
pub fn harness_from_saved(root: &Path, saved: Option<Settings>) -> Harness<'static, BatchscopeApp> {
    opened(BatchscopeApp::from_saved(saved, Arc::new(|| {})), root)
}

/// `app` opened on `root`, in a 1280x800 harness that runs its logic step and draws it each frame.
fn opened(mut app: BatchscopeApp, root: &Path) -> Harness<'static, BatchscopeApp> {
    app.open(root);
    let mut harness = Harness::new_ui_state(
        |ui, app: &mut BatchscopeApp| {
            app.logic_step(ui.ctx());
            app.ui_inner(ui);
        },
        app,
    );
    harness.set_size(egui::Vec2::new(1280.0, 800.0));
    harness
}

/// Steps the UI until `done` holds (background threads are working meanwhile), then draws twice.
pub fn step_until(
    h: &mut Harness<'_, BatchscopeApp>,
    what: &str,
    done: impl Fn(&BatchscopeApp) -> bool,
) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(
            start.elapsed() < Duration::from_mins(1),
            "timed out waiting for {what}"
        );
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    h.step();
    h.step();
}

/// The problems the open session lists, as (relative path, reason), sorted.
pub fn problems(app: &BatchscopeApp) -> Vec<(String, String)> {
    let mut problems: Vec<(String, String)> = app
        .session
        .as_ref()
        .map(|s| {
            s.problems
                .iter()
                .map(|p| (p.path.to_string_lossy().into_owned(), p.reason.clone()))
                .collect()
        })
        .unwrap_or_default();
    problems.sort();
    problems
}

/// The number of the batch on screen, once loaded.
pub fn current(app: &BatchscopeApp) -> Option<usize> {
    app.session.as_ref()?.current_batch().map(|b| b.number)
}

/// Shows the export panel (the right-hand panel's "Export .npy" tab), as a user clicks it.
pub fn show_export(h: &mut Harness<'static, BatchscopeApp>) {
    use egui_kittest::kittest::Queryable as _;
    h.get_by_label("Export .npy").click();
    h.run_steps(2);
    assert_eq!(h.state().side, batchscope::app::SideTab::Export);
}

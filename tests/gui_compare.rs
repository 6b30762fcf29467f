//! Two batches side by side (issue 24, item 5): the batch on screen and another, each in half of the
//! central area, the second kept loaded while the first is paged. (Training against validation is
//! in `gui_health`: it compares a pass's measures.)

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod common;

use batchscope::app::BatchscopeApp;
use common::gui::{current, harness, step_until};
use egui_kittest::kittest::Queryable as _;

/// The thumbnails on screen, once `n` are drawn (they are uploaded over a few frames).
fn thumbnails(h: &mut egui_kittest::Harness<'_, BatchscopeApp>, n: usize) -> usize {
    for _ in 0..200 {
        if h.query_all_by_role(egui::accesskit::Role::Image).count() == n {
            break;
        }
        h.run_steps(1);
    }
    h.query_all_by_role(egui::accesskit::Role::Image).count()
}

/// The samples' paths of batch `k` as loaded in the viewer's cache.
fn loaded(app: &BatchscopeApp, k: usize) -> Vec<String> {
    let ready = app.session.as_ref().unwrap().ready().unwrap();
    ready.batches[&k]
        .batch
        .samples
        .iter()
        .map(|&s| {
            ready.index.samples[s]
                .rel_path
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn a_second_batch_is_shown_beside_the_first_and_stays_while_paging() {
    // 24 images in 2 classes, batch size 4: batch 2 is {a4, a5, a6, a7}, batch 6 {b8..b11}.
    let dir = tempfile::tempdir().unwrap();
    for i in 0..24u32 {
        let class = if i < 12 { "a" } else { "b" };
        common::save(
            dir.path(),
            &format!("{class}/{:02}.png", i % 12),
            &common::pattern(4, 4, i),
        );
    }
    let mut h = harness(dir.path());
    step_until(&mut h, "the first batch", |app| current(app) == Some(0));
    assert_eq!(thumbnails(&mut h, 4), 4);

    h.get_by_role_and_label(egui::accesskit::Role::CheckBox, "beside batch")
        .click();
    step_until(&mut h, "batch 2 beside batch 1", |app| {
        app.session.as_ref().unwrap().compared == Some(1)
    });
    assert_eq!(thumbnails(&mut h, 8), 8);
    h.get_by_label("Batch 2 (compared)");
    assert_eq!(
        loaded(h.state(), 1),
        ["a/04.png", "a/05.png", "a/06.png", "a/07.png"]
    );

    // Paging the left side keeps the compared batch, far from the prefetched neighbours: batch 6
    // on the left, batch 2 on the right.
    h.get_by_label("Last »").click();
    step_until(&mut h, "batch 6", |app| current(app) == Some(5));
    assert_eq!(thumbnails(&mut h, 8), 8);
    h.get_by_label("Batch 6 / 6");
    h.get_by_label("Batch 2 (compared)");
    assert_eq!(
        loaded(h.state(), 1),
        ["a/04.png", "a/05.png", "a/06.png", "a/07.png"]
    );
    assert_eq!(
        loaded(h.state(), 5),
        ["b/08.png", "b/09.png", "b/10.png", "b/11.png"]
    );

    // Off again: one grid.
    h.get_by_role_and_label(egui::accesskit::Role::CheckBox, "beside batch")
        .click();
    h.run_steps(3);
    assert!(h.query_by_label("Batch 2 (compared)").is_none());
    assert_eq!(thumbnails(&mut h, 4), 4);
}

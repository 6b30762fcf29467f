//! The native file and folder dialogs (rfd) on its own thread, so the UI never blocks on it. Where no dialog
//! backend exists (no XDG desktop portal, no zenity) rfd returns at once with nothing: that is reported
//! as [`Outcome::Unavailable`] so the UI can point to the typed-path field instead of failing silently.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::background::{Job, Notify, Received};

/// A dialog that closes faster than this was never shown.
const NEVER_SHOWN: Duration = Duration::from_millis(500);

/// What the path is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A dataset folder to open (image folder, saved tf.data dataset, TFRecord or IDX folder, export).
    OpenDataset,
    /// A dataset file to open (`.npy`, `.npz`, a TFRecord file, an IDX or CIFAR file). rfd picks either
    /// a file or a folder on Linux and Windows (both at once only on macOS), hence two purposes.
    OpenDatasetFile,
    /// The export's output folder.
    ExportFolder,
    /// Where to save the Health view's exclusion list (a file to write).
    ExclusionList,
}

/// How a dialog ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The user chose a path.
    Picked(Purpose, PathBuf),
    /// The user closed the dialog.
    Cancelled,
    /// No dialog could be shown on this system.
    Unavailable,
}

/// At most one folder dialog at a time.
#[derive(Default)]
pub struct FolderDialog {
    pending: Option<(Purpose, Job<Option<PathBuf>>, Instant)>,
}

impl FolderDialog {
    /// Shows the dialog for `purpose` (ignored while one is open).
    pub fn show(
        &mut self,
        purpose: Purpose,
        start: Option<PathBuf>,
        notify: Notify,
    ) -> Result<(), String> {
        if self.pending.is_some() {
            return Ok(());
        }
        let title = match purpose {
            Purpose::OpenDataset => "Open a dataset folder",
            Purpose::OpenDatasetFile => "Open a dataset file",
            Purpose::ExportFolder => "Choose the export folder",
            Purpose::ExclusionList => "Save the exclusion list",
        };
        let job = Job::spawn("batchscope-dialog", 1, Some(notify), move |out| {
            let mut dialog = rfd::FileDialog::new().set_title(title);
            if purpose == Purpose::ExclusionList {
                // `start` is the file the list would be saved to: open in its folder, with its name.
                if let Some(name) = start.as_ref().and_then(|p| p.file_name()) {
                    dialog = dialog.set_file_name(name.to_string_lossy());
                }
                if let Some(dir) = start.as_ref().and_then(|p| p.parent()) {
                    dialog = dialog.set_directory(dir);
                }
            } else if let Some(dir) = start {
                dialog = dialog.set_directory(dir);
            }
            out.send(match purpose {
                Purpose::ExclusionList => dialog.save_file(),
                Purpose::OpenDatasetFile => dialog.pick_file(),
                Purpose::OpenDataset | Purpose::ExportFolder => dialog.pick_folder(),
            });
        })
        .map_err(|err| format!("Cannot show the folder dialog ({err}); type the path instead."))?;
        self.pending = Some((purpose, job, Instant::now()));
        Ok(())
    }

    /// The outcome, once the dialog has closed.
    pub fn poll(&mut self) -> Option<Outcome> {
        let (purpose, job, started) = self.pending.as_ref()?;
        let outcome = match job.try_recv() {
            Received::Empty => return None,
            Received::Item(Some(path)) => Outcome::Picked(*purpose, path),
            Received::Item(None) | Received::Finished | Received::Died(_)
                if started.elapsed() < NEVER_SHOWN =>
            {
                Outcome::Unavailable
            }
            Received::Item(None) | Received::Finished | Received::Died(_) => Outcome::Cancelled,
        };
        self.pending = None;
        Some(outcome)
    }
}

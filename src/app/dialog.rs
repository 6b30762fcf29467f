//! The native folder dialog (rfd) on its own thread, so the UI never blocks on it. Where no dialog
//! backend exists (no XDG desktop portal, no zenity) rfd returns at once with nothing: that is reported
//! as [`Outcome::Unavailable`] so the UI can point to the typed-path field instead of failing silently.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};
use std::time::{Duration, Instant};

use crate::loader::Notify;

/// A dialog that closes faster than this was never shown.
const NEVER_SHOWN: Duration = Duration::from_millis(500);

/// What the folder is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A dataset to open.
    OpenDataset,
    /// The export's output folder.
    ExportFolder,
}

/// How a dialog ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The user chose a folder.
    Picked(Purpose, PathBuf),
    /// The user closed the dialog.
    Cancelled,
    /// No dialog could be shown on this system.
    Unavailable,
}

/// At most one folder dialog at a time.
#[derive(Default)]
pub struct FolderDialog {
    pending: Option<(Purpose, Receiver<Option<PathBuf>>, Instant)>,
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
            Purpose::ExportFolder => "Choose the export folder",
        };
        let (tx, rx) = sync_channel(1);
        std::thread::Builder::new()
            .name("batchscope-dialog".into())
            .spawn(move || {
                let mut dialog = rfd::FileDialog::new().set_title(title);
                if let Some(dir) = start {
                    dialog = dialog.set_directory(dir);
                }
                let _ = tx.send(dialog.pick_folder());
                notify();
            })
            .map_err(|err| {
                format!("Cannot show the folder dialog ({err}); type the path instead.")
            })?;
        self.pending = Some((purpose, rx, Instant::now()));
        Ok(())
    }

    /// The outcome, once the dialog has closed.
    pub fn poll(&mut self) -> Option<Outcome> {
        let (purpose, rx, started) = self.pending.as_ref()?;
        let outcome = match rx.try_recv() {
            Err(TryRecvError::Empty) => return None,
            Ok(Some(path)) => Outcome::Picked(*purpose, path),
            Ok(None) | Err(TryRecvError::Disconnected) if started.elapsed() < NEVER_SHOWN => {
                Outcome::Unavailable
            }
            Ok(None) | Err(TryRecvError::Disconnected) => Outcome::Cancelled,
        };
        self.pending = None;
        Some(outcome)
    }
}

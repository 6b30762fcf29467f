//! The checks that fill the Problems panel. Every problem the index or the headers can see is known at
//! open: as soon as a dataset's plan is ready, a background check reads every sample's header and the
//! end of every file ([`crate::load::check`]) and lists what will fail, before its batch is viewed.
//! Decode problems are added as batches are read, and "Check every file now" decodes every sample in
//! the background (a sequential [`Loader`], bounded memory, progress and Cancel) while the user keeps
//! browsing. Both are [`crate::background::Job`]s started and drained in the logic step
//! ([`FileChecks::poll`]); the panel ([`super::problems`]) only draws their state.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::session::{Session, add_problem};
use crate::background::{Job, Received};
use crate::load::check;
use crate::load::loader::{LoadSpec, Loader, Notify, SampleFailure};

/// Samples per batch of the pass that decodes every file (it sends chunks of four batches).
const CHECK_BATCH: usize = 16;
/// Decoded rows the pass may keep waiting for the UI, in bytes.
const CHECK_QUEUE_BYTES: usize = 16 << 20;

/// The check of headers and file ends, started when a plan is ready.
pub enum HeaderCheck {
    /// No dataset is ready.
    Idle,
    /// Reading headers.
    Running {
        /// Samples whose headers were read.
        done: Arc<AtomicUsize>,
        /// Samples of the dataset.
        total: usize,
        /// The job; its one result is the failures, `None` if cancelled.
        job: Job<Option<Vec<SampleFailure>>>,
    },
    /// Every header was read.
    Done {
        /// Samples checked.
        checked: usize,
        /// Of them, those that will fail.
        found: usize,
    },
    /// The check could not run (its thread could not start or died).
    Failed(String),
}

/// The pass that decodes every file.
pub enum DecodeCheck {
    /// Not asked for (since the plan was made).
    NotStarted,
    /// Decoding.
    Running {
        /// The sequential loader over every sample.
        loader: Loader,
        /// Its consumer's cancel flag.
        cancel: Arc<AtomicBool>,
        /// Samples decoded (or failed) so far.
        done: usize,
        /// Samples of the dataset.
        total: usize,
        /// Problems it found so far.
        found: usize,
        /// When it started.
        started: Instant,
    },
    /// Every sample was decoded.
    Done {
        /// Samples decoded.
        checked: usize,
        /// Of them, those that failed.
        found: usize,
        /// How long it took.
        elapsed: Duration,
    },
    /// Cancelled, or stopped because the settings changed or the loader died.
    Stopped {
        /// Samples decoded before it stopped.
        done: usize,
        /// Samples of the dataset.
        total: usize,
        /// Problems it found.
        found: usize,
        /// Why it stopped, for the user.
        why: String,
    },
}

/// The checks of the dataset on screen.
pub struct FileChecks {
    /// The plan the checks belong to: a new one (other settings, another dataset) starts them again.
    pub(super) spec: Option<Arc<LoadSpec>>,
    /// The header check.
    pub headers: HeaderCheck,
    /// The pass that decodes every file.
    pub decode: DecodeCheck,
    /// What the checks found, listed again when a new plan of the same files replaces the session's
    /// problems.
    found: Vec<SampleFailure>,
}

impl Default for FileChecks {
    fn default() -> Self {
        Self {
            spec: None,
            headers: HeaderCheck::Idle,
            decode: DecodeCheck::NotStarted,
            found: Vec::new(),
        }
    }
}

/// Adds `failures` to the session's problems, each file once (a file already listed keeps its first
/// reason); returns how many were new.
pub fn report(session: &mut Session, failures: &[SampleFailure]) -> usize {
    failures
        .iter()
        .filter(|f| add_problem(&mut session.problems, &f.rel_path, &f.reason))
        .count()
}

impl FileChecks {
    /// Starts the header check when the session's plan is new, and collects what the checks found
    /// into the session's problems (logic step only).
    pub fn poll(&mut self, session: &mut Session, notify: &Notify) {
        let Some(spec) = session.ready().map(|r| Arc::clone(&r.job)) else {
            return;
        };
        if !self.spec.as_ref().is_some_and(|s| Arc::ptr_eq(s, &spec)) {
            // A new plan: the session lists only the index's warnings again.
            let same_files = self.spec.as_ref().is_some_and(|old| {
                Arc::ptr_eq(&old.index, &spec.index)
                    && old.preprocess == spec.preprocess
                    && old.shape == spec.shape
            });
            if same_files {
                // Another order, split or batch size: the same files fail for the same reasons.
                self.spec = Some(spec);
                report(session, &self.found);
            } else {
                self.found.clear();
                self.restart(spec, notify);
            }
        }
        self.poll_headers(session);
        self.poll_decode(session);
    }

    /// Checks the headers of the plan `spec` belongs to; a pass decoding the files of the previous
    /// plan stops (its reasons may not hold for the new settings).
    fn restart(&mut self, spec: Arc<LoadSpec>, notify: &Notify) {
        if let DecodeCheck::Running {
            done, total, found, ..
        } = self.decode
        {
            self.decode = DecodeCheck::Stopped {
                done,
                total,
                found,
                why: "stopped: the loader settings changed".to_owned(),
            };
        } else {
            self.decode = DecodeCheck::NotStarted;
        }
        let done = Arc::new(AtomicUsize::new(0));
        let total = spec.index.samples.len();
        let (counter, checked) = (Arc::clone(&done), Arc::clone(&spec));
        let spawned = Job::spawn(
            "batchscope-check-headers",
            1,
            Some(Arc::clone(notify)),
            move |out| {
                let failures = check::header_failures(&checked, out.cancel_flag(), &counter);
                out.send(failures);
            },
        );
        self.headers = match spawned {
            Ok(job) => HeaderCheck::Running { done, total, job },
            Err(err) => HeaderCheck::Failed(format!("cannot start the header check: {err}")),
        };
        self.spec = Some(spec);
    }

    fn poll_headers(&mut self, session: &mut Session) {
        let HeaderCheck::Running { total, job, .. } = &self.headers else {
            return;
        };
        let total = *total;
        let next = match job.try_recv() {
            Received::Empty => return,
            Received::Item(Some(failures)) => {
                report(session, &failures);
                let found = failures.len();
                self.found.extend(failures);
                HeaderCheck::Done {
                    checked: total,
                    found,
                }
            }
            Received::Item(None) | Received::Finished => {
                HeaderCheck::Failed("the header check stopped before the end".to_owned())
            }
            Received::Died(message) => {
                HeaderCheck::Failed(format!("the header check stopped unexpectedly: {message}"))
            }
        };
        self.headers = next;
    }

    /// Starts decoding every sample of the dataset on screen (in index order, both sides of a
    /// split), unless a pass is running.
    pub fn check_all(&mut self, notify: &Notify) {
        let Some(spec) = &self.spec else { return };
        if matches!(self.decode, DecodeCheck::Running { .. }) {
            return;
        }
        let all = Arc::new(check::all_samples(spec, CHECK_BATCH));
        let total = all.plan.order.len();
        let cancel = Arc::new(AtomicBool::new(false));
        self.decode = match Loader::sequential(
            all,
            CHECK_QUEUE_BYTES,
            Arc::clone(&cancel),
            Some(Arc::clone(notify)),
        ) {
            Ok(loader) => DecodeCheck::Running {
                loader,
                cancel,
                done: 0,
                total,
                found: 0,
                started: Instant::now(),
            },
            Err(err) => DecodeCheck::Stopped {
                done: 0,
                total,
                found: 0,
                why: format!("cannot start the check: {err}"),
            },
        };
    }

    /// Cancels the pass that decodes every file; what it found stays listed.
    pub fn cancel(&mut self) {
        if let DecodeCheck::Running {
            cancel,
            done,
            total,
            found,
            ..
        } = &self.decode
        {
            cancel.store(true, Ordering::Relaxed);
            self.decode = DecodeCheck::Stopped {
                done: *done,
                total: *total,
                found: *found,
                why: "cancelled".to_owned(),
            };
        }
    }

    fn poll_decode(&mut self, session: &mut Session) {
        let DecodeCheck::Running {
            loader,
            done,
            total,
            found,
            started,
            ..
        } = &mut self.decode
        else {
            return;
        };
        let budget = Instant::now();
        let mut died = None;
        while budget.elapsed() < Duration::from_millis(5) && *done < *total {
            match loader.try_recv() {
                Ok(Some(batch)) => {
                    *done += batch.samples.len() + batch.failures.len();
                    *found += batch.failures.len();
                    report(session, &batch.failures);
                    self.found.extend(batch.failures);
                    loader.recycle(batch.pixels);
                }
                Ok(None) => break,
                Err(stopped) => {
                    died = Some(stopped.to_string());
                    break;
                }
            }
        }
        let (done, total, found) = (*done, *total, *found);
        if done >= total {
            self.decode = DecodeCheck::Done {
                checked: total,
                found,
                elapsed: started.elapsed(),
            };
        } else if let Some(why) = died {
            self.decode = DecodeCheck::Stopped {
                done,
                total,
                found,
                why,
            };
        }
    }

    /// `(done, total)` of the running pass that decodes every file.
    pub fn decode_progress(&self) -> Option<(usize, usize)> {
        match self.decode {
            DecodeCheck::Running { done, total, .. } => Some((done, total)),
            _ => None,
        }
    }
}

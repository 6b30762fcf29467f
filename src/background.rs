//! The one background-job type: a named thread, a cancel flag, and a bounded channel of results.
//!
//! Every piece of work that must not run on the UI thread (indexing and planning, the loader, an
//! export, the folder dialog) is a [`Job`]. Guarantees:
//! - dropping a job, or replacing it, cancels it and never waits for it: the thread is detached and
//!   finishes on its own, so the UI thread never joins a worker;
//! - the channel is bounded, so a worker that runs ahead of its consumer blocks (backpressure) until the
//!   consumer takes a result, cancels, or goes away;
//! - a worker that panics is reported as [`Received::Died`] with the panic's message, never as an
//!   ordinary end or as a cancel.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Called from a worker after it sends a result, e.g. to wake the UI. It must not block.
pub type Notify = Arc<dyn Fn() + Send + Sync>;

/// How a worker ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum End {
    #[default]
    Running,
    Returned,
    Panicked(String),
}

/// What [`Job::try_recv`] and [`Job::recv`] found.
#[derive(Debug, PartialEq)]
pub enum Received<T> {
    /// A result.
    Item(T),
    /// Nothing yet: the worker is still running (only from [`Job::try_recv`]).
    Empty,
    /// The worker returned and every result has been taken.
    Finished,
    /// The worker panicked; the message is the panic's.
    Died(String),
}

/// The worker's side of a job: where it sends results and learns it was cancelled.
pub struct Outbox<T> {
    results: SyncSender<T>,
    cancel: Arc<AtomicBool>,
    notify: Option<Notify>,
}

impl<T> Outbox<T> {
    /// Sends a result, waiting while the channel is full. `false` when the job was cancelled or its
    /// owner went away: the worker should stop.
    pub fn send(&self, item: T) -> bool {
        if self.is_cancelled() || self.results.send(item).is_err() {
            return false;
        }
        if let Some(notify) = &self.notify {
            notify();
        }
        true
    }

    /// Whether the job was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// The cancel flag, for passing to engine functions that check it.
    pub fn cancel_flag(&self) -> &Arc<AtomicBool> {
        &self.cancel
    }
}

/// A running (or finished) background job producing results of type `T`.
pub struct Job<T> {
    results: Receiver<T>,
    cancel: Arc<AtomicBool>,
    end: Arc<Mutex<End>>,
}

impl<T: Send + 'static> Job<T> {
    /// Starts `work` on a thread called `name`, with room for `capacity` results waiting to be taken.
    pub fn spawn(
        name: &str,
        capacity: usize,
        notify: Option<Notify>,
        work: impl FnOnce(&Outbox<T>) + Send + 'static,
    ) -> std::io::Result<Self> {
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, results) = sync_channel(capacity.max(1));
        let end = Arc::new(Mutex::new(End::Running));
        let outbox = Outbox {
            results: tx,
            cancel: Arc::clone(&cancel),
            notify,
        };
        let worker_end = Arc::clone(&end);
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let outcome = panic::catch_unwind(AssertUnwindSafe(|| work(&outbox)));
                let ended = match outcome {
                    Ok(()) => End::Returned,
                    Err(payload) => End::Panicked(panic_message(&*payload)),
                };
                // The end is recorded before the channel closes, so a consumer that sees the channel
                // closed always finds out how the worker ended.
                *worker_end.lock().unwrap_or_else(PoisonError::into_inner) = ended;
                if let Some(notify) = &outbox.notify {
                    notify();
                }
                drop(outbox);
            })?;
        Ok(Self {
            results,
            cancel,
            end,
        })
    }
}

impl<T> Job<T> {
    /// A result if one is waiting, without blocking.
    pub fn try_recv(&self) -> Received<T> {
        match self.results.try_recv() {
            Ok(item) => Received::Item(item),
            Err(TryRecvError::Empty) => Received::Empty,
            Err(TryRecvError::Disconnected) => self.ended(),
        }
    }

    /// The next result, waiting for it; never [`Received::Empty`].
    pub fn recv(&self) -> Received<T> {
        match self.results.recv() {
            Ok(item) => Received::Item(item),
            Err(_) => self.ended(),
        }
    }

    /// The next result, waiting at most `timeout` ([`Received::Empty`] if none came).
    pub fn recv_timeout(&self, timeout: Duration) -> Received<T> {
        match self.results.recv_timeout(timeout) {
            Ok(item) => Received::Item(item),
            Err(RecvTimeoutError::Timeout) => Received::Empty,
            Err(RecvTimeoutError::Disconnected) => self.ended(),
        }
    }

    fn ended(&self) -> Received<T> {
        match &*self.end.lock().unwrap_or_else(PoisonError::into_inner) {
            End::Panicked(message) => Received::Died(message.clone()),
            End::Returned | End::Running => Received::Finished,
        }
    }

    /// Asks the worker to stop; it notices at its next check of the flag.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether [`Job::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// The cancel flag, for sharing with other parts of the same work.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.cancel)
    }
}

impl<T> Drop for Job<T> {
    /// Cancels the worker and lets it finish on its own: never joins.
    fn drop(&mut self) {
        self.cancel();
    }
}

/// The text of a panic payload (`panic!("...")` gives a `&str` or a `String`).
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with no message".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_arrive_in_order_then_the_job_finishes() {
        let job = Job::spawn("test-job", 2, None, |out: &Outbox<u32>| {
            for i in 0..5 {
                if !out.send(i) {
                    return;
                }
            }
        })
        .unwrap();
        let got: Vec<u32> = std::iter::from_fn(|| match job.recv() {
            Received::Item(i) => Some(i),
            _ => None,
        })
        .collect();
        assert_eq!(got, [0, 1, 2, 3, 4]);
        assert_eq!(job.recv(), Received::Finished);
    }

    #[test]
    fn a_panicking_worker_is_reported_with_its_message() {
        let job = Job::spawn("test-panic", 1, None, |out: &Outbox<u32>| {
            out.send(7);
            panic!("decoder exploded on sample {}", 3);
        })
        .unwrap();
        assert_eq!(job.recv(), Received::Item(7));
        assert_eq!(
            job.recv(),
            Received::Died("decoder exploded on sample 3".into())
        );
    }

    #[test]
    fn dropping_a_job_cancels_a_blocked_worker_without_waiting_for_it() {
        let (seen_tx, seen_rx) = sync_channel(1);
        let job = Job::spawn("test-cancel", 1, None, move |out: &Outbox<u32>| {
            // Fills the channel, then blocks on the second send until the owner goes away.
            let mut sent = 0;
            while out.send(sent) {
                sent += 1;
            }
            let _ = seen_tx.send((sent, out.is_cancelled()));
        })
        .unwrap();
        drop(job);
        let (sent, cancelled) = seen_rx.recv().unwrap();
        assert!(
            sent <= 2,
            "the worker stopped at the bounded channel, sent {sent}"
        );
        assert!(cancelled);
    }
}

//! A small, dependency-free mutation fuzzer that runs on stable as part of `cargo test`.
//!
//! Each target is a function from bytes to an outcome signature (a short string such as
//! `"Png ok 16x12"` or `"Jpeg err: truncated JPEG"`); it asserts its properties and panics when one
//! fails. The driver runs the seeds as they are, then mutates inputs drawn from a corpus (bit flips,
//! interesting values in header fields, inserts, deletes, truncation, splices) with a deterministic
//! generator. An input whose outcome signature was never seen before joins the corpus: the messages of
//! the decoders stand in for the coverage feedback a stable build has no instrumentation for, so an
//! input that got past a checksum or a header check is mutated further.
//!
//! Environment (for running longer by hand; CI uses the defaults):
//! - `BATCHSCOPE_FUZZ_ITERS=N`: N mutated inputs per target instead of the default;
//! - `BATCHSCOPE_FUZZ_SECS=N`: run each target for N seconds instead (the run count is printed, so a
//!   failure found that way is reproduced with `BATCHSCOPE_FUZZ_ITERS` and the same seed);
//! - `BATCHSCOPE_FUZZ_SEED=N`: another base seed (the default is fixed, so CI runs the same inputs);
//! - `BATCHSCOPE_FUZZ_REPLAY=FILE`: run only the input in FILE (as saved by a failure) through the
//!   target(s) selected on the command line.
//!
//! A failing input is saved under `$CARGO_TARGET_TMPDIR/fuzz-failures/` and the panic message says
//! how to replay it.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

pub mod hf_seeds;
pub mod readers;
#[allow(dead_code)] // Shared with the `bombs` example and `tests/common`; not every builder is used here.
#[path = "../common/records.rs"]
pub mod records;
pub mod seeds;
pub mod targets;
pub mod tree;

use std::collections::HashSet;
use std::io::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// `SplitMix64`: tiny, fast, and the same sequence on every machine.
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True once in `n` times.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// Random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

/// Reads structured values out of fuzz bytes (as `arbitrary` does): every read succeeds, an
/// exhausted input reads as zeros, so any byte string is a valid description.
pub struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self(data)
    }

    /// One byte.
    pub fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    /// A little-endian u32.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    /// A little-endian u64.
    pub fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }

    /// A bool.
    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        if n <= 256 {
            usize::from(self.u8()) % n
        } else {
            self.u32() as usize % n
        }
    }

    /// One of `items` (non-empty).
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Values that break header arithmetic: zero, one, sign bits, all ones, powers of two around them.
pub const INTERESTING_U32: &[u32] = &[
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0x8000,
    0xffff,
    0x1_0000,
    0x00ff_ffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fffe,
    0xffff_ffff,
];

/// Applies one to four random mutations to `input`; `other` is a corpus entry to splice from.
pub fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        mutate_once(rng, &mut out, other);
    }
    out
}

/// An offset to mutate at: half the time in the first 64 bytes, where the headers are.
fn offset(rng: &mut Rng, len: usize) -> usize {
    if rng.one_in(2) {
        rng.below(len.min(64))
    } else {
        rng.below(len)
    }
}

fn mutate_once(rng: &mut Rng, out: &mut Vec<u8>, other: &[u8]) {
    if out.is_empty() {
        let len = 1 + rng.below(8);
        out.extend(rng.bytes(len));
        return;
    }
    let len = out.len();
    match rng.below(10) {
        0 => {
            let at = offset(rng, len);
            out[at] ^= 1 << rng.below(8);
        }
        1 => {
            let at = offset(rng, len);
            out[at] = [0u8, 1, 0x7f, 0x80, 0xff][rng.below(5)];
        }
        2 => {
            // An interesting u16/u32, either byte order (PNG/JPEG are big-endian, BMP/TIFF/WebP little).
            let value = INTERESTING_U32[rng.below(INTERESTING_U32.len())];
            let width = if rng.one_in(2) { 2 } else { 4 };
            let at = offset(rng, len);
            let bytes = if rng.one_in(2) {
                value.to_be_bytes()
            } else {
                value.to_le_bytes()
            };
            let bytes = if width == 2 { &bytes[2..] } else { &bytes[..] };
            for (i, &b) in bytes.iter().enumerate() {
                if let Some(slot) = out.get_mut(at + i) {
                    *slot = b;
                }
            }
        }
        3 => {
            let at = offset(rng, len);
            out[at] = out[at].wrapping_add([1u8, 0xff, 0x10, 0xf0][rng.below(4)]);
        }
        4 => {
            let at = rng.below(len + 1);
            let inserted = if rng.one_in(2) {
                let len = 1 + rng.below(16);
                rng.bytes(len)
            } else {
                vec![[0u8, 0xff][rng.below(2)]; 1 + rng.below(64)]
            };
            out.splice(at..at, inserted);
        }
        5 => {
            let at = rng.below(len);
            let end = (at + 1 + rng.below(32)).min(len);
            out.drain(at..end);
        }
        6 => out.truncate(rng.below(len)),
        7 => {
            // Copy a block over another place (repeats a chunk or a marker).
            let from = rng.below(len);
            let n = 1 + rng.below(32.min(len - from));
            let block = out[from..from + n].to_vec();
            let to = rng.below(len);
            out.splice(to..to, block);
        }
        8 if !other.is_empty() => {
            // Splice: our head, another input's tail.
            let at = rng.below(len);
            let from = rng.below(other.len());
            out.truncate(at);
            out.extend_from_slice(&other[from..]);
        }
        _ => {
            let at = offset(rng, len);
            out[at] = rng.next_u64() as u8;
        }
    }
}

/// How long a target runs.
#[derive(Clone, Copy, Debug)]
pub enum Budget {
    /// This many mutated inputs (after the seeds).
    Runs(u64),
    /// Until this much time has passed.
    Time(Duration),
}

impl Budget {
    /// `BATCHSCOPE_FUZZ_SECS`, else `BATCHSCOPE_FUZZ_ITERS`, else `default_runs`.
    pub fn from_env(default_runs: u64) -> Self {
        let var = |name| std::env::var(name).ok().and_then(|v| v.parse::<f64>().ok());
        if let Some(secs) = var("BATCHSCOPE_FUZZ_SECS") {
            return Self::Time(Duration::from_secs_f64(secs));
        }
        Self::Runs(var("BATCHSCOPE_FUZZ_ITERS").map_or(default_runs, |n| n as u64))
    }
}

/// The seed of `target`: `BATCHSCOPE_FUZZ_SEED` (or a fixed default) mixed with the target's name.
pub fn seed_for(target: &str) -> u64 {
    let base = std::env::var("BATCHSCOPE_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x6261_7463_6873_636f);
    // FNV-1a of the name, so targets do not share a sequence.
    let name = target.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    base ^ name
}

/// What a finished run did.
pub struct Summary {
    /// Distinct outcome signatures seen.
    pub outcomes: usize,
}

/// The largest corpus kept per target (inputs with a new outcome join it).
const MAX_CORPUS: usize = 512;

/// Taken for reading by each input of [`run`], for writing by each input of [`run_alone`].
static RUNS: RwLock<()> = RwLock::new(());

/// `make()`, with no input of any target running meanwhile: for the work a test does around its runs
/// (making seeds with the Parquet and Arrow writers, checking results with Python), whose allocations
/// would otherwise count against the allocation budget of another test's reader run.
pub fn exclusive<T>(make: impl FnOnce() -> T) -> T {
    let _alone = RUNS
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    make()
}

/// Fuzzes `check` with `seeds` and mutations of them for `budget`. Panics (after saving the input)
/// when `check` panics, with the seed, the run number and how to replay the input.
pub fn run(
    target: &str,
    seeds: Vec<Vec<u8>>,
    budget: Budget,
    check: impl FnMut(&[u8]) -> String,
) -> Summary {
    run_locked(target, seeds, budget, false, check)
}

/// [`run`], with no input of another target running at the same time as each of this one's: what
/// the process allocates during a run is then this run's (the allocation budget of the reader
/// targets counts the whole process).
pub fn run_alone(
    target: &str,
    seeds: Vec<Vec<u8>>,
    budget: Budget,
    check: impl FnMut(&[u8]) -> String,
) -> Summary {
    run_locked(target, seeds, budget, true, check)
}

fn run_locked(
    target: &str,
    seeds: Vec<Vec<u8>>,
    budget: Budget,
    alone: bool,
    mut check: impl FnMut(&[u8]) -> String,
) -> Summary {
    let seed = seed_for(target);
    let mut one = |input: &[u8], run: u64| -> String {
        // A panicking input poisons the lock only for the failing test, which stops anyway.
        let _shared;
        let _alone;
        if alone {
            _alone = RUNS
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        } else {
            _shared = RUNS
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        match panic::catch_unwind(AssertUnwindSafe(|| check(input))) {
            Ok(signature) => signature,
            Err(payload) => {
                let message = payload
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| payload.downcast_ref::<&str>().copied())
                    .unwrap_or("(non-string panic)");
                let saved = save_failure(target, seed, run, input);
                panic!(
                    "fuzz target {target}: property failed on run {run} (seed {seed}): {message}\n\
                     input ({} bytes) saved as {saved:?}; replay it with\n  \
                     BATCHSCOPE_FUZZ_REPLAY={saved:?} cargo test --test fuzz_parsers {target}",
                    input.len()
                );
            }
        }
    };

    if let Some(path) = std::env::var_os("BATCHSCOPE_FUZZ_REPLAY") {
        let input = std::fs::read(&path).unwrap();
        let outcome = one(&input, 0);
        say(&format!("fuzz {target}: replayed {path:?}: {outcome}"));
        return Summary { outcomes: 1 };
    }

    let started = Instant::now();
    let mut rng = Rng::new(seed);
    let mut outcomes = HashSet::new();
    let mut corpus = Vec::new();
    let mut runs = 0;
    for input in seeds {
        outcomes.insert(one(&input, runs));
        runs += 1;
        corpus.push(input);
    }
    assert!(!corpus.is_empty(), "fuzz target {target} has no seeds");
    let mut mutated = 0u64;
    loop {
        let done = match budget {
            Budget::Runs(n) => mutated >= n,
            Budget::Time(t) => started.elapsed() >= t,
        };
        if done {
            break;
        }
        let base = &corpus[rng.below(corpus.len())];
        let other = &corpus[rng.below(corpus.len())];
        let input = mutate(&mut rng, base, other);
        let outcome = one(&input, runs);
        runs += 1;
        mutated += 1;
        if outcomes.insert(outcome) && corpus.len() < MAX_CORPUS {
            corpus.push(input);
        }
    }
    say(&format!(
        "fuzz {target}: {runs} runs ({mutated} mutated) in {:.1} s, {} distinct outcomes, corpus {}, seed {seed}",
        started.elapsed().as_secs_f64(),
        outcomes.len(),
        corpus.len(),
    ));
    Summary {
        outcomes: outcomes.len(),
    }
}

fn save_failure(target: &str, seed: u64, run: u64, input: &[u8]) -> PathBuf {
    // Cargo sets CARGO_TARGET_TMPDIR for integration tests; the cargo-fuzz crate (which saves its own
    // crashes) compiles this module too.
    let tmp = option_env!("CARGO_TARGET_TMPDIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let dir = tmp.join("fuzz-failures");
    let path = dir.join(format!("{target}-{seed}-{run}.bin"));
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(&path, input);
    path
}

/// Prints a line where `cargo test` shows it even for passing tests (past libtest's capture).
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

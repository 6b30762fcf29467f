//! Fuzzing of the parts of batchscope that read untrusted input or do arithmetic on it: image
//! decoding and header probing on mutated files of every format, the index walk on hostile folder
//! trees, the batch plan under arbitrary options, the `.npy` header and writer, and every reader:
//! TFRecord framing and `tf.train.Example`, a saved tf.data dataset (snapshot records, `TensorProto`s,
//! `snapshot.metadata`, `dataset_spec.pb`), `.npy`, `.npz` (zip and its CRC-32), IDX, CIFAR,
//! webdataset tars, Parquet files, Arrow IPC streams, the exclude list and the corrections file. A
//! stable, dependency-free mutation fuzzer (`tests/fuzz/mod.rs`) with a fixed seed, so CI runs the
//! same few thousand inputs each time in a few seconds per target; run it longer by hand with
//! `BATCHSCOPE_FUZZ_SECS=60 cargo test --release --test fuzz_parsers` (see the README's Fuzzing
//! section). Each target checks properties (see `tests/fuzz/targets.rs`, `tests/fuzz/tree.rs` and
//! `tests/fuzz/readers.rs`), not only that nothing panics.
//!
//! The reader targets open their input through `batchscope::source::open` and read every sample
//! back, with seeds written at test time (`tests/fuzz/seeds.rs`). Each of their runs is also held to
//! an allocation budget, [`allocation_budget`] of its input's length: this binary's global allocator
//! is [`cap::Cap`], whose limit is set for the length of each run (no other target's input runs
//! meanwhile, see `fuzz::run_alone`). An allocation over the limit fails, which a reader must turn
//! into an error: one that aborts instead ends this binary with "memory allocation of N bytes
//! failed", and the input of that run is in `/dev/shm/batchscope-fuzz-last/<target>.bin` (the temp
//! dir where there is no `/dev/shm`).

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod common;
mod fuzz;

use std::fmt::Write as _;

use batchscope::options::JpegDecoder;
use fuzz::{Budget, hf_seeds, readers, seeds, targets, tree};

/// Counts every allocation of this binary, and refuses those over the limit a reader run sets.
#[global_allocator]
static ALLOC: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

/// Mutated inputs per target in CI (debug build); decoding targets cost more per input.
const DECODE_RUNS: u64 = 5_000;
const EXACT_JPEG_RUNS: u64 = 2_000;
const PROBE_RUNS: u64 = 2_000;
const INDEX_RUNS: u64 = 1_500;
const PLAN_RUNS: u64 = 20_000;
const EXAMPLE_STREAM_RUNS: u64 = 20_000;
const NPY_RUNS: u64 = 4_000;
const TFRECORD_RUNS: u64 = 2_000;
const SAVED_RUNS: u64 = 2_000;
const NPY_READER_RUNS: u64 = 4_000;
const NPZ_RUNS: u64 = 4_000;
const IDX_RUNS: u64 = 4_000;
const CIFAR_RUNS: u64 = 1_500;
const EXCLUDE_RUNS: u64 = 3_000;
const WEBDATASET_RUNS: u64 = 2_000;
const PARQUET_RUNS: u64 = 1_500;
const ARROW_RUNS: u64 = 1_500;

/// What one reader run may allocate beyond what the process held when it started: 64 MiB, plus 16
/// bytes per byte of input (a reader holds a file's bytes a few times over at most, never what a
/// header claims).
fn allocation_budget(input_len: usize) -> usize {
    (64 << 20) + 16 * input_len
}

/// Lifts the allocation limit when a run ends, however it ends.
struct Limit;

impl Drop for Limit {
    fn drop(&mut self) {
        ALLOC.set_limit(usize::MAX).unwrap();
    }
}

/// Where the reader targets write their files: a tmpfs (`/dev/shm`) where there is one, since a run
/// writes two small files and costs little else, so that a busy disk does not set the pace; else the
/// system's temp dir.
fn scratch() -> std::path::PathBuf {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// `check` with each run held to [`allocation_budget`]; the input is first saved as
/// `<scratch>/batchscope-fuzz-last/<target>.bin` (see [`scratch`]), since an allocation that aborts
/// leaves no panic to report it.
fn within_budget(
    target: &str,
    dir: &std::path::Path,
    mut check: impl FnMut(&[u8], &std::path::Path) -> String,
) -> impl FnMut(&[u8]) -> String {
    let last = scratch()
        .join("batchscope-fuzz-last")
        .join(format!("{target}.bin"));
    std::fs::create_dir_all(last.parent().unwrap()).unwrap();
    move |bytes| {
        std::fs::write(&last, bytes).unwrap();
        ALLOC
            .set_limit(ALLOC.allocated() + allocation_budget(bytes.len()))
            .unwrap();
        let _limit = Limit;
        check(bytes, dir)
    }
}

/// Runs the reader target `check` over `seeds` and `runs` mutations, alone and within budget; the
/// mutations must reach more than `min_outcomes` distinct outcomes (errors of several kinds), unless
/// one input is replayed.
fn fuzz_reader(
    target: &str,
    seeds: Vec<Vec<u8>>,
    runs: u64,
    min_outcomes: usize,
    check: impl FnMut(&[u8], &std::path::Path) -> String,
) {
    let dir = tempfile::tempdir_in(scratch()).unwrap();
    let summary = fuzz::run_alone(
        target,
        seeds,
        Budget::from_env(runs),
        within_budget(target, dir.path(), check),
    );
    let replayed = std::env::var_os("BATCHSCOPE_FUZZ_REPLAY").is_some();
    assert!(
        replayed || summary.outcomes > min_outcomes,
        "{target}: only {} outcomes",
        summary.outcomes
    );
}

#[test]
fn decode_never_panics_and_returns_whole_images_or_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let summary = fuzz::run(
        "decode",
        fuzz::exclusive(seeds::images),
        Budget::from_env(DECODE_RUNS),
        |bytes| targets::decode(bytes, dir.path()),
    );
    // The seeds alone decode in every format; mutations must reach errors of several kinds.
    assert!(summary.outcomes > 10, "only {} outcomes", summary.outcomes);
}

/// The same properties with `--jpeg exact`: libjpeg-turbo's C code on mutated files, its errors
/// coming back as values (by unwinding out of the C code), never a panic, an abort or padding.
#[test]
fn exact_jpeg_decode_never_panics_and_returns_whole_images_or_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let jpegs: Vec<_> = fuzz::exclusive(seeds::images)
        .into_iter()
        .filter(|seed| image::guess_format(seed).ok() == Some(image::ImageFormat::Jpeg))
        .collect();
    assert!(jpegs.len() >= 2, "{} JPEG seeds", jpegs.len());
    let summary = fuzz::run(
        "decode-exact-jpeg",
        jpegs,
        Budget::from_env(EXACT_JPEG_RUNS),
        |bytes| targets::decode_with(bytes, dir.path(), JpegDecoder::Exact),
    );
    assert!(summary.outcomes > 10, "only {} outcomes", summary.outcomes);
}

#[test]
fn probe_reads_only_the_header_and_agrees_with_decode() {
    if targets::thread_bytes_read().is_none() {
        common::skip(
            "probe_reads_only_the_header_and_agrees_with_decode",
            "/proc/thread-self/io is not readable",
            "the bytes a probe reads are not counted here",
        );
    }
    let dir = tempfile::tempdir().unwrap();
    fuzz::run(
        "probe",
        fuzz::exclusive(seeds::images),
        Budget::from_env(PROBE_RUNS),
        |bytes| targets::probe(bytes, dir.path()),
    );
}

/// Found by the probe target: a file that starts like a JPEG but whose size `imagesize` cannot read
/// went to `image`'s JPEG decoder, which reads the whole file into memory, so listing a folder with a
/// multi-gigabyte "photo.jpg" read (and held) all of it. The probe now reads at most
/// `PROBE_MAX_READ_BYTES` of any file.
#[test]
fn probe_of_a_huge_file_that_starts_like_a_jpeg_reads_only_its_head() {
    let Some(before) = targets::thread_bytes_read() else {
        common::skip(
            "probe_of_a_huge_file_that_starts_like_a_jpeg_reads_only_its_head",
            "/proc/thread-self/io is not readable",
            "the bytes a probe reads are not counted here",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("photo.jpg");
    // Start of image, then an APP0 segment that claims a length of 0 (no size for `imagesize`).
    std::fs::write(&path, b"\xff\xd8\xff\xe0\x00\x00JFIF\x00").unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(1 << 30).unwrap(); // 1 GiB, sparse
    drop(file);
    let probed = batchscope::decode::probe_file(&path);
    let read = targets::thread_bytes_read().unwrap() - before;
    assert!(probed.is_err(), "{probed:?}");
    assert!(
        read <= targets::PROBE_READ_LIMIT,
        "read {read} bytes of a 1 GiB file"
    );
}

#[test]
fn index_walk_of_hostile_trees_lists_every_image_once_in_keras_order() {
    let dir = tempfile::tempdir().unwrap();
    fuzz::run(
        "index",
        fuzz::exclusive(|| seeds::random(1, 16, 160)),
        Budget::from_env(INDEX_RUNS),
        |bytes| tree::index_walk(bytes, dir.path()),
    );
}

#[test]
fn plan_with_any_options_is_a_complete_disjoint_split_in_whole_batches() {
    fuzz::run(
        "plan",
        fuzz::exclusive(|| seeds::random(2, 16, 48)),
        Budget::from_env(PLAN_RUNS),
        targets::plan,
    );
}

#[test]
fn npy_writer_files_are_header_plus_rows_and_numpy_loads_them() {
    let dir = tempfile::tempdir().unwrap();
    let sample = dir.path().join("numpy");
    std::fs::create_dir(&sample).unwrap();
    let mut manifest = String::new();
    let mut runs = 0u64;
    fuzz::run(
        "npy_writer",
        fuzz::exclusive(|| seeds::random(3, 16, 64)),
        Budget::from_env(NPY_RUNS),
        |bytes| {
            let outcome = targets::npy_writer(bytes, dir.path());
            // Every 50th file (up to 100) goes to numpy.
            if runs.is_multiple_of(50) && runs < 5_000 {
                let to = sample.join(format!("{runs}.npy"));
                std::fs::rename(dir.path().join("out.npy"), &to).unwrap();
                let (descr, shape, _) =
                    targets::parse_header(&std::fs::read(&to).unwrap()).unwrap();
                writeln!(manifest, "{}\t{descr}\t{}", to.display(), join(&shape)).unwrap();
            }
            runs += 1;
            outcome
        },
    );
    numpy_check(&sample, &manifest, NUMPY_LOADS, "npy_writer_files");
}

#[test]
fn npy_headers_of_any_shape_parse_back_in_our_reader_and_in_numpy() {
    let dir = tempfile::tempdir().unwrap();
    let mut manifest = String::new();
    let mut runs = 0u64;
    fuzz::run(
        "npy_header",
        fuzz::exclusive(|| seeds::random(4, 16, 64)),
        Budget::from_env(NPY_RUNS),
        |bytes| {
            let (outcome, header, (descr, shape, _)) = targets::npy_header(bytes);
            if runs.is_multiple_of(30) && runs < 3_000 {
                let to = dir.path().join(format!("{runs}.header"));
                std::fs::write(&to, header).unwrap();
                writeln!(manifest, "{}\t{descr}\t{}", to.display(), join(&shape)).unwrap();
            }
            runs += 1;
            outcome
        },
    );
    numpy_check(dir.path(), &manifest, NUMPY_HEADERS, "npy_headers");
}

#[test]
fn example_streamed_from_a_large_record_is_the_whole_decode_cut() {
    fuzz::run(
        "example_stream",
        fuzz::exclusive(seeds::examples),
        Budget::from_env(EXAMPLE_STREAM_RUNS),
        targets::example_stream,
    );
}

#[test]
fn tfrecord_reader_reads_every_sample_or_names_the_file_within_budget() {
    fuzz_reader(
        "tfrecord",
        fuzz::exclusive(seeds::tfrecords),
        TFRECORD_RUNS,
        5,
        readers::tfrecord,
    );
}

#[test]
fn webdataset_reader_reads_every_sample_or_names_the_file_within_budget() {
    fuzz_reader(
        "webdataset",
        fuzz::exclusive(hf_seeds::webdatasets),
        WEBDATASET_RUNS,
        5,
        readers::webdataset,
    );
}

#[test]
fn parquet_reader_reads_every_sample_or_names_the_file_within_budget() {
    // The parquet crate panics on some hostile pages ("Decoder for dict should have been set"); the
    // source catches that and lists a reason. The default hook would first symbolize a backtrace
    // (under RUST_BACKTRACE=1) inside this run's allocation budget, and std's allocation-failure
    // hook then waits for the backtrace lock the panic hook holds: a hang, not a failure. So on this
    // test's thread a panic prints its message only; every other thread keeps the default hook.
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let here = std::thread::current();
        if here.name().is_some_and(|n| n.starts_with("parquet_reader")) {
            eprintln!("{info}");
        } else {
            default(info);
        }
    }));
    fuzz_reader(
        "parquet",
        fuzz::exclusive(hf_seeds::parquets),
        PARQUET_RUNS,
        5,
        readers::parquet,
    );
}

#[test]
fn arrow_reader_reads_every_sample_or_names_the_file_within_budget() {
    fuzz_reader(
        "arrow",
        fuzz::exclusive(hf_seeds::arrows),
        ARROW_RUNS,
        5,
        readers::arrow,
    );
}

#[test]
fn saved_dataset_reader_reads_every_row_or_names_the_file_within_budget() {
    fuzz_reader(
        "saved",
        fuzz::exclusive(seeds::saved),
        SAVED_RUNS,
        5,
        readers::saved,
    );
}

#[test]
fn npy_reader_reads_every_row_or_names_the_file_within_budget() {
    fuzz_reader(
        "npy",
        fuzz::exclusive(seeds::npys),
        NPY_READER_RUNS,
        5,
        readers::npy,
    );
}

#[test]
fn npz_reader_reads_every_row_or_names_the_file_within_budget() {
    fuzz_reader(
        "npz",
        fuzz::exclusive(seeds::npzs),
        NPZ_RUNS,
        5,
        readers::npz,
    );
}

#[test]
fn idx_reader_reads_every_row_or_names_the_file_within_budget() {
    fuzz_reader(
        "idx",
        fuzz::exclusive(seeds::idxs),
        IDX_RUNS,
        5,
        readers::idx,
    );
}

#[test]
fn cifar_reader_reads_every_row_or_names_the_file_within_budget() {
    fuzz_reader(
        "cifar",
        fuzz::exclusive(seeds::cifars),
        CIFAR_RUNS,
        2,
        readers::cifar,
    );
}

#[test]
fn exclude_list_leaves_out_exactly_the_listed_samples_within_budget() {
    fuzz_reader(
        "exclude",
        fuzz::exclusive(seeds::exclude_lists),
        EXCLUDE_RUNS,
        5,
        readers::exclude_list,
    );
}

#[test]
fn corrections_file_applies_exactly_its_rows_or_names_what_does_not_fit_within_budget() {
    fuzz_reader(
        "corrections",
        fuzz::exclusive(seeds::corrections_files),
        EXCLUDE_RUNS,
        4,
        readers::corrections,
    );
}

fn join(shape: &[usize]) -> String {
    shape
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// numpy loads each listed file: the shape and dtype are the listed ones, the data is the file's tail.
const NUMPY_LOADS: &str = r"
import sys, numpy as np
for line in open(sys.argv[1]):
    path, descr, shape = line.rstrip('\n').split('\t')
    shape = tuple(int(d) for d in shape.split(',') if d)
    a = np.load(path)
    raw = open(path, 'rb').read()
    assert a.shape == shape, (path, a.shape, shape)
    assert a.dtype.str == descr, (path, a.dtype.str, descr)
    assert not np.isfortran(a) or a.ndim < 2, path
    assert raw.endswith(a.tobytes()) and len(raw) - a.nbytes == 10 + int.from_bytes(raw[8:10], 'little'), path
print('ok')
";

/// numpy reads each listed header (any shape: no data behind it) as the listed shape and dtype.
const NUMPY_HEADERS: &str = r"
import io, sys, numpy as np
for line in open(sys.argv[1]):
    path, descr, shape = line.rstrip('\n').split('\t')
    shape = tuple(int(d) for d in shape.split(',') if d)
    raw = open(path, 'rb').read()
    f = io.BytesIO(raw)
    assert np.lib.format.read_magic(f) == (1, 0), path
    got_shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    assert (got_shape, fortran, dtype.str) == (shape, False, descr), (path, got_shape, fortran, dtype.str)
    assert f.tell() == len(raw), path
print('ok')
";

fn numpy_check(dir: &std::path::Path, manifest: &str, code: &str, test: &str) {
    if !common::has_python_module("numpy", test) {
        return;
    }
    let list = dir.join("manifest.tsv");
    std::fs::write(&list, manifest).unwrap();
    assert!(manifest.lines().count() > 10);
    let out = fuzz::exclusive(|| common::run_python(code, &[list.to_str().unwrap()]));
    assert_eq!(out.trim(), "ok");
}

/// Writes the seeds of every target to `$BATCHSCOPE_FUZZ_CORPUS/<target>/` (default `fuzz/corpus`),
/// as starting corpora for the cargo-fuzz targets in `fuzz/`, which share these targets' code.
#[test]
#[ignore = "writes the cargo-fuzz seed corpus; run by hand (see the README's Fuzzing paragraph)"]
fn write_cargo_fuzz_seed_corpus() {
    let root = std::env::var_os("BATCHSCOPE_FUZZ_CORPUS").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus"),
        std::path::PathBuf::from,
    );
    let corpora = [
        ("decode", seeds::images()),
        ("probe", seeds::images()),
        ("index", seeds::random(1, 16, 160)),
        ("plan", seeds::random(2, 16, 48)),
        ("npy_writer", seeds::random(3, 16, 64)),
        ("npy_header", seeds::random(4, 16, 64)),
        ("tfrecord", seeds::tfrecords()),
        ("example_stream", seeds::examples()),
        ("saved", seeds::saved()),
        ("npy_reader", seeds::npys()),
        ("npz", seeds::npzs()),
        ("idx", seeds::idxs()),
        ("cifar", seeds::cifars()),
        ("exclude", seeds::exclude_lists()),
        ("corrections", seeds::corrections_files()),
        ("webdataset", hf_seeds::webdatasets()),
        ("parquet", hf_seeds::parquets()),
        ("arrow", hf_seeds::arrows()),
    ];
    for (target, inputs) in corpora {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        for (i, input) in inputs.iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i}")), input).unwrap();
        }
    }
    fuzz::say(&format!("seed corpus written to {root:?}"));
}

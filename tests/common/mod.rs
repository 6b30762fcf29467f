//! Fixture helpers shared by the integration tests: small images generated into temp dirs, the CLI
//! binary, a minimal `.npy` reader, and the Python (numpy / TensorFlow) peer when it is installed.
#![allow(dead_code, clippy::unwrap_used, clippy::missing_panics_doc)]

pub mod annotated;
pub mod annotations;
pub mod gui;
pub mod parquet_arrays;
pub mod skips;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use image::{ImageBuffer, Luma, Rgb, Rgba};

/// Creates the parent folders of `path`.
pub fn parent(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
}

/// A `w x h` RGB image whose pixel (x, y) is `f(x, y)`.
pub fn rgb(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> ImageBuffer<Rgb<u8>, Vec<u8>> {
    ImageBuffer::from_fn(w, h, |x, y| Rgb(f(x, y)))
}

/// A `w x h` RGBA image whose pixel (x, y) is `f(x, y)`.
pub fn rgba(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 4]) -> ImageBuffer<Rgba<u8>, Vec<u8>> {
    ImageBuffer::from_fn(w, h, |x, y| Rgba(f(x, y)))
}

/// A `w x h` gray image whose pixel (x, y) is `f(x, y)`.
pub fn gray(w: u32, h: u32, f: impl Fn(u32, u32) -> u8) -> ImageBuffer<Luma<u8>, Vec<u8>> {
    ImageBuffer::from_fn(w, h, |x, y| Luma([f(x, y)]))
}

/// A deterministic "busy" RGB pattern that differs per `seed` (so images are distinguishable).
pub fn pattern(w: u32, h: u32, seed: u32) -> ImageBuffer<Rgb<u8>, Vec<u8>> {
    rgb(w, h, |x, y| {
        let v = x
            .wrapping_mul(31)
            .wrapping_add(y.wrapping_mul(17))
            .wrapping_add(seed.wrapping_mul(101));
        [
            (v % 251) as u8,
            ((v / 3 + seed * 7) % 256) as u8,
            ((x * y + seed) % 256) as u8,
        ]
    })
}

/// [`pattern`] encoded as a PNG file's bytes.
pub fn png_bytes(w: u32, h: u32, seed: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    pattern(w, h, seed)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    bytes
}

/// [`pattern`] encoded as a baseline JPEG at quality 90 (4:2:0), by `jpeg-encoder`.
pub fn jpeg_bytes(w: u16, h: u16, seed: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    jpeg_encoder::Encoder::new(&mut bytes, 90)
        .encode(
            &pattern(w.into(), h.into(), seed).into_raw(),
            w,
            h,
            jpeg_encoder::ColorType::Rgb,
        )
        .unwrap();
    bytes
}

/// Saves `img` at `root/rel` (format from the extension, unless `format` is given), creating folders.
pub fn save<P, C>(root: &Path, rel: &str, img: &ImageBuffer<P, C>) -> PathBuf
where
    P: image::Pixel + image::PixelWithColorType,
    [P::Subpixel]: image::EncodableLayout,
    C: std::ops::Deref<Target = [P::Subpixel]>,
{
    let path = root.join(rel);
    parent(&path);
    img.save(&path).unwrap();
    path
}

/// Saves `img` as `format` at `root/rel` whatever the extension says.
pub fn save_as<P, C>(
    root: &Path,
    rel: &str,
    img: &ImageBuffer<P, C>,
    format: image::ImageFormat,
) -> PathBuf
where
    P: image::Pixel + image::PixelWithColorType,
    [P::Subpixel]: image::EncodableLayout,
    C: std::ops::Deref<Target = [P::Subpixel]>,
{
    let path = root.join(rel);
    parent(&path);
    img.save_with_format(&path, format).unwrap();
    path
}

/// Writes raw bytes at `root/rel`.
pub fn write(root: &Path, rel: &str, bytes: &[u8]) -> PathBuf {
    let path = root.join(rel);
    parent(&path);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Runs the batchscope binary with `args`.
pub fn batchscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_batchscope"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs batchscope with `args`; a run that has not ended in 60 s is killed and fails the test (the
/// inputs here used to hang it).
pub fn batchscope_watched(args: &[&str]) -> Output {
    use std::io::Read as _;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_batchscope"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let id = child.id();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&done);
    let watchdog = std::thread::Builder::new()
        .name("watchdog".into())
        .spawn(move || {
            let start = std::time::Instant::now();
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                if start.elapsed() > std::time::Duration::from_mins(1) {
                    let _ = Command::new("kill")
                        .args(["-KILL", &id.to_string()])
                        .status();
                    return true;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            false
        })
        .unwrap();
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(
        !watchdog.join().unwrap(),
        "batchscope {args:?} hung (killed after 60 s)"
    );
    Output {
        status,
        stdout,
        stderr,
    }
}

/// Opens `path` as a dataset with `options`, as the command line and the viewer do (no progress, no
/// cancel).
pub fn open_dataset(
    path: &Path,
    options: &batchscope::options::IndexOptions,
) -> Result<batchscope::index::DatasetIndex, batchscope::source::SourceError> {
    let never = std::sync::atomic::AtomicBool::new(false);
    batchscope::source::open(
        path,
        options,
        &batchscope::index::WalkControl {
            on_progress: &|_| {},
            cancel: &never,
        },
    )
}

/// Runs batchscope and asserts it exits 0, returning its stderr.
pub fn batchscope_ok(args: &[&str]) -> String {
    let out = batchscope(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "batchscope {args:?} failed: {stderr}");
    stderr
}

/// A parsed `.npy` file: dtype descr, shape, raw data bytes, and the raw header bytes.
#[derive(Debug)]
pub struct Npy {
    pub descr: String,
    pub shape: Vec<usize>,
    pub data: Vec<u8>,
    pub header: Vec<u8>,
}

impl Npy {
    pub fn f32s(&self) -> Vec<f32> {
        self.data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect()
    }
    pub fn i32s(&self) -> Vec<i32> {
        self.data
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
            .collect()
    }
}

/// Reads a version-1.0 `.npy` file (enough to check our own output independently of our writer).
pub fn read_npy(path: &Path) -> Npy {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00", "bad magic in {path:?}");
    let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + hlen]).unwrap();
    let descr = header
        .split("'descr': '")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_owned();
    assert!(header.contains("'fortran_order': False"));
    let shape_str = header
        .split("'shape': (")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    let shape = shape_str
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    Npy {
        descr,
        shape,
        data: bytes[10 + hlen..].to_vec(),
        header: bytes[..10 + hlen].to_vec(),
    }
}

/// The Python interpreter to use as a peer.
pub fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

/// What the tests need in `$PYTHON`, as pip names them (`.ci/run` installs the same).
pub const PYTHON_PEERS: &str = r#"numpy tensorflow-cpu "dask[distributed]" datasets pillow"#;

/// Whether `python -c "import <module>"` works, without saying anything.
pub fn python_module_importable(module: &str) -> bool {
    Command::new(python())
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether `python -c "import <module>"` works. When it does not, `test` skips (see
/// [`skip_without_python`]), or fails under `BATCHSCOPE_REQUIRE_PYTHON=1` (set by `.ci/run`).
pub fn has_python_module(module: &str, test: &str) -> bool {
    let ok = python_module_importable(module);
    if !ok {
        skip_without_python(module, test);
    }
    ok
}

/// `test` cannot check without the Python module `module`: the one message for every such skip, naming
/// the interpreter used and what to install into it. Fails the test under
/// `BATCHSCOPE_REQUIRE_PYTHON=1`.
pub fn skip_without_python(module: &str, test: &str) {
    let python = python();
    let required = std::env::var("BATCHSCOPE_REQUIRE_PYTHON").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{test}: {module} not found in {python}, and BATCHSCOPE_REQUIRE_PYTHON=1 requires it"
    );
    skip(
        test,
        &format!("{module} not found in {python}"),
        &format!("{python} -m pip install {PYTHON_PEERS}, or set PYTHON=/path/to/venv/bin/python"),
    );
}

/// `test` skips (all of it, or the part that needs what is missing): prints
/// `SKIPPED <test>: <cause>; <hint>` where `cargo test` shows it, and records the skip for the line
/// `cargo test` ends with (`tests/zz_skipped_summary.rs`).
///
/// libtest captures what `print!`/`eprint!` write and shows it only for failing tests, so a skipped
/// test that passes would say nothing; a write to the process's stderr handle goes past that capture
/// (`std::io::stderr()` is not redirected, only the macros are).
pub fn skip(test: &str, cause: &str, hint: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {cause}; {hint}");
    let record = skips::Skip {
        binary: skips::this_binary(),
        test: test.to_owned(),
        cause: cause.to_owned(),
        hint: hint.to_owned(),
    };
    let dir = skips::run_dir(Path::new(env!("CARGO_TARGET_TMPDIR")), skips::this_run());
    if let Err(e) = skips::record(&dir, &record) {
        let _ = writeln!(
            std::io::stderr(),
            "(the skip of {test} is not counted: cannot record it in {dir:?}: {e})"
        );
    }
}

/// Runs a Python snippet with `args` in `sys.argv[1:]`, asserting success; returns stdout.
pub fn run_python(code: &str, args: &[&str]) -> String {
    let out = Command::new(python())
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every file of `dir` (no subfolders) with its bytes, by name.
pub fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// The manifest's rows as `[index, path, label, class_name]`.
pub fn manifest(out: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(out.join("manifest.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("index,path,label,class_name"));
    lines
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// CRC-32 as PNG chunks use it.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header claims `width x height` RGB pixels, with a few bytes of (bogus) data.
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        png.extend_from_slice(&body);
        png.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, no interlace
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    png
}

/// Makes a named pipe at `path` (a hostile input: batchscope must skip it, never wait on it).
pub fn mkfifo(path: &Path) {
    parent(path);
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

/// `path` with `suffix` appended to its name.
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The environment variable that holds a `batchscope` process before it opens `file` (see
/// `batchscope::decode::hold_file_for_tests`): it creates `<file>.held`, then waits for `<file>.release`
/// (or a signal).
pub fn hold_env(file: &Path) -> (&'static str, &Path) {
    ("BATCHSCOPE_TEST_HOLD_FILE", file)
}

/// Waits (up to 30 s, checking every 10 ms) until `done()`; `what` names it in the timeout message.
pub fn wait_until(what: &str, done: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Waits until a load is held at `file`.
pub fn wait_held(file: &Path) {
    let held = with_suffix(file, ".held");
    wait_until(&format!("the load to be held at {file:?}"), || {
        held.exists()
    });
}

/// Lets a load held at `file` go on.
pub fn release(file: &Path) {
    std::fs::write(with_suffix(file, ".release"), b"").unwrap();
}

/// Releases a held file when dropped (even when a test fails), so a held thread can be joined.
pub struct ReleaseOnDrop(pub PathBuf);

impl Drop for ReleaseOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::write(with_suffix(&self.0, ".release"), b"");
    }
}

/// A tmpfs mounted at a folder, unmounted on drop.
pub struct Tmpfs(pub PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs with `options` (e.g. `size=1m` or `ro,size=1m`) at `dir`; `None` where the machine
    /// does not allow it (not root), after printing why `test` skips.
    pub fn mount(dir: &Path, options: &str, test: &str) -> Option<Self> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir)
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            skip(
                test,
                "cannot mount a tmpfs without root",
                "run as root to check it (CI does)",
            );
        }
        ok.then(|| Self(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// The staging folder a running export to `out` writes into (`.<name>.batchscope-…` beside it).
pub fn staging_dir(out: &Path) -> Option<PathBuf> {
    let name = out.file_name()?.to_string_lossy().into_owned();
    let prefix = format!(".{name}.batchscope-");
    std::fs::read_dir(out.parent()?)
        .ok()?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
}

/// Every entry beside `out` that belongs to an export to it (its staging folders), by name.
pub fn leftovers(out: &Path) -> Vec<String> {
    let name = out.file_name().unwrap().to_string_lossy().into_owned();
    let prefix = format!(".{name}.batchscope-");
    let mut found: Vec<String> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&prefix))
        .collect();
    found.sort();
    found
}

/// Opens `path` as any source with `index` options and exports it into `out` through the library
/// (the same calls the command line makes, without its process): label mode int, overwrite on, as
/// stored for array sources. `Err` is the error's message.
pub fn export_source(
    path: &Path,
    out: &Path,
    index: batchscope::options::IndexOptions,
) -> Result<batchscope::export::ExportReport, String> {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    let cancel = Arc::new(AtomicBool::new(false));
    let control = batchscope::index::WalkControl {
        on_progress: &|_| {},
        cancel: &cancel,
    };
    let options = batchscope::options::LoadOptions {
        index,
        ..Default::default()
    };
    let index =
        batchscope::source::open(path, &options.index, &control).map_err(|e| e.to_string())?;
    let labeled = index.labeled;
    let stored = index.store.rows().is_some();
    let job = batchscope::load::spec::prepare(
        Arc::new(index),
        &options,
        batchscope::load::preprocess::Element::default(),
        batchscope::load::spec::SizeCheck::AllFiles,
        &cancel,
    )
    .map_err(|e| e.to_string())?;
    let label_mode = if labeled || stored {
        batchscope::options::LabelMode::Int
    } else {
        batchscope::options::LabelMode::None
    };
    let export_options = batchscope::export::ExportOptions {
        out: out.to_path_buf(),
        label_mode,
        overwrite: true,
        strict: false,
        queue_bytes: 64 << 20,
        excluded: Vec::new(),
        arrays: batchscope::export::ArrayOptions::default(),
        shard: None,
        corrections: None,
        boxes: batchscope::export::BoxOptions::default(),
    };
    batchscope::export::export(&Arc::new(job), &export_options, &mut |_| {}, &cancel)
        .map_err(|e| e.to_string())
}

/// The rows of `skipped.csv` as `[path, reason]`.
pub fn skipped(out: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(out.join("skipped.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// An index's warnings as `(path, reason)`.
pub fn index_warnings(index: &batchscope::index::DatasetIndex) -> Vec<(PathBuf, String)> {
    index
        .warnings
        .iter()
        .map(|w| (w.path.clone(), w.reason.clone()))
        .collect()
}

/// An index's samples' class indices.
pub fn sample_labels(index: &batchscope::index::DatasetIndex) -> Vec<Option<u32>> {
    index.samples.iter().map(|s| s.label).collect()
}

/// The integer values of a `labels.npy` (int32 or int64).
pub fn label_values(path: &Path) -> Vec<i64> {
    let npy = read_npy(path);
    match npy.descr.as_str() {
        "<i8" => npy
            .data
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
            .collect(),
        "<i4" => npy.i32s().into_iter().map(i64::from).collect(),
        other => panic!("labels.npy has dtype {other}"),
    }
}

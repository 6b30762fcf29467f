//! The benchmark: batchscope against the TensorFlow route and against the decoder's own ceiling, on a
//! generated folder of photo-like JPEGs. Prints wall time, images/s and peak RSS with the ratios.
//!
//! `cargo build --release && cargo run --release --example bench -- [--dir DIR] [--images 20000] [--no-tf] [--no-gui]
//! [--saved | --only-saved] [--only-decoders]` (`BENCH_FRAMES=1` prints the viewer's frame times one by one).
//!
//! The JPEG decoders section compares `--jpeg fast` (zune-jpeg) with `--jpeg exact` (libjpeg-turbo as
//! TensorFlow runs it): decode only on all cores and on one, and the native export to RAM;
//! `--only-decoders` runs that section alone.
//!
//! `--saved` adds a section exporting a saved `tf.data` dataset (`--images` unbatched 96x96x3 uint8
//! images with int64 labels, written by `bench/saved_fixture.py`, and a tenth as many), against the
//! seed's route (`bench/saved_route.py`: `Dataset.load`, `.batch(32)`, `.numpy()`, `np.concatenate`,
//! `np.save`), checking that both write the same arrays; `--only-saved` runs that section alone.
//!
//! Everything is measured side by side in one run, because the machines are shared and noisy: each
//! pair is run alternately twice and the best of each is compared. Peak RSS of child processes is read
//! from `/proc/PID/status` (`VmHWM`) while they run.

#![allow(clippy::unwrap_used, clippy::too_many_lines)] // A measuring script: a failure is a failed run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "common/child.rs"]
mod child;

use batchscope::app::{BatchscopeApp, Settings};
use batchscope::load::resize::{self, View};
use batchscope::options::{ColorMode, Decoding, IndexOptions, Interpolation, JpegDecoder};
use batchscope::size::Size;
use batchscope::synth::{self, Kind, Spec};
use batchscope::{decode, index};
use child::try_measure;
use rayon::prelude::*;

struct Args {
    dir: PathBuf,
    images: usize,
    tf: bool,
    gui: bool,
    saved: bool,
    only_saved: bool,
    only_decoders: bool,
}

fn parse() -> Args {
    let mut args = Args {
        dir: std::env::temp_dir().join("batchscope-bench"),
        images: 20_000,
        tf: true,
        gui: true,
        saved: false,
        only_saved: false,
        only_decoders: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--dir" => args.dir = PathBuf::from(it.next().unwrap()),
            "--images" => args.images = it.next().unwrap().parse().unwrap(),
            "--no-tf" => args.tf = false,
            "--no-gui" => args.gui = false,
            "--saved" => args.saved = true,
            "--only-saved" => (args.saved, args.only_saved) = (true, true),
            "--only-decoders" => args.only_decoders = true,
            other => panic!("unknown option {other}; see the file's doc comment"),
        }
    }
    args
}

/// A dataset folder, generated once and reused (a `.complete` marker says it is whole).
fn dataset(dir: &Path, spec: &Spec) -> PathBuf {
    let marker = dir.join(".complete");
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(dir);
        let started = Instant::now();
        let n = synth::write_dataset(dir, spec).unwrap();
        std::fs::write(&marker, b"").unwrap();
        println!(
            "generated {n} files in {dir:?} in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    dir.to_path_buf()
}

/// Wall time and peak RSS (KiB) of a child process; a failed run panics with its stderr.
fn measure(cmd: &mut Command) -> (Duration, u64, String) {
    try_measure(cmd).unwrap_or_else(|e| panic!("{e}"))
}

/// The `batchscope` binary to measure: `$BATCHSCOPE_BIN`, else the one built beside this example.
fn batchscope_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("BATCHSCOPE_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("batchscope");
    assert!(
        bin.exists(),
        "build the binary first: cargo build --release ({bin:?} is missing)"
    );
    bin
}

fn export(data: &Path, out: &Path, extra: &[&str]) -> (Duration, u64) {
    let _ = std::fs::remove_dir_all(out);
    let (t, rss, _) = measure(
        Command::new(batchscope_bin())
            .arg("export")
            .arg(data)
            .arg("--out")
            .arg(out)
            .args(extra),
    );
    let _ = std::fs::remove_dir_all(out);
    (t, rss)
}

fn jpeg_paths(data: &Path) -> Vec<PathBuf> {
    let index = index::scan(data, &IndexOptions::default()).unwrap();
    (0..index.samples.len()).map(|i| index.path(i)).collect()
}

/// Decodes every file on all cores with the decoder batchscope uses by default (`--jpeg exact`,
/// libjpeg-turbo, since issue 22), so that the exports without `--jpeg` compare with it.
fn decode_all(paths: &[PathBuf]) -> Duration {
    decode_all_with(paths, JpegDecoder::default())
}

/// Decodes every file to RGB on all cores with `jpeg`.
fn decode_all_with(paths: &[PathBuf], jpeg: JpegDecoder) -> Duration {
    let how = Decoding {
        color_mode: ColorMode::Rgb,
        jpeg,
    };
    let started = Instant::now();
    let bytes: usize = paths
        .par_iter()
        .map(|p| decode::decode_file(p, how).unwrap().pixels.len())
        .sum();
    assert!(bytes > 0);
    started.elapsed()
}

/// Decodes every file to RGB on this thread alone with `jpeg`.
fn decode_one_core(paths: &[PathBuf], jpeg: JpegDecoder) -> Duration {
    let how = Decoding {
        color_mode: ColorMode::Rgb,
        jpeg,
    };
    let started = Instant::now();
    let bytes: usize = paths
        .iter()
        .map(|p| decode::decode_file(p, how).unwrap().pixels.len())
        .sum();
    assert!(bytes > 0);
    started.elapsed()
}

/// The JPEG decoders side by side on `paths` (the `n` files of `data`): decode only on all cores and on
/// one (the first 2,000 files), and the native export to RAM; alternating, best of 3 each.
fn decoders(data: &Path, paths: &[PathBuf], ram_out: &Path) {
    let n = paths.len();
    let one = &paths[..n.min(2000)];
    println!(
        "\n## JPEG decoders: fast (zune-jpeg) and exact (libjpeg-turbo as TensorFlow runs it)\n"
    );
    println!("| what | wall | throughput | peak RSS |\n|---|---:|---:|---:|");
    let mut best = [[Duration::MAX; 3]; 2];
    let mut rss = [0; 2];
    for _ in 0..3 {
        for (i, (jpeg, flag)) in [(JpegDecoder::Fast, "fast"), (JpegDecoder::Exact, "exact")]
            .into_iter()
            .enumerate()
        {
            best[i][0] = best[i][0].min(decode_all_with(paths, jpeg));
            best[i][1] = best[i][1].min(decode_one_core(one, jpeg));
            let (t, r) = export(data, ram_out, &["--jpeg", flag]);
            if t < best[i][2] {
                (best[i][2], rss[i]) = (t, r);
            }
        }
    }
    for (i, name) in ["fast", "exact"].iter().enumerate() {
        row(
            &format!("decode only, all cores, --jpeg {name}"),
            n,
            best[i][0],
            None,
        );
    }
    for (i, name) in ["fast", "exact"].iter().enumerate() {
        row(
            &format!("decode only, one core, --jpeg {name} ({} files)", one.len()),
            one.len(),
            best[i][1],
            None,
        );
    }
    for (i, name) in ["fast", "exact"].iter().enumerate() {
        row(
            &format!("export to RAM, native uint8, --jpeg {name}"),
            n,
            best[i][2],
            Some(rss[i]),
        );
    }
    println!(
        "\n- exact / fast throughput: decode all cores {:.0}%, one core {:.0}%, export {:.0}%",
        100.0 * best[0][0].as_secs_f64() / best[1][0].as_secs_f64(),
        100.0 * best[0][1].as_secs_f64() / best[1][1].as_secs_f64(),
        100.0 * best[0][2].as_secs_f64() / best[1][2].as_secs_f64(),
    );
}

/// Decodes every file on all cores through the image crate's generic path (`image::open`).
fn decode_all_image_crate(paths: &[PathBuf]) -> Duration {
    let started = Instant::now();
    let bytes: usize = paths
        .par_iter()
        .map(|p| image::open(p).unwrap().into_rgb8().len())
        .sum();
    assert!(bytes > 0);
    started.elapsed()
}

/// MB/s of writing 1 GiB in 8 MiB chunks and syncing it, under `dir`.
fn disk_write_speed(dir: &Path) -> f64 {
    use std::io::Write as _;
    let path = dir.join("disk-speed.tmp");
    let chunk = vec![7u8; 8 << 20];
    let started = Instant::now();
    let mut file = std::fs::File::create(&path).unwrap();
    for _ in 0..128 {
        file.write_all(&chunk).unwrap();
    }
    file.sync_all().unwrap();
    let secs = started.elapsed().as_secs_f64();
    drop(file);
    let _ = std::fs::remove_file(&path);
    (1u64 << 30) as f64 / 1e6 / secs
}

fn rate(n: usize, t: Duration) -> f64 {
    n as f64 / t.as_secs_f64()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn row(what: &str, n: usize, t: Duration, rss_kib: Option<u64>) {
    let rss = rss_kib.map_or("-".to_owned(), |k| format!("{:.0} MiB", mib(k)));
    println!(
        "| {what:<52} | {:>8.2} s | {:>8.0} img/s | {rss:>10} |",
        t.as_secs_f64(),
        rate(n, t)
    );
}

fn main() {
    let args = parse();
    child::print_machine();
    if !args.only_saved {
        folders(&args);
    }
    if args.saved {
        saved(&args);
    }
}

/// The folder sections: indexing, JPEG decode and export, the TensorFlow route, the viewer.
fn folders(args: &Args) {
    let per_class = args.images / 10;
    let n = per_class * 10;
    let big = dataset(
        &args.dir.join(format!("jpeg{n}")),
        &Spec {
            classes: 10,
            per_class,
            size: Size::square(256),
            kind: Kind::Jpeg,
            long_names: false,
        },
    );
    // The decoder ceiling is compared with an export into RAM (tmpfs), where the disk cannot be the
    // limit; the export to disk is reported too, next to the disk's own write speed.
    let ram = Path::new("/dev/shm");
    let out = args.dir.join("out");
    let ram_out = if ram.is_dir() {
        ram.join("batchscope-bench-out")
    } else {
        out.clone()
    };
    if args.only_decoders {
        decoders(&big, &jpeg_paths(&big), &ram_out);
        return;
    }
    let small_n = n / 10;
    let small = dataset(
        &args.dir.join(format!("jpeg{small_n}")),
        &Spec {
            classes: 10,
            per_class: small_n / 10,
            size: Size::square(256),
            kind: Kind::Jpeg,
            long_names: false,
        },
    );
    let tiny = dataset(
        &args.dir.join("tiny100k"),
        &Spec {
            classes: 100,
            per_class: 1000,
            size: Size::square(1),
            kind: Kind::Tiny,
            long_names: false,
        },
    );

    // Indexing: 100,000 files, cold (page cache dropped, where allowed) and warm.
    println!("\n## Indexing 100,000 files\n");
    let cold = std::fs::write("/proc/sys/vm/drop_caches", b"3")
        .is_ok()
        .then(|| {
            let started = Instant::now();
            let found = index::scan(&tiny, &IndexOptions::default())
                .unwrap()
                .samples
                .len();
            assert_eq!(found, 100_000);
            started.elapsed()
        });
    let warm = (0..3)
        .map(|_| {
            let started = Instant::now();
            let found = index::scan(&tiny, &IndexOptions::default())
                .unwrap()
                .samples
                .len();
            assert_eq!(found, 100_000);
            started.elapsed()
        })
        .min()
        .unwrap();
    println!(
        "warm {:.0} ms (best of 3); cold {}",
        warm.as_secs_f64() * 1e3,
        cold.map_or("not measured (cannot drop caches)".into(), |c| format!(
            "{:.0} ms",
            c.as_secs_f64() * 1e3
        ))
    );

    // Decode ceiling versus end-to-end export at native size, alternating, best of two each.
    let paths = jpeg_paths(&big);
    let _warm_cache: usize = paths
        .par_iter()
        .map(|p| std::fs::read(p).unwrap().len())
        .sum();
    println!("\n## {n} JPEGs, 256x256, quality 90\n");
    println!("| what | wall | throughput | peak RSS |\n|---|---:|---:|---:|");
    let (mut ceiling, mut native, mut native_rss) = (Duration::MAX, Duration::MAX, 0);
    for _ in 0..3 {
        ceiling = ceiling.min(decode_all(&paths));
        let (t, rss) = export(&big, &ram_out, &[]);
        if t < native {
            (native, native_rss) = (t, rss);
        }
    }
    let image_crate = decode_all_image_crate(&paths);
    row(
        "decode only, all cores (default decoder, as batchscope)",
        n,
        ceiling,
        None,
    );
    row("decode only, all cores (image::open)", n, image_crate, None);
    row(
        "batchscope export to RAM (tmpfs), native uint8",
        n,
        native,
        Some(native_rss),
    );
    let (t_disk, rss_disk) = export(&big, &out, &[]);
    row(
        "batchscope export to disk, native uint8 (3.9 GB)",
        n,
        t_disk,
        Some(rss_disk),
    );
    let (t128, rss128) = export(
        &big,
        &ram_out,
        &["--image-size", "128x128", "--dtype", "float32"],
    );
    row(
        "batchscope export to RAM, 128x128 bilinear float32",
        n,
        t128,
        Some(rss128),
    );
    let (t_small, rss_small) = export(&small, &ram_out, &[]);
    row(
        &format!("batchscope export to RAM, native uint8, {small_n} images"),
        small_n,
        t_small,
        Some(rss_small),
    );
    let disk_mb_s = disk_write_speed(&args.dir);

    let mut tf_row = None;
    let has_tf = args.tf && tf_importable();
    if has_tf {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/tf_route.py");
        let (t, rss, stdout) = measure(
            Command::new("python3")
                .arg(&script)
                .arg(&big)
                .args(["128", "128"]),
        );
        row(
            "TensorFlow route, 128x128 bilinear float32",
            n,
            t,
            Some(rss),
        );
        println!("|   (TF's own timing: {}) | | | |", stdout.trim());
        tf_row = Some((t, rss));
    } else {
        println!(
            "| TensorFlow route | skipped: tensorflow not importable by python3 (or --no-tf) | | |"
        );
    }

    decoders(&big, &paths, &ram_out);

    println!("\n## Ratios\n");
    println!(
        "- export at native size reaches {:.0}% of the decode-only ceiling (target >= 85%)",
        100.0 * ceiling.as_secs_f64() / native.as_secs_f64()
    );
    if let Some((t, rss)) = tf_row {
        println!(
            "- 128x128 float32: batchscope is {:.1}x faster than the TensorFlow route (target >= 5x), with {:.0}x less peak memory",
            t.as_secs_f64() / t128.as_secs_f64(),
            rss as f64 / rss128 as f64
        );
    }
    println!(
        "- the disk here writes {disk_mb_s:.0} MB/s (1 GiB, fsync): a 3.9 GB export to disk cannot take less than {:.1} s",
        3.93e3 / disk_mb_s
    );
    println!(
        "- peak RSS: {:.0} MiB for {n} images vs {:.0} MiB for {small_n} (target < 300 MiB, flat in N); to disk {:.0} MiB",
        mib(native_rss),
        mib(rss_small),
        mib(rss_disk)
    );

    // Resize cost per megapixel next to decode's.
    let sample: Vec<decode::Decoded> = paths
        .iter()
        .take(2000)
        .map(|p| decode::decode_file(p, ColorMode::Rgb).unwrap())
        .collect();
    let started = Instant::now();
    for d in &sample {
        let view = View {
            pixels: &d.pixels,
            height: d.height as usize,
            width: d.width as usize,
            channels: 3,
        };
        std::hint::black_box(resize::resize(view, 128, 128, Interpolation::Bilinear));
    }
    let resize_t = started.elapsed();
    let started = Instant::now();
    for p in paths.iter().take(2000) {
        std::hint::black_box(decode::decode_file(p, ColorMode::Rgb).unwrap());
    }
    let decode_t = started.elapsed();
    let mp = sample.len() as f64 * 256.0 * 256.0 / 1e6;
    println!(
        "- one core, per source megapixel: decode {:.2} ms, bilinear resize to 128x128 {:.2} ms ({:.0}% of decode)",
        decode_t.as_secs_f64() * 1e3 / mp,
        resize_t.as_secs_f64() * 1e3 / mp,
        100.0 * resize_t.as_secs_f64() / decode_t.as_secs_f64()
    );

    if args.gui {
        gui(&big);
    }
}

/// The viewer's UI thread, headless: time to the first batch on screen, time to flip to a prefetched
/// batch, and the worst frame (UI work per frame: layout, texture creation, no GPU) while loading.
fn gui(data: &Path) {
    let mut app = BatchscopeApp::new(Settings::default(), Arc::new(|| {}));
    let opened = Instant::now();
    app.open(data);
    let mut h = egui_kittest::Harness::new_ui_state(
        |ui, app: &mut BatchscopeApp| {
            app.logic_step(ui.ctx());
            app.ui_inner(ui);
        },
        app,
    );
    h.set_size(egui::Vec2::new(1280.0, 800.0));
    let mut worst = Duration::ZERO;
    let mut step = |h: &mut egui_kittest::Harness<'_, BatchscopeApp>| {
        let started = Instant::now();
        h.step();
        let e = started.elapsed();
        if std::env::var("BENCH_FRAMES").is_ok() {
            eprintln!("frame {:.1} ms", e.as_secs_f64() * 1e3);
        }
        worst = worst.max(e);
    };
    let shown = |app: &BatchscopeApp, k: usize| {
        app.session
            .as_ref()
            .and_then(|s| s.current_batch())
            .is_some_and(|b| b.number == k)
    };
    while !shown(h.state(), 0) {
        step(&mut h);
        std::thread::sleep(Duration::from_millis(1));
    }
    step(&mut h); // the frame that draws it
    let first = opened.elapsed();
    // Let the neighbours arrive, then flip.
    let prefetched = |app: &BatchscopeApp| {
        app.session
            .as_ref()
            .and_then(|s| s.ready())
            .is_some_and(|r| r.batches.contains_key(&1) && r.batches.contains_key(&2))
    };
    while !prefetched(h.state()) {
        step(&mut h);
        std::thread::sleep(Duration::from_millis(1));
    }
    h.key_press(egui::Key::ArrowRight);
    let flipped = Instant::now();
    while !shown(h.state(), 1) {
        step(&mut h);
    }
    step(&mut h);
    let flip = flipped.elapsed();
    println!("\n## Viewer (headless UI thread, {data:?})\n");
    println!(
        "- time to first batch on screen: {:.0} ms",
        first.as_secs_f64() * 1e3
    );
    println!(
        "- flip to a prefetched batch: {:.1} ms",
        flip.as_secs_f64() * 1e3
    );
    println!(
        "- worst frame while loading and flipping: {:.1} ms (target < 16 ms; BENCH_FRAMES=1 prints every frame)",
        worst.as_secs_f64() * 1e3
    );
}

fn tf_importable() -> bool {
    Command::new("python3")
        .args(["-c", "import tensorflow"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("bench")
        .join(name)
}

/// A saved `tf.data` dataset of `n` elements in `dir/data`, made once by `bench/saved_fixture.py` and
/// reused (a `dir/.complete` marker, outside the saved folder, says it is whole).
fn saved_dataset(dir: &Path, n: usize) -> PathBuf {
    let data = dir.join("data");
    let marker = dir.join(".complete");
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).unwrap();
        let (t, rss, _) = measure(
            Command::new("python3")
                .arg(script("saved_fixture.py"))
                .arg(&data)
                .arg(n.to_string()),
        );
        std::fs::write(&marker, b"").unwrap();
        println!(
            "generated a saved dataset of {n} elements in {data:?} in {:.1} s (peak RSS {:.0} MiB)",
            t.as_secs_f64(),
            mib(rss)
        );
    }
    data
}

/// Bytes of every file under `dir`, read once (warm: the floor for reading them), and the time taken.
fn read_all(dir: &Path) -> (u64, Duration) {
    fn walk(dir: &Path, total: &mut u64) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, total);
            } else {
                *total += std::hint::black_box(std::fs::read(&path).unwrap()).len() as u64;
            }
        }
    }
    let started = Instant::now();
    let mut total = 0;
    walk(dir, &mut total);
    (total, started.elapsed())
}

/// The header text and the data bytes of a `.npy` file (format versions 1 to 3).
fn npy_parts(bytes: &[u8]) -> Option<(&str, &[u8])> {
    let rest = bytes.strip_prefix(b"\x93NUMPY")?;
    let (len, start) = match *rest.first()? {
        1 => (
            usize::from(u16::from_le_bytes(rest.get(2..4)?.try_into().ok()?)),
            10,
        ),
        2 | 3 => (
            usize::try_from(u32::from_le_bytes(rest.get(2..6)?.try_into().ok()?)).ok()?,
            12,
        ),
        _ => return None,
    };
    let header = std::str::from_utf8(bytes.get(start..start + len)?).ok()?;
    Some((header.trim(), bytes.get(start + len..)?))
}

/// A `.npy` header's `descr` and `shape`, without the formatting (`(20000,)` and `(20000, )` agree).
fn npy_meta(header: &str) -> (String, String) {
    let after = |key: &str| {
        header
            .find(key)
            .map_or("", |i| &header[i + key.len()..])
            .trim_start_matches([':', ' '])
    };
    let descr = after("'descr'").split(',').next().unwrap_or("").trim();
    let shape = after("'shape'");
    let shape: String = shape[..shape.find(')').map_or(0, |i| i + 1)]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    // numpy writes `(20000,)` and `(20000, 96, 96, 3)`; another writer may put a comma at the end.
    let shape = shape.replace(",)", ")");
    let shape = if shape.contains(',') || shape == "()" {
        shape
    } else {
        shape.replace(')', ",)")
    };
    (descr.to_owned(), shape)
}

/// Whether two `.npy` files hold the same array: the same dtype and shape, byte-identical data.
fn same_npy(a: &Path, b: &Path) -> Result<String, String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read {p:?}: {e}"));
    let (x, y) = (read(a)?, read(b)?);
    let (hx, dx) = npy_parts(&x).ok_or(format!("{a:?} is not a .npy file"))?;
    let (hy, dy) = npy_parts(&y).ok_or(format!("{b:?} is not a .npy file"))?;
    let (mx, my) = (npy_meta(hx), npy_meta(hy));
    if mx != my {
        return Err(format!("headers differ: {hx} vs {hy}"));
    }
    if dx.len() != dy.len() {
        return Err(format!("data lengths differ: {} vs {}", dx.len(), dy.len()));
    }
    if let Some(i) = dx.iter().zip(dy).position(|(p, q)| p != q) {
        return Err(format!(
            "data differ from byte {i} of {} (element {})",
            dx.len(),
            i / (dx.len() / usize::max(1, first_dim(&mx.1))).max(1)
        ));
    }
    Ok(format!(
        "{} {}, {} data bytes identical",
        mx.0,
        mx.1,
        dx.len()
    ))
}

fn first_dim(shape: &str) -> usize {
    shape
        .trim_start_matches('(')
        .split([',', ')'])
        .next()
        .and_then(|d| d.parse().ok())
        .unwrap_or(1)
}

/// One size's results: batchscope's best run (or why it failed) and the route's best run.
struct SavedRun {
    n: usize,
    batchscope: Result<(Duration, u64), String>,
    route: (Duration, u64),
}

/// Exporting a saved `tf.data` dataset: batchscope against the seed's route, alternately, twice each,
/// best of each, at `--images` elements and a tenth as many; both outputs are compared byte for byte.
fn saved(args: &Args) {
    println!("\n## Saved tf.data dataset: unbatched (96x96x3 uint8, int64) elements, to disk\n");
    if !(args.tf && tf_importable()) {
        println!(
            "skipped: tensorflow not importable by python3 (or --no-tf); it makes the fixture and runs the route"
        );
        return;
    }
    std::fs::create_dir_all(&args.dir).unwrap();
    let bin = batchscope_bin();
    let big_n = args.images;
    let sizes = [big_n, big_n / 10];
    let sets: Vec<PathBuf> = sizes
        .iter()
        .map(|&n| saved_dataset(&args.dir.join(format!("saved{n}")), n))
        .collect();
    let (import_t, import_rss, _) =
        measure(Command::new("python3").args(["-c", "import tensorflow"]));
    let bs_out = args.dir.join("saved-out-batchscope");
    let route_out = args.dir.join("saved-out-route");
    let mut runs = Vec::new();
    let mut notes = Vec::new();
    println!("| what | wall | throughput | peak RSS |\n|---|---:|---:|---:|");
    for (&n, data) in sizes.iter().zip(&sets) {
        let mut batchscope: Option<Result<(Duration, u64), String>> = None;
        let mut route: Option<(Duration, u64, String)> = None;
        for _ in 0..2 {
            // The outputs are removed before (not during) each run, so neither pays for deleting.
            if !matches!(batchscope, Some(Err(_))) {
                let _ = std::fs::remove_dir_all(&bs_out);
                let run = try_measure(
                    Command::new(&bin)
                        .arg("export")
                        .arg(data)
                        .arg("--out")
                        .arg(&bs_out)
                        .arg("--overwrite"),
                )
                .map(|(t, rss, _)| (t, rss));
                batchscope = match (batchscope, run) {
                    (Some(Ok(best)), Ok(new)) => Some(Ok(if new.0 < best.0 { new } else { best })),
                    (_, run) => Some(run),
                };
            }
            let _ = std::fs::remove_dir_all(&route_out);
            let (t, rss, stdout) = measure(
                Command::new("python3")
                    .arg(script("saved_route.py"))
                    .arg(data)
                    .arg(&route_out),
            );
            if route.as_ref().is_none_or(|best| t < best.0) {
                route = Some((t, rss, stdout));
            }
        }
        let batchscope = batchscope.unwrap();
        let (route_t, route_rss, route_stdout) = route.unwrap();
        match &batchscope {
            Ok((t, rss)) => row(
                &format!("batchscope export, {n} elements"),
                n,
                *t,
                Some(*rss),
            ),
            Err(e) => {
                println!("| batchscope export, {n} elements | FAILED (below) | | |");
                notes.push(format!("batchscope export of {n} elements FAILED: {e}"));
            }
        }
        row(
            &format!("seed's route (load, batch, numpy, np.save), {n}"),
            n,
            route_t,
            Some(route_rss),
        );
        // The route prints one JSON line; its "seconds" run from the load to the saved files.
        let own = route_stdout
            .split("\"seconds\": ")
            .nth(1)
            .and_then(|r| r.split([',', '}']).next())
            .and_then(|v| v.trim().parse::<f64>().ok());
        println!(
            "|   (the route's own timing, after importing TensorFlow: {}) | | | |",
            own.map_or_else(|| route_stdout.trim().to_owned(), |s| format!("{s:.2} s"))
        );
        if batchscope.is_ok() {
            for file in ["images.npy", "labels.npy"] {
                notes.push(match same_npy(&bs_out.join(file), &route_out.join(file)) {
                    Ok(same) => format!("{n} elements, {file}: same as the route's ({same})"),
                    Err(e) => format!("{n} elements, {file}: DIFFERENT from the route's: {e}"),
                });
            }
        }
        let _ = std::fs::remove_dir_all(&bs_out);
        let _ = std::fs::remove_dir_all(&route_out);
        runs.push(SavedRun {
            n,
            batchscope,
            route: (route_t, route_rss),
        });
    }
    println!(
        "| python3 -c 'import tensorflow' (part of the route's wall) | {:>8.2} s | | {:>6.0} MiB |",
        import_t.as_secs_f64(),
        mib(import_rss)
    );
    let (bytes, read_t) = read_all(&sets[0]);
    let disk_mb_s = disk_write_speed(&args.dir);

    println!();
    for note in &notes {
        println!("- {note}");
    }
    let (big, small) = (&runs[0], &runs[1]);
    match &big.batchscope {
        Ok((t, rss)) => println!(
            "- {} elements: batchscope is {:.1}x faster than the seed's route ({:.2} s vs {:.2} s), with {:.0}x less peak memory ({:.0} MiB vs {:.0} MiB)",
            big.n,
            big.route.0.as_secs_f64() / t.as_secs_f64(),
            t.as_secs_f64(),
            big.route.0.as_secs_f64(),
            big.route.1 as f64 / *rss as f64,
            mib(*rss),
            mib(big.route.1)
        ),
        Err(_) => println!(
            "- {} elements: no ratio, the batchscope export failed",
            big.n
        ),
    }
    let rss_of = |r: &SavedRun| {
        r.batchscope
            .as_ref()
            .map_or("failed".to_owned(), |(_, k)| format!("{:.0} MiB", mib(*k)))
    };
    println!(
        "- peak RSS, flat in N?: batchscope {} at {} vs {} at {}; the route {:.0} MiB vs {:.0} MiB",
        rss_of(big),
        big.n,
        rss_of(small),
        small.n,
        mib(big.route.1),
        mib(small.route.1)
    );
    println!(
        "- reference: reading the saved files ({:.0} MB, warm) takes {:.2} s; one 1 GiB write + fsync ran at {disk_mb_s:.0} MB/s, which for the arrays (~{:.0} MB) would be {:.2} s (the export writes while it reads, so the kernel writes back before its final fsync; batchscope fsyncs its output, the route's np.save does not)",
        bytes as f64 / 1e6,
        read_t.as_secs_f64(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / disk_mb_s
    );
}

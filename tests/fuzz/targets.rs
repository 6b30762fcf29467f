//! The fuzz targets: each turns one input into calls of batchscope's public API, asserts the
//! properties that must hold for every input (not only "no panic"), and returns a short outcome
//! signature for the driver's corpus. Expected values are worked out here from the formats and the
//! documented rules, not with the code under test.

use std::io::Write as _;
use std::path::Path;

use batchscope::decode::{self, DecodeError, Decoded, DecodedInto};
use batchscope::index::{DatasetIndex, Sample};
use batchscope::npy::{self, NpyDtype, NpyWriter};
use batchscope::options::{ColorMode, Decoding, JpegDecoder, PlanOptions, Subset};
use batchscope::plan;
use batchscope::size::Size;
use image::ImageFormat;

use super::Bytes;

const MODES: [ColorMode; 3] = [ColorMode::Grayscale, ColorMode::Rgb, ColorMode::Rgba];

/// An error message as the user sees it: one non-empty line.
fn assert_message(err: &DecodeError) {
    let message = err.to_string();
    assert!(
        !message.trim().is_empty() && !message.contains('\n'),
        "bad error message {message:?} for {err:?}"
    );
}

/// The outcome of a decode as a signature: numbers dropped, so that each kind of failure counts once.
fn outcome(result: &Result<Decoded, DecodeError>) -> String {
    match result {
        Ok(d) => format!("{:?} ok", d.format),
        Err(err) => err
            .to_string()
            .chars()
            .filter(|c| !c.is_ascii_digit())
            .take(80)
            .collect(),
    }
}

/// TensorFlow's (libpng's) RGB → gray, written out independently of `decode::rgb_to_gray`.
fn libpng_gray(p: &[u8]) -> u8 {
    if p[0] == p[1] && p[1] == p[2] {
        p[0]
    } else {
        ((9797 * u32::from(p[0]) + 19234 * u32::from(p[1]) + 3737 * u32::from(p[2])) >> 15) as u8
    }
}

/// `decode_bytes` in every colour mode, and the file entry points on the same bytes.
///
/// - Ok means `width * height * channels` pixels, both sides non-zero, in the format the content
///   names; an error is one line of text.
/// - The modes agree: the same size and format; RGBA's colour channels are RGB's; gray is libpng's
///   formula of RGB for every format but JPEG (whose gray is the decoder's luma plane); JPEG alpha is
///   255. Only the size limit, which counts channels, may refuse one mode and take another.
/// - `decode_file_into` (the export's fast path, straight into the output) gives the same pixels as
///   `decode_bytes`, and fails where it fails; `decode_file_capped` below the file's length refuses it.
pub fn decode(bytes: &[u8], dir: &Path) -> String {
    decode_with(bytes, dir, JpegDecoder::Fast)
}

/// [`decode`] with the JPEG decoder `jpeg` (`exact` runs libjpeg-turbo's C code on the mutations).
pub fn decode_with(bytes: &[u8], dir: &Path, jpeg: JpegDecoder) -> String {
    let how = |color_mode| Decoding { color_mode, jpeg };
    let results = MODES.map(|mode| decode::decode_bytes(bytes, how(mode)));
    let sniffed = image::guess_format(bytes).ok();
    for (mode, result) in MODES.iter().zip(&results) {
        match result {
            Ok(d) => {
                assert!(d.width > 0 && d.height > 0, "zero size decoded: {d:?}");
                assert_eq!(d.channels, mode.channels());
                assert_eq!(
                    d.pixels.len(),
                    d.width as usize * d.height as usize * mode.channels(),
                    "{mode:?}: {}x{} image with {} bytes",
                    d.width,
                    d.height,
                    d.pixels.len()
                );
                assert_eq!(Some(d.format), sniffed);
            }
            Err(err) => assert_message(err),
        }
    }
    check_modes_agree(&results);
    check_file_entry_points(bytes, dir, &results, jpeg);
    results.iter().map(outcome).collect::<Vec<_>>().join(" | ")
}

/// The three modes of one input agree (see [`decode`]).
fn check_modes_agree(results: &[Result<Decoded, DecodeError>; 3]) {
    let [gray, rgb, rgba] = results;
    if let (Ok(gray), Ok(rgb), Ok(rgba)) = (gray, rgb, rgba) {
        for d in [gray, rgba] {
            assert_eq!(
                (d.width, d.height, d.format),
                (rgb.width, rgb.height, rgb.format)
            );
        }
        for (c, a) in rgb.pixels.chunks_exact(3).zip(rgba.pixels.chunks_exact(4)) {
            assert_eq!(c, &a[..3], "RGBA colour differs from RGB");
            if rgb.format == ImageFormat::Jpeg {
                assert_eq!(a[3], 255, "JPEG alpha is not opaque");
            }
        }
        if rgb.format != ImageFormat::Jpeg {
            for (c, g) in rgb.pixels.chunks_exact(3).zip(&gray.pixels) {
                assert_eq!(*g, libpng_gray(c), "gray is not libpng's formula of {c:?}");
            }
        }
    } else {
        let too_large =
            |r: &Result<Decoded, DecodeError>| matches!(r, Err(DecodeError::TooLarge { .. }));
        let oks = results.iter().filter(|r| r.is_ok()).count();
        let refused_for_size = results.iter().filter(|r| too_large(r)).count();
        assert!(
            oks == 0 || oks + refused_for_size == 3,
            "modes disagree: gray {}, rgb {}, rgba {}",
            outcome(gray),
            outcome(rgb),
            outcome(rgba)
        );
    }
}

fn check_file_entry_points(
    bytes: &[u8],
    dir: &Path,
    results: &[Result<Decoded, DecodeError>; 3],
    jpeg: JpegDecoder,
) {
    let path = dir.join("input.img");
    std::fs::write(&path, bytes).unwrap();
    let len = bytes.len() as u64;
    for (mode, result) in MODES.iter().zip(results) {
        let want = result.as_ref().map_or(Size::square(1), Decoded::size);
        let mut out = vec![0xa5; want.height as usize * want.width as usize * mode.channels()];
        let how = Decoding {
            color_mode: *mode,
            jpeg,
        };
        let into = decode::decode_file_into(&path, how, len, want, &mut out);
        match (result, into) {
            (Ok(d), Ok(DecodedInto::Written(size, _))) => {
                assert_eq!(size, d.size());
                assert!(
                    out == d.pixels,
                    "{mode:?}: the fast path wrote other pixels"
                );
            }
            (Ok(d), Ok(DecodedInto::Decoded(d2))) => assert!(&d2 == d, "{mode:?}: differs"),
            (Err(_), Err(err)) => assert_message(&err),
            (Ok(_), Err(err)) => panic!("{mode:?}: decode_bytes took it, decode_file_into: {err}"),
            (Err(err), Ok(_)) => panic!("{mode:?}: decode_file_into took it, decode_bytes: {err}"),
        }
    }
    if len > 0 && image::guess_format(bytes).is_ok() {
        let capped = decode::decode_file_capped(&path, ColorMode::Rgb, len - 1);
        assert!(
            matches!(capped, Err(DecodeError::FileTooLarge { bytes, limit }) if bytes == len && limit == len - 1),
            "a cap below the length did not refuse the file: {capped:?}"
        );
    }
}

/// Bytes the calling thread has read through system calls so far (`rchar` of
/// `/proc/thread-self/io`), or `None` where the kernel does not count them.
pub fn thread_bytes_read() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/thread-self/io").ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("rchar: "))
        .and_then(|v| v.trim().parse().ok())
}

/// Most bytes a header probe may read, whatever the file's length (a probe reads a header, not a
/// file): the probe's own limit, and a page for this thread's read of `/proc`.
pub const PROBE_READ_LIMIT: u64 = decode::PROBE_MAX_READ_BYTES + 4096;
/// Zeros appended (sparse, never written) behind the input to make it a large file.
const HUGE_TAIL: u64 = 256 << 20;

/// `probe_file` on the input, and on the input followed by 256 MiB of (sparse) zeros.
///
/// - Never panics; Ok means a non-zero size in the format the first bytes name; an error is one line.
/// - What `decode_bytes` decodes, the probe sizes the same (the loader plans by probed sizes).
/// - On the large file it reads at most [`PROBE_READ_LIMIT`] bytes, and a header it could read in the
///   short file it reads the same in the long one.
pub fn probe(bytes: &[u8], dir: &Path) -> String {
    let path = dir.join("probe.img");
    std::fs::write(&path, bytes).unwrap();
    let short = decode::probe_file(&path);
    match &short {
        Ok((format, size)) => {
            assert!(size.width > 0 && size.height > 0);
            assert_eq!(Some(*format), image::guess_format(bytes).ok());
        }
        Err(err) => assert_message(err),
    }
    if let Ok(d) = decode::decode_bytes(bytes, ColorMode::Rgb) {
        // A libFuzzer finding: a TIFF with conflicting size tags was sized 3x4608000 by `imagesize`
        // and decoded 3x3; the probe now sizes TIFFs through the decoder, so sizes always agree.
        assert!(
            matches!(short, Ok((f, size)) if (f, size) == (d.format, d.size())),
            "decoded as {:?} {}x{} but probed as {short:?}",
            d.format,
            d.width,
            d.height
        );
    }

    let huge = dir.join("probe-huge.img");
    let mut file = std::fs::File::create(&huge).unwrap();
    file.write_all(bytes).unwrap();
    file.set_len(bytes.len() as u64 + HUGE_TAIL).unwrap();
    drop(file);
    let before = thread_bytes_read();
    let long = decode::probe_file(&huge);
    if let (Some(before), Some(after)) = (before, thread_bytes_read()) {
        // The read of /proc itself counts too; it is a few hundred bytes.
        let read = after - before;
        assert!(
            read <= PROBE_READ_LIMIT,
            "probing a {}-byte file read {read} bytes ({long:?})",
            bytes.len() as u64 + HUGE_TAIL
        );
    }
    if let Ok(probed) = short {
        assert!(
            matches!(long, Ok(l) if l == probed),
            "probed {probed:?}, but {long:?} with zeros appended"
        );
    }
    std::fs::remove_file(&huge).unwrap();
    match short {
        Ok((format, ..)) => format!("{format:?} ok"),
        Err(err) => err
            .to_string()
            .chars()
            .filter(|c| !c.is_ascii_digit())
            .take(80)
            .collect(),
    }
}

/// numpy's largest number of dimensions (`NPY_MAXDIMS`; 32 before numpy 2, 64 since).
pub const NPY_MAXDIMS: usize = 32;

/// A dimension from fuzz bytes: mostly small, sometimes 0, a power of ten's edge or `usize::MAX`.
fn dimension(input: &mut Bytes<'_>) -> usize {
    match input.below(8) {
        0 => 0,
        1 => usize::MAX,
        2 => 10usize.pow(input.below(20) as u32) - usize::from(input.bool()),
        3 => input.u64() as usize,
        _ => input.below(12),
    }
}

/// A dtype from fuzz bytes, with numpy's `descr` for it written out here.
fn dtype(input: &mut Bytes<'_>) -> (NpyDtype, &'static str, usize) {
    input.pick(&[
        (NpyDtype::U8, "|u1", 1),
        (NpyDtype::I32, "<i4", 4),
        (NpyDtype::F32, "<f4", 4),
    ])
}

/// A parsed version-1.0 `.npy` header: descr, shape, and the header's length in bytes.
pub type ParsedHeader = (String, Vec<usize>, usize);

/// Parses a `.npy` v1.0 header strictly (exactly the dict `np.save` writes, then spaces and `\n`), with
/// no code from the writer.
pub fn parse_header(bytes: &[u8]) -> Result<ParsedHeader, String> {
    let magic = bytes.get(..8).ok_or("shorter than the magic")?;
    if magic != b"\x93NUMPY\x01\x00" {
        return Err(format!("bad magic {magic:?}"));
    }
    let hlen = usize::from(u16::from_le_bytes([
        *bytes.get(8).ok_or("no length")?,
        *bytes.get(9).ok_or("no length")?,
    ]));
    let end = 10 + hlen;
    let text = bytes.get(10..end).ok_or("header runs past the file")?;
    let text = std::str::from_utf8(text).map_err(|e| e.to_string())?;
    if !text.is_ascii() || !text.ends_with('\n') {
        return Err(format!("not ASCII ending in a newline: {text:?}"));
    }
    let dict = text.trim_end_matches('\n').trim_end_matches(' ');
    let rest = dict
        .strip_prefix("{'descr': '")
        .ok_or_else(|| format!("no descr: {dict:?}"))?;
    let (descr, rest) = rest.split_once('\'').ok_or("unterminated descr")?;
    let rest = rest
        .strip_prefix(", 'fortran_order': False, 'shape': (")
        .ok_or_else(|| format!("no fortran_order/shape: {dict:?}"))?;
    let (dims, rest) = rest.split_once(')').ok_or("unterminated shape")?;
    if rest != ", }" {
        return Err(format!("trailer {rest:?}"));
    }
    let shape: Vec<usize> = if dims.is_empty() {
        Vec::new()
    } else {
        let parts: Vec<&str> = dims.split(", ").collect();
        // Python writes a 1-tuple as `(n,)` and nothing else with a trailing comma.
        let parts = match parts.as_slice() {
            [one] => vec![one.strip_suffix(',').ok_or("1-tuple without a comma")?],
            _ => parts,
        };
        parts
            .iter()
            .map(|p| p.parse::<usize>().map_err(|e| format!("{p:?}: {e}")))
            .collect::<Result<_, _>>()?
    };
    Ok((descr.to_owned(), shape, end))
}

/// `npy::header` for any dtype and shape numpy can hold (up to [`NPY_MAXDIMS`] dimensions, any
/// `usize` each): a multiple of 64 bytes ending in `\n`, whose length field is right, which parses
/// back to what was asked, and whose length does not depend on the first axis (the writer rewrites
/// that axis in place). Returns the header with what it must parse to, for numpy to check a sample.
pub fn npy_header(bytes: &[u8]) -> (String, Vec<u8>, ParsedHeader) {
    let mut input = Bytes::new(bytes);
    let (dtype, descr, _) = dtype(&mut input);
    let ndim = input.below(NPY_MAXDIMS + 1);
    let shape: Vec<usize> = (0..ndim).map(|_| dimension(&mut input)).collect();
    let header = npy::header(dtype, &shape);
    assert_eq!(header.len() % 64, 0, "header of {} bytes", header.len());
    assert_eq!(header.last(), Some(&b'\n'));
    let parsed = parse_header(&header).unwrap_or_else(|e| panic!("{e}: {header:?}"));
    assert_eq!(parsed.2, header.len(), "length field disagrees");
    assert_eq!((parsed.0.as_str(), &parsed.1), (descr, &shape));
    if let Some((_, rest)) = shape.split_first() {
        for first in [0, 1, 9, 10, usize::MAX] {
            let other = [&[first][..], rest].concat();
            assert_eq!(
                npy::header(dtype, &other).len(),
                header.len(),
                "first axis {first}"
            );
        }
    }
    let signature = format!("{descr} ndim {ndim} len {}", header.len());
    (signature, header, (descr.to_owned(), shape, parsed.2))
}

/// `NpyWriter` with a random dtype, row shape and planned row count, fed whole and broken writes:
/// broken ones (not a whole number of rows) are refused and change nothing, `finish` never refuses
/// for the number of rows (whatever was planned), and the file is exactly the header for the rows
/// written followed by the bytes given. The file is left at `dir/out.npy`.
pub fn npy_writer(bytes: &[u8], dir: &Path) -> String {
    let mut input = Bytes::new(bytes);
    let (dtype, descr, elem) = dtype(&mut input);
    let row_shape: Vec<usize> = (0..input.below(5)).map(|_| input.below(6)).collect();
    let planned = match input.below(4) {
        0 => 0,
        1 => usize::MAX,
        2 => input.u64() as usize,
        _ => input.below(10),
    };
    let row_bytes = row_shape.iter().product::<usize>() * elem;
    let path = dir.join("out.npy");
    let mut writer = NpyWriter::create(&path, dtype, planned, &row_shape).unwrap();
    assert_eq!(writer.row_len() * elem, row_bytes);
    let mut data = Vec::new();
    let mut refused = 0;
    for _ in 0..input.below(6) {
        let rows = input.below(4);
        let broken = input.below(4) == 0 && row_bytes > 1;
        let len = rows * row_bytes
            + if broken {
                1 + input.below(row_bytes - 1)
            } else {
                0
            };
        let chunk: Vec<u8> = (0..len).map(|_| input.u8()).collect();
        match writer.write_rows(&chunk) {
            Ok(()) => {
                assert!(
                    !broken && row_bytes > 0,
                    "took {len} bytes of {row_bytes}-byte rows"
                );
                data.extend_from_slice(&chunk);
            }
            Err(err) => {
                assert!(broken || row_bytes == 0, "refused {rows} whole rows: {err}");
                assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
                refused += 1;
            }
        }
    }
    let rows = data.len().checked_div(row_bytes).unwrap_or(0);
    assert_eq!(writer.rows(), rows);
    writer.finish().unwrap();
    let file = std::fs::read(&path).unwrap();
    let (got_descr, shape, header_len) = parse_header(&file).unwrap();
    assert_eq!(header_len % 64, 0);
    assert_eq!(got_descr, descr);
    assert_eq!(shape, [&[rows][..], &row_shape].concat());
    assert!(file[header_len..] == data, "data bytes differ");
    format!("{descr} rank {} refused {refused}", row_shape.len())
}

/// A `validation_split` from fuzz bytes: edges, non-finite values, or any bit pattern.
fn split(input: &mut Bytes<'_>) -> Option<f64> {
    match input.below(8) {
        0 => None,
        1 => Some(input.pick(&[
            0.0,
            -0.0,
            1.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            5e-324,
            1.0 - f64::EPSILON / 2.0,
            0.5,
            -0.5,
            2.0,
        ])),
        2 => Some(f64::from_bits(input.u64())),
        _ => Some(f64::from(input.u32()) / f64::from(u32::MAX)),
    }
}

/// An index of `n` samples of one class.
fn index_of(n: usize) -> DatasetIndex {
    DatasetIndex {
        samples: (0..n)
            .map(|i| Sample {
                objects: None,
                rel_path: format!("c/{i}.png").into(),
                label: Some(0),
            })
            .collect(),
        labeled: true,
        class_names: vec!["c".into()],
        ..DatasetIndex::default()
    }
}

/// A number of samples and plan options from fuzz bytes.
fn plan_options(input: &mut Bytes<'_>) -> (usize, PlanOptions) {
    let n = match input.below(4) {
        0 => input.below(4),
        1 => input.below(3000),
        _ => input.below(64),
    };
    let batch_size = match input.below(6) {
        0 => input.pick(&[0, usize::MAX, usize::MAX / 2 + 1, n, n + 1]),
        1 => input.u64() as usize,
        _ => input.below(40),
    };
    let options = PlanOptions {
        shuffle: input.bool(),
        seed: input.bool().then(|| input.u32()),
        validation_split: split(input),
        subset: input.pick(&[None, Some(Subset::Training), Some(Subset::Validation)]),
        batch_size,
        drop_remainder: input.bool(),
    };
    (n, options)
}

/// The documented rules: a batch size of at least 1; a split and a subset together or neither; a
/// split strictly between 0 and 1 (so not NaN); a seed for a shuffled split.
fn is_valid(options: &PlanOptions) -> bool {
    options.batch_size > 0
        && match (options.validation_split, options.subset) {
            (None, None) => true,
            (Some(v), Some(_)) => {
                v > 0.0 && v < 1.0 && (!options.shuffle || options.seed.is_some())
            }
            _ => false,
        }
}

/// `plan::plan` with arbitrary options on an index of up to a few thousand samples.
///
/// - It refuses exactly what the rules refuse (batch size 0; split without subset or the reverse; a
///   split outside (0, 1), NaN included; a shuffled split without a seed), as `validate` does.
/// - Otherwise the order is the full order (the permutation of all samples the same shuffle and seed
///   give) cut as Keras cuts it: training the first `n - int(split * n)`, validation the rest, then
///   whole batches only with `drop_remainder`; so training and validation are disjoint and together
///   complete. Without a shuffle the full order is `0..n`. It is the same each time for a seed.
/// - The batch bounds cover every planned sample once, in order, full batches but the last.
/// - `empty_reason` names a reason exactly when the plan of a non-empty folder is empty.
pub fn plan(bytes: &[u8]) -> String {
    let (n, options) = plan_options(&mut Bytes::new(bytes));
    let batch_size = options.batch_size;
    let index = index_of(n);

    let valid = is_valid(&options);
    let result = plan::plan(&index, &options);
    assert_eq!(result.is_ok(), valid, "{options:?}: {result:?}");
    assert_eq!(plan::validate(&options).is_ok(), valid);
    let planned = match result {
        Ok(p) => p,
        Err(err) => {
            assert!(!err.to_string().is_empty());
            return format!("refused: {err}")
                .chars()
                .filter(|c| !c.is_ascii_digit())
                .collect();
        }
    };

    let full = plan::plan(
        &index,
        &PlanOptions {
            validation_split: None,
            subset: None,
            drop_remainder: false,
            batch_size: 1,
            seed: planned.seed,
            ..options.clone()
        },
    )
    .unwrap();
    let mut sorted = full.order.clone();
    sorted.sort_unstable();
    assert!(
        sorted.iter().copied().eq(0..n),
        "not a permutation of the samples"
    );
    if !options.shuffle {
        assert!(full.order.iter().copied().eq(0..n));
        assert_eq!(planned.seed, None);
    } else if let Some(seed) = options.seed {
        assert_eq!(planned.seed, Some(seed));
    } else {
        assert!(
            planned.seed.is_some_and(|s| s < 1_000_000),
            "{:?}",
            planned.seed
        );
    }
    // Python's int(validation_split * len(samples)): the float64 product, truncated.
    let n_val = match (options.validation_split, options.subset) {
        (Some(v), Some(_)) => (v * n as f64).trunc() as usize,
        _ => 0,
    };
    let kept = match options.subset {
        Some(Subset::Validation) => &full.order[n - n_val..],
        _ => &full.order[..n - n_val],
    };
    let expected_len = if options.drop_remainder {
        kept.len() / batch_size * batch_size
    } else {
        kept.len()
    };
    assert_eq!(planned.order, kept[..expected_len], "{options:?}");
    // The same options with the seed it recorded (the one drawn from the clock, if none was given).
    let replanned = plan::plan(
        &index,
        &PlanOptions {
            seed: planned.seed,
            ..options.clone()
        },
    );
    assert_eq!(replanned.unwrap(), planned, "not deterministic");

    check_batches(&planned, expected_len, batch_size);

    let reason = plan::empty_reason(n, &options);
    assert_eq!(
        reason.is_some(),
        n > 0 && planned.is_empty(),
        "empty_reason {reason:?} for a plan of {} of {n}",
        planned.len()
    );
    format!(
        "ok shuffle {} split {} drop {} empty {}",
        options.shuffle,
        options.subset.is_some(),
        options.drop_remainder,
        planned.is_empty()
    )
}

/// The batch bounds of `planned` cover its `len` samples once, in order, full batches but the last.
fn check_batches(planned: &plan::BatchPlan, len: usize, batch_size: usize) {
    let count = planned.batch_count();
    assert_eq!(count, len.div_ceil(batch_size));
    let mut next = 0;
    for k in 0..count {
        let range = planned.batch_range(k);
        assert_eq!(
            range.start, next,
            "batch {k} does not start where the last ended"
        );
        assert!(!range.is_empty() && range.len() <= batch_size);
        if k + 1 < count {
            assert_eq!(range.len(), batch_size, "batch {k} of {count} is not full");
        }
        assert_eq!(planned.batch(k), &planned.order[range.clone()]);
        next = range.end;
    }
    assert_eq!(next, planned.len(), "the batches do not cover the plan");
}

/// A `tf.train.Example` read as it streams (`tfrecord::read_large_example`: what opening keeps of a
/// record too large to hold, a head of each bytes value and two values of each list) against the
/// whole-record decode of the same bytes (`tfrecord::parse_example`, prost):
/// - no panic; an error is one line;
/// - each feature's first bytes value lies inside the record, and its bytes are the record's there;
/// - when both read the bytes, the streamed reading is the whole one cut: the same features and
///   kinds, each list's count, its first two values, bytes values cut to the head, floats counted
///   but not kept.
pub fn example_stream(bytes: &[u8]) -> String {
    use batchscope::source::tfrecord::{self, Kind};
    const HEAD: usize = 16;
    let streamed = tfrecord::read_large_example(&mut &bytes[..], bytes.len() as u64, HEAD);
    let whole = tfrecord::parse_example(bytes);
    let large = match streamed {
        Ok(large) => large,
        Err(why) => {
            assert!(!why.trim().is_empty() && !why.contains('\n'), "{why:?}");
            return format!(
                "streamed: {}",
                why.chars()
                    .filter(|c| !c.is_ascii_digit())
                    .collect::<String>()
            );
        }
    };
    for (key, sizes) in &large.sizes {
        let end = sizes.first_offset + sizes.first_bytes;
        assert!(
            end <= bytes.len() as u64,
            "{key}: {sizes:?} past {}",
            bytes.len()
        );
    }
    let Ok(whole) = whole else {
        return "streamed only".to_owned();
    };
    let cut = |features: &tfrecord::Features| -> Vec<(String, Option<Kind>)> {
        features
            .feature
            .iter()
            .map(|(key, feature)| {
                let kind = feature.kind.clone().map(|kind| match kind {
                    Kind::BytesList(mut list) => {
                        list.value.truncate(2);
                        for value in &mut list.value {
                            value.truncate(HEAD);
                        }
                        Kind::BytesList(list)
                    }
                    Kind::FloatList(mut list) => {
                        list.value.clear();
                        Kind::FloatList(list)
                    }
                    Kind::Int64List(mut list) => {
                        list.value.truncate(2);
                        Kind::Int64List(list)
                    }
                });
                (key.clone(), kind)
            })
            .collect()
    };
    let expected = whole.features.as_ref().map(cut);
    let found = large.example.features.as_ref().map(cut);
    assert_eq!(
        found, expected,
        "streamed and whole readings differ on {bytes:?}"
    );
    for (key, feature) in whole.features.iter().flat_map(|f| &f.feature) {
        let sizes = large.sizes[key];
        let count = match &feature.kind {
            Some(Kind::BytesList(list)) => {
                if let Some(first) = list.value.first() {
                    let at = sizes.first_offset as usize;
                    assert_eq!(&bytes[at..at + first.len()], &first[..], "{key}");
                    assert_eq!(sizes.first_bytes, first.len() as u64, "{key}");
                }
                list.value.len()
            }
            Some(Kind::FloatList(list)) => list.value.len(),
            Some(Kind::Int64List(list)) => list.value.len(),
            None => 0,
        };
        assert_eq!(sizes.values, count as u64, "{key}");
    }
    format!("both read {} features", large.sizes.len())
}

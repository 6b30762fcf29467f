//! The TFRecord framing: `u64 length (LE) | u32 masked_crc32c(length) | data | u32 masked_crc32c(data)`,
//! the whole-file compression around it, and a scan that checks both CRCs of every record without
//! holding more than one buffer of data in memory.

use std::io::{self, BufReader, Read};
use std::path::Path;

use super::large_record::{LargeExample, read_large_example};
use super::{Compression, ProblemReason};

/// Bytes before a record's data: the length and its masked CRC.
pub(super) const HEADER_BYTES: u64 = 12;
/// Bytes after a record's data: its masked CRC.
pub(super) const FOOTER_BYTES: u64 = 4;

/// Bytes of a whole record of `len` data bytes, saturating: a length field is only as trustworthy as
/// the file, and one near `u64::MAX` (with a valid CRC) must be reported as a truncation, not overflow.
pub(super) fn record_bytes(len: u64) -> u64 {
    HEADER_BYTES
        .saturating_add(len)
        .saturating_add(FOOTER_BYTES)
}

/// TensorFlow's CRC mask (`tensorflow/core/lib/hash/crc32c.h`): rotate right by 15, add a constant.
pub fn mask(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// The masked CRC-32C of `bytes`, as stored in a TFRecord file.
pub fn masked_crc(bytes: &[u8]) -> u32 {
    mask(crc32c::crc32c(bytes))
}

/// Guesses the compression of a file from its first bytes: a first record whose length CRC checks out
/// means no compression (tried first, since a plain length such as 376 = `78 01 ..` also looks like a
/// zlib header), then the gzip magic `1f 8b`, then a zlib header (`78 ..`, a multiple of 31). Anything
/// else is read as uncompressed, and the scan reports what is wrong with it.
pub fn detect(head: &[u8]) -> Compression {
    if head.len() >= 12 {
        let stored = u32::from_le_bytes([head[8], head[9], head[10], head[11]]);
        if masked_crc(&head[..8]) == stored {
            return Compression::None;
        }
    }
    match head {
        [0x1f, 0x8b, ..] => Compression::Gzip,
        [cmf, flg, ..] if cmf & 0x0f == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0 => {
            Compression::Zlib
        }
        _ => Compression::None,
    }
}

/// Reads the first bytes of `path` and [`detect`]s its compression.
pub fn detect_file(path: &Path) -> io::Result<Compression> {
    let mut head = [0u8; 12];
    let n = read_full(&mut crate::decode::open_file(path)?, &mut head)?;
    Ok(detect(&head[..n]))
}

/// Opens `path` as the stream of TFRecord bytes, decompressing it if needed.
pub fn open(path: &Path, compression: Compression) -> io::Result<Box<dyn Read + Send>> {
    let file = crate::decode::open_file(path)?;
    Ok(match compression {
        Compression::None => Box::new(BufReader::new(file)),
        // TensorFlow writes one gzip member; `MultiGz` also reads files that were concatenated.
        Compression::Gzip => Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(file))),
        Compression::Zlib => Box::new(BufReader::new(flate2::read::ZlibDecoder::new(file))),
    })
}

/// Reads until `buf` is full or the stream ends; returns how many bytes were read.
pub fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Records of at most this many bytes are held whole while the source is opened; a longer one (up to
/// the limit per image) is read as it streams, keeping only what [`read_large_example`] keeps.
pub const WHOLE_RECORD_BYTES: u64 = 16 << 20;

/// What a scanner keeping data hands out with a good record.
#[derive(Debug)]
pub enum Kept {
    /// The record's bytes.
    Whole(Vec<u8>),
    /// What was kept of a record longer than the scanner's whole-record size, read as an Example as
    /// it streamed (or why it is not one).
    Large(Result<LargeExample, String>),
}

/// What the scan found at one position of the stream.
#[derive(Debug)]
pub enum Scanned {
    /// A record whose both CRCs check out: its data starts at `offset` and is `len` bytes long. What
    /// was kept of it when the scanner keeps data (see [`Scanner::keeping_data`]) and it is not too
    /// long.
    Good {
        offset: u64,
        len: u64,
        data: Option<Kept>,
    },
    /// A record whose length is trusted but whose data CRC is wrong: skipped, the scan goes on.
    BadData { offset: u64 },
    /// A problem after which nothing more can be read (truncation, a bad length CRC, an I/O error),
    /// at the record starting at `offset`.
    Stop { offset: u64, reason: ProblemReason },
}

/// Walks the records of one stream in order, checking both CRCs and keeping none of the data.
pub struct Scanner<R> {
    reader: R,
    /// Offset of the next record's header in the (decompressed) stream.
    position: u64,
    done: bool,
    /// Records of at most this many bytes keep their data (0 with nothing kept: see `keep`).
    keep_up_to: u64,
    keep: bool,
    /// Kept records of at most this many bytes are held whole; longer ones are read as they stream.
    whole_up_to: u64,
}

/// A record's data as it is read: `left` bytes of `reader`, through the CRC.
struct Body<'a, R> {
    reader: &'a mut R,
    left: u64,
    crc: u32,
}

impl<R: Read> Read for Body<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = (buf.len() as u64).min(self.left) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = self.reader.read(&mut buf[..want])?;
        self.crc = crc32c::crc32c_append(self.crc, &buf[..n]);
        self.left -= n as u64;
        Ok(n)
    }
}

impl<R: Read> Scanner<R> {
    /// A scanner at the start of `reader`.
    pub fn new(reader: R) -> Self {
        Self {
            reader,
            position: 0,
            done: false,
            keep_up_to: 0,
            keep: false,
            whole_up_to: WHOLE_RECORD_BYTES,
        }
    }

    /// A scanner that also hands out the data of each good record of at most `max_len` bytes, so a
    /// caller can parse every record in the same pass that checks it: whole up to
    /// [`WHOLE_RECORD_BYTES`], read as an Example as it streams past that. Longer records are still
    /// checked, as they stream, without being held.
    pub fn keeping_data(reader: R, max_len: u64) -> Self {
        Self {
            keep_up_to: max_len,
            keep: true,
            ..Self::new(reader)
        }
    }

    /// The same scanner, holding kept records whole up to `bytes` only (tests use a small size to
    /// read ordinary records as large ones).
    #[cfg(test)]
    pub fn holding_whole_up_to(self, bytes: u64) -> Self {
        Self {
            whole_up_to: bytes,
            ..self
        }
    }

    fn step(&mut self) -> Scanned {
        let start = self.position;
        let stop = |reason| Scanned::Stop {
            offset: start,
            reason,
        };
        let mut header = [0u8; HEADER_BYTES as usize];
        let n = match read_full(&mut self.reader, &mut header) {
            Ok(n) => n,
            Err(e) => return stop(ProblemReason::Unreadable(e.to_string())),
        };
        if n < header.len() {
            return stop(ProblemReason::Truncated {
                expected_bytes: HEADER_BYTES,
                found_bytes: n as u64,
            });
        }
        let len = u64::from_le_bytes(header[..8].try_into().unwrap_or_default());
        let len_crc = u32::from_le_bytes(header[8..].try_into().unwrap_or_default());
        if masked_crc(&header[..8]) != len_crc {
            return stop(ProblemReason::BadLengthCrc);
        }
        // The data goes through the CRC as it is read: a length is only as trustworthy as the file,
        // so nothing is allocated from it, and what is held grows as bytes arrive.
        let mut body = Body {
            reader: &mut self.reader,
            left: len,
            crc: 0,
        };
        let data = if !self.keep || len > self.keep_up_to {
            None
        } else if len <= self.whole_up_to {
            let mut data = Vec::with_capacity(len.min(64 * 1024) as usize);
            if let Err(e) = body.read_to_end(&mut data) {
                return stop(ProblemReason::Unreadable(e.to_string()));
            }
            Some(Kept::Whole(data))
        } else {
            let head = crate::decode::PROBE_MAX_READ_BYTES as usize;
            Some(Kept::Large(read_large_example(&mut body, len, head)))
        };
        // Streams past what was not read (all of a record not kept), a MiB at a time.
        if let Err(e) = crate::decode::skip_bytes(&mut body, u64::MAX) {
            return stop(ProblemReason::Unreadable(e.to_string()));
        }
        let (remaining, crc) = (body.left, body.crc);
        if remaining > 0 {
            return stop(ProblemReason::Truncated {
                expected_bytes: record_bytes(len),
                found_bytes: HEADER_BYTES + (len - remaining),
            });
        }
        let mut footer = [0u8; FOOTER_BYTES as usize];
        let n = match read_full(&mut self.reader, &mut footer) {
            Ok(n) => n,
            Err(e) => return stop(ProblemReason::Unreadable(e.to_string())),
        };
        if n < footer.len() {
            return stop(ProblemReason::Truncated {
                expected_bytes: record_bytes(len),
                found_bytes: HEADER_BYTES.saturating_add(len).saturating_add(n as u64),
            });
        }
        self.position = start.saturating_add(record_bytes(len));
        let offset = start + HEADER_BYTES;
        if mask(crc) == u32::from_le_bytes(footer) {
            Scanned::Good { offset, len, data }
        } else {
            Scanned::BadData { offset }
        }
    }
}

impl<R: Read> Iterator for Scanner<R> {
    type Item = Scanned;

    fn next(&mut self) -> Option<Scanned> {
        if self.done {
            return None;
        }
        let scanned = self.step();
        match &scanned {
            // A truncated header with zero bytes is the clean end of the stream.
            Scanned::Stop {
                reason: ProblemReason::Truncated { found_bytes: 0, .. },
                ..
            } => {
                self.done = true;
                return None;
            }
            Scanned::Stop { .. } => self.done = true,
            Scanned::Good { .. } | Scanned::BadData { .. } => {}
        }
        Some(scanned)
    }
}

/// Reads one record's data and footer at the current position of `reader` and checks the data CRC.
pub fn read_data(reader: &mut impl Read, len: u64) -> Result<Vec<u8>, ProblemReason> {
    let mut data = Vec::new();
    let got = reader
        .take(len)
        .read_to_end(&mut data)
        .map_err(|e| ProblemReason::Unreadable(e.to_string()))? as u64;
    let mut footer = [0u8; FOOTER_BYTES as usize];
    let n = read_full(reader, &mut footer).map_err(|e| ProblemReason::Unreadable(e.to_string()))?;
    if got < len || n < footer.len() {
        return Err(ProblemReason::Truncated {
            expected_bytes: len.saturating_add(FOOTER_BYTES),
            found_bytes: got + n as u64,
        });
    }
    if masked_crc(&data) != u32::from_le_bytes(footer) {
        return Err(ProblemReason::BadDataCrc);
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes TensorFlow 2.21 wrote for the records `b""` and `b"hello"` (`tf.io.TFRecordWriter`).
    const TF_EMPTY_THEN_HELLO: &str =
        "000000000000000029039807d8ea82a20500000000000000eab2043e68656c6c6fbb1f1c19";

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn masked_crcs_equal_the_ones_tensorflow_wrote() {
        let bytes = hex(TF_EMPTY_THEN_HELLO);
        // Record 0: length 0, its CRC, no data, the CRC of nothing.
        assert_eq!(masked_crc(&[0; 8]), 0x0798_0329);
        assert_eq!(bytes[8..12], 0x0798_0329u32.to_le_bytes());
        assert_eq!(masked_crc(b""), 0xa282_ead8);
        assert_eq!(mask(0), 0xa282_ead8);
        // Record 1: length 5, "hello".
        assert_eq!(masked_crc(&5u64.to_le_bytes()), 0x3e04_b2ea);
        assert_eq!(masked_crc(b"hello"), 0x191c_1fbb);
        assert_eq!(bytes[33..37], 0x191c_1fbbu32.to_le_bytes());
    }

    #[test]
    fn scan_finds_both_records_of_the_tensorflow_bytes() {
        let bytes = hex(TF_EMPTY_THEN_HELLO);
        let found: Vec<_> = Scanner::new(&bytes[..]).collect();
        assert!(matches!(
            found[0],
            Scanned::Good {
                offset: 12,
                len: 0,
                data: None
            }
        ));
        assert!(matches!(
            found[1],
            Scanned::Good {
                offset: 28,
                len: 5,
                ..
            }
        ));
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn a_scan_keeping_data_hands_out_records_up_to_its_limit() {
        let bytes = hex(TF_EMPTY_THEN_HELLO);
        let kept: Vec<_> = Scanner::keeping_data(&bytes[..], 5)
            .map(|s| match s {
                Scanned::Good { data, .. } => data.map(|kept| match kept {
                    Kept::Whole(bytes) => bytes,
                    Kept::Large(large) => panic!("{large:?}"),
                }),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(kept, [Some(Vec::new()), Some(b"hello".to_vec())]);
        let kept: Vec<_> = Scanner::keeping_data(&bytes[..], 4)
            .map(|s| matches!(s, Scanned::Good { data: Some(_), .. }))
            .collect();
        assert_eq!(kept, [true, false]);
    }

    /// A TFRecord stream of `records`, framed as TensorFlow frames them.
    fn framed(records: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        for data in records {
            let len = (data.len() as u64).to_le_bytes();
            out.extend_from_slice(&len);
            out.extend_from_slice(&masked_crc(&len).to_le_bytes());
            out.extend_from_slice(data);
            out.extend_from_slice(&masked_crc(data).to_le_bytes());
        }
        out
    }

    #[test]
    fn a_record_over_the_whole_size_is_read_as_an_example_as_it_streams() {
        use super::super::{BytesList, Example, Feature, Features, Kind};
        use prost::Message as _;
        let image: Vec<u8> = (0..3000u32).map(|i| (i % 256) as u8).collect();
        let example = Example {
            features: Some(Features {
                feature: [(
                    "image".to_owned(),
                    Feature {
                        kind: Some(Kind::BytesList(BytesList {
                            value: vec![image.clone()],
                        })),
                    },
                )]
                .into(),
            }),
        };
        let data = example.encode_to_vec();
        let bytes = framed(&[data.clone(), data.clone()]);
        let scanned: Vec<_> = Scanner::keeping_data(&bytes[..], 1 << 30)
            .holding_whole_up_to(data.len() as u64 - 1)
            .collect();
        assert_eq!(scanned.len(), 2);
        for s in scanned {
            let Scanned::Good {
                data: Some(Kept::Large(Ok(large))),
                len,
                ..
            } = s
            else {
                panic!("{s:?}");
            };
            assert_eq!(len, data.len() as u64);
            assert_eq!(large.sizes["image"].first_bytes, 3000);
            let features = &large.example.features.unwrap().feature;
            let Some(Kind::BytesList(list)) = &features["image"].kind else {
                panic!("{features:?}");
            };
            assert_eq!(list.value, std::slice::from_ref(&image));
        }

        // The CRC still covers every byte: one flipped inside the image is a bad record, and a
        // stream cut inside the image is a truncation at the right count.
        let mut flipped = bytes.clone();
        flipped[12 + 2000] ^= 0x10;
        let first = Scanner::keeping_data(&flipped[..], 1 << 30)
            .holding_whole_up_to(0)
            .next();
        assert!(
            matches!(first, Some(Scanned::BadData { offset: 12 })),
            "{first:?}"
        );
        let cut = &bytes[..12 + 1500];
        let first = Scanner::keeping_data(cut, 1 << 30)
            .holding_whole_up_to(0)
            .next();
        let Some(Scanned::Stop {
            offset: 0,
            reason:
                ProblemReason::Truncated {
                    expected_bytes,
                    found_bytes,
                },
        }) = first
        else {
            panic!("{first:?}");
        };
        assert_eq!(
            (expected_bytes, found_bytes),
            (data.len() as u64 + 16, 12 + 1500)
        );
    }

    #[test]
    fn scan_reports_a_flipped_data_byte_and_goes_on() {
        let mut bytes = hex(TF_EMPTY_THEN_HELLO);
        bytes.extend(hex(TF_EMPTY_THEN_HELLO));
        bytes[30] ^= 0x01; // in "hello" of record 1
        let found: Vec<_> = Scanner::new(&bytes[..]).collect();
        assert_eq!(found.len(), 4);
        assert!(matches!(found[1], Scanned::BadData { offset: 28 }));
        assert!(matches!(
            found[3],
            Scanned::Good {
                offset: 65,
                len: 5,
                ..
            }
        ));
    }

    #[test]
    fn scan_stops_at_a_bad_length_crc_and_at_a_truncated_tail() {
        let mut bytes = hex(TF_EMPTY_THEN_HELLO);
        bytes[16] = 6; // record 1 claims 6 bytes, its length CRC disagrees
        let found: Vec<_> = Scanner::new(&bytes[..]).collect();
        assert_eq!(found.len(), 2);
        assert!(matches!(
            found[1],
            Scanned::Stop {
                offset: 16,
                reason: ProblemReason::BadLengthCrc
            }
        ));

        let bytes = hex(TF_EMPTY_THEN_HELLO);
        let found: Vec<_> = Scanner::new(&bytes[..bytes.len() - 3]).collect();
        assert_eq!(found.len(), 2);
        assert!(matches!(
            &found[1],
            Scanned::Stop {
                offset: 16,
                reason: ProblemReason::Truncated {
                    expected_bytes: 21,
                    found_bytes: 18
                }
            }
        ));
    }

    #[test]
    fn detection_prefers_a_valid_plain_record_over_a_zlib_lookalike() {
        // A plain record of 376 bytes starts `78 01`, which is also a valid zlib header.
        let mut head = 376u64.to_le_bytes().to_vec();
        head.extend(masked_crc(&head).to_le_bytes());
        assert_eq!(detect(&head), Compression::None);
        assert_eq!(detect(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(detect(&[0x78, 0x9c, 1, 2]), Compression::Zlib);
        assert_eq!(detect(&[]), Compression::None);
    }
}

//! The shard files of a saved dataset: a whole-file compression layer (none, gzip, or TensorFlow's
//! snappy blocks) around `TFRecord` framing. `snapshot.metadata` does not record the compression (the
//! reader is expected to be told), so it is detected from each file's first bytes: plain when the first
//! record's length passes its CRC, gzip by its magic, snappy only when the first block decodes to a
//! record header (a file that is none of them is read as plain, as `load()` does by default, so its
//! error names the record framing, not a compression it never had).
//!
//! A record's length is only as trustworthy as the file: a record longer than the caller's limit is
//! skipped (streamed past, never held) and reported with the limit, and the data of a record within
//! it is buffered as it arrives, never reserved up front from the length.
//!
//! `TFRecord` framing: `u64 LE length`, `u32 LE masked CRC-32C of the length`, the data, `u32 LE
//! masked CRC-32C of the data`. Snappy files (`tsl::io::SnappyOutputBuffer`) are a sequence of
//! blocks, each a `u32 big-endian` compressed length and a raw snappy block; records may span blocks.

use std::io::{self, BufReader, Read, Seek as _, SeekFrom};
use std::path::Path;

// The masked CRC-32C of TFRecord framing: the TFRecord reader's, so both readers check alike.
use crate::source::tfrecord::framing::masked_crc as masked_crc32c;

/// How a shard file is compressed (the `compression` argument of `tf.data.Dataset.save`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Plain `TFRecord`s.
    None,
    /// One gzip stream over the whole file.
    Gzip,
    /// TensorFlow's length-prefixed raw snappy blocks over the whole file.
    Snappy,
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The spellings `tf.data.Dataset.save(compression=...)` takes.
        f.write_str(match self {
            Self::None => "NONE",
            Self::Gzip => "GZIP",
            Self::Snappy => "SNAPPY",
        })
    }
}

/// Why a record could not be read (the caller adds the file and element index).
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Reading or decompressing failed, or the file ended inside a record.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The record is longer than the limit: it was skipped, the stream is at the next record.
    #[error(
        "the record is {len} bytes, over the limit of {limit} bytes per record (--max-file-bytes)"
    )]
    TooLarge {
        /// The record's length.
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// A checksum did not match: the file is damaged.
    #[error("TFRecord {what} checksum mismatch (stored {stored:#010x}, computed {computed:#010x})")]
    Checksum {
        /// `length` or `data`.
        what: &'static str,
        /// The checksum in the file.
        stored: u32,
        /// The checksum of the bytes read.
        computed: u32,
    },
}

/// The longest first snappy block [`detect`] reads to check it (TensorFlow writes blocks of at most
/// 16 MiB of input); a longer one is judged by its start, as [`detect_bytes`] does.
const MAX_SNIFFED_BLOCK: u64 = 32 << 20;

/// Detects the compression of a shard file from its first bytes (and, for snappy, its first block).
pub fn detect(path: &Path) -> io::Result<Compression> {
    let mut head = Vec::with_capacity(12);
    let mut file = crate::decode::open_file(path)?;
    (&mut file).take(12).read_to_end(&mut head)?;
    let guess = detect_bytes(&head);
    if guess != Compression::Snappy {
        return Ok(guess);
    }
    // Judge snappy by its whole first block when it is not too long: a file of other bytes would
    // otherwise be reported as a damaged snappy file, which it never was.
    let block_len = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
    if block_len.saturating_add(4) > file.metadata()?.len() {
        // A block cannot be longer than the file that holds it.
        return Ok(Compression::None);
    }
    if block_len > MAX_SNIFFED_BLOCK {
        return Ok(guess);
    }
    file.seek(SeekFrom::Start(0))?;
    let mut first = Vec::new();
    file.take(4 + block_len).read_to_end(&mut first)?;
    Ok(detect_bytes(&first))
}

/// Detects the compression from the first bytes of a file: a first record header whose length CRC
/// matches is plain, the gzip magic is gzip, a snappy block that decodes to a record header (or, when
/// `head` ends inside the block, a block that starts as one can) is snappy; anything else is read as
/// plain, so the framing's error says what is wrong.
pub fn detect_bytes(head: &[u8]) -> Compression {
    // The checksum first: a plain file whose first record is 0x8b1f + k * 65536 bytes long also
    // starts with the gzip magic. An empty file holds no records, and a file too short for a
    // header fails as plain `TFRecord`s with a clear message.
    if head.len() < 12 || length_crc_matches(head) {
        Compression::None
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if looks_like_snappy(head) {
        Compression::Snappy
    } else {
        Compression::None
    }
}

/// Whether `head` (at least 12 bytes) starts with a snappy block of a `TFRecord` stream: the whole
/// block decodes to bytes that start with a record header, or, cut short, its declared sizes fit and
/// its first element is a literal (the first element of a snappy block always is).
fn looks_like_snappy(head: &[u8]) -> bool {
    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let block = &head[4..];
    if len == 0 {
        return false;
    }
    let Ok(size) = snap::raw::decompress_len(block) else {
        return false;
    };
    if size == 0 || size > len.saturating_mul(22) {
        return false;
    }
    if block.len() >= len {
        return match snap::raw::Decoder::new().decompress_vec(&block[..len]) {
            Ok(bytes) => bytes.len() < 12 || length_crc_matches(&bytes),
            Err(_) => false,
        };
    }
    // The varint of the size, then the first tag, whose low two bits are 0 for a literal.
    let varint = block.iter().take_while(|&&b| b & 0x80 != 0).count() + 1;
    block
        .get(varint)
        .is_some_and(|tag| tag.trailing_zeros() >= 2)
}

fn length_crc_matches(head: &[u8]) -> bool {
    let stored = u32::from_le_bytes([head[8], head[9], head[10], head[11]]);
    masked_crc32c(&head[..8]) == stored
}

/// Opens a shard file as a stream of its uncompressed bytes.
pub fn open(path: &Path, compression: Compression) -> io::Result<Box<dyn Read + Send>> {
    let file = BufReader::new(crate::decode::open_file(path)?);
    Ok(match compression {
        Compression::None => Box::new(file),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(file)),
        Compression::Snappy => Box::new(SnappyBlocks::new(file)),
    })
}

/// Reads the next `TFRecord`, or `None` at a clean end of stream. A record longer than `max_len`
/// is streamed past and is [`RecordError::TooLarge`], with the stream at the next record.
pub fn next_record(input: &mut dyn Read, max_len: u64) -> Result<Option<Vec<u8>>, RecordError> {
    let mut header = [0u8; 12];
    let got = read_up_to(input, &mut header)?;
    if got == 0 {
        return Ok(None);
    }
    if got < header.len() {
        return Err(truncated("record header").into());
    }
    check("length", &header[..8], &header[8..12])?;
    let len = u64::from_le_bytes(header[..8].try_into().expect("8 bytes"));
    if len > max_len {
        // Skipped without being held: the data is read and dropped (a GZIP stream of zeros can
        // claim gigabytes from a few kilobytes), and only a record that ends is skipped.
        let skipped = crate::decode::skip_bytes(input, len)?;
        let mut footer = [0u8; 4];
        if skipped < len || read_up_to(input, &mut footer)? < footer.len() {
            return Err(truncated("record data").into());
        }
        return Err(RecordError::TooLarge {
            len,
            limit: max_len,
        });
    }
    // `take` bounds the allocation by what the stream really holds, whatever the length claims.
    let mut data = Vec::new();
    input.take(len).read_to_end(&mut data)?;
    if data.len() as u64 != len {
        return Err(truncated("record data").into());
    }
    let mut footer = [0u8; 4];
    if read_up_to(input, &mut footer)? < footer.len() {
        return Err(truncated("record checksum").into());
    }
    check("data", &data, &footer)?;
    Ok(Some(data))
}

fn check(what: &'static str, bytes: &[u8], stored: &[u8]) -> Result<(), RecordError> {
    let stored = u32::from_le_bytes(stored.try_into().expect("4 bytes"));
    let computed = masked_crc32c(bytes);
    if stored == computed {
        Ok(())
    } else {
        Err(RecordError::Checksum {
            what,
            stored,
            computed,
        })
    }
}

fn truncated(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("file ends inside a {what}"),
    )
}

/// Fills `buf` as far as the stream allows; returns how many bytes were read.
fn read_up_to(input: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A `Read` over TensorFlow's snappy block stream.
struct SnappyBlocks<R> {
    inner: R,
    decoder: snap::raw::Decoder,
    compressed: Vec<u8>,
    block: Vec<u8>,
    pos: usize,
}

impl<R: Read> SnappyBlocks<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            decoder: snap::raw::Decoder::new(),
            compressed: Vec::new(),
            block: Vec::new(),
            pos: 0,
        }
    }

    /// Decodes the next block; `false` at a clean end of stream.
    fn next_block(&mut self) -> io::Result<bool> {
        let mut len = [0u8; 4];
        match read_up_to(&mut self.inner, &mut len)? {
            0 => return Ok(false),
            4 => {}
            _ => return Err(truncated("snappy block length")),
        }
        let len = u64::from(u32::from_be_bytes(len));
        self.compressed.clear();
        (&mut self.inner)
            .take(len)
            .read_to_end(&mut self.compressed)?;
        if self.compressed.len() as u64 != len {
            return Err(truncated("snappy block"));
        }
        let size = snap::raw::decompress_len(&self.compressed).map_err(|e| invalid(&e))?;
        // No snappy element expands more than 64 bytes from 3 (a 2-byte-offset copy), so a block
        // claiming more is damaged; refusing it avoids allocating what a bad length claims.
        if size > self.compressed.len().saturating_mul(22) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "bad snappy block: {} bytes cannot expand to {size}",
                    self.compressed.len()
                ),
            ));
        }
        self.block.resize(size, 0);
        self.decoder
            .decompress(&self.compressed, &mut self.block)
            .map_err(|e| invalid(&e))?;
        self.pos = 0;
        Ok(true)
    }
}

fn invalid(e: &snap::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("bad snappy block: {e}"))
}

impl<R: Read> Read for SnappyBlocks<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.block.len() {
            if !self.next_block()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.block.len() - self.pos);
        buf[..n].copy_from_slice(&self.block[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One record framed as TensorFlow frames it.
    fn record(data: &[u8]) -> Vec<u8> {
        let len = (data.len() as u64).to_le_bytes();
        let mut out = len.to_vec();
        out.extend_from_slice(&masked_crc32c(&len).to_le_bytes());
        out.extend_from_slice(data);
        out.extend_from_slice(&masked_crc32c(data).to_le_bytes());
        out
    }

    #[test]
    fn reads_records_then_a_clean_end() {
        let mut bytes = record(b"abc");
        bytes.extend(record(b""));
        let mut input: &[u8] = &bytes;
        assert_eq!(
            next_record(&mut input, u64::MAX).unwrap(),
            Some(b"abc".to_vec())
        );
        assert_eq!(next_record(&mut input, u64::MAX).unwrap(), Some(Vec::new()));
        assert_eq!(next_record(&mut input, u64::MAX).unwrap(), None);
        assert_eq!(detect_bytes(&bytes), Compression::None);
    }

    #[test]
    fn a_plain_record_whose_length_looks_like_gzip_is_plain() {
        let bytes = record(&vec![0u8; 0x8b1f]);
        assert!(bytes.starts_with(&[0x1f, 0x8b]));
        assert_eq!(detect_bytes(&bytes[..12]), Compression::None);
    }

    #[test]
    fn a_snappy_block_claiming_a_huge_size_is_refused() {
        // A 6-byte block whose varint header claims 4 GiB.
        let block = [0xff, 0xff, 0xff, 0xff, 0x0f, 0x00];
        let mut bytes = (block.len() as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(&block);
        let err = next_record(&mut SnappyBlocks::new(&bytes[..]), u64::MAX).unwrap_err();
        assert!(err.to_string().contains("cannot expand"), "{err}");
    }

    #[test]
    fn a_flipped_data_byte_is_a_checksum_error() {
        let mut bytes = record(b"abc");
        bytes[13] ^= 1;
        let mut input: &[u8] = &bytes;
        assert!(matches!(
            next_record(&mut input, u64::MAX),
            Err(RecordError::Checksum { what: "data", .. })
        ));
    }

    #[test]
    fn a_truncated_record_is_an_error_not_an_end() {
        let bytes = record(b"abcdef");
        let mut input: &[u8] = &bytes[..bytes.len() - 6];
        let err = next_record(&mut input, u64::MAX).unwrap_err();
        assert!(err.to_string().contains("record data"), "{err}");
    }

    #[test]
    fn a_claimed_huge_length_does_not_allocate_it() {
        let len = u64::MAX.to_le_bytes();
        let mut bytes = len.to_vec();
        bytes.extend_from_slice(&masked_crc32c(&len).to_le_bytes());
        bytes.extend_from_slice(b"xy");
        let mut input: &[u8] = &bytes;
        assert!(next_record(&mut input, u64::MAX).is_err());
    }

    #[test]
    fn snappy_blocks_may_split_a_record() {
        let data = record(&[7u8; 100]);
        let mut bytes = Vec::new();
        for part in [&data[..50], &data[50..]] {
            let block = snap::raw::Encoder::new().compress_vec(part).unwrap();
            bytes.extend_from_slice(&(block.len() as u32).to_be_bytes());
            bytes.extend_from_slice(&block);
        }
        assert_eq!(detect_bytes(&bytes[..12]), Compression::Snappy);
        let mut input = SnappyBlocks::new(&bytes[..]);
        assert_eq!(
            next_record(&mut input, u64::MAX).unwrap(),
            Some(vec![7u8; 100])
        );
        assert_eq!(next_record(&mut input, u64::MAX).unwrap(), None);
    }
}

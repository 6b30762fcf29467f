//! The images of indexed webdataset shards, read back by the member offsets the scan found: a seek in
//! a plain tar (any order, so `--shuffle` works), a forward read through a `.tar.gz` (one pass per
//! chunk; going back decompresses the shard again, which is why a gzip shard refuses a shuffle).

use std::io::{self, Read as _, Seek as _, SeekFrom};
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use super::scan::{MemberRef, TarFile, open_stream};
use crate::decode;
use crate::index::{Access, EncodedImages, ImageHeader as Header};

/// One sample's image: where it is, and its header probed when the shard was scanned.
pub struct Member {
    /// Where its bytes are.
    pub at: MemberRef,
    /// Its header.
    pub header: Header,
}

/// The shard open for reading, kept between reads so that a chunk read in order is one pass.
struct Open {
    file: usize,
    stream: Stream,
    /// Position of `stream` in the (decompressed) bytes.
    position: u64,
}

enum Stream {
    Plain(std::fs::File),
    Gzip(Box<dyn io::Read + Send>),
}

/// The encoded images of webdataset shards.
pub struct TarImages {
    what: String,
    files: Vec<TarFile>,
    samples: Vec<Member>,
    open: Mutex<Option<Open>>,
}

impl TarImages {
    /// The images `samples` of `files`, described as `what`.
    pub fn new(what: String, files: Vec<TarFile>, samples: Vec<Member>) -> Self {
        Self {
            what,
            files,
            samples,
            open: Mutex::new(None),
        }
    }

    fn read_member(
        &self,
        open: &mut Option<Open>,
        sample: usize,
        max_bytes: u64,
    ) -> Result<Vec<u8>, String> {
        let s = self.samples.get(sample).ok_or_else(|| {
            format!(
                "sample {sample} is out of range: the source holds {}",
                self.samples.len()
            )
        })?;
        let at = s.at;
        if at.len > max_bytes {
            return Err(format!(
                "the image is {} bytes, over the limit of {max_bytes} bytes per image (raise it with --max-file-bytes)",
                at.len
            ));
        }
        let file = &self.files[at.file];
        let io_error = |e: io::Error| format!("{e} in {:?}", file.path);
        // Taken out and put back only after a good read, so a failed read reopens the shard.
        let mut current = match open.take() {
            Some(o)
                if o.file == at.file
                    && (matches!(o.stream, Stream::Plain(_)) || o.position <= at.offset) =>
            {
                o
            }
            _ => Open {
                file: at.file,
                stream: if file.gzip {
                    Stream::Gzip(open_stream(&file.path).map_err(io_error)?.0)
                } else {
                    Stream::Plain(decode::open_file(&file.path).map_err(io_error)?)
                },
                position: 0,
            },
        };
        let mut data = Vec::with_capacity(at.len.min(1 << 24) as usize);
        match &mut current.stream {
            Stream::Plain(f) => {
                f.seek(SeekFrom::Start(at.offset)).map_err(io_error)?;
                f.take(at.len).read_to_end(&mut data).map_err(io_error)?;
            }
            Stream::Gzip(s) => {
                let skip = at.offset - current.position;
                let skipped = decode::skip_bytes(s, skip).map_err(io_error)?;
                if skipped == skip {
                    s.take(at.len).read_to_end(&mut data).map_err(io_error)?;
                }
            }
        }
        if (data.len() as u64) < at.len {
            return Err(format!(
                "the shard ends inside the image (the file changed since it was opened): {:?}",
                file.path
            ));
        }
        current.position = at.offset + at.len;
        *open = Some(current);
        Ok(data)
    }
}

impl EncodedImages for TarImages {
    fn access(&self) -> Access {
        Access::Together
    }

    fn read(&self, samples: &[usize], max_bytes: u64) -> Vec<Result<Vec<u8>, String>> {
        let mut order: Vec<usize> = (0..samples.len()).collect();
        order.sort_by_key(|&i| {
            self.samples
                .get(samples[i])
                .map(|s| (s.at.file, s.at.offset))
        });
        let mut out = vec![Ok(Vec::new()); samples.len()];
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        for i in order {
            out[i] = self.read_member(&mut open, samples[i], max_bytes);
        }
        out
    }

    fn header(&self, sample: usize, _path: &Path) -> Header {
        self.samples.get(sample).map_or_else(
            || Err(format!("sample {sample} is out of range")),
            |s| s.header.clone(),
        )
    }

    fn describe(&self) -> String {
        self.what.clone()
    }

    fn is_random_access(&self) -> bool {
        self.files.iter().all(|f| !f.gzip)
    }
}

//! The images of an indexed `save_to_disk` folder, read back by record batch: a chunk of samples
//! reads each batch it touches once, from the byte offset the index pass found (after the stream's
//! schema), projected to the image column.

use std::path::{Path, PathBuf};

use super::stream::{self, ImageCell};
use crate::index::{Access, EncodedImages, ImageHeader as Header};

/// One Arrow stream file: where its schema ends and each of its batches starts.
pub struct StreamFile {
    /// The file.
    pub path: PathBuf,
    /// Bytes of the schema message at its start.
    pub schema_bytes: u64,
    /// Byte offset of each record batch.
    pub batch_offsets: Vec<u64>,
}

/// Where one sample's image is.
pub struct Cell {
    /// Index into the files.
    pub file: usize,
    /// Its batch in the file.
    pub batch: usize,
    /// Its row in the batch.
    pub row: usize,
    /// Length of the encoded image.
    pub len: u64,
    /// Its header, probed when the file was indexed.
    pub header: Header,
    /// The image file, when the cell held only its path (the `Image` feature without bytes).
    pub path: Option<PathBuf>,
}

/// The encoded images of Arrow stream files.
pub struct ArrowImages {
    what: String,
    files: Vec<StreamFile>,
    /// The image column's index in the files' schema.
    column: usize,
    samples: Vec<Cell>,
}

impl ArrowImages {
    /// The images `samples` of column `column` of `files`, described as `what`.
    pub fn new(what: String, files: Vec<StreamFile>, column: usize, samples: Vec<Cell>) -> Self {
        Self {
            what,
            files,
            column,
            samples,
        }
    }
}

impl EncodedImages for ArrowImages {
    fn access(&self) -> Access {
        Access::Together
    }

    fn read(&self, samples: &[usize], max_bytes: u64) -> Vec<Result<Vec<u8>, String>> {
        let count = self.samples.len();
        let mut out: Vec<Result<Vec<u8>, String>> = samples
            .iter()
            .map(|&s| {
                Err(format!(
                    "sample {s} is out of range: the source holds {count}"
                ))
            })
            .collect();
        // (file, batch, row, index into out), in reading order.
        let mut order: Vec<(usize, usize, usize, usize)> = Vec::new();
        for (i, &s) in samples.iter().enumerate() {
            let Some(c) = self.samples.get(s) else {
                continue;
            };
            if let Some(file) = &c.path {
                out[i] = crate::source::hf_features::read_image_file(file, max_bytes);
            } else if c.len > max_bytes {
                out[i] = Err(format!(
                    "the image is {} bytes, over the limit of {max_bytes} bytes per image (raise it with --max-file-bytes)",
                    c.len
                ));
            } else {
                order.push((c.file, c.batch, c.row, i));
            }
        }
        order.sort_unstable();
        let mut start = 0;
        while start < order.len() {
            let (file, batch) = (order[start].0, order[start].1);
            let end = start
                + order[start..]
                    .iter()
                    .take_while(|o| (o.0, o.1) == (file, batch))
                    .count();
            let f = &self.files[file];
            let read = f
                .batch_offsets
                .get(batch)
                .ok_or_else(|| format!("batch {batch} is out of range"))
                .and_then(|&offset| {
                    stream::read_batch_at(&f.path, f.schema_bytes, offset, vec![self.column])
                });
            for &(_, _, row, i) in &order[start..end] {
                out[i] = match &read {
                    Ok(b) => match stream::image_cell(b.column(0), row) {
                        Ok(ImageCell::Bytes(bytes)) => Ok(bytes.to_vec()),
                        Ok(_) => Err(format!(
                            "the image of batch {batch}, row {row} is no longer there in {:?}",
                            f.path
                        )),
                        Err(reason) => Err(format!("{reason} in {:?}", f.path)),
                    },
                    Err(reason) => Err(format!("batch {batch}: {reason} in {:?}", f.path)),
                };
            }
            start = end;
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
        true
    }
}

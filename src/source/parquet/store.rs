//! The images of indexed Parquet shards, read back by row group: a chunk of samples decodes each row
//! group it touches once, projected to the image column, and keeps only the rows asked for.

use std::path::{Path, PathBuf};

use super::rows::{self, ImageCell};
use crate::index::{Access, EncodedImages, ImageHeader as Header};
use crate::source::hf_features;

/// Where one sample's image is.
pub struct Cell {
    /// Index into the files.
    pub file: usize,
    /// Its row group.
    pub row_group: usize,
    /// Its row in the row group.
    pub row: usize,
    /// Length of the encoded image.
    pub len: u64,
    /// Its header, probed when the file was indexed.
    pub header: Header,
    /// The image file, when the cell held only its path (the `Image` feature without bytes).
    pub path: Option<PathBuf>,
}

/// The encoded images of Parquet shards.
pub struct ParquetImages {
    what: String,
    files: Vec<PathBuf>,
    /// The image column's name.
    column: String,
    samples: Vec<Cell>,
}

impl ParquetImages {
    /// The images `samples` of column `column` of `files`, described as `what`.
    pub fn new(what: String, files: Vec<PathBuf>, column: String, samples: Vec<Cell>) -> Self {
        Self {
            what,
            files,
            column,
            samples,
        }
    }

    /// Reads the rows `wanted` (row, index into `out`, indexed length), increasing, of one row
    /// group into `out`.
    fn read_group(
        &self,
        reader: &rows::Reader,
        (file, group): (usize, usize),
        wanted: &[(usize, usize, u64)],
        max_bytes: u64,
        out: &mut [Result<Vec<u8>, String>],
    ) {
        let path = &self.files[file];
        let Some(column) = rows::field(reader, &self.column) else {
            for &(_, i, _) in wanted {
                out[i] = Err(format!(
                    "the column {:?} is no longer in {path:?}",
                    self.column
                ));
            }
            return;
        };
        let mut next = 0;
        // A row indexed over the limit is refused without decoding its row group for it.
        let (over, wanted): (Vec<_>, Vec<_>) =
            wanted.iter().partition(|&&(_, _, len)| len > max_bytes);
        for (_, i, len) in over {
            out[i] = Err(format!(
                "the image is {len} bytes, over the limit of {max_bytes} bytes per image (raise it with --max-file-bytes)"
            ));
        }
        if wanted.is_empty() {
            return;
        }
        let result = rows::each_row(reader, path, group, &[column], &mut |k, row| {
            while next < wanted.len() && wanted[next].0 == k {
                let cell = row.get_column_iter().next().map(|(_, f)| f);
                out[wanted[next].1] = match cell.map(rows::image_cell) {
                    Some(Ok(ImageCell::Bytes(bytes))) if bytes.len() as u64 > max_bytes => {
                        Err(format!(
                            "the image is {} bytes, over the limit of {max_bytes} bytes per image (raise it with --max-file-bytes)",
                            bytes.len()
                        ))
                    }
                    Some(Ok(ImageCell::Bytes(bytes))) => Ok(bytes.to_vec()),
                    Some(Ok(_)) | None => {
                        Err(format!("the image is no longer in row {k} of {path:?}"))
                    }
                    Some(Err(reason)) => Err(reason),
                };
                next += 1;
            }
            next < wanted.len()
        });
        let reason = match result {
            Err(reason) => format!("{reason} in row group {group} of {path:?}"),
            Ok(()) => format!("row group {group} of {path:?} has fewer rows than indexed"),
        };
        for &(_, i, _) in &wanted[next..] {
            out[i] = Err(reason.clone());
        }
    }
}

impl EncodedImages for ParquetImages {
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
        // (file, row group, row, index into out, length), in reading order.
        let mut order: Vec<(usize, usize, usize, usize, u64)> = Vec::new();
        for (i, &s) in samples.iter().enumerate() {
            match self.samples.get(s) {
                Some(Cell {
                    path: Some(file), ..
                }) => out[i] = hf_features::read_image_file(file, max_bytes),
                Some(c) => order.push((c.file, c.row_group, c.row, i, c.len)),
                None => {}
            }
        }
        order.sort_unstable();
        let mut open: Option<(usize, rows::Reader)> = None;
        let mut start = 0;
        while start < order.len() {
            let (file, group) = (order[start].0, order[start].1);
            let end = start
                + order[start..]
                    .iter()
                    .take_while(|o| (o.0, o.1) == (file, group))
                    .count();
            let wanted: Vec<(usize, usize, u64)> =
                order[start..end].iter().map(|o| (o.2, o.3, o.4)).collect();
            if open.as_ref().is_none_or(|(f, _)| *f != file) {
                open = match rows::open(&self.files[file]) {
                    Ok(reader) => Some((file, reader)),
                    Err(reason) => {
                        for &(_, i, _) in &wanted {
                            out[i] = Err(format!("{reason}: {:?}", self.files[file]));
                        }
                        start = end;
                        continue;
                    }
                };
            }
            if let Some((_, reader)) = &open {
                self.read_group(reader, (file, group), &wanted, max_bytes, &mut out);
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

//! Array files: a `.npy` file or an `.npz` archive, opened as an image array, an optional label
//! array and the other arrays, all keeping their stored dtypes and shapes. (A batchscope export
//! folder is opened by [`super::export_folder`] from these readers.)
//!
//! Nothing is kept at open: a `.npy` file and a stored (`np.savez`) member are read by seeking to the
//! rows asked for (an `.npz` member is streamed once at open, through its zip CRC-32, as numpy checks
//! it: a damaged member is an error naming it, never exported); a deflated (`np.savez_compressed`) member is decompressed as a stream, so its rows are
//! cheapest read in order (see [`RowReader`]). A single `.npy` file is the image array whatever its
//! number of dimensions (the viewer draws it only when it has an image's shape). In an `.npz`, which
//! arrays are the images and the labels is decided by name first (`x`/`y`, `x_train`/`y_train`,
//! `images`/`labels`, `image`/`label`, `x_test`/`y_test`), then by shape (images `(N, H, W)` or
//! `(N, H, W, C)`, labels `(N,)` or `(N, K)` with the same `N`), unless [`ArrayPick`] names them. A label
//! array found by its name must have one row per image: a different count is an error, not a silent
//! export without labels.

use std::io::{self, BufReader, Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};

use crate::npy::{self, NpyHeader};
use crate::source::rows::{
    ArrayError, RowReader, buffered, bytes_described, check_stored_len, data_bytes, open_file,
};

/// Image array names tried in order, each with the label array it pairs with.
const NAME_PAIRS: [(&str, &str); 5] = [
    ("x", "y"),
    ("x_train", "y_train"),
    ("images", "labels"),
    ("image", "label"),
    ("x_test", "y_test"),
];

/// Which label array to use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum LabelsPick {
    /// By name, then by shape; none if nothing fits.
    #[default]
    Auto,
    /// This array.
    Named(String),
    /// No labels.
    Off,
}

/// Overrides for picking the arrays out of an `.npz`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArrayPick {
    /// The image array's name (without `.npy`), instead of guessing.
    pub images: Option<String>,
    /// The label array.
    pub labels: LabelsPick,
    /// How image arrays order their axes (an export folder's images are found by shape).
    pub layout: crate::options::ArrayLayout,
}

/// The arrays of one source.
#[derive(Debug)]
pub struct ArraySet {
    /// The image array: `(N, H, W)` or `(N, H, W, C)` when found by shape; any shape when named or
    /// when it is a single `.npy` file.
    pub images: RowReader,
    /// Its name in the source (`images` for a `.npy` file).
    pub images_name: String,
    /// The label array, `(N,)` or `(N, K)`, with its name.
    pub labels: Option<(String, RowReader)>,
    /// The source's other arrays with their names, exported as they are (a batchscope export
    /// folder's further `.npy` files, in name order); empty for other sources.
    pub others: Vec<(String, RowReader)>,
    /// Whether an export names its arrays as the source does (a batchscope export folder, so that
    /// re-exporting it gives back the same files) rather than `images` and `labels`.
    pub keep_names: bool,
    /// Class names, when the source has them (a batchscope export folder).
    pub class_names: Option<Vec<String>>,
    /// Members left out and why (an `.npz` member that is not a readable array, beside the ones
    /// used): each names the member.
    pub skipped: Vec<ArrayError>,
}

/// Opens `path` as an array file: an `.npz` or a `.npy` file.
pub fn open_arrays(path: &Path, pick: &ArrayPick) -> Result<ArraySet, ArrayError> {
    let is_npz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npz"));
    if is_npz {
        let (members, mut failed) = open_npz_members(path)?;
        // A member that would be picked by name is never passed over for another array: its
        // error is the error. Any other unreadable member is left out with its reason.
        if let Some(i) = failed.iter().position(|(name, _)| is_wanted(name, pick)) {
            return Err(failed.swap_remove(i).1);
        }
        let mut set = pick_arrays(path, members, pick)?;
        set.skipped = failed.into_iter().map(|(_, err)| err).collect();
        Ok(set)
    } else {
        open_single_npy(path, pick)
    }
}

/// A single `.npy` file: the `images` column whatever its number of dimensions (at least one, for
/// rows); naming any other array (`--image-key`, `--label-key`) is an error listing the one there is.
fn open_single_npy(path: &Path, pick: &ArrayPick) -> Result<ArraySet, ArrayError> {
    let images = open_npy(path)?;
    let named = match (&pick.images, &pick.labels) {
        (Some(name), _) if name != "images" => Some(name),
        (_, LabelsPick::Named(name)) => Some(name),
        _ => None,
    };
    if let Some(name) = named {
        return Err(ArrayError::NoSuchArray {
            path: path.to_path_buf(),
            name: name.clone(),
            arrays: vec![images.describe("images")],
        });
    }
    if images.shape().is_empty() {
        return Err(ArrayError::Unsupported {
            path: path.to_path_buf(),
            reason: format!(
                "{} is a 0-D array (a scalar), which has no rows",
                images.describe("images")
            ),
        });
    }
    Ok(ArraySet {
        images,
        images_name: "images".to_owned(),
        labels: None,
        others: Vec::new(),
        keep_names: false,
        class_names: None,
        skipped: Vec::new(),
    })
}

/// Opens one `.npy` file for row access (versions 1.0 to 3.0, C order).
pub fn open_npy(path: &Path) -> Result<RowReader, ArrayError> {
    let mut file = open_file(path)?;
    let header = npy::read_header(&mut BufReader::new(&mut file)).map_err(|source| {
        ArrayError::NpyHeader {
            path: path.to_path_buf(),
            source,
        }
    })?;
    check_order(path, &header)?;
    let len = file
        .metadata()
        .map_err(|source| ArrayError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    check_size(path, &header, len)?;
    Ok(RowReader::seekable(
        path,
        file,
        header.data_offset,
        header.dtype,
        header.byte_order,
        header.shape,
    ))
}

/// Fortran order would turn every row into a strided gather; a 0-D or 1-D array is stored the same either way.
fn check_order(path: &Path, header: &NpyHeader) -> Result<(), ArrayError> {
    if header.fortran_order && header.shape.len() > 1 {
        return Err(ArrayError::Unsupported {
            path: path.to_path_buf(),
            reason: "Fortran-ordered array (save it with np.ascontiguousarray first)".to_owned(),
        });
    }
    Ok(())
}

/// Checks that `stored_len` bytes (after the header) are exactly the array's data.
fn check_size(path: &Path, header: &NpyHeader, stored_len: u64) -> Result<(), ArrayError> {
    let expected = data_bytes(&header.shape, header.dtype.size())
        .and_then(|d| d.checked_add(header.data_offset));
    let detail = format!(
        "the header describes {} ({} {}), the file has {stored_len}",
        bytes_described(expected),
        npy::shape_repr(&header.shape),
        npy::dtype_name(header.dtype)
    );
    check_stored_len(path, expected.unwrap_or(u64::MAX), stored_len, detail)
}

/// Opens every `.npy` member of an `.npz` archive, named without `.npy`, in archive order.
///
/// A stored member (`np.savez`) is read by seeking into the archive; a deflated one
/// (`np.savez_compressed`) is decompressed as a stream from the member's start.
pub fn open_npz(path: &Path) -> Result<Vec<(String, RowReader)>, ArrayError> {
    let (members, failed) = open_npz_members(path)?;
    match failed.into_iter().next() {
        Some((_, err)) => Err(err),
        None => Ok(members),
    }
}

/// Whether `name` is an array [`pick_arrays`] would take by its name: the one `pick` names, or a
/// conventional image or label name.
fn is_wanted(name: &str, pick: &ArrayPick) -> bool {
    pick.images.as_deref() == Some(name)
        || matches!(&pick.labels, LabelsPick::Named(n) if n == name)
        || NAME_PAIRS.iter().any(|(x, y)| *x == name || *y == name)
}

/// An archive's readable members by name, and the unreadable ones with why.
pub type NpzMembers = (Vec<(String, RowReader)>, Vec<(String, ArrayError)>);

/// [`open_npz`], keeping going past a member that cannot be opened as an array: the members that
/// can, and each one that cannot with its error (a broken zip directory is still an error).
pub fn open_npz_members(path: &Path) -> Result<NpzMembers, ArrayError> {
    let zip_err = |source| ArrayError::Zip {
        path: path.to_path_buf(),
        source,
    };
    let mut archive = zip::ZipArchive::new(BufReader::new(open_file(path)?)).map_err(zip_err)?;
    let mut members = Vec::new();
    let mut failed = Vec::new();
    for index in 0..archive.len() {
        let member = archive.by_index_raw(index).map_err(zip_err)?;
        let Some(name) = member
            .name()
            .map_err(zip_err)?
            .strip_suffix(".npy")
            .map(str::to_owned)
        else {
            continue;
        };
        let member_path = member_path(path, &name);
        let Some(start) = member.data_start() else {
            failed.push((
                name,
                ArrayError::Truncated {
                    path: member_path,
                    detail: "the member's data offset is unknown".to_owned(),
                },
            ));
            continue;
        };
        let entry = Entry {
            start,
            method: member.compression(),
            compressed: member.compressed_size(),
            size: member.size(),
            crc: member.crc32(),
        };
        drop(member);
        match open_member(path, &member_path, &entry) {
            Ok(reader) => members.push((name, reader)),
            Err(err) => failed.push((name, err)),
        }
    }
    Ok((members, failed))
}

/// Where one `.npy` member's bytes are in its archive, and its zip CRC-32.
struct Entry {
    start: u64,
    method: zip::CompressionMethod,
    compressed: u64,
    size: u64,
    crc: u32,
}

/// Opens one member for row access, after checking its header, size and CRC-32.
fn open_member(path: &Path, member_path: &Path, entry: &Entry) -> Result<RowReader, ArrayError> {
    let io_err = |source| ArrayError::Io {
        path: path.to_path_buf(),
        source,
    };
    let header_err = |source| ArrayError::NpyHeader {
        path: member_path.to_path_buf(),
        source,
    };
    let reader = match entry.method {
        zip::CompressionMethod::Stored => {
            let mut file = open_file(path)?;
            file.seek(SeekFrom::Start(entry.start)).map_err(io_err)?;
            let header = npy::read_header(&mut BufReader::new(&mut file)).map_err(header_err)?;
            check_order(member_path, &header)?;
            check_size(member_path, &header, entry.size)?;
            file.seek(SeekFrom::Start(entry.start)).map_err(io_err)?;
            check_crc(member_path, (&mut file).take(entry.size), entry.crc)?;
            RowReader::seekable(
                member_path,
                file,
                entry.start + header.data_offset,
                header.dtype,
                header.byte_order,
                header.shape,
            )
        }
        zip::CompressionMethod::Deflated => {
            let archive_path = path.to_path_buf();
            let (start, compressed) = (entry.start, entry.compressed);
            let open = move || -> io::Result<Box<dyn io::Read + Send>> {
                let mut file = buffered(&archive_path)?;
                file.seek(SeekFrom::Start(start))?;
                Ok(Box::new(flate2::read::DeflateDecoder::new(
                    file.take(compressed),
                )))
            };
            let header = npy::read_header(&mut open().map_err(io_err)?).map_err(header_err)?;
            check_order(member_path, &header)?;
            check_size(member_path, &header, entry.size)?;
            check_crc(
                member_path,
                open().map_err(io_err)?.take(entry.size),
                entry.crc,
            )?;
            RowReader::streamed(
                member_path,
                Box::new(open),
                header.data_offset,
                header.dtype,
                header.byte_order,
                header.shape,
            )
        }
        other => {
            return Err(ArrayError::Unsupported {
                path: member_path.to_path_buf(),
                reason: format!("zip compression {other} (only stored and deflated)"),
            });
        }
    };
    Ok(reader)
}

/// Streams a member's bytes through CRC-32 and compares it with the one its zip entry records.
fn check_crc(member_path: &Path, mut bytes: impl io::Read, stored: u32) -> Result<(), ArrayError> {
    let mut crc = flate2::Crc::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match bytes.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(source) => {
                return Err(ArrayError::Io {
                    path: member_path.to_path_buf(),
                    source,
                });
            }
        };
        crc.update(&buf[..n]);
    }
    if crc.sum() == stored {
        Ok(())
    } else {
        Err(ArrayError::Checksum {
            path: member_path.to_path_buf(),
            stored,
            computed: crc.sum(),
        })
    }
}

/// Chooses the image and label arrays among `arrays` (see the module doc), or says which arrays there are.
pub fn pick_arrays(
    path: &Path,
    mut arrays: Vec<(String, RowReader)>,
    pick: &ArrayPick,
) -> Result<ArraySet, ArrayError> {
    let listing = || arrays_listing(&arrays);
    let find = |name: &str| arrays.iter().position(|(n, _)| n == name);
    let is_images = |r: &RowReader| matches!(r.shape().len(), 3 | 4);
    let images_at = match &pick.images {
        Some(name) => find(name).ok_or_else(|| ArrayError::NoSuchArray {
            path: path.to_path_buf(),
            name: name.clone(),
            arrays: listing(),
        })?,
        None => NAME_PAIRS
            .iter()
            .filter_map(|(x, _)| find(x))
            .chain(0..arrays.len())
            .find(|&i| is_images(&arrays[i].1))
            .ok_or_else(|| ArrayError::NoImageArray {
                path: path.to_path_buf(),
                arrays: listing(),
            })?,
    };
    let rows = arrays[images_at].1.rows();
    let fits = |i: usize| i != images_at && matches!(arrays[i].1.shape().len(), 1 | 2);
    let mismatch = |at: usize| {
        let (images_name, images) = &arrays[images_at];
        let (name, labels) = &arrays[at];
        ArrayError::Mismatch {
            path: path.to_path_buf(),
            detail: format!(
                "the labels {} have {} rows, the images {} have {rows}",
                labels.describe(name),
                labels.rows(),
                images.describe(images_name),
            ),
        }
    };
    let labels_at = match &pick.labels {
        LabelsPick::Off => None,
        LabelsPick::Named(name) => {
            let at = find(name).ok_or_else(|| ArrayError::NoSuchArray {
                path: path.to_path_buf(),
                name: name.clone(),
                arrays: listing(),
            })?;
            if arrays[at].1.rows() != rows {
                return Err(mismatch(at));
            }
            Some(at)
        }
        LabelsPick::Auto => {
            // The images' partner (`y` for `x`) is meant when it has a label's shape; else any
            // conventionally named label array; only when there is none, any array of a label's
            // shape and the images' row count.
            let images_name = &arrays[images_at].0;
            let partner = NAME_PAIRS
                .iter()
                .find(|(x, _)| x == images_name)
                .and_then(|(_, y)| find(y))
                .filter(|&i| fits(i));
            let named: Vec<usize> = NAME_PAIRS
                .iter()
                .filter_map(|(_, y)| find(y))
                .filter(|&i| fits(i))
                .collect();
            match (partner, named.first()) {
                (Some(at), _) if arrays[at].1.rows() != rows => return Err(mismatch(at)),
                (Some(at), _) => Some(at),
                (None, Some(&first)) => Some(
                    named
                        .iter()
                        .copied()
                        .find(|&i| arrays[i].1.rows() == rows)
                        .ok_or_else(|| mismatch(first))?,
                ),
                (None, None) => (0..arrays.len()).find(|&i| fits(i) && arrays[i].1.rows() == rows),
            }
        }
    };
    // Take the two readers out, the later index first so the earlier one does not move.
    let labels = labels_at.map(|at| (at, arrays[at].0.clone()));
    let (images_name, images, labels) = match labels {
        Some((at, name)) if at > images_at => {
            let l = arrays.swap_remove(at).1;
            let (n, i) = arrays.swap_remove(images_at);
            (n, i, Some((name, l)))
        }
        Some((at, name)) => {
            let (n, i) = arrays.swap_remove(images_at);
            let l = arrays.swap_remove(at).1;
            (n, i, Some((name, l)))
        }
        None => {
            let (n, i) = arrays.swap_remove(images_at);
            (n, i, None)
        }
    };
    Ok(ArraySet {
        images,
        images_name,
        labels,
        others: Vec::new(),
        keep_names: false,
        class_names: None,
        skipped: Vec::new(),
    })
}

/// The arrays as error messages list them: `name (shape dtype)`.
pub fn arrays_listing(arrays: &[(String, RowReader)]) -> Vec<String> {
    arrays.iter().map(|(n, r)| r.describe(n)).collect()
}

/// Where an `.npz` member's errors point: `archive.npz/name.npy`.
pub fn member_path(archive: &Path, name: &str) -> PathBuf {
    archive.join(format!("{name}.npy"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::npy::NpyDtype;

    fn npy_file(name: &str, shape: &[usize], data: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("batchscope-arrays-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        let mut bytes = npy::header(NpyDtype::U8, shape);
        bytes.extend_from_slice(data);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn absurd_shapes_are_errors_or_empty_not_overflows() {
        let huge = npy_file("huge.npy", &[2, 1 << 62, 1 << 62], &[1, 2, 3]);
        let err = open_npy(&huge).unwrap_err();
        assert!(matches!(err, ArrayError::Truncated { .. }), "{err}");
        let empty = npy_file("empty.npy", &[0, 1 << 40, 1 << 40], &[]);
        let mut reader = open_npy(&empty).unwrap();
        assert_eq!(reader.rows(), 0);
        assert_eq!(reader.read_rows(0..0).unwrap(), Vec::<u8>::new());
        assert!(matches!(
            reader.read_rows(0..1),
            Err(ArrayError::OutOfRange { .. })
        ));
    }

    #[test]
    fn a_single_npy_is_the_image_array_whatever_its_ndim() {
        let images = npy_file("images3.npy", &[2, 1, 2], &[1, 2, 3, 4]);
        let mut set = open_arrays(&images, &ArrayPick::default()).unwrap();
        assert_eq!(set.images.read_rows(1..2).unwrap(), [3, 4]);
        assert!(set.labels.is_none());
        let flat = npy_file("flat.npy", &[4], &[1, 2, 3, 4]);
        let mut set = open_arrays(&flat, &ArrayPick::default()).unwrap();
        assert_eq!(set.images.read_rows(1..3).unwrap(), [2, 3]);
        let scalar = npy_file("scalar.npy", &[], &[7]);
        let err = open_arrays(&scalar, &ArrayPick::default()).unwrap_err();
        assert!(err.to_string().contains("0-D array"), "{err}");
    }
}

//! The one contract every source meets, so that the loader, export, health, inspect, the command line
//! and the viewer never ask what kind of source they hold, only what it can do.
//!
//! A source, once indexed, is a [`Store`]: either encoded images that batchscope decodes (an image
//! folder's files, the images inside TFRecord Examples) behind [`EncodedImages`], or stored rows that
//! keep their dtypes and shapes (a saved tf.data dataset, `.npy`/`.npz`, IDX, CIFAR, an export)
//! behind [`StoredRows`]. Its [`Capabilities`] say which options apply and how it may be read.
//! Every read of a dataset file goes through the hardened reader
//! ([`crate::decode::open_regular`]): regular files only, byte limits, never a blocking open.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::npy::NpyDtype;
use crate::options::ArrayLayout;
use crate::size::Size;
pub use crate::validate::{SourceOption, Takes};

/// The format and size of one encoded image, from its header, or why it cannot be read.
pub type ImageHeader = Result<(image::ImageFormat, Size), String>;

/// How a source's encoded images are best read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Each sample on its own, by the decoding threads, in parallel (a folder's files).
    PerSample,
    /// All the samples of a batch together, in one ordered pass (records in a possibly compressed
    /// file), before they are decoded in parallel.
    Together,
}

/// A source of encoded images (PNG, JPEG, ... bytes) addressed by sample number. Each method that
/// reads one sample is given its number and its path as the index spells it (the root joined with
/// the sample's relative path): a folder reads that file; a record source knows the sample by its
/// number, and the path is only its name.
pub trait EncodedImages: Send + Sync {
    /// How the samples are best read: [`EncodedImages::read_one`] on the decoding threads, or
    /// [`EncodedImages::read`] for a whole batch first.
    fn access(&self) -> Access;
    /// The encoded bytes of each of `samples` (at most `max_bytes` each), or why they cannot be read,
    /// in the order given. Increasing samples are cheapest (one pass through a compressed file).
    fn read(&self, samples: &[usize], max_bytes: u64) -> Vec<Result<Vec<u8>, String>>;
    /// The encoded bytes of one sample (at most `max_bytes`), or why they cannot be read.
    fn read_one(&self, sample: usize, path: &Path, max_bytes: u64) -> Result<Vec<u8>, String> {
        let _ = path;
        self.read(&[sample], max_bytes)
            .pop()
            .unwrap_or_else(|| Err(format!("sample {sample} was not read")))
    }
    /// The image's format and size, from its header (read when the source was indexed,
    /// or now).
    fn header(&self, sample: usize, path: &Path) -> ImageHeader;
    /// The colour type the image's header declares, as the `image` crate names it (`Rgb8`, `L16`),
    /// where the source can tell without decoding; `None` when it cannot.
    fn color_type(&self, sample: usize, path: &Path) -> Option<String> {
        let _ = (sample, path);
        None
    }
    /// What the source is, for messages (`3 TFRecord files, GZIP`).
    fn describe(&self) -> String;
    /// Whether any sample can be read without reading the ones before it (no compressed file).
    fn is_random_access(&self) -> bool;
    /// The layout the source expects, for the message when it holds no sample (a folder's
    /// `<folder>/<class>/<image>.jpg`); `None` when its description says enough.
    fn expected_layout(&self) -> Option<&'static str> {
        None
    }
    /// Whether each sample is a file of its own, which can be stamped (size and modification time)
    /// to cache what was computed from it, and whose bytes are the sample's whole content.
    fn samples_are_files(&self) -> bool {
        false
    }
    /// The encoded masks inside sample `sample`'s record, for a source whose
    /// [`Objects::mask`](crate::source::annotations::Objects::mask) is
    /// [`MaskRef::Record`](crate::source::annotations::MaskRef::Record) (each at most `max_bytes`).
    fn masks(&self, sample: usize, max_bytes: u64) -> Result<RecordMasks, String> {
        let _ = max_bytes;
        Err(format!("sample {sample}'s source holds no masks"))
    }
}

/// The encoded masks of one record: a class-map image, or one image per object (non-zero pixels
/// are the object's), in the order of its objects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordMasks {
    /// A class-map PNG (`image/segmentation/class/encoded`).
    pub class_map: Option<Vec<u8>>,
    /// One PNG per object (`image/object/mask`).
    pub per_object: Vec<Vec<u8>>,
}

/// One array of a stored source: what `<name>.npy` of an export holds, one row per sample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Output name without `.npy` (`images`, `labels`, a dict key, `component_2`).
    pub name: String,
    /// The stored dtype, kept in the export.
    pub dtype: NpyDtype,
    /// The shape of one row (the array's shape without its first axis).
    pub row_shape: Vec<usize>,
}

impl Column {
    /// Bytes of one row.
    pub fn row_bytes(&self) -> usize {
        self.row_shape.iter().product::<usize>() * self.dtype.size()
    }
}

/// What a stored source holds: its description, its columns, and which of them the viewer draws as
/// images and counts as labels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowsLayout {
    /// What the source is, for messages (`the saved tf.data dataset "train" (…)`).
    pub what: String,
    /// The arrays, in output order.
    pub columns: Vec<Column>,
    /// The column drawn as images, if one has an image's shape.
    pub image: Option<usize>,
    /// The column holding labels, if any.
    pub label: Option<usize>,
    /// How the image column orders its axes (`--array-layout`; detected by default).
    pub array_layout: ArrayLayout,
}

impl RowsLayout {
    /// How a row of the image column is drawn, if there is one.
    pub fn image_shape(&self) -> Option<RowImage> {
        let column = self.columns.get(self.image?)?;
        RowImage::of(&column.row_shape, self.array_layout)
    }
}

/// A stored row drawn as an image: its height, width and channels, and whether the row stores the
/// channels first (`(C, H, W)`, as PyTorch) rather than last (`(H, W, C)`). Only the drawing and the
/// shape described follow it: the stored values are exported as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowImage {
    /// Rows of pixels.
    pub height: usize,
    /// Pixels per row.
    pub width: usize,
    /// Channels per pixel: 1, 3 or 4.
    pub channels: usize,
    /// The row is `(C, H, W)`.
    pub channels_first: bool,
}

impl RowImage {
    /// How a row of `row_shape` is drawn under `layout`, if it is an image at all: `(H, W)`; or
    /// `(H, W, C)` with 1, 3 or 4 channels; or `(C, H, W)` with 1, 3 or 4 channels under
    /// [`ArrayLayout::Nchw`], and with 1 or 3 detected ([`ArrayLayout::Auto`]) when the last axis is
    /// not a channel count.
    pub fn of(row_shape: &[usize], layout: ArrayLayout) -> Option<Self> {
        let channel_count = |c: usize| matches!(c, 1 | 3 | 4);
        let image = |height, width, channels, channels_first| {
            (height > 0 && width > 0).then_some(Self {
                height,
                width,
                channels,
                channels_first,
            })
        };
        match (row_shape, layout) {
            (&[h, w], _) => image(h, w, 1, false),
            (&[h, w, c], ArrayLayout::Auto | ArrayLayout::Nhwc) if channel_count(c) => {
                image(h, w, c, false)
            }
            (&[c, h, w], ArrayLayout::Nchw) if channel_count(c) => image(h, w, c, true),
            (&[c, h, w], ArrayLayout::Auto) if matches!(c, 1 | 3) => image(h, w, c, true),
            _ => None,
        }
    }

    /// Where element `i` of the row drawn as `(H, W, C)` is stored in the row.
    pub fn stored_index(&self, i: usize) -> usize {
        if self.channels_first {
            let (pixel, channel) = (i / self.channels, i % self.channels);
            channel * self.height * self.width + pixel
        } else {
            i
        }
    }
}

/// A source of stored rows: the same rows of every [`Column`] describe one sample.
pub trait StoredRows: Send + Sync {
    /// Its description and columns.
    fn layout(&self) -> &RowsLayout;
    /// Appends rows `rows` of every column to `out` (one buffer per column, little-endian bytes);
    /// `Err` says which file and why. Rows read in increasing order are cheapest.
    fn read_rows(&self, rows: Range<usize>, out: &mut [Vec<u8>]) -> Result<(), String>;
    /// Whether any row can be read without reading the ones before it (no compressed file).
    fn is_random_access(&self) -> bool;
    /// The sizes of the stored batches, when the source was saved as batches (the viewer shows those).
    fn batch_rows(&self) -> Option<&[usize]> {
        None
    }
    /// The arrays, in output order.
    fn columns(&self) -> &[Column] {
        &self.layout().columns
    }
    /// The column the viewer draws as images, if one has an image's shape.
    fn image_column(&self) -> Option<usize> {
        self.layout().image
    }
    /// How a row of that column is drawn.
    fn image_shape(&self) -> Option<RowImage> {
        self.layout().image_shape()
    }
    /// The column holding labels, if any.
    fn label_column(&self) -> Option<usize> {
        self.layout().label
    }
    /// What the source is, for messages.
    fn describe(&self) -> String {
        self.layout().what.clone()
    }
}

/// What a source can do. Callers ask these instead of asking what the source is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Its samples are encoded images that batchscope decodes, so the image options (colour mode,
    /// image size, interpolation, aspect fit, JPEG decoder, dtype, layout, file size limit) apply.
    /// `false`: stored rows, kept with their dtypes and shapes.
    pub decodes_images: bool,
    /// `None` when any sample can be read without the ones before it (a shuffled order costs
    /// nothing extra); else what the source is, for the message that refuses a shuffle.
    pub sequential_only: Option<String>,
    /// Each sample is a file of its own: its bytes can be hashed as the sample's content, and what
    /// was computed from it can be cached against its size and modification time.
    pub samples_are_files: bool,
    /// What its kind takes (from the kind's registration): the options checked against it.
    pub takes: Takes,
}

impl Capabilities {
    /// Whether the source-specific `option` applies to this source.
    pub fn accepts(&self, option: SourceOption) -> bool {
        self.takes.accepts.contains(&option)
    }
}

/// Where a dataset's samples are stored, behind the contract: encoded images or stored rows. It
/// never says which kind of dataset it is; ask [`Store::capabilities`], or for the reading side
/// [`Store::images`] and [`Store::rows`].
#[derive(Clone)]
pub struct Store {
    content: Content,
    takes: Takes,
}

#[derive(Clone)]
enum Content {
    Images(Arc<dyn EncodedImages>),
    Rows(Arc<dyn StoredRows>),
}

impl Store {
    /// A store of encoded images.
    pub fn of_images(images: Arc<dyn EncodedImages>) -> Self {
        Self {
            content: Content::Images(images),
            takes: Takes {
                decodes_images: true,
                record_limit: true,
                accepts: &[],
                what: "decoded images",
            },
        }
    }

    /// A store of stored rows.
    pub fn of_rows(rows: Arc<dyn StoredRows>) -> Self {
        Self {
            content: Content::Rows(rows),
            takes: Takes {
                decodes_images: false,
                record_limit: false,
                accepts: &[],
                what: "stored rows",
            },
        }
    }

    /// The same store, taking what its kind's registration says; a kind that may hold either
    /// (a `datasets` folder of images or of arrays) takes no image option when it holds rows.
    #[must_use]
    pub fn taking(mut self, takes: Takes) -> Self {
        self.takes = Takes {
            decodes_images: takes.decodes_images && self.decodes_images(),
            ..takes
        };
        self
    }

    /// The encoded images, when the source's samples are decoded.
    pub fn images(&self) -> Option<&dyn EncodedImages> {
        match &self.content {
            Content::Images(images) => Some(images.as_ref()),
            Content::Rows(_) => None,
        }
    }

    /// The stored rows, when the source keeps them as stored.
    pub fn rows(&self) -> Option<&dyn StoredRows> {
        match &self.content {
            Content::Rows(rows) => Some(rows.as_ref()),
            Content::Images(_) => None,
        }
    }

    /// Whether its samples are encoded images that batchscope decodes (see
    /// [`Capabilities::decodes_images`]), without asking anything of the source itself.
    pub fn decodes_images(&self) -> bool {
        matches!(self.content, Content::Images(_))
    }

    /// What its kind takes (see [`Capabilities::takes`]).
    pub fn takes(&self) -> Takes {
        self.takes
    }

    /// Whether each sample is a file of its own (see [`Capabilities::samples_are_files`]).
    pub fn samples_are_files(&self) -> bool {
        self.images().is_some_and(EncodedImages::samples_are_files)
    }

    /// What the source can do.
    pub fn capabilities(&self) -> Capabilities {
        match &self.content {
            Content::Images(images) => Capabilities {
                decodes_images: self.decodes_images(),
                sequential_only: (!images.is_random_access()).then(|| images.describe()),
                samples_are_files: self.samples_are_files(),
                takes: self.takes,
            },
            Content::Rows(rows) => Capabilities {
                decodes_images: self.decodes_images(),
                sequential_only: (!rows.is_random_access()).then(|| rows.describe()),
                samples_are_files: self.samples_are_files(),
                takes: self.takes,
            },
        }
    }

    /// What the source is, for messages.
    pub fn describe(&self) -> String {
        match &self.content {
            Content::Images(images) => images.describe(),
            Content::Rows(rows) => rows.describe(),
        }
    }

    /// Why the samples cannot be read in a shuffled order at a reasonable cost: `Some(source)` for a
    /// compressed source, which can only be read forward (each jump back decompresses it again).
    pub fn sequential_only(&self) -> Option<String> {
        self.capabilities().sequential_only
    }

    /// The sizes of the source's stored batches, if it has its own (see [`StoredRows::batch_rows`]).
    pub fn batch_rows(&self) -> Option<&[usize]> {
        self.rows().and_then(StoredRows::batch_rows)
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.content {
            Content::Images(e) => write!(f, "Images({})", e.describe()),
            Content::Rows(r) => write!(f, "Rows({})", r.describe()),
        }
    }
}

/// Two stores are equal when they are the same source (a folder's stores are all alike).
impl PartialEq for Store {
    fn eq(&self, other: &Self) -> bool {
        match (&self.content, &other.content) {
            (Content::Images(a), Content::Images(b)) => {
                Arc::ptr_eq(a, b) || a.samples_are_files() && b.samples_are_files()
            }
            (Content::Rows(a), Content::Rows(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for Store {}

#[cfg(test)]
mod row_image_tests {
    use super::*;

    fn drawn(shape: &[usize], layout: ArrayLayout) -> Option<(usize, usize, usize, bool)> {
        RowImage::of(shape, layout).map(|r| (r.height, r.width, r.channels, r.channels_first))
    }

    #[test]
    fn rows_are_images_by_shape_and_layout() {
        use ArrayLayout::{Auto, Nchw, Nhwc};
        assert_eq!(drawn(&[28, 28], Auto), Some((28, 28, 1, false)));
        assert_eq!(drawn(&[32, 32, 3], Auto), Some((32, 32, 3, false)));
        // Auto: channels first only when the last axis is no channel count and the first is 1 or 3.
        assert_eq!(drawn(&[3, 224, 224], Auto), Some((224, 224, 3, true)));
        assert_eq!(drawn(&[1, 28, 28], Auto), Some((28, 28, 1, true)));
        assert_eq!(drawn(&[3, 4, 3], Auto), Some((3, 4, 3, false)));
        assert_eq!(drawn(&[4, 8, 8], Auto), None);
        assert_eq!(drawn(&[5, 8, 8], Auto), None);
        // Said: as said.
        assert_eq!(drawn(&[3, 4, 3], Nchw), Some((4, 3, 3, true)));
        assert_eq!(drawn(&[4, 8, 8], Nchw), Some((8, 8, 4, true)));
        assert_eq!(drawn(&[3, 224, 224], Nhwc), None);
        assert_eq!(drawn(&[0, 4, 3], Auto), None);
        assert_eq!(drawn(&[3, 4, 5, 6], Auto), None);
    }

    #[test]
    fn a_channels_first_row_is_read_where_each_pixel_channel_lies() {
        let image = RowImage::of(&[3, 2, 5], ArrayLayout::Auto).unwrap();
        // (y, x, c) drawn at (y * 5 + x) * 3 + c is stored at c * 10 + y * 5 + x.
        for (y, x, c) in [(0, 0, 0), (1, 4, 2), (0, 3, 1), (1, 0, 0)] {
            assert_eq!(image.stored_index((y * 5 + x) * 3 + c), c * 10 + y * 5 + x);
        }
        let last = RowImage::of(&[2, 5, 3], ArrayLayout::Auto).unwrap();
        assert!((0..30).all(|i| last.stored_index(i) == i));
    }
}

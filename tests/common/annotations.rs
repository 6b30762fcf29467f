//! Annotated datasets built by hand, until the annotated sources index them: an image folder
//! (labels off) whose samples are given objects, as a detection source would give them.

use std::path::Path;
use std::sync::Arc;

use batchscope::index::DatasetIndex;
use batchscope::options::{IndexOptions, LabelSource};
use batchscope::size::Size;
use batchscope::source::annotations::{BoxXyxy, Object, ObjectClasses, Objects, Units};

/// One image of an annotated folder.
pub struct Annotated {
    /// Its file name (a PNG in the folder's root).
    pub name: &'static str,
    /// Its size as written.
    pub size: Size,
    /// The size its annotation states (`None`: none stated).
    pub stated: Option<Size>,
    /// `(class index, [xmin, ymin, xmax, ymax])` per object, in the folder's units.
    pub objects: Vec<(u32, [f64; 4])>,
}

/// `height x width`.
pub fn size(height: u32, width: u32) -> Size {
    Size { height, width }
}

/// Writes `images` into `root` (distinct patterns) and indexes the folder with labels off, its
/// samples given their objects in `units` and the index the classes `classes` (source ids 1, 2, …).
pub fn annotated_folder(
    root: &Path,
    classes: &[&str],
    units: Units,
    images: &[Annotated],
) -> DatasetIndex {
    for (seed, image) in images.iter().enumerate() {
        super::pattern(image.size.width, image.size.height, seed as u32)
            .save(root.join(image.name))
            .unwrap();
    }
    let options = IndexOptions {
        labels: LabelSource::None,
        ..IndexOptions::default()
    };
    let mut index = super::open_dataset(root, &options).unwrap();
    annotate(&mut index, classes, units, images);
    index
}

/// Gives `index`'s samples named as `images` their objects, and `index` the classes `classes`.
pub fn annotate(index: &mut DatasetIndex, classes: &[&str], units: Units, images: &[Annotated]) {
    for sample in &mut index.samples {
        let image = images
            .iter()
            .find(|i| sample.rel_path == Path::new(i.name))
            .unwrap_or_else(|| panic!("{:?} is not among the images", sample.rel_path));
        sample.objects = Some(Arc::new(Objects {
            objects: image
                .objects
                .iter()
                .map(|&(class, [xmin, ymin, xmax, ymax])| Object {
                    bbox: BoxXyxy {
                        xmin,
                        ymin,
                        xmax,
                        ymax,
                    },
                    class,
                    crowd: false,
                })
                .collect(),
            units,
            stated_size: image.stated,
            mask: None,
        }));
    }
    index.object_classes = Some(ObjectClasses {
        names: classes.iter().map(|&c| c.to_owned()).collect(),
        ids: (1..=i64::try_from(classes.len()).unwrap()).collect(),
        has_masks: false,
    });
}

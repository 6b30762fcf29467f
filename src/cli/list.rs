//! `batchscope list`: one row per sample that passes the filters, in the sort order, through the
//! same [`query`](crate::query) engine as the viewer's Gallery. Columns `index,path,label,
//! class_name,subset`; with a health pass, the measures, the duplicate group size, the leak mark and
//! the flags; with `--corrections`, the tags; for a dataset that annotates objects, `num_objects`
//! after `subset` (and `--object-class`, `--objects` filter on them). `index` is the sample's
//! place in the dataset's own order (what `--sort index` sorts by), `path` is as `manifest.csv`
//! writes it.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context as _;

use super::args::{ListArgs, ListFormat};
use super::{Failure, health_pass, index_dir, out, print_skipped, warn_about};
use crate::health::Thresholds;
use crate::index::DatasetIndex;
use crate::query::{Corrections, Edits, PathPattern, Query, Table};

/// The health columns, after the five every row has.
const HEALTH_COLUMNS: [&str; 9] = [
    "brightness",
    "sharpness",
    "information",
    "width",
    "height",
    "aspect_ratio",
    "duplicate_group_size",
    "leak",
    "flags",
];

/// `batchscope list`.
pub fn list(args: &ListArgs, cancel: &Arc<AtomicBool>) -> Result<(), Failure> {
    let options = args.loader.to_options();
    warn_about(&args.loader);
    let index = index_dir(&args.dir, &options, &args.loader.given(true), cancel)?;
    out(&list_text(&index, args, cancel)?)
}

/// What `batchscope list` prints for `index` (indexed from `args.dir` by [`list`], or built by a
/// caller that has one, such as a test of an annotated index).
pub fn list_text(
    index: &Arc<DatasetIndex>,
    args: &ListArgs,
    cancel: &Arc<AtomicBool>,
) -> Result<String, Failure> {
    let options = args.loader.to_options();
    let object_classes = object_classes(index, &args.object_class)?;
    let classes = args
        .class
        .iter()
        .map(|name| {
            index
                .class_names
                .iter()
                .position(|c| c == name)
                .map(|l| l as u32)
                .ok_or_else(|| {
                    Failure::Usage(format!(
                        "--class {name:?} is not a class of this dataset; its classes are {}",
                        index
                            .class_names
                            .iter()
                            .map(|c| format!("{c:?}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
        })
        .collect::<Result<Vec<u32>, Failure>>()?;
    let edits = match &args.corrections {
        Some(file) => Corrections::read(file)
            .map_err(|e| Failure::Failed(e.into()))?
            .tag_edits(&index.root),
        None => Edits::default(),
    };
    let mut table = Table::plan(index, &options.plan).map_err(|e| Failure::Usage(e.to_string()))?;
    let with_health = args.health || !args.flag.is_empty() || args.sort.needs_health();
    if with_health {
        let scan = health_pass(Arc::clone(index), &options, !args.no_cache, cancel)?;
        print_skipped(&scan.failures);
        let findings = crate::health::analyze(&scan, &Thresholds::default());
        table.attach_health(&scan, &findings);
    }
    let query = Query {
        classes,
        health: args.flag.clone(),
        tags: args.tag.clone(),
        path: args.path.as_deref().map(PathPattern::new),
        object_classes,
        object_count: args.objects,
        sort: args.sort,
        descending: args.desc,
        ..Query::default()
    };
    let mut samples = query
        .run(&table, &edits)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    if let Some(limit) = args.limit {
        samples.truncate(limit);
    }
    let rows = Rows {
        table: &table,
        edits: args.corrections.is_some().then_some(&edits),
    };
    Ok(match args.format {
        ListFormat::Csv => rows.csv(&samples)?,
        ListFormat::Json => rows.json(&samples)?,
        ListFormat::Table => rows.aligned(&samples),
    })
}

/// The object class indices of `names`, or a usage error naming the dataset's object classes.
fn object_classes(index: &DatasetIndex, names: &[String]) -> Result<Vec<u32>, Failure> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let Some(classes) = &index.object_classes else {
        return Err(Failure::Usage(format!(
            "--object-class {:?} needs a dataset that annotates objects (boxes or masks), and {:?} does not",
            names[0], index.root
        )));
    };
    names
        .iter()
        .map(|name| {
            classes
                .names
                .iter()
                .position(|c| c == name)
                .map(|c| c as u32)
                .ok_or_else(|| {
                    Failure::Usage(format!(
                        "--object-class {name:?} is not an object class of this dataset; its object classes are {}",
                        classes
                            .names
                            .iter()
                            .map(|c| format!("{c:?}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
        })
        .collect()
}

/// The rows' cells.
struct Rows<'a> {
    table: &'a Table,
    edits: Option<&'a Edits>,
}

impl Rows<'_> {
    fn header(&self) -> Vec<&'static str> {
        let mut h = vec!["index", "path", "label", "class_name", "subset"];
        if self.table.has_objects() {
            h.push("num_objects");
        }
        if self.table.has_health() {
            h.extend(HEALTH_COLUMNS);
        }
        if self.edits.is_some() {
            h.push("tags");
        }
        h
    }

    /// Sample `sample`'s cells as text (floats to 3 decimals; empty where there is no value).
    fn cells(&self, sample: usize) -> (Vec<u8>, Vec<String>) {
        let t = self.table;
        let row = t.row(sample).unwrap_or_default();
        let path = t.path(row).to_vec();
        let label = t.label(row);
        let mut cells = vec![
            sample.to_string(),
            label.map(|l| l.to_string()).unwrap_or_default(),
            label
                .and_then(|l| t.class_names().get(l as usize))
                .cloned()
                .unwrap_or_default(),
            t.subset(row).map(|s| s.to_string()).unwrap_or_default(),
        ];
        if let Some(n) = t.num_objects(row) {
            cells.push(n.to_string());
        }
        if t.has_health() {
            match t.measures(row) {
                Some(m) => cells.extend([
                    format!("{:.3}", m.brightness),
                    format!("{:.3}", m.sharpness),
                    format!("{:.3}", m.information),
                    m.width.to_string(),
                    m.height.to_string(),
                    format!("{:.3}", m.aspect_ratio()),
                    m.duplicate_group_size.to_string(),
                    u8::from(m.leak).to_string(),
                    m.flags
                        .iter()
                        .map(|f| f.name())
                        .collect::<Vec<_>>()
                        .join(";"),
                ]),
                None => cells.extend(std::iter::repeat_n(String::new(), HEALTH_COLUMNS.len())),
            }
        }
        if let Some(edits) = self.edits {
            let tags = std::str::from_utf8(&path)
                .ok()
                .and_then(|p| edits.get(p))
                .map(|e| {
                    e.tags
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(";")
                })
                .unwrap_or_default();
            cells.push(tags);
        }
        (path, cells)
    }

    fn csv(&self, samples: &[usize]) -> Result<String, Failure> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let encode = |e: csv::Error| Failure::Failed(anyhow::Error::new(e).context("writing CSV"));
        w.write_record(self.header()).map_err(encode)?;
        for &s in samples {
            let (path, cells) = self.cells(s);
            let mut record: Vec<&[u8]> = vec![cells[0].as_bytes(), &path];
            record.extend(cells[1..].iter().map(String::as_bytes));
            w.write_record(record).map_err(encode)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| Failure::Failed(anyhow::anyhow!("writing CSV: {e}")))?;
        // Paths that are not UTF-8 are written lossily: stdout takes text here.
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn json(&self, samples: &[usize]) -> Result<String, Failure> {
        let t = self.table;
        let mut text = String::from("[");
        for (i, &s) in samples.iter().enumerate() {
            let row = t.row(s).unwrap_or_default();
            let label = t.label(row);
            let health = t.has_health().then(|| {
                let m = t.measures(row);
                let m = m.as_ref();
                JsonHealth {
                    brightness: m.map(|m| m.brightness),
                    sharpness: m.map(|m| m.sharpness),
                    information: m.map(|m| m.information),
                    width: m.map(|m| m.width),
                    height: m.map(|m| m.height),
                    aspect_ratio: m.map(crate::query::Measures::aspect_ratio),
                    duplicate_group_size: m.map(|m| m.duplicate_group_size),
                    leak: m.map(|m| m.leak),
                    flags: m.map(|m| m.flags.iter().map(|f| f.name()).collect()),
                }
            });
            let tags = self.edits.map(|edits| {
                std::str::from_utf8(t.path(row))
                    .ok()
                    .and_then(|p| edits.get(p))
                    .map(|e| e.tags.iter().map(String::as_str).collect())
                    .unwrap_or_default()
            });
            let json_row = JsonRow {
                index: s,
                path: String::from_utf8_lossy(t.path(row)),
                label,
                class_name: label.and_then(|l| t.class_names().get(l as usize)),
                subset: t.subset(row).map(|s| s.to_string()),
                num_objects: t.num_objects(row),
                health,
                tags,
            };
            text.push_str(if i == 0 { "\n  " } else { ",\n  " });
            text.push_str(&serde_json::to_string(&json_row).context("encoding a row as JSON")?);
        }
        text.push_str(if samples.is_empty() { "]\n" } else { "\n]\n" });
        Ok(text)
    }

    /// Columns padded to their widest cell, two spaces apart.
    fn aligned(&self, samples: &[usize]) -> String {
        let header: Vec<String> = self.header().into_iter().map(str::to_owned).collect();
        let mut lines = vec![header];
        for &s in samples {
            let (path, mut cells) = self.cells(s);
            cells.insert(1, String::from_utf8_lossy(&path).into_owned());
            lines.push(cells);
        }
        let columns = lines[0].len();
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                lines
                    .iter()
                    .map(|l| l[c].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut text = String::new();
        for line in &lines {
            let mut row = String::new();
            for (c, cell) in line.iter().enumerate() {
                if c + 1 == columns {
                    row.push_str(cell);
                } else {
                    let _ = write!(row, "{cell:<w$}  ", w = widths[c]);
                }
            }
            text.push_str(row.trim_end());
            text.push('\n');
        }
        text
    }
}

/// One row of `--format json`, keys in column order.
#[derive(serde::Serialize)]
struct JsonRow<'a> {
    index: usize,
    path: std::borrow::Cow<'a, str>,
    label: Option<u32>,
    class_name: Option<&'a String>,
    subset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    num_objects: Option<u32>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    health: Option<JsonHealth>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<&'a str>>,
}

/// The health columns of a JSON row (`null` for a sample that failed to load).
#[derive(serde::Serialize)]
struct JsonHealth {
    brightness: Option<f32>,
    sharpness: Option<f32>,
    information: Option<f32>,
    width: Option<u32>,
    height: Option<u32>,
    aspect_ratio: Option<f32>,
    duplicate_group_size: Option<usize>,
    leak: Option<bool>,
    flags: Option<Vec<&'static str>>,
}

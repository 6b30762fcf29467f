//! The hash cache: what a health pass measured on each file, keyed by (relative path, size, mtime), so
//! a second pass over an unchanged folder reads no pixels.
//!
//! One cache file per (dataset root, options that change the loaded pixels), named by a hash of them,
//! under `$XDG_CACHE_HOME/batchscope/health/` (or `~/.cache/batchscope/health/`), never inside the
//! dataset. The file is written whole under a temporary name and renamed, so a reader sees an old or a
//! new cache, never a torn one. A file that is missing, truncated, of another version or otherwise
//! unreadable is an empty cache, never an error: the pass then measures everything again.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use image::ImageFormat;

use super::hash;
use super::measure::SampleHealth;

const MAGIC: &[u8; 8] = b"BSHEALTH";
/// Bumped whenever a measure or the file layout changes.
const VERSION: u32 = 2;

/// When a file was last seen: its length and modification time (nanoseconds since the epoch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// Length in bytes.
    pub len: u64,
    /// Modification time in nanoseconds since the Unix epoch.
    pub mtime_ns: u64,
}

impl Stamp {
    /// The stamp of the file at `path`, if it can be read.
    pub fn of(path: &Path) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        let mtime = meta
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        Some(Self {
            len: meta.len(),
            mtime_ns: u64::try_from(mtime.as_nanos()).ok()?,
        })
    }
}

/// The measures of one dataset's files under one set of pixel options.
#[derive(Debug, Default)]
pub struct HashCache {
    path: Option<PathBuf>,
    entries: HashMap<Vec<u8>, (Stamp, SampleHealth)>,
    changed: bool,
}

/// The default cache folder: `$XDG_CACHE_HOME/batchscope/health`, else `~/.cache/batchscope/health`.
pub fn default_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("batchscope").join("health"))
}

impl HashCache {
    /// The cache of `root` under `key` (everything that changes the loaded pixels, as text) in
    /// folder `dir`; empty if there is none or it cannot be read.
    pub fn open(dir: &Path, root: &Path, key: &str) -> Self {
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let mut id = root.as_os_str().as_encoded_bytes().to_vec();
        id.push(0);
        id.extend_from_slice(key.as_bytes());
        let path = dir.join(format!(
            "{:016x}.bin",
            hash::hash64(u64::from(VERSION), &id)
        ));
        let entries = std::fs::read(&path)
            .ok()
            .and_then(|bytes| parse(&bytes))
            .unwrap_or_default();
        Self {
            path: Some(path),
            entries,
            changed: false,
        }
    }

    /// Where the cache is stored.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Number of files the cache knows.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache knows no file.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The measures of `rel` if it was measured with this very stamp.
    pub fn get(&self, rel: &Path, stamp: Stamp) -> Option<&SampleHealth> {
        match self.entries.get(rel.as_os_str().as_encoded_bytes()) {
            Some((s, h)) if *s == stamp => Some(h),
            _ => None,
        }
    }

    /// Records the measures of `rel` at `stamp`.
    pub fn insert(&mut self, rel: &Path, stamp: Stamp, health: SampleHealth) {
        self.entries
            .insert(rel.as_os_str().as_encoded_bytes().to_vec(), (stamp, health));
        self.changed = true;
    }

    /// Writes the cache if anything was inserted (temporary file, then rename).
    pub fn save(&mut self) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if !self.changed {
            return Ok(());
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut out = Vec::with_capacity(16 + self.entries.len() * 200);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(self.entries.len() as u64).to_le_bytes());
        for (rel, (stamp, h)) in &self.entries {
            write_entry(&mut out, rel, *stamp, h);
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&out)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        self.changed = false;
        Ok(())
    }
}

/// Formats by their byte in the file (0: none or unknown).
const FORMATS: [ImageFormat; 6] = [
    ImageFormat::Png,
    ImageFormat::Jpeg,
    ImageFormat::Gif,
    ImageFormat::Bmp,
    ImageFormat::WebP,
    ImageFormat::Tiff,
];

fn write_entry(out: &mut Vec<u8>, rel: &[u8], stamp: Stamp, h: &SampleHealth) {
    out.extend_from_slice(&(rel.len() as u32).to_le_bytes());
    out.extend_from_slice(rel);
    for v in [stamp.len, stamp.mtime_ns, h.phash, h.pixel_hash] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.push(u8::from(h.file_hash.is_some()));
    out.extend_from_slice(&h.file_hash.unwrap_or(0).to_le_bytes());
    out.extend_from_slice(&h.width.to_le_bytes());
    out.extend_from_slice(&h.height.to_le_bytes());
    let format = h
        .format
        .and_then(|f| FORMATS.iter().position(|&k| k == f))
        .map_or(0, |p| p as u8 + 1);
    out.push(format);
    for v in [h.brightness, h.sharpness, h.entropy] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.push(u8::from(h.colorfulness.is_some()));
    out.extend_from_slice(&h.colorfulness.unwrap_or(0.0).to_le_bytes());
    for v in h.channel_sum.iter().chain(&h.channel_sum_sq) {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&h.pixels.to_le_bytes());
}

/// A cursor over the file's bytes; every read is bounds-checked.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.array()?))
    }
    fn f32(&mut self) -> Option<f32> {
        Some(f32::from_le_bytes(self.array()?))
    }
    fn f64(&mut self) -> Option<f64> {
        Some(f64::from_le_bytes(self.array()?))
    }
}

fn parse(bytes: &[u8]) -> Option<HashMap<Vec<u8>, (Stamp, SampleHealth)>> {
    let mut r = Reader(bytes);
    if r.take(8)? != MAGIC || r.u32()? != VERSION {
        return None;
    }
    let count = usize::try_from(r.u64()?).ok()?;
    // Each entry takes more than 100 bytes: a count the file cannot hold is corruption.
    if count > bytes.len() / 100 {
        return None;
    }
    let mut entries = HashMap::with_capacity(count);
    for _ in 0..count {
        let len = r.u32()? as usize;
        let rel = r.take(len)?.to_vec();
        let stamp = Stamp {
            len: r.u64()?,
            mtime_ns: r.u64()?,
        };
        let phash = r.u64()?;
        let pixel_hash = r.u64()?;
        let has_file = r.u8()? == 1;
        let file_hash = r.u64()?;
        let width = r.u32()?;
        let height = r.u32()?;
        let format = match r.u8()? {
            0 => None,
            k => Some(*FORMATS.get(usize::from(k) - 1)?),
        };
        let (brightness, sharpness, entropy) = (r.f32()?, r.f32()?, r.f32()?);
        let has_color = r.u8()? == 1;
        let colorfulness = r.f32()?;
        let mut channel_sum = [0f64; 4];
        let mut channel_sum_sq = [0f64; 4];
        for v in channel_sum.iter_mut().chain(channel_sum_sq.iter_mut()) {
            *v = r.f64()?;
        }
        let pixels = r.u64()?;
        let health = SampleHealth {
            phash,
            pixel_hash,
            file_hash: has_file.then_some(file_hash),
            width,
            height,
            format,
            brightness,
            sharpness,
            entropy,
            colorfulness: has_color.then_some(colorfulness),
            channel_sum,
            channel_sum_sq,
            pixels,
        };
        entries.insert(rel, (stamp, health));
    }
    r.0.is_empty().then_some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(i: u32) -> SampleHealth {
        SampleHealth {
            phash: u64::from(i) * 77,
            pixel_hash: 5,
            file_hash: i.is_multiple_of(2).then_some(9),
            width: i,
            height: 2 * i,
            format: Some(ImageFormat::Jpeg),
            brightness: 1.5,
            sharpness: 0.25,
            entropy: 7.0,
            colorfulness: None,
            channel_sum: [1.0, 2.0, 3.0, 0.0],
            channel_sum_sq: [4.0, 5.0, 6.0, 0.0],
            pixels: 12,
        }
    }

    #[test]
    fn health_cache_round_trips_and_a_corrupt_file_is_an_empty_cache() {
        let dir = tempfile::tempdir().expect("temp dir");
        let stamp = Stamp {
            len: 10,
            mtime_ns: 123,
        };
        let mut cache = HashCache::open(dir.path(), Path::new("/data/x"), "rgb 64x64");
        assert!(cache.is_empty());
        for i in 0..5 {
            cache.insert(Path::new(&format!("a/{i}.png")), stamp, sample(i));
        }
        cache.save().expect("save");
        let again = HashCache::open(dir.path(), Path::new("/data/x"), "rgb 64x64");
        assert_eq!(again.len(), 5);
        assert_eq!(again.get(Path::new("a/3.png"), stamp), Some(&sample(3)));
        // Another size or time is another file; other options are another cache.
        assert_eq!(
            again.get(Path::new("a/3.png"), Stamp { len: 11, ..stamp }),
            None
        );
        assert!(HashCache::open(dir.path(), Path::new("/data/x"), "rgb 32x32").is_empty());
        // Truncated or garbled: ignored, not fatal.
        let path = again.path().expect("path").to_path_buf();
        let bytes = std::fs::read(&path).expect("read");
        for cut in [0, 7, 20, bytes.len() / 2, bytes.len() - 1] {
            std::fs::write(&path, &bytes[..cut]).expect("write");
            assert!(HashCache::open(dir.path(), Path::new("/data/x"), "rgb 64x64").is_empty());
        }
        let mut garbled = bytes.clone();
        garbled[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
        std::fs::write(&path, &garbled).expect("write");
        assert!(HashCache::open(dir.path(), Path::new("/data/x"), "rgb 64x64").is_empty());
    }
}

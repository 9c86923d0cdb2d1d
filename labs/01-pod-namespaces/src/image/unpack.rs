//! Unpacking: apply an image's layers, in order, to an empty directory, the future rootfs.
//!
//! Each layer is a tar archive of *changes* to the layers below it (image-spec `layer.md`):
//! added and changed files are ordinary entries, and a deletion is written as a *whiteout*,
//! an empty file whose name says what to hide:
//!
//! ```text
//! layer 0 (base)        layer 1                    rootfs after both
//! etc/motd              etc/.wh.motd               etc/
//! etc/hosts             var/cache/.wh..wh..opq     etc/hosts
//! var/cache/a           var/cache/fresh            var/cache/fresh
//! var/cache/b
//! ```
//!
//! - `.wh.<name>` deletes `<name>` (file or whole directory) from the layers below.
//! - `.wh..wh..opq` makes its directory *opaque*: everything the lower layers put in it is gone,
//!   and only what this layer puts there remains.
//!
//! Whiteouts only ever hide *lower* layers: a file added by the same layer stays, wherever in the
//! tar its whiteout appears. The whiteout files themselves are never written to the rootfs.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs;
use std::io::{self, BufReader, Read};
use std::ops::Bound;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use sha2::{Digest as _, Sha256};

use crate::image::entry::{is_real_dir, remove_any, set_dir_modes, write_entry};
use crate::image::layout::{Image, OciDir, hex};
use crate::image::media::{BlobKind, Compression};
use crate::image::safe_path::{clean_entry_path, resolve_in_rootfs};
use crate::image::{Error, Result};

/// The prefix of a whiteout file: `.wh.<name>` hides `<name>`.
pub const WHITEOUT_PREFIX: &str = ".wh.";
/// The opaque-directory marker: hides everything lower layers put in its directory.
pub const OPAQUE_WHITEOUT: &str = ".wh..wh..opq";

/// What one layer did, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LayerStats {
    /// Entries written (files, directories, links).
    pub written: usize,
    /// Whiteouts applied (both kinds).
    pub whiteouts: usize,
    /// Entries skipped (device nodes, FIFOs, the `./` entry).
    pub skipped: usize,
}

// ANCHOR: unpack_image
/// Unpacks `image` from `layout` into `rootfs`, which must be missing or empty.
///
/// Layers are applied base first. Each layer blob is verified by digest when opened, and its
/// uncompressed tar by the config's `diff_id` once applied.
pub fn unpack_image(layout: &OciDir, image: &Image, rootfs: &Path) -> Result<()> {
    prepare_rootfs(rootfs)?;
    let diff_ids = image.config.rootfs().diff_ids();
    let layers = image.manifest.layers();
    if diff_ids.len() != layers.len() {
        return Err(Error::LayerCountMismatch {
            diff_ids: diff_ids.len(),
            layers: layers.len(),
        });
    }
    for (layer, diff_id) in layers.iter().zip(diff_ids) {
        let Some(BlobKind::Layer(compression)) = BlobKind::of(layer.media_type()) else {
            return Err(Error::UnsupportedMediaType {
                what: "layer",
                media_type: layer.media_type().to_string(),
            });
        };
        // `open_blob` has just hashed the whole blob, so what we read now is what the manifest
        // named. The buffer matters: the tar reader asks for 512-byte records.
        let blob = BufReader::new(layout.open_blob(layer)?);
        // `MultiGzDecoder`, not `GzDecoder`: a gzip file may be several gzip streams in a row
        // (parallel compressors such as pigz write that), and all of them are the layer.
        let tar: Box<dyn Read> = match compression {
            Compression::None => Box::new(blob),
            Compression::Gzip => Box::new(MultiGzDecoder::new(blob)),
        };
        // Hash the uncompressed bytes as the tar reader consumes them: that is the diff_id.
        let mut hashed = HashingReader::new(tar);
        let stats = apply_layer(&mut hashed, rootfs)?;
        // The tar reader stops at the end-of-archive marker; the hash must cover the padding
        // after it too, so read what is left.
        io::copy(&mut hashed, &mut io::sink()).map_err(Error::io("read layer", rootfs))?;
        let actual = hex(&hashed.hasher.finalize());
        if diff_id.strip_prefix("sha256:") != Some(actual.as_str()) {
            return Err(Error::DiffIdMismatch {
                layer: layer.digest().to_string(),
                expected: diff_id.clone(),
                actual,
            });
        }
        tracing::info!(layer = %layer.digest(), ?stats, "applied layer");
    }
    Ok(())
}
// ANCHOR_END: unpack_image

// ANCHOR: apply_layer
/// Applies one layer (an uncompressed tar stream) on top of what `rootfs` already holds.
pub fn apply_layer(layer: impl Read, rootfs: &Path) -> Result<LayerStats> {
    // BEGIN SOLUTION step-1: apply one layer: clean each entry path, turn .wh. and opaque whiteouts into deletions, write the rest
    let mut archive = tar::Archive::new(layer);
    let mut stats = LayerStats::default();
    // The paths this layer wrote: its whiteouts must leave them alone.
    let mut written: BTreeSet<PathBuf> = BTreeSet::new();
    let mut dir_modes = Vec::new();
    let entries = archive
        .entries()
        .map_err(Error::io("read layer for", rootfs))?;
    for entry in entries {
        let mut entry = entry.map_err(Error::io("read a layer entry for", rootfs))?;
        let raw_path = entry
            .path()
            .map_err(Error::io("read an entry path for", rootfs))?;
        // Refuses `/abs` and `../x` before anything touches the disk.
        let path = clean_entry_path(&raw_path)?;
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            // The `./` entry: the rootfs itself.
            stats.skipped += 1;
            continue;
        };
        if name == OPAQUE_WHITEOUT {
            remove_lower_contents(rootfs, dir, &written)?;
            stats.whiteouts += 1;
        } else if let Some(hidden) = name.as_bytes().strip_prefix(WHITEOUT_PREFIX.as_bytes()) {
            remove_lower_path(rootfs, dir, OsStr::from_bytes(hidden), &written)?;
            stats.whiteouts += 1;
        } else if write_entry(rootfs, &path, &mut entry, &mut dir_modes)? {
            written.insert(path);
            stats.written += 1;
        } else {
            stats.skipped += 1;
        }
    }
    set_dir_modes(dir_modes)?;
    Ok(stats)
    // END SOLUTION
}
// ANCHOR_END: apply_layer

// ANCHOR: whiteouts
/// Applies `<dir>/.wh.<name>`: deletes `<dir>/<name>` unless this layer wrote it.
pub fn remove_lower_path(
    rootfs: &Path,
    dir: &Path,
    name: &OsStr,
    written: &BTreeSet<PathBuf>,
) -> Result<()> {
    // `.wh.`, `.wh..` and `.wh...` would name the directory itself or its parent.
    if name.is_empty() || name == "." || name == ".." || name.as_bytes().contains(&b'/') {
        return Err(Error::UnsafePath {
            path: dir
                .join(format!("{WHITEOUT_PREFIX}{}", name.to_string_lossy()))
                .display()
                .to_string(),
            reason: "is a whiteout that names no file".to_owned(),
        });
    }
    let hidden = dir.join(name);
    if written.contains(&hidden) {
        return Ok(());
    }
    remove_any(&resolve_in_rootfs(rootfs, &hidden)?)
}

/// Applies `<dir>/.wh..wh..opq`: deletes everything in `dir` that this layer did not write.
pub fn remove_lower_contents(rootfs: &Path, dir: &Path, written: &BTreeSet<PathBuf>) -> Result<()> {
    let on_host = resolve_in_rootfs(rootfs, dir)?;
    if !is_real_dir(&on_host) {
        // Nothing below to hide (or a non-directory, which this layer's entries will replace).
        return Ok(());
    }
    purge_unwritten(&on_host, dir, written)
}
// ANCHOR_END: whiteouts

/// Deletes the children of `on_host` (whose clean path is `dir`) that this layer did not write,
/// descending into directories that hold something it did write.
fn purge_unwritten(on_host: &Path, dir: &Path, written: &BTreeSet<PathBuf>) -> Result<()> {
    let children = fs::read_dir(on_host).map_err(Error::io("list directory", on_host))?;
    for child in children {
        let child = child.map_err(Error::io("list directory", on_host))?;
        let (child_host, child_path) = (child.path(), dir.join(child.file_name()));
        if written.contains(&child_path) || has_written_below(written, &child_path) {
            if is_real_dir(&child_host) {
                purge_unwritten(&child_host, &child_path, written)?;
            }
        } else {
            remove_any(&child_host)?;
        }
    }
    Ok(())
}

/// Whether this layer wrote anything below `dir`. Paths sort component by component, so the
/// descendants of `dir` are exactly the run of paths right after it in the set.
fn has_written_below(written: &BTreeSet<PathBuf>, dir: &Path) -> bool {
    written
        .range::<Path, _>((Bound::Excluded(dir), Bound::Unbounded))
        .next()
        .is_some_and(|next| next.starts_with(dir))
}

/// Makes sure `rootfs` is an empty directory with mode `0755`, creating it if missing.
///
/// Refusing a non-empty destination is a safety net: `lab-01 images unpack busybox /` must not
/// pour an image over the host's own root.
pub fn prepare_rootfs(rootfs: &Path) -> Result<()> {
    // One `read_dir` answers "does it exist, is it a directory, is it empty" in one system call.
    match fs::read_dir(rootfs) {
        Ok(mut children) => {
            if children.next().is_some() {
                return Err(Error::DestinationNotEmpty {
                    path: rootfs.to_path_buf(),
                });
            }
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(rootfs).map_err(Error::io("create directory", rootfs))?;
        }
        Err(error) if error.kind() == io::ErrorKind::NotADirectory => {
            return Err(Error::DestinationNotEmpty {
                path: rootfs.to_path_buf(),
            });
        }
        Err(error) => return Err(Error::io("list directory", rootfs)(error)),
    }
    // A container's `/` is 0755 whatever the umask made of the directory.
    fs::set_permissions(rootfs, fs::Permissions::from_mode(0o755))
        .map_err(Error::io("set the mode of", rootfs))
}

/// A reader that hashes everything read through it: the diff_id is computed on the way, with
/// no second pass over the layer.
struct HashingReader<R> {
    /// The reader that really produces the bytes (the decompressor).
    inner: R,
    /// The SHA-256 of every byte handed out so far.
    hasher: Sha256,
}

impl<R: Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
        }
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let count = self.inner.read(buf)?;
        // Only the bytes actually read: `buf` beyond `count` holds garbage from earlier reads.
        self.hasher.update(&buf[..count]);
        Ok(count)
    }
}

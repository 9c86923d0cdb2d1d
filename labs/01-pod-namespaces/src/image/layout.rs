//! An OCI image layout on disk: read `index.json`, open blobs verified by digest, walk the graph.
//!
//! The layout is specified in image-spec `image-layout.md`:
//!
//! ```text
//! <layout>/
//! ├── oci-layout          {"imageLayoutVersion": "1.0.0"}: "this directory is a layout"
//! ├── index.json          an image index: the entry points, one descriptor per image
//! └── blobs/
//!     └── sha256/
//!         ├── 9c7a...     a manifest, a config or a layer, named by the SHA-256 of its bytes
//!         └── ...
//! ```
//!
//! Nothing in `blobs/` is trusted until it has been hashed: [`OciDir::open_blob`] refuses a blob
//! whose size or digest differs from the descriptor that led to it. That one check is what makes
//! a layout *content addressed*: a name that is a hash cannot point at different bytes.
//!
//! Writing is here too ([`OciDir::create`], [`OciDir::write_blob`], [`OciDir::write_index`]),
//! because the store and the image builder write the same format they read.

use std::fs::{self, File};
use std::io::{self, BufReader, Seek};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use oci_spec::image::{
    Descriptor, Digest, DigestAlgorithm, ImageConfiguration, ImageIndex, ImageManifest, MediaType,
    OciLayout,
};
use serde::de::DeserializeOwned;
use sha2::{Digest as _, Sha256};

use crate::image::build::write_atomically;
use crate::image::media::{BlobKind, pick_platform};
use crate::image::{Error, Result};

/// The marker file that says "this directory is an image layout".
pub const OCI_LAYOUT_FILE: &str = "oci-layout";
/// The layout's entry point: an image index.
pub const INDEX_FILE: &str = "index.json";
/// The layout version we write, and the major version we read.
pub const LAYOUT_VERSION: &str = "1.0.0";
/// Indexes, manifests and configs are small; a bigger "JSON" blob is an attack or a mistake.
pub const MAX_JSON_SIZE: u64 = 4 * 1024 * 1024;
/// How many indexes-within-indexes we follow before giving up (real images use at most two).
pub const MAX_INDEX_DEPTH: usize = 4;

/// One image found by walking index -> manifest -> config: everything needed to unpack it.
#[derive(Debug, Clone)]
pub struct Image {
    /// The digest of the manifest: the image's identity (what `docker images --digests` shows).
    pub manifest_digest: Digest,
    /// The manifest: the config descriptor and the layer descriptors, base layer first.
    pub manifest: ImageManifest,
    /// The config: platform, default command and env, and the `diff_id` of every layer.
    pub config: ImageConfiguration,
}

/// A directory holding an OCI image layout.
#[derive(Debug, Clone)]
pub struct OciDir {
    root: PathBuf,
}

impl OciDir {
    /// Opens an existing layout, checking its `oci-layout` marker and that `index.json` exists.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        let not_a_layout = |reason: String| Error::NotALayout {
            path: root.clone(),
            reason,
        };
        if !root.is_dir() {
            return Err(not_a_layout("no such directory".to_owned()));
        }
        // The `oci-layout` file is what distinguishes a layout from any directory that happens
        // to hold an `index.json`; checking it first gives the clearest error for a wrong path.
        let marker_path = root.join(OCI_LAYOUT_FILE);
        let marker_file = File::open(&marker_path)
            .map_err(|error| not_a_layout(format!("cannot open `{OCI_LAYOUT_FILE}`: {error}")))?;
        let marker: OciLayout = serde_json::from_reader(BufReader::new(marker_file))
            .map_err(|error| not_a_layout(format!("bad `{OCI_LAYOUT_FILE}`: {error}")))?;
        // Layout versions follow semver: any 1.x is a format we understand.
        if !marker.image_layout_version().starts_with("1.") {
            let version = marker.image_layout_version();
            return Err(not_a_layout(format!(
                "unsupported imageLayoutVersion {version}"
            )));
        }
        // Only existence is checked here; `index()` parses the file when it is needed, so that
        // opening stays cheap and a parse error names the file it comes from.
        if !root.join(INDEX_FILE).is_file() {
            return Err(not_a_layout(format!("no `{INDEX_FILE}`")));
        }
        Ok(Self { root })
    }

    /// Creates an empty layout at `root` (or opens the one already there).
    pub fn create(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        // Only `blobs/sha256`: the one algorithm we write and verify.
        let blobs = root.join("blobs").join("sha256");
        fs::create_dir_all(&blobs).map_err(Error::io("create directory", &blobs))?;
        let marker_path = root.join(OCI_LAYOUT_FILE);
        if !marker_path.exists() {
            let marker = format!("{{\"imageLayoutVersion\":\"{LAYOUT_VERSION}\"}}");
            write_atomically(&marker_path, marker.as_bytes())?;
        }
        let layout = Self { root };
        // An index with no entries is a valid, empty layout (`manifests` must be present, even
        // if empty); an existing index is kept, so `create` can also open.
        if !layout.index_path().exists() {
            layout.write_index(&ImageIndex::default())?;
        }
        Self::open(layout.root)
    }

    /// The layout's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where `index.json` is.
    pub fn index_path(&self) -> PathBuf {
        self.root.join(INDEX_FILE)
    }

    /// Reads and parses `index.json`.
    pub fn index(&self) -> Result<ImageIndex> {
        let path = self.index_path();
        let file = File::open(&path).map_err(Error::io("open", &path))?;
        serde_json::from_reader(BufReader::new(file)).map_err(|source| Error::Json {
            what: "index",
            location: path.display().to_string(),
            source,
        })
    }

    /// Replaces `index.json`, atomically: a reader sees the old index or the new one, never half.
    pub fn write_index(&self, index: &ImageIndex) -> Result<()> {
        let mut json = serde_json::to_vec_pretty(index).map_err(|source| Error::Json {
            what: "index",
            location: self.index_path().display().to_string(),
            source,
        })?;
        // A final newline, so that `cat index.json` leaves the shell prompt on its own line.
        json.push(b'\n');
        write_atomically(&self.index_path(), &json)
    }

    /// Where the blob with this digest lives: `blobs/<algorithm>/<hex>`.
    ///
    /// Only SHA-256 is accepted. `oci_spec` has already checked that a sha256 digest is exactly
    /// 64 lowercase hex characters, so the file name cannot smuggle in a `/` or `..`.
    pub fn blob_path(&self, digest: &Digest) -> Result<PathBuf> {
        if digest.algorithm() != &DigestAlgorithm::Sha256 {
            return Err(Error::UnsupportedDigest {
                digest: digest.to_string(),
            });
        }
        Ok(self.root.join("blobs").join("sha256").join(digest.digest()))
    }

    // ANCHOR: open_blob
    /// Opens the blob a descriptor points at, after checking its size and SHA-256 digest.
    ///
    /// The returned file is positioned at its start, ready to be read again by the caller.
    pub fn open_blob(&self, descriptor: &Descriptor) -> Result<File> {
        // BEGIN SOLUTION step-1: open blobs/sha256/<hex>, hash it, refuse a wrong size or digest, rewind
        let path = self.blob_path(descriptor.digest())?;
        let mut file = File::open(&path).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => Error::MissingBlob {
                digest: descriptor.digest().to_string(),
                layout: self.root.clone(),
            },
            _ => Error::io("open blob", &path)(source),
        })?;
        // `Sha256` is an `io::Write`, so `io::copy` streams the file through it: a 100 MB layer
        // is hashed with a small buffer, never held in memory.
        let mut hasher = Sha256::new();
        let size = io::copy(&mut file, &mut hasher).map_err(Error::io("read blob", &path))?;
        // The size check comes first: it is cheap, and a descriptor's size exists so that a
        // reader can stop early instead of hashing gigabytes it was not promised.
        if size != descriptor.size() {
            return Err(Error::SizeMismatch {
                digest: descriptor.digest().to_string(),
                expected: descriptor.size(),
                actual: size,
            });
        }
        let actual = hex(&hasher.finalize());
        if actual != descriptor.digest().digest() {
            return Err(Error::DigestMismatch {
                expected: descriptor.digest().to_string(),
                actual,
            });
        }
        file.rewind().map_err(Error::io("rewind blob", &path))?;
        Ok(file)
        // END SOLUTION
    }
    // ANCHOR_END: open_blob

    /// Reads a verified JSON blob (index, manifest or config) into its OCI type.
    pub fn read_json<T: DeserializeOwned>(
        &self,
        descriptor: &Descriptor,
        what: &'static str,
    ) -> Result<T> {
        // Checked before opening, so a hostile descriptor cannot make us hash a huge file.
        if descriptor.size() > MAX_JSON_SIZE {
            return Err(Error::TooLarge {
                digest: descriptor.digest().to_string(),
                what,
                size: descriptor.size(),
                limit: MAX_JSON_SIZE,
            });
        }
        let file = self.open_blob(descriptor)?;
        serde_json::from_reader(BufReader::new(file)).map_err(|source| Error::Json {
            what,
            location: descriptor.digest().to_string(),
            source,
        })
    }

    // ANCHOR: image
    /// Follows a descriptor from `index.json` down to one image: through nested indexes (picking
    /// this machine's platform), to the manifest, to the config.
    pub fn image(&self, descriptor: &Descriptor) -> Result<Image> {
        // BEGIN SOLUTION step-1: walk index entry -> (nested index ->) manifest -> config, checking media types and the layer count
        let mut descriptor = descriptor.clone();
        // A multi-platform image is an index of manifests, and an index entry may itself be
        // such an index. The loop is bounded: a cycle of indexes must not hang us.
        for _ in 0..=MAX_INDEX_DEPTH {
            match BlobKind::of(descriptor.media_type()) {
                Some(BlobKind::Index) => {
                    let index: ImageIndex = self.read_json(&descriptor, "index")?;
                    descriptor = pick_platform(&index, descriptor.digest().as_ref())?;
                }
                Some(BlobKind::Manifest) => {
                    let manifest: ImageManifest = self.read_json(&descriptor, "manifest")?;
                    let config_descriptor = manifest.config();
                    if BlobKind::of(config_descriptor.media_type()) != Some(BlobKind::Config) {
                        return Err(Error::UnsupportedMediaType {
                            what: "manifest config",
                            media_type: config_descriptor.media_type().to_string(),
                        });
                    }
                    let config: ImageConfiguration = self.read_json(config_descriptor, "config")?;
                    // The config names each layer's uncompressed digest (diff_id), one per
                    // manifest layer, in the same order; unpacking checks them pairwise.
                    let diff_ids = config.rootfs().diff_ids().len();
                    let layers = manifest.layers().len();
                    if diff_ids != layers {
                        return Err(Error::LayerCountMismatch { diff_ids, layers });
                    }
                    return Ok(Image {
                        manifest_digest: descriptor.digest().clone(),
                        manifest,
                        config,
                    });
                }
                _ => {
                    return Err(Error::UnsupportedMediaType {
                        what: "index entry",
                        media_type: descriptor.media_type().to_string(),
                    });
                }
            }
        }
        Err(Error::IndexTooDeep {
            location: self.root.display().to_string(),
            depth: MAX_INDEX_DEPTH,
        })
        // END SOLUTION
    }
    // ANCHOR_END: image

    /// Stores `bytes` as a blob and returns its descriptor. Writing the same bytes twice is a
    /// no-op: same content, same digest, same file.
    pub fn write_blob(&self, media_type: MediaType, bytes: &[u8]) -> Result<Descriptor> {
        // The descriptor is computed from the bytes, never given: whoever follows it later will
        // get exactly these bytes, or an error from `open_blob`.
        let descriptor = Descriptor::new(media_type, bytes.len() as u64, sha256_digest(bytes));
        let path = self.blob_path(descriptor.digest())?;
        // Content addressing makes this check enough: a file with this name has these bytes
        // (or is corrupt, which `open_blob` will say when it is read).
        if !path.exists() {
            write_atomically(&path, bytes)?;
        }
        Ok(descriptor)
    }

    /// Copies the blob `descriptor` points at from `source` into this layout, verified on the
    /// way, unless this layout already has it.
    pub fn copy_blob_from(&self, source: &OciDir, descriptor: &Descriptor) -> Result<()> {
        let path = self.blob_path(descriptor.digest())?;
        // Already here (two images sharing a base layer): nothing to copy. The size check is a
        // cheap guard against a truncated copy left by an earlier interrupted import.
        if path
            .metadata()
            .is_ok_and(|meta| meta.len() == descriptor.size())
        {
            return Ok(());
        }
        // Verified before a single byte enters the store: a corrupt source fails the import.
        let mut blob = source.open_blob(descriptor)?;
        // The temporary file sits beside its final name so that the rename below is atomic (a
        // rename across filesystems would be a copy): a reader never sees a half-written blob.
        let dir = path.parent().unwrap_or(&self.root);
        let mut temp =
            tempfile::NamedTempFile::new_in(dir).map_err(Error::io("create a file in", dir))?;
        io::copy(&mut blob, &mut temp).map_err(Error::io("copy blob to", &path))?;
        // Readable by all, like the blobs `write_blob` makes (a temporary file starts as 0600).
        fs::set_permissions(temp.path(), fs::Permissions::from_mode(0o644))
            .map_err(Error::io("set the mode of", &path))?;
        temp.persist(&path)
            .map_err(|error| Error::io("rename blob to", &path)(error.error))?;
        Ok(())
    }
}

/// The `sha256:<hex>` digest of some bytes (for small blobs we already hold in memory; large
/// ones are hashed as a stream, see [`OciDir::open_blob`]).
pub fn sha256_digest(bytes: &[u8]) -> Digest {
    let hex = hex(&Sha256::digest(bytes));
    Digest::try_from(format!("sha256:{hex}"))
        .expect("64 lowercase hex characters are a sha256 digest")
}

/// Lowercase hex of a hash output, the form digests are written in. (The OCI grammar requires
/// lowercase for sha256, so comparing strings is comparing digests.)
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

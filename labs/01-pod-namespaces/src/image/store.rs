//! The local image store: where `image: busybox` in a Pod spec is looked up.
//!
//! The store is itself one OCI image layout (`$KUBELAB_HOME/images`): `blobs/` holds the blobs
//! of every image, shared between images by digest, and each `index.json` entry points at one
//! image and carries its name in the `org.opencontainers.image.ref.name` annotation, always in
//! the canonical `name:tag` form:
//!
//! ```json
//! { "schemaVersion": 2,
//!   "manifests": [
//!     { "mediaType": "application/vnd.oci.image.manifest.v1+json",
//!       "digest": "sha256:4a6c...", "size": 405,
//!       "annotations": { "org.opencontainers.image.ref.name": "busybox:latest" } } ] }
//! ```
//!
//! Because the store is a plain layout, any OCI tool can read it (`skopeo inspect
//! oci:$KUBELAB_HOME/images:busybox:latest`), and importing another layout is a copy of blobs
//! plus index entries. That is roughly what containerd's content store and image service do,
//! minus the database.
//!
//! One writer at a time: two imports running at once may lose one index entry (the last rename
//! of `index.json` wins). The blobs themselves are always safe to share.

use std::path::{Path, PathBuf};

use oci_spec::image::{Descriptor, Digest, ImageIndex, ImageManifest};

use crate::image::build::{add_annotated_entry, add_index_entry, ref_name};
use crate::image::layout::{MAX_INDEX_DEPTH, OciDir};
use crate::image::media::{BlobKind, pick_platform};
use crate::image::policy::Presence;
use crate::image::registry::pull::pull_into;
use crate::image::registry::{Progress, PullOptions};
use crate::image::unpack::unpack_image;
use crate::image::{Error, Image, ImageRef, Result};

/// The annotation a pulled image's index entry carries: where it came from, as
/// `registry/repository@digest`. Images without it were built or imported here.
pub const ANNOTATION_PULLED_FROM: &str = "io.kubelab.image.pulled-from";

/// The local image store.
#[derive(Debug, Clone)]
pub struct Store {
    layout: OciDir,
}

/// One line of `lab-01 images list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredImage {
    /// Its canonical `name:tag`.
    pub reference: ImageRef,
    /// The digest of its index entry's target (the manifest, or a multi-platform index).
    pub digest: Digest,
    /// The total size of its layer blobs, as stored (compressed).
    pub size: u64,
}

impl Store {
    /// Opens the store at `root`, which must exist.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        if !root.exists() {
            return Err(Error::NoStore { path: root });
        }
        Ok(Self {
            layout: OciDir::open(root)?,
        })
    }

    /// Opens the store at `root`, creating an empty one first if needed.
    pub fn open_or_create(root: impl Into<PathBuf>) -> Result<Self> {
        Ok(Self {
            layout: OciDir::create(root)?,
        })
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        self.layout.root()
    }

    /// The store as an image layout, to read blobs from.
    pub fn layout(&self) -> &OciDir {
        &self.layout
    }

    // ANCHOR: resolve
    /// Finds the index entry named `reference`, or says how to get that image.
    pub fn resolve(&self, reference: &ImageRef) -> Result<Descriptor> {
        // Names are stored canonically (`busybox:latest`), so one string comparison suffices:
        // `busybox` was already turned into `busybox:latest` when it was parsed.
        let wanted = reference.to_string();
        self.layout
            .index()?
            .manifests()
            .iter()
            .find(|entry| ref_name(entry) == Some(wanted.as_str()))
            .cloned()
            .ok_or_else(|| Error::ImageNotFound {
                reference: wanted,
                store: self.root().to_path_buf(),
            })
    }
    // ANCHOR_END: resolve

    /// Whether the store has `reference`, and whether it was pulled or made here (for
    /// `imagePullPolicy`, see [`crate::image::policy`]).
    pub fn presence(&self, reference: &ImageRef) -> Result<Presence> {
        match self.resolve(reference) {
            Ok(entry) => Ok(match entry.annotations() {
                Some(annotations) if annotations.contains_key(ANNOTATION_PULLED_FROM) => {
                    Presence::Pulled
                }
                _ => Presence::Local,
            }),
            Err(Error::ImageNotFound { .. }) => Ok(Presence::Absent),
            Err(error) => Err(error),
        }
    }

    // ANCHOR: pull
    /// Pulls `reference` from its registry into the store, reporting progress, and names it.
    /// Blobs the store already has are not downloaded again.
    pub fn pull(
        &self,
        reference: &ImageRef,
        options: &PullOptions,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<StoredImage> {
        let entry = pull_into(&self.layout, reference, options, progress)?;
        let origin = format!("{}@{}", reference.qualified(), entry.digest());
        add_annotated_entry(
            &self.layout,
            &entry,
            reference,
            Some((ANNOTATION_PULLED_FROM, &origin)),
        )?;
        // Read back through the verified path: what was stored can be walked and unpacked.
        let image = self.layout.image(&entry)?;
        tracing::info!(image = %reference, digest = %entry.digest(), "pulled image");
        Ok(StoredImage {
            reference: reference.clone(),
            digest: entry.digest().clone(),
            size: image.manifest.layers().iter().map(Descriptor::size).sum(),
        })
    }
    // ANCHOR_END: pull

    /// Resolves `reference` and walks to its manifest and config.
    pub fn image(&self, reference: &ImageRef) -> Result<Image> {
        self.layout.image(&self.resolve(reference)?)
    }

    /// Unpacks the image named `reference` into `rootfs` (missing or empty), returning it.
    pub fn unpack(&self, reference: &ImageRef, rootfs: &Path) -> Result<Image> {
        let image = self.image(reference)?;
        unpack_image(&self.layout, &image, rootfs)?;
        Ok(image)
    }

    /// Lists the stored images, sorted by name.
    pub fn list(&self) -> Result<Vec<StoredImage>> {
        let mut images = Vec::new();
        for entry in self.layout.index()?.manifests() {
            // Entries without a valid name were not written by us; leave them out of the list.
            let Some(reference) = ref_name(entry).and_then(|name| ImageRef::parse(name).ok())
            else {
                continue;
            };
            let image = self.layout.image(entry)?;
            images.push(StoredImage {
                reference,
                digest: entry.digest().clone(),
                size: image.manifest.layers().iter().map(Descriptor::size).sum(),
            });
        }
        images.sort_by(|a, b| a.reference.cmp(&b.reference));
        Ok(images)
    }

    /// Imports every image of the layout `source` (or its only image, named `name`).
    ///
    /// Blobs are copied first, each verified by digest, and the store's index is written last:
    /// an interrupted import leaves unused blobs, never a name pointing at missing ones.
    pub fn import(&self, source: &OciDir, name: Option<&ImageRef>) -> Result<Vec<StoredImage>> {
        let entries = source.index()?.manifests().clone();
        if name.is_some() && entries.len() != 1 {
            return Err(Error::NameNeedsOneImage {
                layout: source.root().to_path_buf(),
                count: entries.len(),
            });
        }
        let mut named = Vec::new();
        for (position, entry) in entries.iter().enumerate() {
            let reference = match name {
                Some(name) => name.clone(),
                None => match ref_name(entry) {
                    Some(annotation) => ImageRef::parse(annotation)?,
                    None => {
                        return Err(Error::Unnamed {
                            position: position + 1,
                            layout: source.root().to_path_buf(),
                        });
                    }
                },
            };
            self.copy_tree(source, entry, 0)?;
            named.push((reference, entry));
        }
        let mut imported = Vec::new();
        for (reference, entry) in named {
            add_index_entry(&self.layout, entry, &reference)?;
            let image = self.layout.image(entry)?;
            tracing::info!(image = %reference, digest = %entry.digest(), "imported image");
            imported.push(StoredImage {
                reference,
                digest: entry.digest().clone(),
                size: image.manifest.layers().iter().map(Descriptor::size).sum(),
            });
        }
        Ok(imported)
    }

    /// Copies the blob `descriptor` points at and every blob it references, children first.
    fn copy_tree(&self, source: &OciDir, descriptor: &Descriptor, depth: usize) -> Result<()> {
        match BlobKind::of(descriptor.media_type()) {
            Some(BlobKind::Index) if depth < MAX_INDEX_DEPTH => {
                let index: ImageIndex = source.read_json(descriptor, "index")?;
                // Only the manifest `OciDir::image` will pick for this machine: a multi-platform
                // layout exported for one platform does not hold the other platforms' blobs.
                let chosen = pick_platform(&index, descriptor.digest().as_ref())?;
                self.copy_tree(source, &chosen, depth + 1)?;
            }
            Some(BlobKind::Manifest) => {
                let manifest: ImageManifest = source.read_json(descriptor, "manifest")?;
                self.layout.copy_blob_from(source, manifest.config())?;
                for layer in manifest.layers() {
                    self.layout.copy_blob_from(source, layer)?;
                }
            }
            _ => {
                return Err(Error::UnsupportedMediaType {
                    what: "index entry",
                    media_type: descriptor.media_type().to_string(),
                });
            }
        }
        self.layout.copy_blob_from(source, descriptor)
    }
}

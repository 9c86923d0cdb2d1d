//! The pull itself: from a tag to verified blobs in a layout, children before parents.
//!
//! The order of writing is the store's safety rule, the same as an import's: blobs first
//! (config and layers), then the manifest that names them, then the index, and the store's
//! `index.json` entry last (by the caller). An interrupted pull leaves unused blobs, never a name
//! pointing at something missing, and the next pull skips what it already has.

use oci_spec::image::{Descriptor, Digest, ImageIndex, ImageManifest, MediaType};

use crate::image::layout::{MAX_INDEX_DEPTH, OciDir};
use crate::image::media::{BlobKind, pick_platform};
use crate::image::registry::client::{Fetched, RegistryClient};
use crate::image::registry::{Progress, PullOptions};
use crate::image::{Error, ImageRef, Result};

/// Pulls `image` into `layout` and returns the descriptor of what its tag (or digest) points
/// at, an index or a manifest, ready to be named in the layout's `index.json`.
///
/// It runs a small single-threaded tokio runtime of its own, so it is a plain blocking call:
/// call it from a thread that is not running async code (or from `spawn_blocking`).
pub fn pull_into(
    layout: &OciDir,
    image: &ImageRef,
    options: &PullOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Descriptor> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::io("start a runtime for pulling into", layout.root()))?;
    runtime.block_on(async {
        let mut client = RegistryClient::new(image, options)?;
        pull_with(&mut client, layout, image, progress).await
    })
}

// ANCHOR: pull_with
/// The walk: resolve the reference to a manifest or index, choose this platform's manifest in
/// an index, then fetch the config and layers the store does not have.
async fn pull_with(
    client: &mut RegistryClient,
    layout: &OciDir,
    image: &ImageRef,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Descriptor> {
    let top = client.manifest(image.manifest_reference()).await?;
    progress(Progress::Resolved {
        image: &image.qualified(),
        digest: &top.digest,
    });
    let top_descriptor = descriptor_of(&top)?;
    // Indexes may nest (rarely); each level is fetched by the digest its parent gave.
    let mut fetched = top;
    let mut parents = Vec::new();
    for _ in 0..=MAX_INDEX_DEPTH {
        let descriptor = descriptor_of(&fetched)?;
        match BlobKind::of(descriptor.media_type()) {
            Some(BlobKind::Index) => {
                let index: ImageIndex = parse(&fetched, "index")?;
                let chosen = pick_platform(&index, &image.qualified())?;
                let child = client.manifest(chosen.digest().as_ref()).await?;
                parents.push(fetched);
                fetched = child;
            }
            Some(BlobKind::Manifest) => {
                let manifest: ImageManifest = parse(&fetched, "manifest")?;
                fetch_blobs(client, layout, &manifest, progress).await?;
                // Manifest, then its parents from the innermost out: every document is
                // written after everything it points at.
                for document in std::iter::once(&fetched).chain(parents.iter().rev()) {
                    layout.write_blob(
                        MediaType::from(document.media_type.as_str()),
                        &document.bytes,
                    )?;
                }
                return Ok(top_descriptor);
            }
            _ => {
                return Err(Error::UnsupportedMediaType {
                    what: "registry manifest",
                    media_type: fetched.media_type.clone(),
                });
            }
        }
    }
    Err(Error::IndexTooDeep {
        location: image.qualified(),
        depth: MAX_INDEX_DEPTH,
    })
}
// ANCHOR_END: pull_with

/// Downloads the manifest's config and layers, skipping blobs the layout already has.
async fn fetch_blobs(
    client: &mut RegistryClient,
    layout: &OciDir,
    manifest: &ImageManifest,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<()> {
    for blob in std::iter::once(manifest.config()).chain(manifest.layers()) {
        match BlobKind::of(blob.media_type()) {
            Some(BlobKind::Config | BlobKind::Layer(_)) => {}
            _ => {
                // A zstd layer or an artifact: refuse before downloading what we cannot unpack.
                return Err(Error::UnsupportedMediaType {
                    what: "manifest entry",
                    media_type: blob.media_type().to_string(),
                });
            }
        }
        let digest = blob.digest().to_string();
        // Present with the right size: a blob's name is its hash, so it is the same blob
        // (and `open_blob` verifies it again whenever it is read).
        let path = layout.blob_path(blob.digest())?;
        if path.metadata().is_ok_and(|meta| meta.len() == blob.size()) {
            progress(Progress::Exists {
                digest: &digest,
                size: blob.size(),
            });
            continue;
        }
        client.blob(layout, blob, progress).await?;
        progress(Progress::Verified {
            digest: &digest,
            size: blob.size(),
        });
    }
    Ok(())
}

/// The descriptor of a fetched document: its media type, size and digest.
fn descriptor_of(fetched: &Fetched) -> Result<Descriptor> {
    let digest =
        Digest::try_from(fetched.digest.as_str()).map_err(|_| Error::UnsupportedDigest {
            digest: fetched.digest.clone(),
        })?;
    Ok(Descriptor::new(
        MediaType::from(fetched.media_type.as_str()),
        fetched.bytes.len() as u64,
        digest,
    ))
}

/// Parses a fetched document as its OCI type (Docker's v2 types have the same shape).
fn parse<T: serde::de::DeserializeOwned>(fetched: &Fetched, what: &'static str) -> Result<T> {
    serde_json::from_slice(&fetched.bytes).map_err(|source| Error::Json {
        what,
        location: fetched.digest.clone(),
        source,
    })
}

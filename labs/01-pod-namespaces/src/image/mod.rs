//! Step 1: OCI images, from a directory of blobs to a root filesystem.
//!
//! An image is not a file but a small graph of content-addressed blobs, described by the OCI
//! Image Format Specification (<https://github.com/opencontainers/image-spec>):
//!
//! ```text
//! index.json ──> manifest ──┬──> config   (architecture, env, cmd, diff_ids)
//!   (names)      (per-arch) ├──> layer 0  (tar: the base filesystem)
//!                           ├──> layer 1  (tar: changes on top, whiteouts for deletions)
//!                           └──> ...
//! ```
//!
//! Every arrow is a *descriptor*: a media type, a size and a digest (`sha256:<hex>`) of the
//! target's bytes, and the target is stored at `blobs/sha256/<hex>`. So the index names an image
//! by the digest of its manifest, and the manifest pins its config and layers by theirs: check
//! the digests on the way down and nothing can be swapped underneath you.
//!
//! # Modules, in the order the data flows
//!
//! - [`reference`](mod@reference): `busybox`, `registry.local:5000/app:1.0`: parsing the
//!   `name[:tag][@digest]` a user types.
//! - [`layout`]: an image layout directory: read `index.json`, open blobs verified by digest, walk
//!   index -> manifest -> config.
//! - [`media`]: media types (what a descriptor points at) and platforms (which manifest is ours).
//! - [`unpack`]: apply the layers in order to an empty directory, turning whiteouts into deletions.
//! - [`entry`]: write one layer entry (file, directory, symlink, hard link) into the rootfs.
//! - [`safe_path`]: the checks that keep every layer entry inside the rootfs.
//! - [`store`]: the local image store, itself one image layout with a name on each entry.
//! - [`build`]: write an image layout from directories (deterministic tar, gzip, config, manifest).
//! - [`busybox`]: the offline `busybox` image, built from the host's busybox-static.
//! - [`registry`]: pulling images from OCI registries (the distribution API), blobs verified on
//!   arrival by [`incoming`]; [`policy`]: `imagePullPolicy`, when to pull.
//! - [`error`]: the one error type of this module.

pub mod build;
pub mod busybox;
pub mod entry;
pub mod error;
pub mod incoming;
pub mod layout;
pub mod media;
pub mod policy;
pub mod reference;
pub mod registry;
pub mod safe_path;
pub mod store;
pub mod unpack;

pub use error::{Error, Result};
pub use layout::{Image, OciDir};
pub use policy::PullPolicy;
pub use reference::ImageRef;
pub use registry::{Progress, PullOptions};
pub use store::{Store, StoredImage};
pub use unpack::unpack_image;

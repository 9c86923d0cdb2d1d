//! Media types and platforms: what a descriptor points at, and which manifest suits this machine.
//!
//! A descriptor's `mediaType` is the only thing that says how to read the blob it points at:
//! JSON of which shape, or a tar compressed how. The OCI types are listed in image-spec
//! `media-types.md`; Docker's older "v2 schema 2" types describe the same JSON shapes under other
//! names, and since `docker save` and many registries still produce them, they are accepted as
//! aliases. Everything else (zstd layers, signatures, SBOM artifacts) is refused by name, so a
//! user sees *which* media type is the problem.
//!
//! A multi-platform image is an index with one manifest per platform. The platform is written in
//! Go's vocabulary (`GOOS`/`GOARCH`: `linux`, `amd64`, `arm64`), because the first tools were in
//! Go; [`host_platform`] translates Rust's names into it.

use oci_spec::image::{Arch, Descriptor, ImageIndex, MediaType, Os};

use crate::image::{Error, Result};

/// What a descriptor points at, decided from its media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobKind {
    /// An image index: a list of manifests, usually one per platform.
    Index,
    /// An image manifest: one config and its layers.
    Manifest,
    /// An image config (JSON).
    Config,
    /// A layer: a tar archive, compressed as given.
    Layer(Compression),
}

/// How a layer blob is compressed; its `diff_id` is the digest of the *uncompressed* tar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar (`application/vnd.oci.image.layer.v1.tar`).
    None,
    /// A gzipped tar (`...layer.v1.tar+gzip`), what registries serve almost always.
    Gzip,
}

impl BlobKind {
    /// Classifies a media type. OCI types come first; the Docker v2 types that `docker save`
    /// and older registries use have the same JSON shape and are accepted as aliases. Zstd
    /// layers and artifacts are not supported and give `None`.
    pub fn of(media_type: &MediaType) -> Option<Self> {
        Some(match media_type {
            MediaType::ImageIndex => Self::Index,
            MediaType::ImageManifest => Self::Manifest,
            MediaType::ImageConfig => Self::Config,
            MediaType::ImageLayer | MediaType::ImageLayerNonDistributable => {
                Self::Layer(Compression::None)
            }
            MediaType::ImageLayerGzip | MediaType::ImageLayerNonDistributableGzip => {
                Self::Layer(Compression::Gzip)
            }
            MediaType::Other(other) => match other.as_str() {
                "application/vnd.docker.distribution.manifest.list.v2+json" => Self::Index,
                "application/vnd.docker.distribution.manifest.v2+json" => Self::Manifest,
                "application/vnd.docker.container.image.v1+json" => Self::Config,
                "application/vnd.docker.image.rootfs.diff.tar.gzip"
                | "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" => {
                    Self::Layer(Compression::Gzip)
                }
                _ => return None,
            },
            _ => return None,
        })
    }
}

/// Chooses, from a multi-platform index, the manifest for this machine (`linux/<arch>`).
pub fn pick_platform(index: &ImageIndex, location: &str) -> Result<Descriptor> {
    // Only os and architecture are compared. A real runtime also weighs the CPU `variant`
    // (`arm/v7` against `arm/v6`); on amd64 and arm64 machines there is nothing to weigh.
    let (os, arch) = host_platform();
    let matches = |descriptor: &&Descriptor| {
        descriptor
            .platform()
            .as_ref()
            .is_some_and(|platform| platform.os() == &os && platform.architecture() == &arch)
    };
    if let Some(found) = index.manifests().iter().find(matches) {
        return Ok(found.clone());
    }
    // An index with a single entry that states no platform is a plain wrapper: take it.
    if let [only] = index.manifests().as_slice()
        && only.platform().is_none()
    {
        return Ok(only.clone());
    }
    // Nothing fits: list what there is, so the user sees at once that the image exists, just
    // not for this machine (an arm64-only image on an amd64 laptop, say).
    let available: Vec<String> = index
        .manifests()
        .iter()
        .filter_map(|descriptor| descriptor.platform().as_ref())
        .map(|platform| format!("{}/{}", platform.os(), platform.architecture()))
        .collect();
    Err(Error::NoMatchingPlatform {
        location: location.to_owned(),
        platform: format!("{os}/{arch}"),
        available: if available.is_empty() {
            "no platforms".to_owned()
        } else {
            available.join(", ")
        },
    })
}

/// This machine's platform in OCI (Go) names: `linux` and `amd64`, `arm64`, ...
pub fn host_platform() -> (Os, Arch) {
    // Rust and Go name architectures differently; the OCI spec uses Go's GOARCH names.
    let goarch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        other => other,
    };
    (Os::Linux, Arch::from(goarch))
}

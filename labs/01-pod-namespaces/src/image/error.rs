//! The error type of the image module: what can go wrong between a name and a rootfs.
//!
//! Each variant's message is one line that says what is wrong and, where the user can act, what
//! to do about it: the `lab-01` command prints it as it is. Causes (an `io::Error`, a JSON error)
//! are kept as the error's `source`, not repeated in the message, so a caller that prints the
//! whole chain (`anyhow`'s `{:#}`) shows each cause exactly once.

use std::io;
use std::path::PathBuf;

/// A `Result` whose error defaults to this module's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can fail while reading, verifying, storing or unpacking an image.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A filesystem operation failed; `action` says which ("read", "create directory", ...).
    #[error("failed to {action} {}", path.display())]
    Io {
        /// What we were doing, as a verb phrase.
        action: &'static str,
        /// The file or directory it was done to.
        path: PathBuf,
        /// The operating system's answer.
        #[source]
        source: io::Error,
    },

    /// A path given as an image layout is not one.
    #[error(
        "{} is not an OCI image layout ({reason}); point at a directory that holds `oci-layout` and `index.json`",
        path.display()
    )]
    NotALayout {
        /// The directory the user named.
        path: PathBuf,
        /// What is missing or wrong.
        reason: String,
    },

    /// A JSON document (index, manifest, config) did not parse as its OCI type.
    #[error("failed to parse {what} {location} as OCI JSON")]
    Json {
        /// Which document: "index", "manifest", "config".
        what: &'static str,
        /// Where it came from: a path or a digest.
        location: String,
        /// The parser's complaint.
        #[source]
        source: serde_json::Error,
    },

    /// A descriptor names a blob that is not in the layout.
    #[error("blob {digest} is missing from {}; the layout is incomplete, export it again", layout.display())]
    MissingBlob {
        /// The digest the descriptor asked for.
        digest: String,
        /// The layout directory that should hold it.
        layout: PathBuf,
    },

    /// A blob's length differs from its descriptor's `size`.
    #[error(
        "blob {digest} is {actual} bytes but its descriptor says {expected}; the layout is corrupt"
    )]
    SizeMismatch {
        /// The blob's digest.
        digest: String,
        /// The size the descriptor promised.
        expected: u64,
        /// The size found on disk.
        actual: u64,
    },

    /// A blob's bytes do not hash to its name: it is corrupt or was tampered with.
    #[error(
        "blob {expected} hashes to sha256:{actual}; the layout is corrupt or was tampered with"
    )]
    DigestMismatch {
        /// The digest the descriptor asked for.
        expected: String,
        /// The hex SHA-256 of what is actually stored.
        actual: String,
    },

    /// A layer's uncompressed tar does not hash to the config's `diff_id` for it.
    #[error(
        "layer {layer} unpacks to sha256:{actual} but the config's diff_id is {expected}; the image is corrupt"
    )]
    DiffIdMismatch {
        /// The layer's (compressed) blob digest.
        layer: String,
        /// The diff_id in the image config.
        expected: String,
        /// The hex SHA-256 of the uncompressed tar.
        actual: String,
    },

    /// A digest uses an algorithm other than SHA-256.
    #[error("digest {digest} is not sha256; this runtime only verifies sha256 digests")]
    UnsupportedDigest {
        /// The digest as written in the descriptor.
        digest: String,
    },

    /// A descriptor's media type is not one this runtime can handle where it appears.
    #[error("{what} has media type {media_type}, which this runtime does not support here")]
    UnsupportedMediaType {
        /// What the descriptor points at ("index entry", "manifest config", "layer").
        what: &'static str,
        /// The media type found.
        media_type: String,
    },

    /// A JSON blob is larger than any sane index, manifest or config.
    #[error(
        "blob {digest} is {size} bytes, too large for a {what} (the limit is {limit}); refusing to read it"
    )]
    TooLarge {
        /// The blob's digest.
        digest: String,
        /// Which document it should be.
        what: &'static str,
        /// Its size according to the descriptor.
        size: u64,
        /// The limit we apply.
        limit: u64,
    },

    /// A multi-platform index has no manifest for this machine.
    #[error("{location} has no image for {platform}; it has: {available}")]
    NoMatchingPlatform {
        /// Where the index came from.
        location: String,
        /// The platform we looked for, as `os/arch`.
        platform: String,
        /// The platforms it offers.
        available: String,
    },

    /// Indexes nested deeper than we are willing to follow.
    #[error("image indexes nest deeper than {depth} levels in {location}; refusing to follow them")]
    IndexTooDeep {
        /// Where the walk started.
        location: String,
        /// The limit.
        depth: usize,
    },

    /// The config's `rootfs.diff_ids` and the manifest's `layers` disagree in length.
    #[error(
        "image config lists {diff_ids} diff_ids but the manifest has {layers} layers; the image is corrupt"
    )]
    LayerCountMismatch {
        /// Number of diff_ids in the config.
        diff_ids: usize,
        /// Number of layers in the manifest.
        layers: usize,
    },

    /// A layer entry would land outside the rootfs, so the whole unpack is refused.
    #[error("layer entry `{path}` {reason}; refusing to unpack it")]
    UnsafePath {
        /// The entry's path as written in the tar.
        path: String,
        /// Why it is unsafe.
        reason: String,
    },

    /// A layer entry needs a directory where a lower layer left a file.
    #[error("layer entry `{path}` needs `{parent}` to be a directory, but it is not")]
    NotADirectory {
        /// The entry's path.
        path: String,
        /// The component that is not a directory.
        parent: String,
    },

    /// A `name[:tag]` the user typed is not a valid image reference.
    #[error(
        "invalid image reference `{reference}`: {reason}; write NAME[:TAG][@DIGEST], for example busybox or busybox:latest"
    )]
    InvalidReference {
        /// What the user typed.
        reference: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The store has no image by that name.
    #[error(
        "image {reference} is not in the store {}; see `lab-01 images list`, or add it with `lab-01 images pull`, `lab-01 images build-busybox` or `lab-01 images import <dir>`",
        store.display()
    )]
    ImageNotFound {
        /// The canonical `name:tag` looked for.
        reference: String,
        /// The store directory.
        store: PathBuf,
    },

    /// There is no store at all yet.
    #[error(
        "no image store at {}; create it with `lab-01 images build-busybox` or `lab-01 images import <dir>`",
        path.display()
    )]
    NoStore {
        /// Where the store should be.
        path: PathBuf,
    },

    /// An index entry to import carries no name, and the user gave none.
    #[error(
        "image {position} of {} has no `org.opencontainers.image.ref.name` annotation; pass --name NAME[:TAG]",
        layout.display()
    )]
    Unnamed {
        /// The entry's position in the index, from 1.
        position: usize,
        /// The layout being imported.
        layout: PathBuf,
    },

    /// `--name` was given for a layout that holds several images.
    #[error(
        "{} holds {count} images, so one --name cannot name them; import it without --name to keep their own names",
        layout.display()
    )]
    NameNeedsOneImage {
        /// The layout being imported.
        layout: PathBuf,
        /// How many images it holds.
        count: usize,
    },

    /// The rootfs destination already has something in it (or is a file).
    #[error("destination {} is not an empty directory; pass a new or empty directory", path.display())]
    DestinationNotEmpty {
        /// The destination directory.
        path: PathBuf,
    },

    /// The registry could not be reached, or the connection broke (a machine problem, not the
    /// user's: exit code 1).
    #[error("failed to reach the registry at {url}: {reason}")]
    Unreachable {
        /// What we asked for.
        url: String,
        /// The connection's complaint (DNS, refused, TLS, timeout).
        reason: String,
    },

    /// The registry answered a pull with an error, such as `manifest unknown`.
    #[error("failed to pull image {image}: {message}")]
    Registry {
        /// The image, fully qualified (`docker.io/library/busybox:latest`).
        image: String,
        /// The HTTP status.
        status: u16,
        /// The registry's own words (its `errors[].message`), or the HTTP status.
        message: String,
    },

    /// The registry refused access even after authenticating (anonymously): Docker Hub's
    /// answer for a repository that does not exist, as for a private one.
    #[error(
        "failed to pull image {image}: pull access denied, repository does not exist or may require authorization: {message}"
    )]
    PullAccessDenied {
        /// The image, fully qualified.
        image: String,
        /// The registry's own words.
        message: String,
    },

    /// A blob or manifest from the registry is not what its descriptor promised; nothing of it
    /// was stored.
    #[error("failed to pull {digest}: {reason}; nothing was stored")]
    BadDownload {
        /// The digest that was asked for.
        digest: String,
        /// What was wrong: the size, the digest, the media type.
        reason: String,
    },

    /// `imagePullPolicy: Never` and the image is not in the store (the kubelet's exact words).
    #[error("Container image \"{image}\" is not present with pull policy of Never")]
    NeverPull {
        /// The image as the Pod spec names it.
        image: String,
    },

    /// An `imagePullPolicy` value Kubernetes does not define.
    #[error("imagePullPolicy `{value}` is not one of Always, IfNotPresent, Never")]
    InvalidPullPolicy {
        /// What the manifest says.
        value: String,
    },

    /// The busybox binary to build the offline image from is unusable.
    #[error("cannot build the busybox image from {}: {reason}; install it with `apt-get install busybox-static`", path.display())]
    Busybox {
        /// The binary we tried.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

impl Error {
    /// Builds an [`Error::Io`]; used as `.map_err(Error::io("read", &path))`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }

    /// Whether the user can fix this by giving different input (the CLI exits with 2), rather
    /// than the machine failing under us (an I/O error: exit 1).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, Self::Io { .. } | Self::Unreachable { .. })
    }

    // ANCHOR: kubelet_reason
    /// The reason the kubelet puts in a waiting container's status when getting its image
    /// failed with this error: `ErrImageNeverPull`, `InvalidImageName`, or `ErrImagePull` for
    /// everything else (the registry said no, the network failed, a blob was corrupt). After an
    /// `ErrImagePull` the kubelet waits before trying again and reports `ImagePullBackOff`
    /// meanwhile (see [`crate::image::policy::PullBackOff`]).
    pub fn kubelet_reason(&self) -> &'static str {
        match self {
            Self::NeverPull { .. } => "ErrImageNeverPull",
            Self::InvalidReference { .. } => "InvalidImageName",
            _ => "ErrImagePull",
        }
    }
    // ANCHOR_END: kubelet_reason
}

//! Pulling images from OCI registries: the distribution API, from a name to blobs in the store.
//!
//! A registry (Docker Hub, `registry.k8s.io`, a local `docker-registry`) serves the same graph
//! of content-addressed blobs that an image layout holds on disk (see [`crate::image`]), over
//! HTTP, as the OCI Distribution Specification defines it:
//!
//! ```text
//! GET /v2/<name>/manifests/<tag>       the index or manifest the tag points at
//!   (index?) pick linux/<arch>, then GET /v2/<name>/manifests/<digest>
//! GET /v2/<name>/blobs/<digest>        the config, then each layer not already stored
//! ```
//!
//! The tag is the only thing resolved by name; every later request is by digest, and every
//! answer is hashed and compared with the digest that asked for it. So a pull trusts the
//! registry for one thing only, which manifest a tag means *now*; after that, content addressing
//! does the rest.
//!
//! # Modules
//!
//! - [`auth`]: the anonymous bearer-token challenge Docker Hub answers the first request with.
//! - [`client`]: the HTTP requests (hyper, rustls), redirects, and the registry's error messages.
//! - [`pull`]: the walk from a tag to blobs in the store, skipping blobs already there.

pub mod auth;
pub mod client;
pub mod pull;

/// Where and how to pull from: which registries speak plain HTTP.
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// Registries (`host:port`) to reach over plain HTTP, like dockerd's
    /// `--insecure-registry`. `localhost` and `127.0.0.1` are always plain HTTP.
    pub insecure_registries: Vec<String>,
}

impl PullOptions {
    /// The URL `/v2/...` paths go after, for the registry host `registry`.
    pub fn base_url(&self, registry: &str) -> String {
        // Docker Hub's API lives on another host than its name.
        if registry == crate::image::reference::DEFAULT_REGISTRY {
            return "https://registry-1.docker.io".to_owned();
        }
        let host = registry.rsplit_once(':').map_or(registry, |(host, _)| host);
        let local = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
        let insecure = self
            .insecure_registries
            .iter()
            .any(|insecure| insecure == registry);
        let scheme = if local || insecure { "http" } else { "https" };
        format!("{scheme}://{registry}")
    }
}

/// What a pull reports as it goes, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress<'a> {
    /// The tag resolved to this manifest (or index) digest.
    Resolved {
        /// The image being pulled, fully qualified.
        image: &'a str,
        /// The digest of what the tag points at.
        digest: &'a str,
    },
    /// A blob the store already holds: not downloaded again.
    Exists {
        /// The blob's digest.
        digest: &'a str,
        /// Its size.
        size: u64,
    },
    /// Bytes of a blob arrived.
    Downloading {
        /// The blob's digest.
        digest: &'a str,
        /// Bytes so far.
        done: u64,
        /// Bytes in all.
        total: u64,
    },
    /// A blob arrived whole and matched its digest.
    Verified {
        /// The blob's digest.
        digest: &'a str,
        /// Its size.
        size: u64,
    },
}

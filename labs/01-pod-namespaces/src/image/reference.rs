//! Image references: what a user types, such as `busybox`, `busybox:1.36` or
//! `registry.local:5000/team/app@sha256:...`.
//!
//! A Pod spec says `image: busybox`, and the runtime must turn that into one entry of its image
//! store, or into a registry to pull from. The rules follow the Docker/OCI distribution
//! reference grammar (`NAME[:TAG][@DIGEST]`), as Docker and the kubelet parse it:
//!
//! - the tag is optional and defaults to `latest`, so `busybox` and `busybox:latest` are the same
//!   image (unless a digest is given: `busybox@sha256:...` has no tag);
//! - a name may have slashes (`team/app`), and its first component is a *registry host* when
//!   more components follow and it has a `.` or a `:` or is `localhost` (`registry.local:5000/app`,
//!   `localhost/app`); otherwise the registry is Docker Hub, `docker.io`, so not every `:` starts
//!   a tag;
//! - Docker Hub's own spelling is normalized away: `docker.io/library/busybox` is `busybox`, the
//!   short "familiar" form the store keeps and `lab-01 images list` shows; on Docker Hub a
//!   one-component name lives under `library/` ([`ImageRef::repository`]).
//!
//! The canonical form, used as the store's annotation, is `name:tag`, `name@digest` or
//! `name:tag@digest`.

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use crate::image::{Error, Result};

/// The registry of names without a registry host: Docker Hub.
pub const DEFAULT_REGISTRY: &str = "docker.io";

/// A parsed, validated `name[:tag][@digest]`.
///
/// The fields are private so that every `ImageRef` has been through [`ImageRef::new`]: code that
/// holds one never needs to check it again. Ordering is by name, then tag, which is how
/// `lab-01 images list` sorts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImageRef {
    /// The repository name in its familiar form (`busybox`, `localhost:5000/team/app`).
    name: String,
    /// The tag: `latest` when the user gave neither tag nor digest, empty only for a
    /// `name@digest` reference.
    tag: String,
    /// The manifest digest the reference is pinned to (`sha256:<64 hex>`), if any.
    digest: Option<String>,
}

impl ImageRef {
    /// The tag a reference without one gets, as in Docker and Kubernetes.
    pub const DEFAULT_TAG: &'static str = "latest";

    // ANCHOR: parse
    /// Parses `name[:tag][@digest]`, defaulting the tag to [`Self::DEFAULT_TAG`] when there is
    /// no digest: `busybox` gives `busybox:latest`, `localhost:5000/busybox` gives
    /// `localhost:5000/busybox:latest`.
    pub fn parse(reference: &str) -> Result<Self> {
        // BEGIN SOLUTION step-1: split NAME[:TAG][@DIGEST] (tag defaults to latest unless there is a digest; a registry port is not a tag) and validate each part
        let invalid = |reason: String| Error::InvalidReference {
            reference: reference.to_owned(),
            reason,
        };
        // A digest pins content: everything after the `@`.
        let (named, digest) = match reference.split_once('@') {
            Some((named, digest)) => (named, Some(digest)),
            None => (reference, None),
        };
        // The tag is what follows the *last* colon, but only if no slash follows that colon:
        // in `localhost:5000/busybox` the colon belongs to the registry's port.
        let (name, tag) = match named.rfind(':') {
            Some(colon) if !named[colon..].contains('/') => {
                (&named[..colon], Some(&named[colon + 1..]))
            }
            _ => (named, None),
        };
        let mut image = Self::new(name, tag.unwrap_or(Self::DEFAULT_TAG)).map_err(invalid)?;
        if let Some(digest) = digest {
            check_digest(digest).map_err(invalid)?;
            image.digest = Some(digest.to_owned());
            // `busybox@sha256:...` names content only; `busybox:1.36@sha256:...` keeps both.
            if tag.is_none() {
                image.tag = String::new();
            }
        }
        Ok(image)
        // END SOLUTION
    }
    // ANCHOR_END: parse

    /// Builds a `name:tag` reference from its two parts, checking each and normalizing Docker
    /// Hub's long spelling of the name; the error is the reason, as a phrase.
    pub fn new(name: &str, tag: &str) -> std::result::Result<Self, String> {
        check_name(name)?;
        check_tag(tag)?;
        Ok(Self {
            name: familiar_name(name).to_owned(),
            tag: tag.to_owned(),
            digest: None,
        })
    }

    /// The repository name, such as `busybox` or `localhost:5000/team/app`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tag, such as `latest`; empty for a `name@digest` reference.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The digest the reference is pinned to, such as `sha256:4a6c...`.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// The registry host to pull from: the name's first component when it is a host
    /// (`registry.local:5000`), else [`DEFAULT_REGISTRY`].
    pub fn registry(&self) -> &str {
        match self.name.split_once('/') {
            Some((first, _)) if is_registry_host(first) => first,
            _ => DEFAULT_REGISTRY,
        }
    }

    /// The repository path inside the registry, as the distribution API's `/v2/<name>/` wants
    /// it: `team/app` for `registry.local:5000/team/app`, and `library/busybox` for `busybox`
    /// (Docker Hub keeps its official images under `library/`).
    pub fn repository(&self) -> String {
        match self.name.split_once('/') {
            Some((first, rest)) if is_registry_host(first) => rest.to_owned(),
            Some(_) => self.name.clone(),
            None => format!("library/{}", self.name),
        }
    }

    /// What to ask the registry's manifests endpoint for: the digest when there is one (the
    /// content is then fixed), else the tag.
    pub fn manifest_reference(&self) -> &str {
        self.digest.as_deref().unwrap_or(&self.tag)
    }

    /// The fully qualified name, as containerd prints it: `docker.io/library/busybox:latest`.
    pub fn qualified(&self) -> String {
        let familiar = self.to_string();
        if self.registry() == DEFAULT_REGISTRY {
            format!(
                "{DEFAULT_REGISTRY}/{}{}",
                self.repository(),
                &familiar[self.name.len()..]
            )
        } else {
            familiar
        }
    }
}

impl fmt::Display for ImageRef {
    /// The canonical form: `name:tag`, `name@digest` or `name:tag@digest`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if !self.tag.is_empty() {
            write!(f, ":{}", self.tag)?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// So that `"busybox".parse::<ImageRef>()` works, and clap or serde can parse references too.
impl FromStr for ImageRef {
    type Err = Error;

    fn from_str(reference: &str) -> Result<Self> {
        Self::parse(reference)
    }
}

/// Checks a repository name: `/`-separated lowercase components, the first of which may be a
/// registry `host:port` when more components follow.
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("the name is empty".to_owned());
    }
    // The distribution spec caps a full name at 255 characters.
    if name.len() > 255 {
        return Err("the name is longer than 255 characters".to_owned());
    }
    // `docker.io/library/busybox`: the slashes make a path, like a directory tree of images.
    let components: Vec<&str> = name.split('/').collect();
    for (position, component) in components.iter().enumerate() {
        // Only the first of several components can be a registry host, and only a host may
        // have a `:port`.
        let is_host = position == 0 && components.len() > 1 && is_registry_host(component);
        match component.split_once(':') {
            Some((host, port)) if is_host => {
                check_component(host)?;
                if port.is_empty() || !port.bytes().all(|byte| byte.is_ascii_digit()) {
                    return Err(format!("`{port}` is not a port number"));
                }
            }
            Some(_) => return Err("a `:` may only separate the tag or a registry port".to_owned()),
            None => check_component(component)?,
        }
    }
    Ok(())
}

/// Checks one path component of a name: lowercase letters and digits, with `.`, `_` or `-`
/// between them (never first or last).
fn check_component(component: &str) -> std::result::Result<(), String> {
    let allowed = |byte: u8| byte.is_ascii_lowercase() || byte.is_ascii_digit();
    let separator = |byte: u8| matches!(byte, b'.' | b'_' | b'-');
    let bytes = component.as_bytes();
    // The character check comes first: for `BusyBox`, "`B` is not allowed" is the useful answer.
    if let Some(bad) = bytes
        .iter()
        .find(|&&byte| !allowed(byte) && !separator(byte))
    {
        return Err(format!(
            "`{}` is not allowed in a name (use lowercase letters, digits, `.`, `_`, `-`)",
            char::from(*bad)
        ));
    }
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) if allowed(first) && allowed(last) => Ok(()),
        (None, _) | (_, None) => Err("the name has an empty component".to_owned()),
        _ => Err(format!(
            "`{component}` must start and end with a lowercase letter or digit"
        )),
    }
}

/// Checks a tag: 1 to 128 characters of letters, digits, `_`, `.` and `-`, not starting with
/// `.` or `-` (the distribution spec's `[\w][\w.-]{0,127}`).
pub fn check_tag(tag: &str) -> std::result::Result<(), String> {
    // `\w` in the spec's regular expression: ASCII letters, digits and `_`.
    let word = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_';
    // The arms are tried in order; the first that matches gives the answer.
    match tag.as_bytes() {
        [] => Err("the tag after `:` is empty".to_owned()),
        bytes if bytes.len() > 128 => Err("the tag is longer than 128 characters".to_owned()),
        [first, ..] if !word(*first) => Err(format!(
            "the tag `{tag}` must start with a letter, digit or `_`"
        )),
        bytes
            if bytes
                .iter()
                .all(|&byte| word(byte) || byte == b'.' || byte == b'-') =>
        {
            Ok(())
        }
        _ => Err(format!(
            "the tag `{tag}` may only hold letters, digits, `_`, `.` and `-`"
        )),
    }
}

/// Whether the first component of a multi-component name is a registry host, by Docker's rule:
/// it has a `.` (a domain) or a `:` (a port), or it is `localhost`. So `team/app` is the
/// repository `team/app` on Docker Hub, while `registry.local/app` is `app` on `registry.local`.
fn is_registry_host(component: &str) -> bool {
    component.contains(['.', ':']) || component == "localhost"
}

/// Docker Hub's long spellings, shortened: `docker.io/library/busybox` (or `index.docker.io/...`)
/// is `busybox`, and `docker.io/team/app` is `team/app`.
fn familiar_name(name: &str) -> &str {
    let Some(path) = ["docker.io/", "index.docker.io/"]
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix))
    else {
        return name;
    };
    match path.strip_prefix("library/") {
        Some(official) if !official.contains('/') => official,
        _ => path,
    }
}

/// Checks a digest: `sha256:` and 64 lowercase hex digits, the only algorithm this store keeps.
pub fn check_digest(digest: &str) -> std::result::Result<(), String> {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return Err(format!("the digest `{digest}` is not ALGORITHM:HEX"));
    };
    if algorithm != "sha256" {
        return Err(format!(
            "the digest algorithm `{algorithm}` is not supported (only sha256)"
        ));
    }
    let lower_hex = |byte: u8| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte);
    if hex.len() != 64 || !hex.bytes().all(lower_hex) {
        return Err(format!(
            "the digest `{digest}` needs 64 lowercase hex digits after `sha256:`"
        ));
    }
    Ok(())
}

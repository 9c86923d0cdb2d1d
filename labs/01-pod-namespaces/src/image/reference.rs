//! Image references: the `name[:tag]` a user types, such as `busybox` or `busybox:1.36`.
//!
//! A Pod spec says `image: busybox`, and the runtime must turn that into one entry of its image
//! store. The rules here follow the Docker/OCI distribution reference grammar, cut down to what a
//! local store needs:
//!
//! - the tag is optional and defaults to `latest`, so `busybox` and `busybox:latest` are the same
//!   image;
//! - a name may have slashes (`library/busybox`) and start with a registry host that has a port
//!   (`localhost:5000/busybox`), so not every `:` starts a tag;
//! - digest references (`busybox@sha256:...`) are not supported by this store.
//!
//! The canonical form, used as the store's annotation and printed by `lab-01 images list`, is
//! always `name:tag`.

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use crate::image::{Error, Result};

/// A parsed, validated `name:tag`.
///
/// The fields are private so that every `ImageRef` has been through [`ImageRef::new`]: code that
/// holds one never needs to check it again. Ordering is by name, then tag, which is how
/// `lab-01 images list` sorts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImageRef {
    /// The repository name, without the tag.
    name: String,
    /// The tag, never empty: `latest` when the user gave none.
    tag: String,
}

impl ImageRef {
    /// The tag a reference without one gets, as in Docker and Kubernetes.
    pub const DEFAULT_TAG: &'static str = "latest";

    // ANCHOR: parse
    /// Parses `name[:tag]`, defaulting the tag to [`Self::DEFAULT_TAG`]: `busybox` gives
    /// `busybox:latest`, `localhost:5000/busybox` gives `localhost:5000/busybox:latest`.
    pub fn parse(reference: &str) -> Result<Self> {
        // BEGIN SOLUTION step-1: split NAME[:TAG] (tag defaults to latest; a registry port is not a tag) and validate both
        // A digest pins content, not a name: this store looks images up by name only.
        if reference.contains('@') {
            return Err(Error::InvalidReference {
                reference: reference.to_owned(),
                reason: "digest references (NAME@sha256:...) are not supported".to_owned(),
            });
        }
        // The tag is what follows the *last* colon, but only if no slash follows that colon:
        // in `localhost:5000/busybox` the colon belongs to the registry's port.
        let (name, tag) = match reference.rfind(':') {
            Some(colon) if !reference[colon..].contains('/') => {
                (&reference[..colon], &reference[colon + 1..])
            }
            _ => (reference, Self::DEFAULT_TAG),
        };
        Self::new(name, tag).map_err(|reason| Error::InvalidReference {
            reference: reference.to_owned(),
            reason,
        })
        // END SOLUTION
    }
    // ANCHOR_END: parse

    /// Builds a reference from its two parts, checking each; the error is the reason, as a phrase.
    pub fn new(name: &str, tag: &str) -> std::result::Result<Self, String> {
        check_name(name)?;
        check_tag(tag)?;
        Ok(Self {
            name: name.to_owned(),
            tag: tag.to_owned(),
        })
    }

    /// The repository name, such as `busybox` or `localhost:5000/team/app`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tag, such as `latest`.
    pub fn tag(&self) -> &str {
        &self.tag
    }
}

impl fmt::Display for ImageRef {
    /// The canonical `name:tag` form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.tag)
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
        // have a `:port`. (Docker also treats a first component with a `.` as a host; for a
        // local store that distinction does not matter, so we do not make it.)
        let is_registry_host = position == 0 && components.len() > 1;
        match component.split_once(':') {
            Some((host, port)) if is_registry_host => {
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

//! `imagePullPolicy`: when the kubelet uses the image it has and when it asks the registry.
//!
//! Kubernetes gives every container one of three policies (`Container.imagePullPolicy`):
//!
//! | policy         | image in the store         | image not in the store                |
//! |----------------|----------------------------|---------------------------------------|
//! | `Always`       | ask the registry again     | pull                                  |
//! | `IfNotPresent` | use it                     | pull                                  |
//! | `Never`        | use it                     | fail: `ErrImageNeverPull`             |
//!
//! When the Pod does not say, the API server defaults it from the tag: `Always` for `:latest`
//! (or no tag at all, which means `:latest`), since that tag moves; `IfNotPresent` for any other
//! tag or a digest ([`PullPolicy::default_for`]).
//!
//! "Ask the registry again" is cheap: the tag is resolved to a manifest digest, and blobs the
//! store has are not downloaded again. One difference from a real kubelet, so that the course
//! works offline: an image that was *built or imported* here (the offline `busybox`) has no
//! registry to ask, so `Always` uses it as it is; a real kubelet would try Docker Hub for
//! `busybox:latest` and fail without a network. Pulled images are re-checked as Kubernetes does.
//!
//! A failed pull is reported as `ErrImagePull` and retried after a back-off, during which the
//! kubelet reports `ImagePullBackOff` ([`PullBackOff`]).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use crate::image::registry::{Progress, PullOptions};
use crate::image::{Error, Image, ImageRef, Result, Store};

/// A container's `imagePullPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullPolicy {
    /// Resolve the tag with the registry every time a container starts.
    Always,
    /// Pull only when the store does not have the image.
    IfNotPresent,
    /// Never pull: the image must be in the store already.
    Never,
}

impl PullPolicy {
    /// The API server's default for `image` (`SetDefaults_Container`): `Always` when the tag is
    /// `latest`, which includes no tag and no digest; `IfNotPresent` otherwise.
    pub fn default_for(image: &ImageRef) -> Self {
        if image.tag() == ImageRef::DEFAULT_TAG {
            Self::Always
        } else {
            Self::IfNotPresent
        }
    }

    /// The policy a container gets: its `imagePullPolicy`, or the default for its image.
    pub fn for_container(value: Option<&str>, image: &ImageRef) -> Result<Self> {
        match value {
            None | Some("") => Ok(Self::default_for(image)),
            Some(value) => value.parse(),
        }
    }
}

impl FromStr for PullPolicy {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self> {
        match value {
            "Always" => Ok(Self::Always),
            "IfNotPresent" => Ok(Self::IfNotPresent),
            "Never" => Ok(Self::Never),
            _ => Err(Error::InvalidPullPolicy {
                value: value.to_owned(),
            }),
        }
    }
}

impl fmt::Display for PullPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Always => "Always",
            Self::IfNotPresent => "IfNotPresent",
            Self::Never => "Never",
        })
    }
}

/// What the store holds under an image's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Nothing.
    Absent,
    /// An image built or imported here, which no registry knows.
    Local,
    /// An image pulled from its registry.
    Pulled,
}

/// What to do about an image before starting a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Use the stored image as it is.
    UseStored,
    /// Pull it (again) from its registry.
    Pull,
    /// Fail with `ErrImageNeverPull`.
    NeverPull,
}

// ANCHOR: decide
/// Decides, from the policy and what the store holds, whether to pull (the table at the top
/// of this module). A digest reference that is stored is used as it is under every policy:
/// its content cannot have changed in the registry.
pub fn decide(policy: PullPolicy, presence: Presence, pinned_by_digest: bool) -> Decision {
    // BEGIN SOLUTION step-1: Never: stored or NeverPull; IfNotPresent: stored or Pull; Always: Pull unless it is Local or pinned by digest (then stored), Absent always pulls
    match (policy, presence) {
        (PullPolicy::Never, Presence::Absent) => Decision::NeverPull,
        (_, Presence::Absent) => Decision::Pull,
        (PullPolicy::Never | PullPolicy::IfNotPresent, _) => Decision::UseStored,
        (PullPolicy::Always, Presence::Local) => Decision::UseStored,
        (PullPolicy::Always, Presence::Pulled) if pinned_by_digest => Decision::UseStored,
        (PullPolicy::Always, Presence::Pulled) => Decision::Pull,
    }
    // END SOLUTION
}
// ANCHOR_END: decide

/// Gets the image a container needs, pulling it if its policy says so: what the kubelet's
/// image manager does before it creates a container (`EnsureImageExists`).
pub fn resolve(
    store: &Store,
    image: &ImageRef,
    policy: PullPolicy,
    options: &PullOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Image> {
    let presence = store.presence(image)?;
    match decide(policy, presence, image.digest().is_some()) {
        Decision::UseStored => {
            tracing::debug!(%image, %policy, "image is already present");
        }
        Decision::Pull => {
            store.pull(image, options, progress)?;
        }
        Decision::NeverPull => {
            return Err(Error::NeverPull {
                image: image.to_string(),
            });
        }
    }
    store.image(image)
}

/// The kubelet's back-off between failed pulls of one image: 10 s after the first failure,
/// doubling up to 300 s (its `flowcontrol.Backoff`, keyed by Pod and image). While an image is
/// in back-off the kubelet does not try, and reports `ImagePullBackOff` with the message
/// `Back-off pulling image "<image>"`.
#[derive(Debug, Default, Clone)]
pub struct PullBackOff {
    /// Per image: the current delay and when the last failure was.
    entries: HashMap<String, (Duration, Instant)>,
}

impl PullBackOff {
    /// The first delay.
    pub const INITIAL: Duration = Duration::from_secs(10);
    /// The longest delay.
    pub const MAX: Duration = Duration::from_secs(300);

    /// Records a failed pull of `image` at `now` and returns how long to wait before the next.
    pub fn failed(&mut self, image: &str, now: Instant) -> Duration {
        let delay = match self.entries.get(image) {
            // As the crash-loop back-off: a failure long after the last one starts over.
            Some((delay, at)) if now.duration_since(*at) <= Self::MAX * 2 => {
                (*delay * 2).min(Self::MAX)
            }
            _ => Self::INITIAL,
        };
        self.entries.insert(image.to_owned(), (delay, now));
        delay
    }

    /// When `image` may be pulled again, if it is in back-off at `now`.
    pub fn retry_at(&self, image: &str, now: Instant) -> Option<Instant> {
        let (delay, at) = self.entries.get(image)?;
        let ready = *at + *delay;
        (now < ready).then_some(ready)
    }

    /// Forgets `image` after a successful pull.
    pub fn succeeded(&mut self, image: &str) {
        self.entries.remove(image);
    }

    /// The waiting reason and message while `image` is in back-off.
    pub fn waiting(image: &str) -> (&'static str, String) {
        (
            "ImagePullBackOff",
            format!("Back-off pulling image \"{image}\""),
        )
    }
}

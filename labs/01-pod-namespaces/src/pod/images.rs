//! Step 7: getting a Pod's images before its containers start, as the kubelet's image manager
//! does: each container's image by its `imagePullPolicy`, a failed pull reported in the
//! container's waiting state (`ErrImagePull`, then `ImagePullBackOff` while the kubelet waits to
//! try again).
//!
//! ```text
//! Pending, container waiting:   ContainerCreating -> ErrImagePull -> ImagePullBackOff
//!                                                      ^                  |
//!                                                      +-- 10 s, 20 s ... +
//! ```

use std::time::Instant;

use k8s_openapi::api::core::v1 as corev1;

use crate::error::{Error, Result};
use crate::image::policy::{PullBackOff, resolve};
use crate::image::{ImageRef, Progress, PullOptions, PullPolicy, Store};

/// One container's image, with the policy that says when to pull it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePull {
    /// The container's name.
    pub container: String,
    /// Its image as the Pod spec writes it (what statuses and messages show).
    pub image_name: String,
    /// Its image, parsed.
    pub image: ImageRef,
    /// Its `imagePullPolicy`, defaulted as the API server does.
    pub policy: PullPolicy,
    /// Whether it is an init container (its status goes in `initContainerStatuses`).
    pub init: bool,
}

/// A container whose image could not be had, as its status says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageWait {
    /// The container's name.
    pub container: String,
    /// `ErrImagePull`, `ImagePullBackOff`, `ErrImageNeverPull` or `InvalidImageName`.
    pub reason: String,
    /// What went wrong, for people.
    pub message: String,
}

/// Lists the images of a Pod's containers (init containers first) with their pull policies,
/// refusing an invalid reference or policy with the field that holds it.
pub fn image_pulls(pod: &corev1::Pod) -> Result<Vec<ImagePull>> {
    let Some(spec) = &pod.spec else {
        return Ok(Vec::new());
    };
    let init = spec.init_containers.iter().flatten().map(|c| (true, c));
    let mut pulls = Vec::new();
    for (is_init, container) in init.chain(spec.containers.iter().map(|c| (false, c))) {
        let field = |name: &str| format!("container {}: {name}", container.name);
        let image_name = container.image.clone().unwrap_or_default();
        if image_name.is_empty() {
            return Err(Error::invalid(
                field("image"),
                "no image given; set image (e.g. `busybox`)",
            ));
        }
        let image = ImageRef::parse(&image_name)?;
        let policy = PullPolicy::for_container(container.image_pull_policy.as_deref(), &image)
            .map_err(|error| Error::invalid(field("imagePullPolicy"), error.to_string()))?;
        pulls.push(ImagePull {
            container: container.name.clone(),
            image_name,
            image,
            policy,
            init: is_init,
        });
    }
    Ok(pulls)
}

/// Gets every image the policies ask for, skipping those still in back-off at `now`; returns
/// the containers that must keep waiting, with their reasons. An image shared by several
/// containers is pulled once.
pub fn ensure_images(
    store: &Store,
    pulls: &[ImagePull],
    options: &PullOptions,
    backoff: &mut PullBackOff,
    now: Instant,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Vec<ImageWait> {
    let mut waits = Vec::new();
    let mut failed: Vec<(String, (String, String))> = Vec::new();
    for pull in pulls {
        let key = pull.image.to_string();
        // One attempt per image per round: a second container with the same image shares the
        // first one's outcome.
        let outcome = if let Some((_, outcome)) = failed.iter().find(|(image, _)| *image == key) {
            Some(outcome.clone())
        } else if backoff.retry_at(&key, now).is_some() {
            let (reason, message) = PullBackOff::waiting(&pull.image_name);
            Some((reason.to_owned(), message))
        } else {
            match resolve(store, &pull.image, pull.policy, options, progress) {
                Ok(_) => {
                    backoff.succeeded(&key);
                    None
                }
                Err(error) => {
                    let reason = error.kubelet_reason();
                    if reason == "ErrImagePull" {
                        backoff.failed(&key, now);
                    }
                    let outcome = (reason.to_owned(), error.to_string());
                    failed.push((key.clone(), outcome.clone()));
                    Some(outcome)
                }
            }
        };
        if let Some((reason, message)) = outcome {
            waits.push(ImageWait {
                container: pull.container.clone(),
                reason,
                message,
            });
        }
    }
    waits
}

/// The status of a Pod still waiting for images: `Pending`, each waiting container with its
/// reason, the others `ContainerCreating` (as the kubelet shows them before they start).
pub fn pending_status(pulls: &[ImagePull], waits: &[ImageWait]) -> corev1::PodStatus {
    let status = |pull: &ImagePull| {
        let wait = waits.iter().find(|wait| wait.container == pull.container);
        corev1::ContainerStatus {
            name: pull.container.clone(),
            image: pull.image_name.clone(),
            state: Some(corev1::ContainerState {
                waiting: Some(corev1::ContainerStateWaiting {
                    reason: Some(wait.map_or("ContainerCreating".to_owned(), |w| w.reason.clone())),
                    message: wait.map(|w| w.message.clone()),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    };
    let of = |init: bool| {
        let list: Vec<_> = pulls
            .iter()
            .filter(|p| p.init == init)
            .map(status)
            .collect();
        (!list.is_empty()).then_some(list)
    };
    corev1::PodStatus {
        phase: Some("Pending".to_owned()),
        init_container_statuses: of(true),
        container_statuses: of(false),
        ..Default::default()
    }
}

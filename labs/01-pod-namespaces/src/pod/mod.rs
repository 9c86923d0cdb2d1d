//! Step 7: one Pod manifest, run on this machine from start to end (`lab-01 run pod.yaml`).
//!
//! - [`manifest`]: read the YAML file (a Pod, its ConfigMaps and Secrets).
//! - [`images`]: get each container's image by its `imagePullPolicy` (pulling it if needed),
//!   and the waiting reasons when that fails (`ErrImagePull`, `ImagePullBackOff`).
//! - [`spec`]: check the manifest and resolve its images, before anything happens.
//! - [`runner`]: the kubelet's sync loop in miniature: start the sandbox, run init containers
//!   then app containers through the [`crate::runtime::RuntimeService`], restart them as
//!   `restartPolicy` says (with step 5's back-off), probe them (step 6), stream their logs,
//!   and stop everything gracefully at the end.
//! - [`hooks`]: what a kubelet running the Pod hears and adds while it runs: status changes,
//!   exec targets, the pod network.

pub mod hooks;
pub mod images;
pub mod manifest;
pub mod runner;
pub mod spec;
mod tracked;

pub use hooks::{ExecTargets, RunHooks, SandboxNetwork};
pub use images::{ImagePull, ImageWait, ensure_images, image_pulls, pending_status};
pub use manifest::{Manifest, parse_duration, parse_manifest};
pub use runner::{RunOptions, run_pod};
pub use spec::{PodPlan, command_line, plan_pod};

//! Hollow nodes: many fake kubelets in one process (upstream kubemark's "hollow node").
//!
//! Testing a scheduler or a controller at scale needs hundreds of nodes that register, send
//! heartbeats and run pods, but not hundreds of machines. A hollow node is the real kubelet
//! loop ([`crate::kubelet::Kubelet`]) over a runtime with state only ([`HollowRuntime`]):
//! everything the apiserver sees is real (Node, Lease, pod status), only the containers are
//! not.
//!
//! ```text
//!                 one pod informer (all pods)        one kube::Client
//!                           │ route by spec.nodeName        │
//!        ┌──────────────────┼──────────────────┐            │
//!   hollow-node-0     hollow-node-1   ...   hollow-node-N-1 ─┘  (each: Node, Lease, queue, workers)
//!   HollowRuntime     HollowRuntime         HollowRuntime       (pods: Running, Ready after a delay)
//! ```
//!
//! - [`patterns`]: the container commands a hollow node understands, and the pod phase.
//! - [`runtime`]: [`HollowRuntime`], the [`crate::kubelet::PodRuntime`] with state only.
//! - [`nodes`]: [`start`] N of them in-process and get a [`HollowNodes`] handle (tests,
//!   benchmarks), or [`run`] them until shutdown (the `hollow-nodes` command).

pub mod nodes;
pub mod patterns;
pub mod runtime;

pub use self::nodes::{HollowConfig, HollowNodes, run, start};
pub use self::runtime::HollowRuntime;

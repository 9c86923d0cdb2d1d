//! Lab 05: the pod network and kube-proxy.
//!
//! The learner builds a bridge per node, a veth per pod, routes between nodes (all through
//! netlink), then renders Services and endpoints into an nftables ruleset. The chapter is
//! `book/src/lab-05-kube-proxy.md`.
//!
//! The steps written so far:
//!
//! 1. **The pod network**: addresses from the node's podCIDR, a bridge per node, a veth per
//!    pod, host-gw routes between nodes. Pods on different nodes reach each other by pod IP.
//!
//! # Layout
//!
//! - [`ipam`]: step 1. [`ipam::PodCidr`] (a node's range and its layout) and
//!   [`ipam::Allocator`], host-local style address allocation in a state directory.
//! - [`routes`]: step 1. [`routes::plan_routes`], the pure diff of owned and desired host-gw
//!   routes, and its netlink half.
//! - [`netns`] (Linux): [`netns::Netns`], opening, creating and entering network namespaces;
//!   why each netlink operation runs on its own thread.
//! - [`node`] (Linux): the bridge and IP forwarding.
//! - [`pod`] (Linux): the veth pair, phase by phase.
//! - [`network`] (Linux): [`network::PodNetwork`], the API the kubelet calls: `setup_node`,
//!   `reconcile_routes`, `attach`, `detach`.
//! - [`uplink`] (Linux): a veth "cable" between two node namespaces, the node network of the
//!   tests and the demo (`examples/two_nodes.rs`).
//! - [`error`]: the one error type, [`Error`], re-exported at the top.
//!
//! Start with `ipam/allocator.rs`, then `pod.rs`, then `routes.rs`.

pub mod error;
pub mod ipam;
pub mod routes;

#[cfg(target_os = "linux")]
mod netlink;
#[cfg(target_os = "linux")]
pub mod netns;
#[cfg(target_os = "linux")]
pub mod network;
#[cfg(target_os = "linux")]
pub mod node;
#[cfg(target_os = "linux")]
pub mod pod;
#[cfg(target_os = "linux")]
pub mod uplink;

pub use error::Error;
#[cfg(target_os = "linux")]
pub use network::{PodNetwork, PodNetworkConfig};

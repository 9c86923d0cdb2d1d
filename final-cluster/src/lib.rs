//! The final cluster.
//!
//! When the labs are done, this crate assembles them into binaries named after the real
//! components (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, ...) and a
//! `cluster` launcher. It copies no lab code: it depends on the lab crates. The chapter is
//! `book/src/final-cluster.md`.
//!
//! Written so far:
//!
//! - [`node_network`] (Linux): the nodes as network namespaces on one host bridge, from lab 05's
//!   pod network one level up.
//! - [`launcher`] (Linux): `cluster up/down/status`: the nodes, and the components started in
//!   them as processes with pid files (`launcher/process.rs`). So far the API server.
//! - [`kubelet`] (Linux): the kubelet's server for `kubectl logs` and `kubectl exec`.

#[cfg(target_os = "linux")]
pub mod kubelet;
#[cfg(target_os = "linux")]
pub mod launcher;
#[cfg(target_os = "linux")]
pub mod node_network;

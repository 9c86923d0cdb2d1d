//! The final cluster.
//!
//! When the labs are done, this crate assembles them into binaries named after the real
//! components (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, ...) and a
//! `cluster` launcher. It copies no lab code: it depends on the lab crates.
//!
//! Not written yet: the labs it assembles come first. The chapter is `book/src/final-cluster.md`.

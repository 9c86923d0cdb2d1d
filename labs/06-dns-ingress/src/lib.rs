//! Lab 06: cluster DNS and ingress.
//!
//! The learner builds a DNS server that answers as the Kubernetes DNS specification says, and an
//! HTTP ingress proxy driven by Ingress objects. The chapter is
//! `book/src/lab-06-dns-ingress.md`.
//!
//! Not written yet: this crate has no exercise steps, so `cargo xtask grade` reports it as
//! "no steps yet".

//! Lab 07: device plugins.
//!
//! The learner builds the v1beta1 Device Plugin gRPC API, a sample plugin, and the kubelet's device
//! manager that turns devices into extended resources the scheduler counts. The chapter is
//! `book/src/lab-07-device-plugin.md`.
//!
//! Not written yet: this crate has no exercise steps, so `cargo xtask grade` reports it as
//! "no steps yet".

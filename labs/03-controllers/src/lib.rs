//! Lab 03: controllers.
//!
//! The learner builds an informer and a work queue, then the controllers that turn desired state
//! into running pods: ReplicaSet, Deployment, DaemonSet, Job, CronJob, StatefulSet, Endpoints, the
//! garbage collector, node lifecycle, and the kubelet's own loop. The chapter is
//! `book/src/lab-03-controllers.md`.
//!
//! Not written yet: this crate has no exercise steps, so `cargo xtask grade` reports it as
//! "no steps yet".

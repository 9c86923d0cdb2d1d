//! Lab 04: the scheduler.
//!
//! The learner builds filters and scores as pure functions over a snapshot of nodes and pods,
//! then the scheduling queue, binding, and preemption. The chapter is
//! `book/src/lab-04-scheduler.md`.
//!
//! Not written yet: this crate has no exercise steps, so `cargo xtask grade` reports it as
//! "no steps yet".

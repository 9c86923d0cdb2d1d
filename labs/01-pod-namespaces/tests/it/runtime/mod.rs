//! Step 7: status and access, and `lab-01 run`.
//!
//! - `status`: runtime records become a `v1.PodStatus` (pure).
//! - `logs`: `--tail` and `-f` over log files (pure, temporary files).
//! - `spec`: a Pod manifest checked and resolved, bad input refused with the field named.
//! - `real`: the CRI-shaped runtime and exec, for real (root).
//! - `run`: whole Pods through `run_pod` and the `lab-01 run` command (root).

mod logs;
mod real;
mod run;
mod spec;
mod status;

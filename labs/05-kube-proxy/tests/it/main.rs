//! Integration tests of lab 05: one test binary, one module per concern.
//!
//! Graded tests are named `step<N>_<behaviour>`: `cargo xtask grade` maps each to its step by
//! that prefix. The address allocator and the route plan are tested without privileges; the
//! pod network itself needs root: those tests build "nodes" and "pods" as network namespaces
//! they create (named `lab05-...`, see `support`) and delete again, also when they fail, and
//! never touch the machine's own network. Without root they say "not run".

mod ipam;
mod pod_network;
mod route_plan;
#[cfg(target_os = "linux")]
mod support;

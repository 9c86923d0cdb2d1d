//! Step 8: hollow nodes, their command patterns and against the real lab-02 apiserver.

mod binder;
mod failover;
mod kubectl;
mod live;
mod patterns;

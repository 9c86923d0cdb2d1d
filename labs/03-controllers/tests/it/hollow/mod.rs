//! Step 8: hollow nodes, their command patterns and against the real lab-02 apiserver.

mod failover;
mod live;
mod patterns;

//! Lab 02: the API server.
//!
//! The learner builds the one component every other component talks to: REST over a storage
//! trait with two backends (an embedded MVCC store and real etcd), watch, discovery, server-side
//! tables and the subresources kubectl needs. The chapter is `book/src/lab-02-apiserver.md`.
//!
//! Not written yet: this crate has no exercise steps, so `cargo xtask grade` reports it as
//! "no steps yet".

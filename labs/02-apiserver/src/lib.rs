//! Lab 02: the API server.
//!
//! The learner builds the one component every other component talks to: REST over a storage
//! trait with two backends (an embedded MVCC store and real etcd), watch, discovery, server-side
//! tables and the subresources kubectl needs. The chapter is `book/src/lab-02-apiserver.md`.
//!
//! The steps:
//!
//! 1. **Storage**: one trait, two backends (written).
//! 2. **Objects and REST**: the resource registry, CRUD, `Status` errors, defaulting and
//!    validation.
//! 3. **Queries**: label and field selectors, paging.
//! 4. **Watch**: streaming events with `resourceVersion` semantics, 410 Gone, bookmarks.
//! 5. **kubectl**: discovery, OpenAPI, tables, subresources, patches.
//! 6. **Services**: ClusterIP and NodePort allocation.
//! 7. **Logs and exec**: proxying to the node.
//!
//! # Layout
//!
//! - [`store`]: step 1. The [`store::Store`] trait (get, list at a revision, create, update
//!   and delete with a revision check, watch from a revision, compaction), the embedded
//!   [`store::mem::MemStore`] and [`store::etcd::EtcdStore`], and [`store::Backend`], which
//!   holds either. Start with `store/mod.rs`, then `store/mem/state.rs`.
//! - [`protobuf`]: step 5's protobuf request bodies. [`protobuf::decode`] turns the
//!   `application/vnd.kubernetes.protobuf` body kubectl 1.32+ POSTs into the JSON object it
//!   would have sent as JSON, by descriptors `build.rs` compiles from the upstream `.proto`
//!   files in `proto/`. Start with `protobuf/mod.rs`, then `protobuf/envelope.rs`.
//! - [`selector`]: step 3. Label selectors (strings and `metav1.LabelSelector`), field
//!   selectors and the fields each resource offers, and [`selector::ListFilter`], the filter of
//!   list, watch and deletecollection. Start with `selector/mod.rs`, then `selector/label.rs`.
//! - [`table`]: step 5's server-side printing. [`table::table`] turns objects into the
//!   `meta.k8s.io/v1` Table `kubectl get` prints, with the real printers' columns per kind;
//!   `table/age.rs` renders ages, `table/pod.rs` the Pod STATUS.

pub mod protobuf;
pub mod selector;
pub mod store;
pub mod table;

//! Lab 02: the API server.
//!
//! The learner builds the one component every other component talks to: REST over a storage
//! trait with two backends (an embedded MVCC store and real etcd), watch, discovery, server-side
//! tables and the subresources kubectl needs. The chapter is `book/src/lab-02-apiserver.md`.
//!
//! The steps:
//!
//! 1. **Storage**: one trait, two backends.
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
//! - [`registry`]: step 2. The table of served resources (group, version, kind, names, scope,
//!   verbs, subresources), the single source of truth for REST and discovery.
//! - [`rest`]: step 2 (paging: step 3, watch: step 4). The verbs over the store: URL parsing,
//!   the object pipeline, optimistic concurrency, finalizers, `limit`/`continue`, and
//!   `?watch=true` streams (`rest/watch.rs`).
//! - [`status`]: step 2. `Status` errors with the real reasons, codes and messages.
//! - [`server`]: step 2. The router, start-up (system namespaces, kubeconfig) and `run`.
//! - [`discovery`]: step 5. `/version`, `/api`, `/apis`, the resource lists (legacy and
//!   aggregated, from the registry) and the routes that serve them with the OpenAPI documents.
//! - [`stopgap`]: step 5. Until lab 03's namespace controller and garbage collector, a small
//!   loop in the server finishes namespace deletion and `--cascade=foreground|orphan`.
//! - [`openapi`]: step 5's OpenAPI documents, which kubectl needs for `apply`, `edit`,
//!   `create -f` and `explain`: [`openapi::index()`] (`/openapi/v3`),
//!   [`openapi::group_version_document`] (one group-version's schemas and paths, generated with
//!   k8s-openapi's schemars support) and [`openapi::v2_protobuf`] (kubectl 1.27/1.28).

//! - [`selector`]: step 3. Label selectors (strings and `metav1.LabelSelector`), field
//!   selectors and the fields each resource offers, and [`selector::ListFilter`], the filter of
//!   list, watch and deletecollection. Start with `selector/mod.rs`, then `selector/label.rs`.
//! - [`table`]: step 5's server-side printing. [`table::table`] turns objects into the
//!   `meta.k8s.io/v1` Table `kubectl get` prints, with the real printers' columns per kind;
//!   `table/age.rs` renders ages, `table/pod.rs` the Pod STATUS.
//! - [`allocator`]: step 6. Service cluster IPs and node ports from their ranges, as bitmaps
//!   kept in the store and updated with optimistic concurrency.
//! - [`validation`]: step 2. Defaulting ([`validation::default_object`]) and validation
//!   ([`validation::validate_create`], [`validation::validate_update`]) of objects as JSON, with
//!   the real field paths and messages, and [`validation::invalid_message`] for the 422 `Status`.
//! - [`patch`]: step 5's PATCH bodies. [`patch::apply_patch`] applies a JSON patch, a merge
//!   patch, a strategic merge patch or a (simplified) server-side apply to an object;
//!   `patch/strategic.rs` is the strategic merge, `patch/merge_keys.rs` its table of merge keys.
//! - [`protobuf`]: step 5's protobuf request bodies. [`protobuf::decode`] turns the
//!   `application/vnd.kubernetes.protobuf` body kubectl 1.32+ POSTs into the JSON object it
//!   would have sent as JSON, by descriptors `build.rs` compiles from the upstream `.proto`
//!   files in `proto/`. Start with `protobuf/mod.rs`, then `protobuf/envelope.rs`.
//! - [`node_proxy`]: step 7. `pods/log` and `pods/exec`, proxied to the kubelet of the pod's
//!   node: [`node_proxy::locate`] (pod, container, node, kubelet address), the log stream, and
//!   the exec WebSocket relay (`node_proxy/exec.rs`).
//! - [`testing`]: [`testing::LocalServer`], this server in-process for the tests of later labs.

pub mod allocator;
pub mod discovery;
pub mod node_proxy;
pub mod openapi;
pub mod patch;
pub mod protobuf;
pub mod registry;
pub mod rest;
pub mod selector;
pub mod server;
pub mod status;
pub mod stopgap;
pub mod store;
pub mod table;
pub mod testing;
pub mod validation;

//! The kubelet of the final cluster: lab 03's kubelet loop driving lab 01's runtime, lab 05's
//! pod network, and the HTTP server the API server proxies `kubectl logs` and `kubectl exec` to.
//!
//! - [`runtime`]: lab 01's `run_pod` behind lab 03's `PodRuntime`, a thread per pod.
//! - [`network`]: the node's podCIDR, its bridge, and the routes to the other nodes.
//! - [`server`]: `/containerLogs` and the routes, over [`server::Containers`].
//! - `exec`: `/exec`, the WebSocket channel protocol.
//! - [`volumes`]: the ConfigMaps and Secrets a pod's volumes name, read from the API server.
//!
//! The binary (`src/bin/kubelet.rs`) wires them together.

mod exec;
pub mod network;
pub mod runtime;
pub mod server;
pub mod volumes;

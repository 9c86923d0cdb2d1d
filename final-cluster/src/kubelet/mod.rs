//! The kubelet of the final cluster: lab 03's kubelet loop driving lab 01's runtime, lab 05's
//! pod network, and the HTTP server the API server proxies `kubectl logs` and `kubectl exec` to.
//!
//! - [`runtime`]: lab 01's `run_pod` behind lab 03's `PodRuntime`, a thread per pod.
//! - [`network`]: the node's podCIDR, its bridge, and the routes to the other nodes.
//! - [`server`]: `/containerLogs` and the routes, over [`server::Containers`].
//! - `exec`: `/exec`, the WebSocket channel protocol; `exec_stream`: `kubectl exec -i`/`-it`,
//!   streams open both ways while the command runs, on a pseudo-terminal with `-t`.
//! - [`volumes`]: the ConfigMaps and Secrets a pod's volumes name, read from the API server.
//!
//! The binary (`src/bin/kubelet.rs`) wires them together.

mod exec;
mod exec_stream;
pub mod network;
pub mod runtime;
pub mod server;
pub mod volumes;

//! The kubelet of the final cluster: lab 03's kubelet loop driving lab 01's runtime, and the
//! HTTP server the API server proxies `kubectl logs` and `kubectl exec` to.
//!
//! - `server`: `/containerLogs` and the routes, over [`server::Containers`].
//! - `exec`: `/exec`, the WebSocket channel protocol.

mod exec;
pub mod server;

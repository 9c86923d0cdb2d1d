//! Step 7 tests: `pods/log` and `pods/exec` through the API server to a stand-in kubelet.
//!
//! `Cluster` is the harness: the API server on a free loopback port (real TCP: exec is a
//! WebSocket upgrade), a stub kubelet (`stub.rs`) on another, a Node object pointing at the
//! stub, and helpers to store pods and send requests.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::header::CONTENT_TYPE;
use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use lab_02::rest::ApiState;
use lab_02::server::{Config, Server};
use lab_02::store::{Backend, Store, registry_key};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

mod errors;
mod exec;
mod kubectl;
mod logs;
pub(crate) mod stub;

use stub::Stub;

/// How long any one step of a test may take before it counts as hung.
pub(crate) const DEADLINE: Duration = Duration::from_secs(10);

/// The node the stub kubelet stands in for.
pub(crate) const NODE: &str = "node-1";

/// An API server with a stub kubelet behind node `node-1`.
pub(crate) struct Cluster {
    pub(crate) addr: SocketAddr,
    pub(crate) state: ApiState,
    pub(crate) stub: Stub,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Cluster {
    /// Starts the server and the stub, and stores the Node `node-1` pointing at the stub.
    pub(crate) async fn start() -> Cluster {
        let stub = Stub::start().await;
        let state = ApiState::new(Backend::default());
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..Config::default()
        };
        let server = Server::bind_with(&config, state.clone()).await.unwrap();
        let addr = server.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(server.serve(async move {
            let _ = stopped.await;
        }));
        let cluster = Cluster {
            addr,
            state,
            stub,
            stop: Some(stop),
        };
        let port = cluster.stub.addr.port();
        cluster.put_node(NODE, "127.0.0.1", port).await;
        cluster
    }

    /// Stores a Node whose kubelet is at `ip:port` (as a kubelet registers itself).
    pub(crate) async fn put_node(&self, name: &str, ip: &str, port: u16) {
        let node = json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "uid": format!("uid-{name}")},
            "status": {
                "addresses": [
                    {"type": "Hostname", "address": name},
                    {"type": "InternalIP", "address": ip},
                ],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": port}},
            },
        });
        self.put("nodes", None, name, &node).await;
    }

    /// Stores a Pod `name` in `default` with these containers, bound to `node` (if any).
    pub(crate) async fn put_pod(&self, name: &str, node: Option<&str>, containers: &[&str]) {
        self.put_pod_with(name, node, containers, json!({})).await;
    }

    /// As [`Cluster::put_pod`], with annotations.
    pub(crate) async fn put_pod_with(
        &self,
        name: &str,
        node: Option<&str>,
        containers: &[&str],
        annotations: Value,
    ) {
        let containers: Vec<Value> = containers
            .iter()
            .map(|container| json!({"name": container, "image": "busybox"}))
            .collect();
        let mut pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "uid": format!("uid-{name}"),
                         "annotations": annotations},
            "spec": {"containers": containers},
            "status": {"phase": "Running"},
        });
        if let Some(node) = node {
            pod["spec"]["nodeName"] = json!(node);
        }
        self.put("pods", Some("default"), name, &pod).await;
    }

    async fn put(&self, resource: &str, namespace: Option<&str>, name: &str, object: &Value) {
        let key = registry_key(resource, namespace, name);
        self.state
            .store
            .create(&key, object.to_string().into())
            .await
            .unwrap();
    }

    /// `GET path` on the API server: the code, the content type and the body, still streaming.
    pub(crate) async fn get(&self, path: &str) -> (u16, String, Incoming) {
        let stream = TcpStream::connect(self.addr).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
                .await
                .unwrap();
        tokio::spawn(connection);
        let request = hyper::Request::get(path)
            .header("host", self.addr.to_string())
            .body(Empty::new())
            .unwrap();
        let response = within(sender.send_request(request)).await.unwrap();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .map(|value| value.to_str().unwrap().to_string())
            .unwrap_or_default();
        (
            response.status().as_u16(),
            content_type,
            response.into_body(),
        )
    }

    /// `GET path`, the whole body as text.
    pub(crate) async fn get_text(&self, path: &str) -> (u16, String, String) {
        let (code, content_type, body) = self.get(path).await;
        let bytes = within(body.collect()).await.unwrap().to_bytes();
        (
            code,
            content_type,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    /// `GET path`, expecting a `Status` with this code and reason; returns its message.
    pub(crate) async fn get_status(&self, path: &str, code: u16, reason: &str) -> String {
        let (got, content_type, text) = self.get_text(path).await;
        assert_eq!(got, code, "unexpected answer: {text}");
        assert_eq!(content_type, "application/json", "{text}");
        let status: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(status["kind"], "Status", "{status}");
        assert_eq!(status["status"], "Failure", "{status}");
        assert_eq!(status["code"], code, "{status}");
        assert_eq!(status["reason"], reason, "{status}");
        status["message"].as_str().unwrap().to_string()
    }
}

/// `future`, or a panic when it takes longer than [`DEADLINE`].
pub(crate) async fn within<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(DEADLINE, future)
        .await
        .expect("timed out: the step took longer than the deadline")
}

/// The pods/log URL of pod `name` in `default`, with a query string.
pub(crate) fn log_url(name: &str, query: &str) -> String {
    format!("/api/v1/namespaces/default/pods/{name}/log{query}")
}

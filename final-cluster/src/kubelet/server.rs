//! The kubelet's own HTTP server: the two URLs the API server proxies `kubectl logs` and
//! `kubectl exec` to (lab 02's `node_proxy`).
//!
//! ```text
//! GET /containerLogs/<namespace>/<pod>/<container>?follow=true&tailLines=10&previous=true
//! GET /exec/<namespace>/<pod>/<container>?command=sh&command=-c&command=...&stdout=1&stderr=1
//!     (a WebSocket, v5.channel.k8s.io: see `exec.rs`)
//! ```
//!
//! Containers are found through [`Containers`], which the pod runner keeps current. The real
//! kubelet serves HTTPS on 10250 and checks who is asking; ours serves plain HTTP on the node's
//! own address, reachable only on the node network.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lab_01::runtime::exec::ExecTarget;
use lab_01::runtime::logs::{Follower, tail};
use serde::Deserialize;
use tokio::net::TcpListener;

use super::exec;

/// How often a followed log is read for new lines.
const FOLLOW_POLL: Duration = Duration::from_millis(100);

/// Where the kubelet's containers are: their logs and, while they run, how to exec into them.
pub trait Containers: Send + Sync + 'static {
    /// The log directory of a container (`<n>.log` per run, `n` = its restart count), if the
    /// pod is on this node.
    fn log_dir(&self, namespace: &str, pod: &str, container: &str) -> Option<PathBuf>;
    /// How to run a command in the container, if it runs now.
    fn exec_target(&self, namespace: &str, pod: &str, container: &str) -> Option<ExecTarget>;
}

/// What the server needs.
#[derive(Clone)]
pub struct ServerState {
    /// The containers of this node.
    pub containers: Arc<dyn Containers>,
    /// The `lab-01` binary, which runs exec's helper process.
    pub helper: PathBuf,
}

/// `containerLogs`' query (upstream `PodLogOptions`, the part this kubelet honours).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogQuery {
    #[serde(default)]
    follow: Option<String>,
    #[serde(default)]
    tail_lines: Option<usize>,
    #[serde(default)]
    previous: Option<String>,
}

/// A query flag: `true` or `1` (kubectl sends `true`).
fn flag(value: Option<&str>) -> bool {
    matches!(value, Some("true" | "1"))
}

/// Serves the kubelet API on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: ServerState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/containerLogs/{namespace}/{pod}/{container}",
            get(container_logs),
        )
        .route("/exec/{namespace}/{pod}/{container}", get(exec::exec))
        .with_state(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Binds the kubelet's port (`--port`, 10250 upstream) on `address`.
pub async fn bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(address).await
}

/// `GET /containerLogs/...`.
async fn container_logs(
    State(state): State<ServerState>,
    UrlPath((namespace, pod, container)): UrlPath<(String, String, String)>,
    Query(query): Query<LogQuery>,
) -> Response {
    let Some(dir) = state.containers.log_dir(&namespace, &pod, &container) else {
        return not_found(&namespace, &pod, &container);
    };
    let runs = runs(&dir);
    let wanted = if flag(query.previous.as_deref()) {
        runs.len().checked_sub(2).map(|at| runs[at])
    } else {
        runs.last().copied()
    };
    let Some(run) = wanted else {
        let message = if flag(query.previous.as_deref()) {
            format!("previous terminated container \"{container}\" in pod \"{pod}\" not found")
        } else {
            format!("container \"{container}\" in pod \"{pod}\" has not started yet")
        };
        return (StatusCode::BAD_REQUEST, message).into_response();
    };
    let path = dir.join(format!("{run}.log"));
    let text = match tokio::task::spawn_blocking({
        let path = path.clone();
        move || tail(&path, query.tail_lines)
    })
    .await
    {
        Ok(Ok(text)) => text,
        Ok(Err(error)) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response();
        }
        Err(error) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response();
        }
    };
    if !flag(query.follow.as_deref()) || flag(query.previous.as_deref()) {
        return text.into_response();
    }
    // Follow: what `tail` gave first, then each new line, until this run of the container
    // ends. The follower starts at the file's current end so nothing is sent twice.
    let start = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(64);
    let _ = tx.send(Ok(text)).await;
    let containers = state.containers.clone();
    tokio::spawn(async move {
        let mut follower = Follower::starting_at(&path, start);
        loop {
            let running = containers
                .exec_target(&namespace, &pod, &container)
                .is_some()
                && runs_of(&path).is_some_and(|latest| latest == run);
            let lines = follower.poll_lines();
            let lines = match lines {
                Ok(lines) => lines,
                Err(error) => {
                    let _ = tx.send(Err(error)).await;
                    return;
                }
            };
            for line in lines {
                if tx.send(Ok(format!("{line}\n"))).await.is_err() {
                    return; // kubectl went away
                }
            }
            if !running {
                if let Some(rest) = follower.finish() {
                    let _ = tx.send(Ok(rest)).await;
                }
                return;
            }
            tokio::time::sleep(FOLLOW_POLL).await;
        }
    });
    Body::from_stream(tokio_stream_from(rx)).into_response()
}

/// The numbers of a container's runs that have a log, in order.
fn runs(dir: &Path) -> Vec<u32> {
    let mut runs: Vec<u32> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            name.strip_suffix(".log")?.parse().ok()
        })
        .collect();
    runs.sort_unstable();
    runs
}

/// The latest run in the directory of the log at `path`.
fn runs_of(path: &Path) -> Option<u32> {
    runs(path.parent()?).last().copied()
}

/// A receiver as a stream of body chunks.
fn tokio_stream_from(
    rx: tokio::sync::mpsc::Receiver<Result<String, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<String, std::io::Error>> {
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}

/// The kubelet's 404 for a pod or container it does not have.
pub(super) fn not_found(namespace: &str, pod: &str, container: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        format!("container {container:?} of pod {namespace}/{pod} is not on this node"),
    )
        .into_response()
}

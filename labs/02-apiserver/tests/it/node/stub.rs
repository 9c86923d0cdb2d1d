//! A stand-in kubelet for the step 7 tests: the two endpoints the API server proxies to.
//!
//! - `GET /containerLogs/<ns>/<pod>/<container>`: three fixed lines `<container> line N`
//!   (`tailLines` honoured). With `follow=true` it instead sends each line the test pushes
//!   into [`Stub::follow`], as it arrives, and ends when the test drops the sender.
//! - `GET /exec/<ns>/<pod>/<container>?command=..`: a WebSocket (`v5.channel.k8s.io`) running
//!   a fake command in-process: `echo ARGS` (stdout), `warn ARGS` (stderr), `cat` (stdin back
//!   to stdout until stdin closes), `false` (exit code 1).
//!
//! The real kubelet (lab 03, on lab 01's runtime) answers the same URLs.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lab_02::node_proxy::Params;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// The running stub.
pub(crate) struct Stub {
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    /// Every request's path and query, in arrival order.
    pub(crate) requests: Arc<Mutex<Vec<String>>>,
    /// Lines for the (one) `follow=true` log request; drop it to end that stream.
    pub(crate) follow: Option<mpsc::UnboundedSender<String>>,
}

#[derive(Clone)]
struct StubState {
    requests: Arc<Mutex<Vec<String>>>,
    follow: Arc<Mutex<Option<mpsc::UnboundedReceiver<String>>>>,
}

impl Stub {
    /// Starts the stub on a free loopback port.
    pub(crate) async fn start() -> Stub {
        let (sender, receiver) = mpsc::unbounded_channel();
        let state = StubState {
            requests: Arc::default(),
            follow: Arc::new(Mutex::new(Some(receiver))),
        };
        let router = Router::new()
            .route("/containerLogs/{namespace}/{pod}/{container}", get(logs))
            .route("/exec/{namespace}/{pod}/{container}", get(exec))
            .with_state(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Stub {
            addr,
            requests: state.requests,
            follow: Some(sender),
        }
    }

    /// The requests seen so far.
    pub(crate) fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn record(state: &StubState, uri: &Uri) {
    state.requests.lock().unwrap().push(uri.to_string());
}

async fn logs(
    State(state): State<StubState>,
    uri: Uri,
    Path((_namespace, _pod, container)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    record(&state, &uri);
    let params = Params::parse(query.as_deref().unwrap_or(""));
    if params.flag("follow") {
        let Some(receiver) = state.follow.lock().unwrap().take() else {
            return (axum::http::StatusCode::CONFLICT, "one follow per stub").into_response();
        };
        let lines = futures_util::stream::unfold(receiver, |mut receiver| async move {
            let line = receiver.recv().await?;
            Some((Ok::<_, Infallible>(line), receiver))
        });
        return Body::from_stream(lines).into_response();
    }
    let lines: Vec<String> = (1..=3).map(|n| format!("{container} line {n}\n")).collect();
    let tail = params
        .integer("tailLines")
        .unwrap()
        .map_or(lines.len(), |tail| usize::try_from(tail).unwrap());
    lines[lines.len().saturating_sub(tail)..]
        .concat()
        .into_response()
}

async fn exec(
    State(state): State<StubState>,
    uri: Uri,
    RawQuery(query): RawQuery,
    upgrade: WebSocketUpgrade,
) -> Response {
    record(&state, &uri);
    let params = Params::parse(query.as_deref().unwrap_or(""));
    let command: Vec<String> = params.all("command").map(str::to_string).collect();
    upgrade
        .protocols(["v5.channel.k8s.io"])
        .on_upgrade(move |socket| run(socket, command))
}

/// One binary message on `channel`.
fn on(channel: u8, data: &[u8]) -> Message {
    let mut message = vec![channel];
    message.extend_from_slice(data);
    Message::Binary(message.into())
}

/// Runs the fake command, then sends its status (channel 3) and closes.
async fn run(mut socket: WebSocket, command: Vec<String>) {
    let (program, args) = command.split_first().map_or(("", &[][..]), |(p, a)| (p, a));
    let exit_code = match program {
        "echo" => {
            let _ = socket
                .send(on(1, format!("{}\n", args.join(" ")).as_bytes()))
                .await;
            0
        }
        "warn" => {
            let _ = socket
                .send(on(2, format!("{}\n", args.join(" ")).as_bytes()))
                .await;
            0
        }
        "cat" => {
            // stdin arrives on channel 0; [255, 0] (v5) says it is done.
            while let Some(Ok(message)) = socket.recv().await {
                let Message::Binary(data) = message else {
                    break;
                };
                match data.first() {
                    Some(0) => {
                        let _ = socket.send(on(1, &data[1..])).await;
                    }
                    Some(255) => break,
                    _ => {}
                }
            }
            0
        }
        "false" => 1,
        _ => {
            let _ = socket
                .send(on(2, format!("stub: {program}: not found\n").as_bytes()))
                .await;
            127
        }
    };
    let status = if exit_code == 0 {
        json!({"metadata": {}, "status": "Success"})
    } else {
        json!({
            "metadata": {}, "status": "Failure",
            "message": format!("command terminated with non-zero exit code: exit status {exit_code}"),
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": exit_code.to_string()}]},
        })
    };
    let _ = socket.send(on(3, status.to_string().as_bytes())).await;
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: 1000,
            reason: "".into(),
        })))
        .await;
}

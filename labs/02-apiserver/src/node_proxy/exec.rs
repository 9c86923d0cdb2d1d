//! `pods/exec`: kubectl's WebSocket, relayed to a WebSocket to the kubelet's `/exec/...`.
//!
//! Both WebSockets speak the channel protocol `v5.channel.k8s.io` (or `v4`): every binary
//! message starts with one byte naming a stream, and the rest is that stream's bytes:
//!
//! ```text
//! ┌──────┬───────────────────────┐   0 stdin   (kubectl -> container)
//! │ 0x01 │ "hello\n"             │   1 stdout  (container -> kubectl)
//! └──────┴───────────────────────┘   2 stderr  (container -> kubectl)
//!  channel        payload            3 status  (a metav1.Status as JSON, once, at the end)
//!                                    4 resize  ({"Width":80,"Height":24}, with a TTY)
//!                                  255 close   (v5: [255, 0] = "stdin is done")
//! ```
//!
//! The API server does not read the channels: it relays whole messages both ways. It only
//! speaks itself when the kubelet cannot be reached, with a `Failure` status on channel 3.
//!
//! kubectl 1.27-1.29 ask for SPDY/3.1 instead (a `POST` with `Upgrade: SPDY/3.1`), which this
//! server does not speak: [`spdy_refusal`] says so and which kubectl to use.

use axum::extract::FromRequestParts;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::header::UPGRADE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as KubeletMessage;

use super::kubelet::{ContainerLocation, KubeletAddress, locate};
use super::{Params, client};
use crate::rest::ApiState;
use crate::status::Status;

/// The WebSocket subprotocols of exec this server relays, the preferred first.
pub const EXEC_PROTOCOLS: [&str; 2] = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

/// The channel byte of the status stream.
const STATUS_CHANNEL: u8 = 3;

/// The options of `pods/exec` (`core/v1` `PodExecOptions`), from the query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOptions {
    /// `container`: which container (defaulted when absent).
    pub container: Option<String>,
    /// `command`, once per argument: the program and its arguments.
    pub command: Vec<String>,
    /// `stdin`: the client sends input on channel 0.
    pub stdin: bool,
    /// `stdout`: the client wants channel 1.
    pub stdout: bool,
    /// `stderr`: the client wants channel 2.
    pub stderr: bool,
    /// `tty`: run the command on a terminal (stderr is then merged into stdout).
    pub tty: bool,
}

impl ExecOptions {
    /// Reads the options from the query string.
    pub fn from_params(params: &Params) -> Self {
        ExecOptions {
            container: params.get("container").map(str::to_string),
            command: params.all("command").map(str::to_string).collect(),
            stdin: params.flag("stdin"),
            stdout: params.flag("stdout"),
            stderr: params.flag("stderr"),
            tty: params.flag("tty"),
        }
    }

    /// The kubelet's path and query for these options on `location`. The kubelet names the
    /// streams `input`, `output`, `error` (kube-apiserver translates them the same way).
    pub fn kubelet_path(&self, location: &ContainerLocation) -> String {
        let encode = |text: &str| utf8_percent_encode(text, NON_ALPHANUMERIC).to_string();
        let mut query: Vec<String> = Vec::new();
        for (name, on) in [
            ("input", self.stdin),
            ("output", self.stdout),
            ("error", self.stderr),
            ("tty", self.tty),
        ] {
            if on {
                query.push(format!("{name}=1"));
            }
        }
        query.extend(
            self.command
                .iter()
                .map(|arg| format!("command={}", encode(arg))),
        );
        format!(
            "/exec/{}/{}/{}?{}",
            encode(&location.namespace),
            encode(&location.pod),
            encode(&location.container),
            query.join("&")
        )
    }
}

/// The answer to an exec request over SPDY: 400, naming the kubectl versions that work.
pub fn spdy_refusal() -> Status {
    Status::bad_request(
        "this API server serves pods/exec over WebSocket (v5.channel.k8s.io) only, not SPDY/3.1: \
         use kubectl 1.30 or newer, or kubectl 1.29 with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true",
    )
}

/// True when the request asks to upgrade to SPDY (kubectl up to 1.29, and 1.30+ after a
/// failed WebSocket attempt).
fn wants_spdy(headers: &HeaderMap) -> bool {
    headers
        .get_all(UPGRADE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.to_ascii_lowercase().starts_with("spdy/"))
}

/// `GET` (WebSocket) or `POST` (SPDY) `.../pods/<name>/exec`. The pod, container and node are
/// checked first, so a wrong container is a clear 400 on either protocol; then SPDY is
/// refused, and a WebSocket is accepted and relayed to the kubelet.
pub(crate) async fn serve(
    state: &ApiState,
    namespace: &str,
    pod: &str,
    params: &Params,
    mut parts: Parts,
) -> Result<Response, Status> {
    let options = ExecOptions::from_params(params);
    let location = locate(state, namespace, pod, options.container.as_deref()).await?;
    if wants_spdy(&parts.headers) {
        return Err(spdy_refusal());
    }
    let upgrade = WebSocketUpgrade::from_request_parts(&mut parts, &())
        .await
        .map_err(|rejection| {
            tracing::debug!(%rejection, "exec without a WebSocket upgrade");
            Status::bad_request("Upgrade request required")
        })?;
    // axum answers the handshake (Sec-WebSocket-Accept, the chosen subprotocol).
    let upgrade = upgrade.protocols(EXEC_PROTOCOLS);
    let Some(protocol) = upgrade.selected_protocol().cloned() else {
        return Err(Status::bad_request(format!(
            "none of the requested WebSocket subprotocols is supported; this server speaks {}",
            EXEC_PROTOCOLS.join(", ")
        )));
    };
    let path = options.kubelet_path(&location);
    tracing::debug!(node = %location.node, kubelet = %location.kubelet, %path, "proxying exec");
    let kubelet = location.kubelet;
    Ok(upgrade.on_upgrade(move |socket| session(socket, kubelet, path, protocol)))
}

/// One exec session, after kubectl's upgrade: connect to the kubelet with the same
/// subprotocol, then relay. An unreachable kubelet is reported on the status channel (the
/// HTTP answer is already sent).
async fn session(
    mut client: WebSocket,
    kubelet: KubeletAddress,
    path: String,
    protocol: HeaderValue,
) {
    match client::websocket(&kubelet, &path, &protocol).await {
        Ok(kubelet) => relay(client, kubelet).await,
        Err(status) => {
            tracing::debug!(%status, "exec: kubelet unreachable");
            let mut message = vec![STATUS_CHANNEL];
            message.extend_from_slice(status.to_json().to_string().as_bytes());
            let _ = client.send(Message::Binary(message.into())).await;
            let _ = client.send(close_normally()).await;
        }
    }
}

/// A close frame with code 1000 (normal closure).
fn close_normally() -> Message {
    Message::Close(Some(CloseFrame {
        code: 1000,
        reason: "".into(),
    }))
}

/// Relays messages between kubectl and the kubelet until either side closes: data messages
/// both ways unchanged; a close (or a broken connection) on one side closes the other.
pub(crate) async fn relay(mut client: WebSocket, mut kubelet: WebSocketStream<TcpStream>) {
    // BEGIN SOLUTION step-7: pass each data message on; a close on either side closes both
    loop {
        tokio::select! {
            from_client = client.recv() => {
                let message = match from_client {
                    Some(Ok(Message::Binary(data))) => KubeletMessage::Binary(data),
                    Some(Ok(Message::Text(text))) => KubeletMessage::text(text.as_str()),
                    // Pings are answered by the WebSocket libraries themselves.
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => {
                        let _ = kubelet.close(None).await;
                        break;
                    }
                };
                if kubelet.send(message).await.is_err() {
                    let _ = client.send(close_normally()).await;
                    break;
                }
            }
            from_kubelet = kubelet.next() => {
                let message = match from_kubelet {
                    Some(Ok(KubeletMessage::Binary(data))) => Message::Binary(data),
                    Some(Ok(KubeletMessage::Text(text))) => Message::Text(text.as_str().into()),
                    Some(Ok(
                        KubeletMessage::Ping(_) | KubeletMessage::Pong(_) | KubeletMessage::Frame(_),
                    )) => continue,
                    Some(Ok(KubeletMessage::Close(_)) | Err(_)) | None => {
                        // The command ended (its status was the last data message) or the
                        // kubelet went away: finish kubectl's side with a normal close.
                        let _ = client.send(close_normally()).await;
                        let _ = kubelet.close(None).await;
                        break;
                    }
                };
                if client.send(message).await.is_err() {
                    let _ = kubelet.close(None).await;
                    break;
                }
            }
        }
    }
    // END SOLUTION
}

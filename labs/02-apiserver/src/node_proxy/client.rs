//! The connections to a kubelet: one HTTP/1.1 request (logs) or one WebSocket (exec), each on
//! a fresh TCP connection, with deadlines so an unreachable node is an error, never a hang.

use std::time::Duration;

use axum::http::header::{HOST, SEC_WEBSOCKET_PROTOCOL};
use axum::http::{HeaderValue, Request};
use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::kubelet::{KubeletAddress, unreachable};
use crate::status::Status;

/// How long opening a TCP connection to a kubelet may take (a node that is down or
/// firewalled drops packets: without a deadline the request would wait for the kernel's
/// minutes-long retry).
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the kubelet may take to answer with its response headers (for `follow`, the body
/// may then take forever; the headers come at once).
pub(crate) const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens a TCP connection to the kubelet; the error reads as Go's dialer's
/// (`dial tcp 10.0.0.11:10250: connect: connection refused`), for the caller to put in context.
async fn dial(kubelet: &KubeletAddress) -> Result<TcpStream, String> {
    let address = kubelet.to_string();
    let connected = timeout(
        CONNECT_TIMEOUT,
        TcpStream::connect((kubelet.host.as_str(), kubelet.port)),
    )
    .await;
    match connected {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(error)) => Err(format!("dial tcp {address}: connect: {}", go_style(&error))),
        Err(_) => Err(format!("dial tcp {address}: i/o timeout")),
    }
}

/// An operating-system error as Go prints it: `connection refused`, not Rust's
/// `Connection refused (os error 111)`.
fn go_style(error: &std::io::Error) -> String {
    let text = error.to_string();
    let text = match text.find(" (os error") {
        Some(end) => text[..end].to_string(),
        None => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

/// `GET http://<kubelet><path>`: the response with its body still streaming. Errors read as
/// kube-apiserver's: `Get "http://10.0.0.11:10250/containerLogs/...": dial tcp ...`.
pub(crate) async fn get(
    kubelet: &KubeletAddress,
    path: &str,
) -> Result<hyper::Response<Incoming>, Status> {
    let url = format!("http://{kubelet}{path}");
    let failed = |error: &dyn std::fmt::Display| unreachable(format!("Get \"{url}\": {error}"));
    let stream = dial(kubelet).await.map_err(|error| failed(&error))?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
            .await
            .map_err(|error| failed(&error))?;
    // The connection task moves the bytes; it ends when the response body is read to its end
    // or dropped (kubectl went away), which closes the connection to the kubelet too.
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "kubelet connection ended");
        }
    });
    let host = HeaderValue::from_str(&kubelet.to_string()).map_err(|error| failed(&error))?;
    let request = Request::get(path)
        .header(HOST, host)
        .body(Empty::new())
        .map_err(|error| failed(&error))?;
    match timeout(RESPONSE_TIMEOUT, sender.send_request(request)).await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(error)) => Err(failed(&error)),
        Err(_) => Err(failed(&"timeout awaiting response headers")),
    }
}

/// Opens a WebSocket to `ws://<kubelet><path>` offering exactly `protocol`, and checks the
/// kubelet chose it. Errors read as kube-apiserver's: `error dialing backend: dial tcp ...`.
pub(crate) async fn websocket(
    kubelet: &KubeletAddress,
    path: &str,
    protocol: &HeaderValue,
) -> Result<WebSocketStream<TcpStream>, Status> {
    let url = format!("ws://{kubelet}{path}");
    let failed =
        |error: &dyn std::fmt::Display| unreachable(format!("error dialing backend: {error}"));
    let stream = dial(kubelet).await.map_err(|error| failed(&error))?;
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|error| failed(&error))?;
    request
        .headers_mut()
        .insert(SEC_WEBSOCKET_PROTOCOL, protocol.clone());
    let handshake = timeout(
        RESPONSE_TIMEOUT,
        tokio_tungstenite::client_async(request, stream),
    );
    let (socket, response) = match handshake.await {
        Ok(Ok(done)) => done,
        Ok(Err(error)) => return Err(failed(&error)),
        Err(_) => return Err(failed(&"timeout awaiting the WebSocket handshake")),
    };
    if response.headers().get(SEC_WEBSOCKET_PROTOCOL) != Some(protocol) {
        return Err(failed(&format!(
            "the kubelet did not accept the subprotocol {protocol:?}"
        )));
    }
    Ok(socket)
}

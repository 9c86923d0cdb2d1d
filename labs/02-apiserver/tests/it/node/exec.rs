//! Step 7: `pods/exec` over WebSocket (`v5.channel.k8s.io`), end to end through the API server
//! to the stub kubelet, as kubectl 1.30+ does it; SPDY gets a clear refusal.

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::{Cluster, NODE, within};

/// What one exec session produced.
#[derive(Debug, Default)]
struct Outcome {
    stdout: String,
    stderr: String,
    status: Value,
    closed: bool,
}

/// Opens an exec WebSocket on pod `web` as kubectl 1.30+ does (`query` without the `?`).
async fn open(cluster: &Cluster, query: &str) -> WebSocketStream<TcpStream> {
    let url = format!(
        "ws://{}/api/v1/namespaces/default/pods/web/exec?{query}",
        cluster.addr
    );
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "v5.channel.k8s.io, v4.channel.k8s.io".parse().unwrap(),
    );
    let stream = TcpStream::connect(cluster.addr).await.unwrap();
    let (socket, response) = within(tokio_tungstenite::client_async(request, stream))
        .await
        .expect("the WebSocket handshake");
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "v5.channel.k8s.io"
    );
    socket
}

/// Reads channel messages until the server closes.
async fn finish(socket: &mut WebSocketStream<TcpStream>) -> Outcome {
    let mut outcome = Outcome::default();
    while let Some(message) = within(socket.next()).await {
        match message.expect("a clean WebSocket") {
            Message::Binary(data) => {
                let text = String::from_utf8_lossy(&data[1..]).into_owned();
                match data[0] {
                    1 => outcome.stdout.push_str(&text),
                    2 => outcome.stderr.push_str(&text),
                    3 => outcome.status = serde_json::from_str(&text).unwrap(),
                    other => panic!("unexpected channel {other}"),
                }
            }
            Message::Close(frame) => {
                outcome.closed = frame.is_none_or(|frame| u16::from(frame.code) == 1000);
            }
            _ => {}
        }
    }
    outcome
}

async fn cluster_with_web() -> Cluster {
    let cluster = Cluster::start().await;
    cluster.put_pod("web", Some(NODE), &["app"]).await;
    cluster
}

#[tokio::test]
async fn step7_exec_relays_stdout_and_the_success_status() {
    let cluster = cluster_with_web().await;
    // kubectl exec web -- echo hi there
    let query = "command=echo&command=hi&command=there&container=app&stdout=true&stderr=true";
    let mut socket = open(&cluster, query).await;
    let outcome = finish(&mut socket).await;
    assert_eq!(outcome.stdout, "hi there\n");
    assert_eq!(outcome.stderr, "");
    assert_eq!(outcome.status["status"], "Success", "{}", outcome.status);
    assert!(outcome.closed, "no normal close");
    // The kubelet got the kubelet's parameter names and the container in the path.
    assert_eq!(
        cluster.stub.requests(),
        ["/exec/default/web/app?output=1&error=1&command=echo&command=hi&command=there"]
    );
}

#[tokio::test]
async fn step7_exec_relays_stderr() {
    let cluster = cluster_with_web().await;
    let mut socket = open(
        &cluster,
        "command=warn&command=careful&stdout=true&stderr=true",
    )
    .await;
    let outcome = finish(&mut socket).await;
    assert_eq!(
        (outcome.stdout.as_str(), outcome.stderr.as_str()),
        ("", "careful\n")
    );
    assert_eq!(outcome.status["status"], "Success");
}

#[tokio::test]
async fn step7_exec_reports_a_non_zero_exit_code_on_the_status_channel() {
    let cluster = cluster_with_web().await;
    let mut socket = open(&cluster, "command=false&stdout=true&stderr=true").await;
    let outcome = finish(&mut socket).await;
    let status = &outcome.status;
    assert_eq!(status["status"], "Failure", "{status}");
    assert_eq!(status["reason"], "NonZeroExitCode", "{status}");
    assert_eq!(status["details"]["causes"][0]["reason"], "ExitCode");
    assert_eq!(status["details"]["causes"][0]["message"], "1");
    assert!(outcome.closed);
}

#[tokio::test]
async fn step7_exec_relays_stdin_to_cat_until_stdin_closes() {
    let cluster = cluster_with_web().await;
    // kubectl exec -i web -- cat
    let mut socket = open(&cluster, "command=cat&stdin=true&stdout=true&stderr=true").await;
    for line in ["hello\n", "again\n"] {
        let mut message = vec![0u8];
        message.extend_from_slice(line.as_bytes());
        within(socket.send(Message::Binary(message.into())))
            .await
            .unwrap();
        // The echo comes back before the next line is sent: the relay is live, not batched.
        let Some(Ok(Message::Binary(echo))) = within(socket.next()).await else {
            panic!("no echo of {line:?}");
        };
        assert_eq!((echo[0], &echo[1..]), (1, line.as_bytes()));
    }
    // v5: [255, 0] closes stdin; cat ends, successfully.
    within(socket.send(Message::Binary(vec![255u8, 0].into())))
        .await
        .unwrap();
    let outcome = finish(&mut socket).await;
    assert_eq!(outcome.stdout, "");
    assert_eq!(outcome.status["status"], "Success", "{}", outcome.status);
}

#[tokio::test]
async fn step7_exec_when_the_kubelet_is_down_reports_it_on_the_status_channel() {
    let cluster = Cluster::start().await;
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    cluster.put_node("node-2", "127.0.0.1", closed).await;
    cluster.put_pod("web", Some("node-2"), &["app"]).await;
    let mut socket = open(&cluster, "command=echo&stdout=true").await;
    let outcome = finish(&mut socket).await;
    let status = &outcome.status;
    assert_eq!(status["status"], "Failure", "{status}");
    let message = status["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("dial tcp 127.0.0.1:{closed}")),
        "{message}"
    );
}

#[tokio::test]
async fn step7_exec_over_spdy_is_refused_with_the_kubectl_versions_that_work() {
    let cluster = cluster_with_web().await;
    // What kubectl 1.27-1.29 send (and 1.30+ after a failed WebSocket attempt).
    let mut stream = TcpStream::connect(cluster.addr).await.unwrap();
    let request = format!(
        "POST /api/v1/namespaces/default/pods/web/exec?command=ls&container=app&stdout=true HTTP/1.1\r\n\
         Host: {}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\
         X-Stream-Protocol-Version: v4.channel.k8s.io\r\nContent-Length: 0\r\n\r\n",
        cluster.addr
    );
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let read = within(stream.read(&mut answer)).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let status: Value = serde_json::from_str(body).unwrap();
    assert_eq!(status["reason"], "BadRequest");
    let message = status["message"].as_str().unwrap();
    assert!(message.contains("WebSocket"), "{message}");
    assert!(message.contains("kubectl 1.30"), "{message}");
    assert!(
        message.contains("KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true"),
        "{message}"
    );
    assert!(cluster.stub.requests().is_empty());
}

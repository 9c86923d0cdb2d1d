//! `GET /exec/<namespace>/<pod>/<container>?command=...`: `kubectl exec` as the kubelet runs it.
//!
//! The API server relays kubectl's WebSocket to this one unchanged, so this end speaks the
//! channel protocol itself (`v5.channel.k8s.io`, or `v4`): stdout on channel 1, stderr on 2,
//! and at the end one `metav1.Status` on channel 3 that tells kubectl the exit code:
//!
//! ```text
//! [1]"hello\n"   [3]{"status":"Success"}
//! [2]"oops\n"    [3]{"status":"Failure","reason":"NonZeroExitCode",
//!                    "details":{"causes":[{"reason":"ExitCode","message":"2"}]}}
//! ```
//!
//! Without stdin or a terminal, the command runs through lab 01's `exec_sync` (a helper joins
//! the container's namespaces and cgroups), which returns when the command ends: the output
//! goes out in one piece. `kubectl exec -i` and `-it` keep the streams open while the command
//! runs: that is `exec_stream`.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::server::{ServerState, not_found};

/// The subprotocols spoken, preferred first (the same as the API server's).
const PROTOCOLS: [&str; 2] = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

/// The longest an exec may run (the helper kills it after).
pub(super) const EXEC_TIMEOUT: Duration = Duration::from_secs(600);

/// What the query asked for.
#[derive(Debug, Default, PartialEq, Eq)]
struct ExecQuery {
    command: Vec<String>,
    stdin: bool,
    tty: bool,
}

/// Parses `command=a&command=b&stdin=true&tty=false...` (repeated keys, so not serde's map).
fn parse_query(query: &str) -> ExecQuery {
    let mut parsed = ExecQuery::default();
    for (key, value) in url_pairs(query) {
        match key.as_str() {
            "command" => parsed.command.push(value),
            "stdin" | "input" => parsed.stdin = matches!(value.as_str(), "true" | "1"),
            "tty" => parsed.tty = matches!(value.as_str(), "true" | "1"),
            _ => {}
        }
    }
    parsed
}

/// The decoded `key=value` pairs of a query string.
fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

/// Percent-decoding, `+` as a space.
fn decode(text: &str) -> String {
    let text = text.replace('+', " ");
    percent_encoding::percent_decode_str(&text)
        .decode_utf8_lossy()
        .into_owned()
}

/// The handler: checks, then upgrades and runs the command.
pub(super) async fn exec(
    State(state): State<ServerState>,
    UrlPath((namespace, pod, container)): UrlPath<(String, String, String)>,
    RawQuery(query): RawQuery,
    upgrade: WebSocketUpgrade,
) -> Response {
    let query = parse_query(query.as_deref().unwrap_or_default());
    if query.command.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            "you must specify at least one command",
        )
            .into_response();
    }
    let Some(target) = state.containers.exec_target(&namespace, &pod, &container) else {
        if state
            .containers
            .log_dir(&namespace, &pod, &container)
            .is_some()
        {
            let message = format!("container {container} is not running");
            return (StatusCode::BAD_REQUEST, message).into_response();
        }
        return not_found(&namespace, &pod, &container);
    };
    let helper = state.helper.clone();
    upgrade
        .protocols(PROTOCOLS)
        .on_upgrade(move |socket| async move {
            if query.stdin || query.tty {
                let argv = query.command.clone();
                // It sends its own status, after the output it interleaves with the input.
                return super::exec_stream::run(
                    socket,
                    helper,
                    target,
                    argv,
                    query.stdin,
                    query.tty,
                )
                .await;
            }
            let status = {
                let argv = query.command.clone();
                let ran = tokio::task::spawn_blocking(move || {
                    lab_01::runtime::exec::exec_sync(&helper, &target, &argv, EXEC_TIMEOUT)
                })
                .await;
                match ran {
                    Ok(Ok(result)) => {
                        return finish(socket, result, &query.command).await;
                    }
                    Ok(Err(error)) => failure(&error.to_string(), None),
                    Err(error) => failure(&error.to_string(), None),
                }
            };
            send_status(socket, status).await;
        })
}

/// Sends the output and the final status.
async fn finish(mut socket: WebSocket, result: lab_01::runtime::exec::ExecResult, argv: &[String]) {
    for (channel, bytes) in [(1u8, &result.stdout), (2u8, &result.stderr)] {
        if bytes.is_empty() {
            continue;
        }
        let mut message = Vec::with_capacity(bytes.len() + 1);
        message.push(channel);
        message.extend_from_slice(bytes);
        if socket.send(Message::Binary(message.into())).await.is_err() {
            return;
        }
    }
    let status = exit_status(result.exit_code, argv);
    send_status(socket, status).await;
}

/// The status of a command that ran and exited with `exit_code`.
pub(super) fn exit_status(exit_code: i32, argv: &[String]) -> serde_json::Value {
    if exit_code == 0 {
        json!({"metadata": {}, "status": "Success"})
    } else {
        failure(
            &format!(
                "command terminated with non-zero exit code: error executing command {argv:?}, exit code {exit_code}"
            ),
            Some(exit_code),
        )
    }
}

/// A `Failure` status; with an exit code, in the shape kubectl turns into its own exit code.
pub(super) fn failure(message: &str, exit_code: Option<i32>) -> serde_json::Value {
    match exit_code {
        Some(code) => json!({
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]},
        }),
        None => json!({"metadata": {}, "status": "Failure", "message": message}),
    }
}

/// Sends the status on channel 3 and closes the socket.
pub(super) async fn send_status(mut socket: WebSocket, status: serde_json::Value) {
    let mut message = vec![3u8];
    message.extend_from_slice(status.to_string().as_bytes());
    let _ = socket.send(Message::Binary(message.into())).await;
    let _ = socket.send(Message::Close(None)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_keeps_every_command_argument_in_order() {
        let query = parse_query("command=sh&command=-c&command=echo+a%20b&stdout=true&stdin=1");
        assert_eq!(query.command, ["sh", "-c", "echo a b"]);
        assert!(query.stdin);
        assert!(!query.tty);
    }
}

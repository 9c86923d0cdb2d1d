//! Waiting for the nodes: `up` is done when every node's kubelet has registered its Node and
//! the Node says `Ready=True`, read from the API server as kubectl would.

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::process;

/// Polls `GET /api/v1/nodes` until every node in `names` is Ready; `progress` hears each one
/// as it gets there. On timeout: how long it waited.
pub(super) fn wait_for_ready_nodes(
    api: SocketAddr,
    names: &[&str],
    timeout: Duration,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Duration> {
    let started = Instant::now();
    let mut ready = BTreeSet::new();
    loop {
        if let Some(now_ready) = ready_nodes(api) {
            for name in names {
                if now_ready.contains(*name) && ready.insert((*name).to_owned()) {
                    progress(&format!("node {name}: Ready"));
                }
            }
        }
        if names.iter().all(|name| ready.contains(*name)) {
            return Ok(());
        }
        if started.elapsed() >= timeout {
            return Err(started.elapsed());
        }
        process::wait_a_little();
    }
}

/// The names of the Nodes whose Ready condition is True (`None`: the API did not answer).
fn ready_nodes(api: SocketAddr) -> Option<BTreeSet<String>> {
    let mut stream = TcpStream::connect_timeout(&api, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET /api/v1/nodes HTTP/1.0\r\nHost: {api}\r\nAccept: application/json\r\n\r\n"
    )
    .ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    let answer = String::from_utf8_lossy(&answer);
    let (_, body) = answer.split_once("\r\n\r\n")?;
    let list: serde_json::Value = serde_json::from_str(body).ok()?;
    let ready = list["items"]
        .as_array()?
        .iter()
        .filter(|node| {
            node["status"]["conditions"]
                .as_array()
                .is_some_and(|conditions| {
                    conditions
                        .iter()
                        .any(|c| c["type"] == "Ready" && c["status"] == "True")
                })
        })
        .filter_map(|node| node["metadata"]["name"].as_str().map(str::to_owned))
        .collect();
    Some(ready)
}

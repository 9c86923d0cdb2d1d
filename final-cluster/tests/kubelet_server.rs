//! The kubelet's server for `kubectl logs`: tails, previous runs, follow to the end of a run,
//! and the errors kubectl shows. (Exec needs a running container: the end-to-end test covers
//! it.)

#![cfg(target_os = "linux")]

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use final_cluster::kubelet::server::{Containers, ServerState, bind, serve};
use lab_01::runtime::exec::ExecTarget;

/// One pod `default/web` with a container `app` whose logs are in a temporary directory.
struct OnePod {
    logs: PathBuf,
    running: AtomicBool,
}

impl Containers for OnePod {
    fn log_dir(&self, namespace: &str, pod: &str, container: &str) -> Option<PathBuf> {
        ((namespace, pod, container) == ("default", "web", "app")).then(|| self.logs.clone())
    }

    fn exec_target(&self, namespace: &str, pod: &str, container: &str) -> Option<ExecTarget> {
        (self.log_dir(namespace, pod, container).is_some() && self.running.load(Ordering::SeqCst))
            .then(|| ExecTarget {
                pid: 1,
                cgroup_procs: Vec::new(),
                env: Vec::new(),
                working_dir: "/".into(),
            })
    }
}

struct Server {
    addr: std::net::SocketAddr,
    pod: Arc<OnePod>,
    _dir: tempfile::TempDir,
    /// Runs the server; dropped last.
    _runtime: tokio::runtime::Runtime,
    stop: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.lock().unwrap().take() {
            let _ = stop.send(());
        }
    }
}

fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("app");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("0.log"), "first run\n").unwrap();
    std::fs::write(logs.join("1.log"), "one\ntwo\nthree\n").unwrap();
    let pod = Arc::new(OnePod {
        logs,
        running: AtomicBool::new(true),
    });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime
        .block_on(bind("127.0.0.1:0".parse().unwrap()))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = ServerState {
        containers: pod.clone(),
        helper: PathBuf::from("/nonexistent"),
    };
    runtime.spawn(serve(listener, state, async move {
        let _ = stopped.await;
    }));
    Server {
        addr,
        pod,
        _dir: dir,
        _runtime: runtime,
        stop: Mutex::new(Some(stop)),
    }
}

/// `GET path` over HTTP/1.0-style close: the status code and the body.
fn get(server: &Server, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: kubelet\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let code = response[9..12].parse().unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    (
        code,
        if chunked {
            dechunk(body)
        } else {
            body.to_owned()
        },
    )
}

/// The body of a chunked response.
fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.push_str(&tail[..size]);
        rest = &tail[size + 2..];
    }
    out
}

#[test]
fn logs_of_the_current_run_with_a_tail() {
    let server = start();
    assert_eq!(
        get(&server, "/containerLogs/default/web/app"),
        (200, "one\ntwo\nthree\n".to_owned())
    );
    assert_eq!(
        get(&server, "/containerLogs/default/web/app?tailLines=1"),
        (200, "three\n".to_owned())
    );
    assert_eq!(
        get(&server, "/containerLogs/default/web/app?previous=true"),
        (200, "first run\n".to_owned())
    );
}

#[test]
fn unknown_pods_are_404() {
    let server = start();
    assert_eq!(get(&server, "/containerLogs/default/other/app").0, 404);
    assert_eq!(get(&server, "/healthz"), (200, "ok".to_owned()));
}

#[test]
fn follow_sends_new_lines_and_ends_with_the_run() {
    let server = start();
    let mut stream = TcpStream::connect(server.addr).unwrap();
    write!(
        stream,
        "GET /containerLogs/default/web/app?follow=true&tailLines=1 HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    // The first chunk is the tail; then a line appended later arrives on the same response.
    let mut seen = String::new();
    let mut buffer = [0u8; 4096];
    labkit::poll_until(std::time::Duration::from_secs(10), "the tail", || {
        let n = stream.read(&mut buffer).unwrap();
        seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
        seen.contains("three\n").then_some(())
    });
    let log = server.pod.logs.join("1.log");
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    writeln!(file, "four").unwrap();
    labkit::poll_until(std::time::Duration::from_secs(10), "the new line", || {
        let n = stream.read(&mut buffer).unwrap();
        seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
        seen.contains("four\n").then_some(())
    });
    // The container stops: the response ends.
    server.pod.running.store(false, Ordering::SeqCst);
    let mut rest = String::new();
    stream.read_to_string(&mut rest).unwrap();
    assert!(
        !seen.contains("two"),
        "only the tail was sent first: {seen}"
    );
}

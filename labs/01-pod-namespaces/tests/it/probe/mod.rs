//! Step 6 tests: probes, from the manifest's `v1.Probe` to the kubelet's verdicts.
//!
//! The state machines are driven by a `labkit::FakeClock` (no test sleeps: five minutes of
//! probing take microseconds); the checks run for real against small servers on `127.0.0.1:0`
//! that each test starts on a std thread.

mod gate;
mod handlers;
mod host_exec;
mod netns;
mod spec;
mod timeline;
mod worker;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Container;
use lab_01::probe::{Answer, Handler, Outcome, ProbeKind, ProbeSpec, Prober};
use labkit::{Clock, FakeClock};

/// `insta::assert_snapshot!`, but kept with the lab's other snapshots in `tests/it/snapshots`
/// rather than in a `snapshots` directory beside this module.
macro_rules! snapshot {
    ($value:expr) => {
        insta::with_settings!({ snapshot_path => "../snapshots" }, {
            insta::assert_snapshot!($value);
        })
    };
}
pub(crate) use snapshot;

/// A container from a YAML fragment, as it would appear under `spec.containers` of a manifest.
pub(crate) fn container(yaml: &str) -> Container {
    serde_yaml::from_str(yaml).expect("test YAML is a valid v1.Container")
}

/// A spec with Kubernetes' defaults and the given handler, for tests of the state machines.
pub(crate) fn spec(handler: Handler) -> ProbeSpec {
    ProbeSpec {
        handler,
        initial_delay: Duration::ZERO,
        period: Duration::from_secs(10),
        timeout: Duration::from_secs(1),
        success_threshold: 1,
        failure_threshold: 3,
        termination_grace_period: None,
    }
}

/// A handler that is never really run (the state-machine tests script the answers).
pub(crate) fn tcp_handler() -> Handler {
    Handler::TcpSocket {
        host: "127.0.0.1".into(),
        port: 8080,
    }
}

/// A prober that answers from a script: `answer(kind, seconds since the container started)`.
/// It can also take time, by advancing the fake clock, to play a slow check.
pub(crate) struct ScriptProber<F> {
    pub(crate) clock: FakeClock,
    pub(crate) started_at: Instant,
    pub(crate) answer: F,
    /// How long each check takes, on the fake clock.
    pub(crate) takes: Duration,
    /// Every check made: (kind, whole seconds since start, what the script answered).
    pub(crate) log: Mutex<Vec<(ProbeKind, u64, Outcome)>>,
}

impl<F: Fn(ProbeKind, u64) -> Outcome> ScriptProber<F> {
    pub(crate) fn new(clock: &FakeClock, answer: F) -> Self {
        Self {
            clock: clock.clone(),
            started_at: clock.now(),
            answer,
            takes: Duration::ZERO,
            log: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn checks(&self) -> Vec<(ProbeKind, u64, Outcome)> {
        self.log.lock().unwrap().clone()
    }
}

impl<F: Fn(ProbeKind, u64) -> Outcome> Prober for ScriptProber<F> {
    fn check(&self, kind: ProbeKind, _spec: &ProbeSpec) -> Answer {
        let at = (self.clock.now() - self.started_at).as_secs();
        let outcome = (self.answer)(kind, at);
        self.log.lock().unwrap().push((kind, at, outcome));
        self.clock.advance(self.takes);
        match outcome {
            Outcome::Success => Answer::success("scripted success"),
            Outcome::Failure => Answer::failure("scripted failure"),
        }
    }
}

/// A one-connection HTTP server on 127.0.0.1: it reads one request, writes `response` (or
/// nothing, when `None`: then it holds the connection until the client gives up), and hands the
/// request it read to whoever joins it.
pub(crate) fn serve_once(response: Option<&'static str>) -> (u16, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        // A bound on every read, so a broken test cannot leave this thread waiting forever.
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let request = read_request(&stream);
        match response {
            Some(response) => (&stream).write_all(response.as_bytes()).unwrap(),
            None => {
                // Never answer: wait for the prober to hang up (read returns 0) at its timeout.
                let mut rest = String::new();
                let _ = BufReader::new(&stream).read_line(&mut rest);
            }
        }
        request
    });
    (port, server)
}

/// The request head: everything up to the empty line.
fn read_request(stream: &TcpStream) -> String {
    let mut reader = BufReader::new(stream);
    let mut request = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        request += &line;
        if line == "\r\n" {
            break;
        }
    }
    request
}

/// A port with nothing listening: bound, then released.
pub(crate) fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

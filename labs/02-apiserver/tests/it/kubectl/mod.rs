//! Step 5's acceptance test: the real, unmodified kubectl of every version from 1.27 to 1.33
//! against the lab's server.
//!
//! Each test starts a real server on `127.0.0.1:0` (embedded store, a fake clock fixed at
//! 2025-01-01, so every server-side AGE is `0s` and every timestamp the same), runs the same
//! kubectl commands with each installed version (a fresh `HOME` per version: kubectl caches
//! discovery), and compares what kubectl printed with a reviewed snapshot. Versions that are
//! not installed are reported as "not run" on stderr; a test with none at all is not run.
//!
//! The snapshots are redacted (`redact`): uids, resourceVersions and RFC 3339 timestamps are
//! replaced. When every version prints the same, there is one snapshot; when versions differ,
//! one per version (`<name>@1.NN`).

mod apply;
mod delete;
mod discovery;
mod get;
mod modify;
mod watch;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use lab_02::rest::ApiState;
use lab_02::server::{Config, Server};
use lab_02::store::Backend;
use labkit::{FakeClock, Kubectl, KubectlOutput};
use tempfile::TempDir;

/// The kubectl versions the course supports (1.27 to 1.33).
pub(crate) const VERSIONS: std::ops::RangeInclusive<u32> = 27..=33;

/// The fake clock's time: 2025-01-01T00:00:00Z.
pub(crate) fn epoch() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_735_689_600)
}

/// A running server and a kubeconfig for it; stops when dropped.
pub(crate) struct Cluster {
    dir: TempDir,
    kubeconfig: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Cluster {
    /// Starts a server on a free loopback port, in its own runtime thread.
    pub(crate) fn start() -> Cluster {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let kubeconfig = dir.path().join("kubeconfig");
        let config = Config {
            listen: "127.0.0.1:0".parse().expect("an address"),
            etcd_servers: Vec::new(),
            write_kubeconfig: Some(kubeconfig.clone()),
            ..Config::default()
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, is_ready) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let state = ApiState::new(Backend::default())
                    .with_clock(std::sync::Arc::new(FakeClock::new(epoch())));
                let server = Server::bind_with(&config, state)
                    .await
                    .expect("the server starts");
                ready.send(()).expect("the test waits");
                server
                    .serve(async move {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("the server stops cleanly");
            });
        });
        is_ready
            .recv_timeout(Duration::from_secs(30))
            .expect("the server started");
        Cluster {
            dir,
            kubeconfig,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// kubectl 1.`minor` for this cluster, or why it cannot run here.
    pub(crate) fn kubectl(&self, minor: u32) -> Result<Client, labkit::NotRun> {
        let kubectl = Kubectl::version(minor)?.kubeconfig(&self.kubeconfig);
        Ok(Client {
            minor,
            kubectl,
            kubeconfig: self.kubeconfig.clone(),
            dir: self.dir.path().to_path_buf(),
        })
    }

    /// A file in the cluster's temporary directory, with `text` in it.
    pub(crate) fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("a temporary file");
        path
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One kubectl version bound to one cluster.
pub(crate) struct Client {
    pub(crate) minor: u32,
    kubectl: Kubectl,
    kubeconfig: PathBuf,
    dir: PathBuf,
}

impl Client {
    /// Runs `kubectl <args>`, with `--request-timeout` so that nothing can hang a test.
    pub(crate) fn run(&self, args: &[&str]) -> KubectlOutput {
        let mut all: Vec<&str> = args.to_vec();
        all.push("--request-timeout=20s");
        self.kubectl.run(&all)
    }

    /// Runs `kubectl <args>` and returns its transcript: the command, stdout, then stderr and
    /// the exit code when there are any.
    pub(crate) fn transcript(&self, args: &[&str]) -> String {
        transcript(args, &self.run(args))
    }

    /// Starts `kubectl <args>` without waiting for it (`get -w`), its stdout piped, in a
    /// fresh HOME.
    pub(crate) fn spawn(&self, args: &[&str]) -> (std::process::Child, TempDir) {
        let home = tempfile::tempdir_in(&self.dir).expect("a HOME");
        let child = Command::new(self.kubectl.binary())
            .args(args)
            .env("HOME", home.path())
            .env("KUBECONFIG", &self.kubeconfig)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("kubectl starts");
        (child, home)
    }

    /// Runs `kubectl <args>` with extra environment variables (`EDITOR`), in a fresh HOME.
    pub(crate) fn run_with_env(&self, args: &[&str], env: &[(&str, &Path)]) -> KubectlOutput {
        let home = tempfile::tempdir_in(&self.dir).expect("a HOME");
        let mut command = Command::new(self.kubectl.binary());
        command
            .args(args)
            .arg("--request-timeout=20s")
            .env("HOME", home.path())
            .env("KUBECONFIG", &self.kubeconfig);
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().expect("kubectl runs");
        KubectlOutput {
            success: output.status.success(),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// The transcript of one command, redacted.
pub(crate) fn transcript(args: &[&str], output: &KubectlOutput) -> String {
    let mut text = format!("$ kubectl {}\n{}", args.join(" "), output.stdout);
    if !output.stderr.is_empty() {
        text.push_str(&format!("[stderr]\n{}", output.stderr));
    }
    if !output.success {
        text.push_str(&format!("[exit {:?}]\n", output.code));
    }
    redact(&text)
}

/// Every installed version's client for `cluster`; the missing ones are reported. `None` when
/// no version is installed (the test is then "not run").
pub(crate) fn clients(
    cluster: &Cluster,
    versions: std::ops::RangeInclusive<u32>,
) -> Option<Vec<Client>> {
    let mut found = Vec::new();
    let mut missing = None;
    for minor in versions {
        match cluster.kubectl(minor) {
            Ok(client) => found.push(client),
            Err(not_run) => {
                eprintln!("kubectl 1.{minor}: {not_run}");
                missing = Some(not_run);
            }
        }
    }
    if found.is_empty() {
        if let Some(not_run) = missing {
            not_run.report();
        }
        return None;
    }
    Some(found)
}

/// Runs `scenario` once per installed kubectl version, each on a fresh cluster, and returns
/// each version's transcript. `None`: no kubectl here (reported as not run).
pub(crate) fn per_version(
    scenario: impl Fn(&Cluster, &Client) -> String,
) -> Option<Vec<(u32, String)>> {
    per_version_of(VERSIONS, scenario)
}

/// As [`per_version`], for the kubectl versions in `versions` only.
pub(crate) fn per_version_of(
    versions: std::ops::RangeInclusive<u32>,
    scenario: impl Fn(&Cluster, &Client) -> String,
) -> Option<Vec<(u32, String)>> {
    let probe = Cluster::start();
    let minors: Vec<u32> = clients(&probe, versions)?.iter().map(|c| c.minor).collect();
    drop(probe);
    let mut transcripts = Vec::new();
    for minor in minors {
        let cluster = Cluster::start();
        let client = cluster.kubectl(minor).expect("found a moment ago");
        transcripts.push((minor, scenario(&cluster, &client)));
    }
    Some(transcripts)
}

/// Compares the transcripts with the snapshot `name`: every version must print the same.
pub(crate) fn assert_snapshots(name: &str, transcripts: &[(u32, String)]) {
    assert_snapshots_by(name, transcripts, &[]);
}

/// As [`assert_snapshots`], for output that changed in some kubectl releases: `changes` lists
/// the versions that print differently from the one before (`&[30]`: 1.30 changed it). Each
/// range of versions has its snapshot, `name@1.27-1.29`, `name@1.30-1.33`; the versions in a
/// range must print the same.
pub(crate) fn assert_snapshots_by(name: &str, transcripts: &[(u32, String)], changes: &[u32]) {
    let mut starts: Vec<u32> = vec![*VERSIONS.start()];
    starts.extend(changes);
    for (i, start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(*VERSIONS.end(), |next| next - 1);
        let in_range: Vec<&(u32, String)> = transcripts
            .iter()
            .filter(|(minor, _)| (*start..=end).contains(minor))
            .collect();
        let Some((first_minor, first)) = in_range.first() else {
            continue;
        };
        for (minor, text) in &in_range {
            assert_eq!(
                text, first,
                "kubectl 1.{minor} printed something else than kubectl 1.{first_minor}"
            );
        }
        let snapshot = if changes.is_empty() {
            name.to_string()
        } else {
            format!("{name}@1.{start}-1.{end}")
        };
        insta::assert_snapshot!(snapshot, first.as_str());
    }
}

/// Replaces what changes from run to run: uids, resourceVersions, RFC 3339 timestamps.
pub(crate) fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        out.push_str(&redact_line(line));
    }
    redact_timestamps(&out)
}

/// A YAML or JSON line holding a `uid` or `resourceVersion` value gets a placeholder.
fn redact_line(line: &str) -> String {
    for (key, placeholder) in [("uid", "<uid>"), ("resourceVersion", "<rv>")] {
        for pattern in [format!("{key}: "), format!("\"{key}\": ")] {
            if let Some(at) = line.find(&pattern) {
                let start = at + pattern.len();
                let rest = &line[start..];
                let quoted = rest.starts_with('"');
                let end = if quoted {
                    rest[1..].find('"').map(|i| i + 2).unwrap_or(rest.len())
                } else {
                    rest.find([',', '\n', '}']).unwrap_or(rest.len())
                };
                let value = if quoted {
                    format!("\"{placeholder}\"")
                } else {
                    placeholder.to_string()
                };
                return format!("{}{}{}", &line[..start], value, &rest[end..]);
            }
        }
    }
    line.to_string()
}

/// `2025-01-01T00:00:00Z` (and with fractions) becomes `<timestamp>`.
fn redact_timestamps(text: &str) -> String {
    let bytes = text.as_bytes();
    let shape = b"dddd-dd-ddTdd:dd:dd";
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let matches = i + shape.len() <= bytes.len()
            && shape.iter().zip(&bytes[i..]).all(|(s, b)| match s {
                b'd' => b.is_ascii_digit(),
                other => other == b,
            });
        if matches {
            let mut end = i + shape.len();
            while end < bytes.len() && (bytes[end].is_ascii_digit() || bytes[end] == b'.') {
                end += 1;
            }
            if end < bytes.len() && bytes[end] == b'Z' {
                end += 1;
            }
            out.push_str("<timestamp>");
            i = end;
        } else {
            let ch = text[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// The manifests the scenarios apply.
pub(crate) mod manifests {
    /// A namespace `lab`.
    pub(crate) const NAMESPACE: &str = "apiVersion: v1
kind: Namespace
metadata:
  name: lab
";

    /// A Deployment `web` in `lab`, two replicas of `image`.
    pub(crate) fn deployment(image: &str) -> String {
        format!(
            "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: lab
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: {image}
        ports:
        - containerPort: 80
"
        )
    }

    /// A ReplicaSet `cache` in `lab`.
    pub(crate) fn replica_set(image: &str) -> String {
        format!(
            "apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: cache
  namespace: lab
  labels:
    app: cache
    tier: backend
spec:
  replicas: 1
  selector:
    matchLabels:
      app: cache
  template:
    metadata:
      labels:
        app: cache
    spec:
      containers:
      - name: redis
        image: {image}
"
        )
    }
}

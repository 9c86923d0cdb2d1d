//! The launcher for real, in a "host" namespace made for the test (so the bridge, the node
//! addresses and the API server's port never touch the machine's own network): `up` with two
//! nodes, kube-apiserver answering from the first, both kubelets registering Ready nodes,
//! `status`, and `down` leaving nothing behind.
//! Needs root; says "not run" without.

#![cfg(target_os = "linux")]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use final_cluster::launcher::{Error, Launcher, process};
use lab_05::netns::Netns;

mod common;
use common::{World, options};

/// `GET path` over plain HTTP/1.0; the whole answer.
fn get(address: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5)).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: test\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn up_serves_the_api_from_the_first_node_and_down_removes_everything() {
    labkit::require!(labkit::root());
    let world = World::new("up");
    let launcher = world.launcher();
    let host = world.host();
    // Everything that touches the network runs inside the test's host namespace.
    let (api, version, status) = host
        .run(|| {
            let mut lines = Vec::new();
            let api = launcher
                .up(&options(&["k8smaster", "k8snode1"]), &mut |line| {
                    lines.push(line.to_owned());
                })
                .expect("cluster up");
            (api, get(api, "/version"), lines)
        })
        .unwrap();
    assert_eq!(api.to_string(), "10.240.0.2:6443");
    assert!(version.starts_with("HTTP/1.0 200"), "{version}");
    assert!(version.contains("\"gitVersion\""), "{version}");
    assert!(
        status
            .iter()
            .any(|line| line.contains("kube-apiserver on k8smaster: ready")),
        "{status:?}"
    );
    let kubeconfig = std::fs::read_to_string(launcher.kubeconfig()).unwrap();
    assert!(
        kubeconfig.contains("server: http://10.240.0.2:6443"),
        "{kubeconfig}"
    );
    let running = launcher.status();
    let components: Vec<(&str, &str, bool)> = running
        .iter()
        .map(|line| {
            (
                line.node.as_str(),
                line.component.as_str(),
                line.pid.is_some(),
            )
        })
        .collect();
    assert_eq!(
        components,
        [
            ("k8smaster", "kube-apiserver", true),
            ("k8smaster", "kube-controller-manager", true),
            ("k8smaster", "kube-scheduler", true),
            ("k8smaster", "kubelet", true),
            ("k8snode1", "kubelet", true),
        ]
    );
    for node in ["k8smaster", "k8snode1"] {
        let ready = format!("node {node}: Ready");
        assert!(status.contains(&ready), "{status:?}");
    }
    let pid = running[0].pid.expect("the API server runs");

    // verify passes on the healthy cluster; with the scheduler stopped, it names it and the
    // chapter to read.
    let findings = host.run(|| launcher.verify()).unwrap();
    assert!(findings.iter().all(|f| f.ok), "{findings:?}");
    let scheduler = launcher
        .status()
        .into_iter()
        .find(|line| line.component == "kube-scheduler")
        .unwrap();
    let pid_file = world.state.path().join("pids/k8smaster.kube-scheduler.pid");
    assert!(scheduler.pid.is_some());
    process::stop(&pid_file, process::STOP_GRACE).unwrap();
    let findings = host.run(|| launcher.verify()).unwrap();
    let failed: Vec<_> = findings.iter().filter(|f| !f.ok).collect();
    assert_eq!(failed.len(), 1, "{findings:?}");
    assert!(
        failed[0]
            .what
            .starts_with("kube-scheduler on k8smaster is not running")
    );
    assert_eq!(failed[0].read, Some("book/src/lab-04-scheduler.md"));

    // A second `up` refuses: the state says a cluster is up.
    let again = host
        .run(|| launcher.up(&options(&["k8smaster"]), &mut |_| {}))
        .unwrap();
    assert!(matches!(again, Err(Error::AlreadyUp(_))), "{again:?}");

    host.run(|| launcher.down(&mut |_| {})).unwrap().unwrap();
    // Stopped (a zombie until this test process, its parent, exits: `running` says no).
    let recorded = process::Recorded {
        pid,
        program: PathBuf::from(env!("CARGO_BIN_EXE_kube-apiserver")),
    };
    assert!(!process::running(&recorded), "kube-apiserver still runs");
    assert!(launcher.status().is_empty());
    assert!(launcher.recorded_nodes().is_empty());
    for node in ["k8smaster", "k8snode1"] {
        assert!(
            Netns::named(&format!("{}{node}", world.prefix)).is_err(),
            "{node} is left"
        );
    }
    // Down again: nothing to do, no error.
    host.run(|| launcher.down(&mut |_| {})).unwrap().unwrap();
}

#[test]
fn up_without_the_component_binaries_says_what_to_build() {
    let state = tempfile::tempdir().unwrap();
    let host = Netns::open("/proc/self/ns/net").unwrap();
    let launcher =
        Launcher::new(host, state.path(), Launcher::network_config(state.path())).unwrap();
    let mut options = options(&["k8smaster"]);
    options.bin_dir = state.path().join("nowhere");
    let error = launcher.up(&options, &mut |_| {}).unwrap_err();
    assert!(matches!(error, Error::MissingBinary(_)), "{error:?}");
    assert!(
        error.to_string().contains("cargo build -p final-cluster"),
        "{error}"
    );
}

#[test]
fn up_with_etcd_stores_the_cluster_in_real_etcd() {
    labkit::require!(labkit::root());
    labkit::require!(labkit::host_binary("etcd", "etcd-server"));
    let world = World::new("etcd");
    let launcher = world.launcher();
    let host = world.host();
    let mut up = options(&["k8smaster"]);
    up.etcd = true;
    let mut lines = Vec::new();
    let api = host
        .run(|| launcher.up(&up, &mut |line| lines.push(line.to_owned())))
        .unwrap()
        .expect("cluster up --etcd");
    assert!(
        lines.iter().any(|line| line == "etcd on k8smaster: ready"),
        "{lines:?}"
    );
    // The API server was pointed at it, and etcd holds data.
    let cmdline =
        std::fs::read_to_string(world.state.path().join("pids/k8smaster.kube-apiserver.pid"))
            .ok()
            .and_then(|text| text.lines().next().map(str::to_owned))
            .and_then(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).replace('\0', " "))
            .unwrap_or_default();
    assert!(
        cmdline.contains("--etcd-servers=http://10.240.0.2:2379"),
        "{cmdline}"
    );
    let db = world
        .state
        .path()
        .join("node-data/k8smaster/etcd/member/snap/db");
    assert!(db.is_file(), "{} is missing", db.display());
    let nodes = host.run(|| get(api, "/api/v1/nodes")).unwrap();
    assert!(nodes.contains("k8smaster"), "{nodes}");
    let findings = host.run(|| launcher.verify()).unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f.ok && f.what.starts_with("etcd on k8smaster runs")),
        "{findings:?}"
    );
    assert!(findings.iter().all(|f| f.ok), "{findings:?}");
}

//! What the final cluster's tests share: a private "host" network namespace and state
//! directory per test (so the bridge, the node addresses and the API server's port never touch
//! the machine's own network), brought down and deleted when the test ends, failed or not.

#![allow(dead_code, unreachable_pub)] // each test binary uses a part

pub mod ctl;

use std::path::PathBuf;

use final_cluster::launcher::{Launcher, UpOptions};
use lab_05::netns::Netns;

/// The test's host namespace and state; dropping it brings the cluster down and deletes both.
pub struct World {
    host_name: String,
    /// The prefix of this test's node namespaces.
    pub prefix: String,
    /// The launcher's state directory.
    pub state: tempfile::TempDir,
}

impl World {
    /// A fresh host namespace and state directory; `tag` names them.
    pub fn new(tag: &str) -> World {
        let prefix = format!("fcl-{}-{tag}-", std::process::id());
        let host_name = format!("{prefix}host");
        Netns::create_named(&host_name).expect("create the host namespace");
        World {
            host_name,
            prefix,
            state: tempfile::tempdir().unwrap(),
        }
    }

    /// The host namespace (run everything that touches the network inside it).
    pub fn host(&self) -> Netns {
        Netns::named(&self.host_name).unwrap()
    }

    /// A launcher over the state, with its bridge in the host namespace.
    pub fn launcher(&self) -> Launcher {
        let mut config = Launcher::network_config(self.state.path());
        config.netns_prefix.clone_from(&self.prefix);
        Launcher::new(self.host(), self.state.path(), config).unwrap()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        // A failed test shows what each component said last: its log is gone with the state.
        if std::thread::panicking() {
            dump_logs(&self.state.path().join("logs"));
        }
        let launcher = self.launcher();
        let down = self.host().run(|| launcher.down(&mut |_| {}));
        if !matches!(down, Ok(Ok(()))) {
            eprintln!("cleanup: cluster down failed: {down:?}");
        }
        if let Err(error) = Netns::delete_named(&self.host_name) {
            eprintln!("cleanup: {}: {error}", self.host_name);
        }
    }
}

/// `up`'s options for `nodes`, with the binaries cargo built for this test.
pub fn options(nodes: &[&str]) -> UpOptions {
    UpOptions {
        nodes: nodes.iter().map(|n| (*n).to_owned()).collect(),
        bin_dir: PathBuf::from(env!("CARGO_BIN_EXE_kube-apiserver"))
            .parent()
            .unwrap()
            .to_path_buf(),
        etcd_servers: Vec::new(),
        etcd: false,
        controller_manager_args: Vec::new(),
    }
}

/// Prints the last lines of every component log under `dir`.
fn dump_logs(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.flatten().map(|entry| entry.path()).collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(25)..];
        eprintln!("==> {} (last {} lines)", path.display(), tail.len());
        for line in tail {
            eprintln!("{line}");
        }
    }
}

/// What a cluster can leave behind on the machine: network namespaces, the root namespace's
/// links, mount points, cgroups, and processes running our programs or from our state.
#[derive(Debug, PartialEq, Eq)]
pub struct Machine {
    /// `ip netns` names.
    pub netns: std::collections::BTreeSet<String>,
    /// Links of the machine's own network namespace.
    pub links: std::collections::BTreeSet<String>,
    /// Mount points of this process's mount namespace.
    pub mounts: std::collections::BTreeSet<String>,
    /// Cgroup directories (up to four levels under each hierarchy).
    pub cgroups: std::collections::BTreeSet<String>,
    /// Processes whose program is one of the cluster's or lives under `state`.
    pub processes: std::collections::BTreeSet<String>,
}

impl Machine {
    /// Looks at the machine now; `state` is the cluster's state directory, `bin_dir` its
    /// programs. Other tests running at the same time may add or remove things too, so only
    /// names this test owns (`prefix`, the `kubelab` cgroups) are compared.
    pub fn now(prefix: &str, state: &std::path::Path, bin_dir: &std::path::Path) -> Machine {
        let names = |dir: &str| -> std::collections::BTreeSet<String> {
            std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        };
        let netns = names("/run/netns")
            .into_iter()
            .filter(|name| name.starts_with(prefix))
            .collect();
        let links = names("/sys/class/net");
        let mounts = std::fs::read_to_string("/proc/self/mountinfo")
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.split(' ').nth(4).map(str::to_owned))
            .filter(|point| {
                point.contains("kubelab") || point.starts_with(&*state.to_string_lossy())
            })
            .collect();
        let mut cgroups = std::collections::BTreeSet::new();
        for entry in walk("/sys/fs/cgroup", 5) {
            if entry.contains("kubelab") {
                cgroups.insert(entry);
            }
        }
        let mut processes = std::collections::BTreeSet::new();
        for pid in names("/proc") {
            if !pid.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let Ok(exe) = std::fs::read_link(format!("/proc/{pid}/exe")) else {
                continue;
            };
            if exe.starts_with(state) || exe.parent() == Some(bin_dir) {
                let name = exe.file_name().unwrap_or_default().to_string_lossy();
                if [
                    "kube-apiserver",
                    "kube-controller-manager",
                    "kube-scheduler",
                    "kubelet",
                ]
                .contains(&&*name)
                    || exe.starts_with(state)
                {
                    processes.insert(format!("{pid} {}", exe.display()));
                }
            }
        }
        Machine {
            netns,
            links,
            mounts,
            cgroups,
            processes,
        }
    }
}

/// Directories under `root`, at most `depth` levels down.
fn walk(root: &str, depth: usize) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![(PathBuf::from(root), 0)];
    while let Some((dir, level)) = stack.pop() {
        if level >= depth {
            continue;
        }
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                let path = entry.path();
                found.push(path.display().to_string());
                stack.push((path, level + 1));
            }
        }
    }
    found
}

//! What the final cluster's tests share: a private "host" network namespace and state
//! directory per test (so the bridge, the node addresses and the API server's port never touch
//! the machine's own network), brought down and deleted when the test ends, failed or not.

#![allow(dead_code, unreachable_pub)] // each test binary uses a part

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

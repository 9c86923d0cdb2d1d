//! `cargo xtask up` / `cargo xtask down`: build the final cluster's programs and run its launcher
//! (`final-cluster/src/bin/cluster.rs`), through `sudo` when we are not root (it makes network
//! namespaces and a bridge).

use std::path::Path;
use std::process::Command;

use anyhow::{Result, bail};

/// `cargo xtask up [--nodes N] [--etcd | --etcd-servers URLS]`: the system packages (as root; the
/// offline busybox image needs busybox-static), build, then `cluster up`.
pub(crate) fn up(root: &Path, nodes: u8, etcd_servers: Option<&str>, etcd: bool) -> Result<()> {
    crate::bootstrap::ensure_packages(false)?;
    let mut args = vec!["up".to_owned(), format!("--nodes={nodes}")];
    if etcd {
        args.push("--etcd".to_owned());
    }
    if let Some(servers) = etcd_servers {
        args.push(format!("--etcd-servers={servers}"));
    }
    launch(root, &args)
}

/// `cargo xtask down`: build (cheap when built), then `cluster down`.
pub(crate) fn down(root: &Path) -> Result<()> {
    launch(root, &["down".to_owned()])
}

fn launch(root: &Path, args: &[String]) -> Result<()> {
    if !cfg!(target_os = "linux") {
        bail!(
            "the local cluster runs on Linux only (network namespaces); see the book's Vagrant chapter"
        );
    }
    eprintln!("building the cluster's programs (cargo build -p final-cluster --bins)");
    crate::process::run(Command::new(env!("CARGO")).current_dir(root).args([
        "build",
        "--quiet",
        "--package",
        "final-cluster",
        "--bins",
    ]))?;
    let cluster = root.join("target").join("debug").join("cluster");
    let mut command = if is_root() {
        Command::new(&cluster)
    } else {
        eprintln!("the launcher needs root: running it through sudo");
        let mut sudo = Command::new("sudo");
        // KUBELAB_HOME is where the cluster keeps its state; keep the caller's choice.
        if let Some(home) = std::env::var_os("KUBELAB_HOME") {
            sudo.arg(format!("KUBELAB_HOME={}", home.to_string_lossy()));
        }
        sudo.arg(&cluster);
        sudo
    };
    command.args(args);
    crate::process::run(&mut command)
}

fn is_root() -> bool {
    // `id -u` avoids a libc dependency in xtask for one call.
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

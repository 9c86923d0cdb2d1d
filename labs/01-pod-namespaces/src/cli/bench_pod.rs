//! `lab-01 bench-pod --rootfs DIR --runs N`: the measurement behind `cargo xtask bench runtime`.
//!
//! Each run starts a sandbox and one container running `/bin/true` in `DIR`, waits for it to
//! exit and stops the sandbox; the time of the whole run is printed in microseconds, one line
//! per run. The low-level calls are used (not the Pod loop, whose 20 ms tick would be measured
//! instead of the runtime).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use lab_01::config::{ContainerConfig, SandboxConfig};
use lab_01::container::Container;
use lab_01::sandbox::Sandbox;

/// Runs the benchmark and prints one duration per run.
pub(crate) fn run(rootfs: PathBuf, runs: usize) -> anyhow::Result<()> {
    let helper = std::env::current_exe().context("cannot find the lab-01 binary itself")?;
    let logs = tempfile::tempdir().context("failed to create a temporary directory")?;
    let sandbox_config = SandboxConfig::new("bench");
    let container = ContainerConfig {
        name: "true".to_owned(),
        rootfs,
        command: vec!["/bin/true".to_owned()],
        env: vec![("PATH".to_owned(), "/bin".to_owned())],
        log_path: logs.path().join("true.log"),
        ..ContainerConfig::default()
    };
    for _ in 0..runs {
        let started = Instant::now();
        let sandbox = Sandbox::start(&helper, &sandbox_config)?;
        let mut handle = Container::start(&helper, &sandbox, &container)?;
        let code = handle.wait()?;
        sandbox.stop()?;
        let took = started.elapsed();
        anyhow::ensure!(code == 0, "/bin/true exited with {code}");
        println!("{}", took.as_micros());
    }
    Ok(())
}

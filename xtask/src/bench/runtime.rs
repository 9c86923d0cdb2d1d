//! `cargo xtask bench runtime`: lab-01's pod start and stop against crun and runc.
//!
//! What is measured, per run: for lab-01, a pod sandbox plus one busybox container running
//! `/bin/true`, from "start the sandbox" to "sandbox stopped and reaped" (measured inside the
//! `lab-01 bench-pod` command, so lab-01's own process start is not counted); for crun and runc,
//! the wall time of `<runtime> run` of the same rootfs running `/bin/true` (which creates,
//! starts, waits for and deletes the container). The peers pay one extra fork+exec (~1 ms here),
//! which the table's notes say. Anchors: crun ~17 ms and runc ~33 ms per `/bin/true` container
//! (crun's README); the kernel floor here is about 2-5 ms.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::{Row, print_table};
use crate::bootstrap;

/// `cargo xtask bench runtime`.
pub(super) fn bench(root: &Path, runs: usize) -> Result<()> {
    if !bootstrap::is_root() {
        bail!(
            "bench runtime needs root (namespaces and cgroups); run it as root or in the Vagrant VMs"
        );
    }
    bootstrap::ensure_programs(&[
        ("crun", "crun"),
        ("runc", "runc"),
        ("busybox", "busybox-static"),
    ])?;
    eprintln!("bench runtime: building lab-01 (release)");
    crate::process::run(Command::new(env!("CARGO")).current_dir(root).args([
        "build",
        "--release",
        "--quiet",
        "--package",
        "lab-01",
    ]))?;
    let lab01 = root.join("target/release/lab-01");
    let work = root.join("target/xtask/bench/runtime");
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    let bundle = work.join("bundle");
    let store = work.join("store");
    let store_arg = store.to_string_lossy().into_owned();
    let rootfs = bundle.join("rootfs");
    let rootfs_arg = rootfs.to_string_lossy().into_owned();
    crate::process::run(Command::new(&lab01).args([
        "images",
        "build-busybox",
        "--store",
        &store_arg,
    ]))?;
    crate::process::run(Command::new(&lab01).args([
        "images",
        "unpack",
        "busybox",
        &rootfs_arg,
        "--store",
        &store_arg,
    ]))?;
    write_bundle_config(&bundle)?;

    eprintln!("bench runtime: {runs} runs each");
    let rows = vec![
        Row {
            name: "lab-01".into(),
            what: "sandbox + container `/bin/true`, start to stop".into(),
            samples: ours(&lab01, &rootfs, runs),
        },
        peer("crun", &bundle, runs),
        peer("runc", &bundle, runs),
    ];
    let baseline = if rows[1].samples.is_ok() {
        "crun"
    } else {
        "runc"
    };
    print_table(&rows, baseline);
    println!(
        "\nNotes: peers are timed around `<runtime> run` (one extra fork+exec, ~1 ms here); \
         lab-01 inside `lab-01 bench-pod`. Anchors: crun ~17 ms, runc ~33 ms per `/bin/true` \
         container (crun's README); kernel floor here ~2-5 ms. Goal: lab-01 at or below crun."
    );
    Ok(())
}

/// lab-01's own measurement: one line per run, the duration in microseconds.
fn ours(lab01: &Path, rootfs: &Path, runs: usize) -> Result<Vec<Duration>, String> {
    let output = Command::new(lab01)
        .arg("bench-pod")
        .arg("--rootfs")
        .arg(rootfs)
        .arg("--runs")
        .arg(runs.to_string())
        .output()
        .map_err(|error| format!("failed to run lab-01: {error}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(stderr
            .lines()
            .next()
            .unwrap_or("lab-01 bench-pod failed")
            .to_owned());
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            line.trim()
                .parse::<u64>()
                .map(Duration::from_micros)
                .map_err(|_| format!("lab-01 bench-pod printed {line:?}, not microseconds"))
        })
        .collect()
}

/// Times `<runtime> run --bundle B <id>` `runs` times.
fn peer(runtime: &str, bundle: &Path, runs: usize) -> Row {
    let mut samples = Vec::with_capacity(runs);
    let mut failure = None;
    for run in 0..runs {
        let started = Instant::now();
        let output = Command::new(runtime)
            .args(["run", "--bundle"])
            .arg(bundle)
            .arg(format!("xtask-bench-{}-{run}", std::process::id()))
            .output();
        let elapsed = started.elapsed();
        match output {
            Ok(output) if output.status.success() => samples.push(elapsed),
            Ok(output) => {
                let stderr = String::from_utf8_lossy(&output.stderr);
                failure = Some(stderr.lines().next().unwrap_or("failed").to_owned());
                break;
            }
            Err(error) => {
                failure = Some(error.to_string());
                break;
            }
        }
    }
    Row {
        name: runtime.into(),
        what: "`run` of the same rootfs, `/bin/true`".into(),
        samples: match failure {
            Some(why) => Err(why),
            None => Ok(samples),
        },
    }
}

/// Writes the OCI runtime `config.json` for the bundle: `crun spec`'s default, running
/// `/bin/true` without a terminal.
fn write_bundle_config(bundle: &Path) -> Result<PathBuf> {
    crate::process::run(Command::new("crun").arg("spec").current_dir(bundle))?;
    let path = bundle.join("config.json");
    let text = std::fs::read_to_string(&path).context("crun spec wrote no config.json")?;
    let mut config: serde_json::Value = serde_json::from_str(&text)?;
    config["process"]["args"] = serde_json::json!(["/bin/true"]);
    config["process"]["terminal"] = serde_json::json!(false);
    std::fs::write(&path, serde_json::to_vec_pretty(&config)?)?;
    Ok(path)
}

//! `lab-01 run <pod.yaml>`: the binary's side of step 7 (arguments, signals, printing); the
//! work is [`lab_01::pod::run_pod`].

use std::sync::mpsc;

use anyhow::Context as _;
use k8s_openapi::api::core::v1 as corev1;
use lab_01::cgroups::CgroupRoot;
use lab_01::image::Store;
use lab_01::pod::{RunOptions, parse_manifest, plan_pod, run_pod};
use nix::sys::signal::{SigSet, Signal};

use super::{RunArgs, UsageError, kubelab_home};

/// Runs the command: everything the user could get wrong is checked before anything starts.
pub(crate) fn run(args: &RunArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.manifest)
        .map_err(|error| UsageError(format!("cannot read {}: {error}", args.manifest.display())))?;
    let manifest = parse_manifest(&text)?;
    let store = Store::open(args.store.resolve()?)?;
    let plan = plan_pod(&manifest.pod, &store)?;
    if !nix::unistd::geteuid().is_root() {
        return Err(UsageError(
            "`lab-01 run` needs root: it creates namespaces, mounts and cgroups; run it with sudo"
                .to_owned(),
        )
        .into());
    }
    // Ctrl-C and SIGTERM stop the pod gracefully instead of killing us and leaving it behind.
    // They are blocked here, before any thread exists (threads inherit the mask), and one
    // thread takes them with `sigwait` and asks the loop to stop.
    let (stop, shutdown) = mpsc::channel();
    let mut signals = SigSet::empty();
    signals.add(Signal::SIGINT);
    signals.add(Signal::SIGTERM);
    signals
        .thread_block()
        .context("failed to block SIGINT and SIGTERM")?;
    std::thread::spawn(move || {
        while let Ok(signal) = signals.wait() {
            tracing::info!(?signal, "stopping the pod");
            if stop.send(()).is_err() {
                break;
            }
        }
    });
    // The pod's directory (volumes, rootfs, logs) goes when the command ends.
    let pods = kubelab_home()?.join("pods");
    std::fs::create_dir_all(&pods)
        .with_context(|| format!("failed to create {}", pods.display()))?;
    let pod_dir = tempfile::Builder::new()
        .prefix(&format!("{}-", plan.sandbox.name))
        .tempdir_in(&pods)
        .with_context(|| format!("failed to create a pod directory in {}", pods.display()))?;
    let cgroup_root = match CgroupRoot::detect() {
        Ok(root) => Some(root),
        Err(error) => {
            tracing::warn!(%error, "no cgroups: resources limits will not be applied");
            None
        }
    };
    let options = RunOptions {
        helper: std::env::current_exe().context("cannot find the lab-01 binary itself")?,
        store,
        pod_dir: pod_dir.path().to_path_buf(),
        sources: manifest.sources,
        cgroup_root,
        timeout: args.timeout,
    };
    let json = args.json;
    // Logs go to stdout, prefixed by the container's name, unless stdout is for the JSON.
    let mut on_log = |container: &str, line: &str| {
        if json {
            eprintln!("[{container}] {line}");
        } else {
            println!("[{container}] {line}");
        }
    };
    let status = run_pod(&plan, &options, &shutdown, &mut on_log)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print_status(&plan.sandbox.name, &status);
    }
    Ok(())
}

/// The final status as a table, like `kubectl get pod` and `describe` in one.
fn print_status(pod: &str, status: &corev1::PodStatus) {
    println!(
        "pod {pod}: {}",
        status.phase.as_deref().unwrap_or("Unknown")
    );
    println!(
        "{:<20} {:<11} {:>4} {:<18} {:>8} {:<5}",
        "CONTAINER", "STATE", "EXIT", "REASON", "RESTARTS", "READY"
    );
    let init = status.init_container_statuses.iter().flatten();
    for container in init.chain(status.container_statuses.iter().flatten()) {
        let state = container.state.clone().unwrap_or_default();
        let (word, exit, reason) = if let Some(done) = &state.terminated {
            (
                "terminated",
                done.exit_code.to_string(),
                done.reason.clone().unwrap_or_default(),
            )
        } else if let Some(waiting) = &state.waiting {
            (
                "waiting",
                String::new(),
                waiting.reason.clone().unwrap_or_default(),
            )
        } else {
            ("running", String::new(), String::new())
        };
        println!(
            "{:<20} {word:<11} {exit:>4} {reason:<18} {:>8} {:<5}",
            container.name, container.restart_count, container.ready
        );
    }
}

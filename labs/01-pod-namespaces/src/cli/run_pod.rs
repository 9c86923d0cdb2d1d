//! `lab-01 run <pod.yaml>`: the binary's side of step 7 (arguments, signals, printing); the
//! work is [`lab_01::pod::run_pod`].

use std::sync::mpsc;
use std::time::Instant;

use anyhow::Context as _;
use k8s_openapi::api::core::v1 as corev1;
use lab_01::cgroups::CgroupRoot;
use lab_01::image::policy::PullBackOff;
use lab_01::image::{PullOptions, Store};
use lab_01::pod::{
    ImagePull, ImageWait, RunHooks, RunOptions, ensure_images, image_pulls, parse_manifest,
    pending_status, plan_pod, run_pod,
};
use nix::sys::signal::{SigSet, Signal};

use super::pull_progress::ProgressPrinter;
use super::{RunArgs, UsageError, kubelab_home};

/// Runs the command: everything the user could get wrong is checked before anything starts.
pub(crate) fn run(args: &RunArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.manifest)
        .map_err(|error| UsageError(format!("cannot read {}: {error}", args.manifest.display())))?;
    let manifest = parse_manifest(&text)?;
    let pulls = image_pulls(&manifest.pod)?;
    let started = Instant::now();
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
    let store = Store::open_or_create(args.store.resolve()?)?;
    let options = PullOptions {
        insecure_registries: args.insecure_registries.clone(),
    };
    let deadline = args.timeout.map(|timeout| started + timeout);
    let pod_name = manifest.pod.metadata.name.clone().unwrap_or_default();
    if !pull_images(
        &pod_name, &store, &pulls, &options, deadline, &shutdown, args.json,
    )? {
        return Err(UsageError("the pod's images could not be pulled".to_owned()).into());
    }
    let plan = plan_pod(&manifest.pod, &store)?;
    if !nix::unistd::geteuid().is_root() {
        return Err(UsageError(
            "`lab-01 run` needs root: it creates namespaces, mounts and cgroups; run it with sudo"
                .to_owned(),
        )
        .into());
    }
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
        hooks: RunHooks::default(),
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

// ANCHOR: pull_images
/// Gets the pod's images as the kubelet does before starting containers: a failed pull is
/// reported (`ErrImagePull`) and retried after a back-off (`ImagePullBackOff` meanwhile), until
/// it works, the `--timeout` passes or Ctrl-C. Returns false (after printing the pod's
/// `Pending` status) when it gave up; an error that no retry can fix (`ErrImageNeverPull`, an
/// invalid name) is returned as a one-line error at once.
fn pull_images(
    pod: &str,
    store: &Store,
    pulls: &[ImagePull],
    options: &PullOptions,
    deadline: Option<Instant>,
    shutdown: &mpsc::Receiver<()>,
    json: bool,
) -> anyhow::Result<bool> {
    let mut backoff = PullBackOff::default();
    let mut printer = ProgressPrinter::default();
    loop {
        let now = Instant::now();
        let waits = ensure_images(store, pulls, options, &mut backoff, now, &mut |event| {
            printer.show(event);
        });
        if waits.is_empty() {
            return Ok(true);
        }
        if let Some(fatal) = waits
            .iter()
            .find(|wait| !matches!(wait.reason.as_str(), "ErrImagePull" | "ImagePullBackOff"))
        {
            return Err(UsageError(format!(
                "container {}: {}: {}",
                fatal.container, fatal.reason, fatal.message
            ))
            .into());
        }
        for wait in &waits {
            eprintln!(
                "container {}: {}: {}",
                wait.container, wait.reason, wait.message
            );
        }
        // The next attempt: when the earliest back-off ends.
        let retry_at = pulls
            .iter()
            .filter_map(|pull| backoff.retry_at(&pull.image.to_string(), now))
            .min()
            .unwrap_or(now);
        let give_up = deadline.is_some_and(|deadline| deadline <= retry_at);
        let stopped = give_up || {
            eprintln!(
                "back-off: pulling again in {}s (Ctrl-C to stop)",
                retry_at.duration_since(now).as_secs()
            );
            !matches!(
                shutdown.recv_timeout(retry_at.duration_since(now)),
                Err(mpsc::RecvTimeoutError::Timeout)
            )
        };
        if stopped {
            // As `kubectl get pod` would show it now: in back-off after the failed pull.
            let waits: Vec<ImageWait> = waits
                .iter()
                .map(|wait| {
                    let (reason, message) = PullBackOff::waiting(&image_of(pulls, wait));
                    ImageWait {
                        reason: reason.to_owned(),
                        message,
                        ..wait.clone()
                    }
                })
                .collect();
            let status = pending_status(pulls, &waits);
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                print_status(pod, &status);
            }
            return Ok(false);
        }
    }
}
// ANCHOR_END: pull_images

/// The image name of the container a wait is about.
fn image_of(pulls: &[ImagePull], wait: &ImageWait) -> String {
    pulls
        .iter()
        .find(|pull| pull.container == wait.container)
        .map(|pull| pull.image_name.clone())
        .unwrap_or_default()
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

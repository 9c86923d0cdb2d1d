//! Step 7 for real (root): whole Pods through `run_pod` and through `lab-01 run`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;

use k8s_openapi::api::core::v1 as corev1;
use lab_01::cgroups::CgroupRoot;
use lab_01::pod::{ExecTargets, RunHooks, RunOptions, parse_manifest, plan_pod, run_pod};
use lab_01::runtime::exec::exec_sync;

use crate::pod::fixtures::{Workspace, helper};

/// Runs a Pod manifest to its end; its status and its log lines as `container: line`.
fn run_manifest(
    workspace: &Workspace,
    yaml: &str,
    timeout: Option<std::time::Duration>,
) -> (corev1::PodStatus, Vec<String>) {
    let manifest = parse_manifest(yaml).unwrap();
    let plan = plan_pod(&manifest.pod, workspace.store()).unwrap();
    let pod_dir = workspace.dir.path().join("pod-run");
    let options = RunOptions {
        helper: helper().to_path_buf(),
        store: workspace.store().clone(),
        pod_dir: pod_dir.clone(),
        sources: manifest.sources,
        cgroup_root: Some(CgroupRoot::detect().unwrap()),
        timeout,
        hooks: RunHooks::default(),
    };
    let (_stop, shutdown) = mpsc::channel();
    let mut lines = Vec::new();
    let status = run_pod(&plan, &options, &shutdown, &mut |container, line| {
        lines.push(format!("{container}: {line}"));
    })
    .unwrap();
    (status, lines)
}

/// A pod running on a thread of its own. Dropping it, also when the test fails half-way,
/// stops the pod and waits for it: no sandbox or container outlives the test.
struct Running<T> {
    stop: mpsc::Sender<()>,
    thread: Option<std::thread::JoinHandle<T>>,
}

impl<T> Running<T> {
    fn start(f: impl FnOnce(mpsc::Receiver<()>) -> T + Send + 'static) -> Running<T>
    where
        T: Send + 'static,
    {
        let (stop, shutdown) = mpsc::channel();
        let thread = std::thread::spawn(move || f(shutdown));
        Running {
            stop,
            thread: Some(thread),
        }
    }

    fn is_finished(&self) -> bool {
        self.thread
            .as_ref()
            .is_none_or(std::thread::JoinHandle::is_finished)
    }

    /// Stops the pod and returns what its thread returned (its panic goes on to the test).
    fn finish(mut self) -> T {
        let _ = self.stop.send(());
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(value)) => value,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => unreachable!("finished once"),
        }
    }
}

impl<T> Drop for Running<T> {
    fn drop(&mut self) {
        let _ = self.stop.send(());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs a Pod manifest until `done` holds for a status it reported and the log lines so far,
/// then stops it; its last status and its log lines. Fails after a minute.
fn run_until(
    workspace: &Workspace,
    yaml: &str,
    done: impl Fn(&corev1::PodStatus, &[String]) -> Option<bool>,
) -> (corev1::PodStatus, Vec<String>) {
    let manifest = parse_manifest(yaml).unwrap();
    let plan = plan_pod(&manifest.pod, workspace.store()).unwrap();
    let (status_tx, statuses) = mpsc::channel();
    let options = RunOptions {
        helper: helper().to_path_buf(),
        store: workspace.store().clone(),
        pod_dir: workspace.dir.path().join("pod-run"),
        sources: manifest.sources,
        cgroup_root: Some(CgroupRoot::detect().unwrap()),
        timeout: Some(std::time::Duration::from_secs(60)),
        hooks: RunHooks {
            status: Some(status_tx),
            ..RunHooks::default()
        },
    };
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let runner = {
        let lines = lines.clone();
        Running::start(move |shutdown| {
            run_pod(&plan, &options, &shutdown, &mut |container, line| {
                lines.lock().unwrap().push(format!("{container}: {line}"));
            })
        })
    };
    let mut latest = None;
    labkit::poll_until(
        std::time::Duration::from_secs(60),
        "the pod to get there",
        || {
            if runner.is_finished() {
                return Some(()); // it failed or ended early: its result says why
            }
            latest = statuses.try_iter().last().or(latest.take());
            let status = latest.as_ref()?;
            done(status, &lines.lock().unwrap())
                .unwrap_or(false)
                .then_some(())
        },
    );
    // The runner's own panic (an unfinished step's `todo!`, say) is the test's failure.
    let status = runner.finish().unwrap();
    let lines = lines.lock().unwrap().clone();
    (status, lines)
}

fn app_status<'a>(status: &'a corev1::PodStatus, name: &str) -> &'a corev1::ContainerStatus {
    status
        .container_statuses
        .iter()
        .flatten()
        .find(|c| c.name == name)
        .unwrap()
}

fn terminated(container: &corev1::ContainerStatus) -> corev1::ContainerStateTerminated {
    container
        .state
        .clone()
        .unwrap()
        .terminated
        .expect("terminated")
}

macro_rules! workspace {
    () => {{
        labkit::require!(labkit::root());
        let busybox = labkit::require!(labkit::host_binary("busybox", "busybox-static"));
        Workspace::new(&busybox)
    }};
}

fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn step7_the_two_containers_example_shares_a_file() {
    let workspace = workspace!();
    let (status, lines) = run_manifest(&workspace, &example("two-containers.yaml"), None);
    assert!(
        lines.contains(&"reader: Hello from the writer container".to_owned()),
        "{lines:?}"
    );
    assert_eq!(status.phase.as_deref(), Some("Succeeded"));
    for name in ["writer", "reader"] {
        let done = terminated(app_status(&status, name));
        assert_eq!(
            (done.exit_code, done.reason.as_deref()),
            (0, Some("Completed"))
        );
    }
}

#[test]
fn step7_init_containers_run_first_and_failures_restart_with_last_state() {
    let workspace = workspace!();
    let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: flaky, uid: flaky-uid}\nspec:\n  restartPolicy: OnFailure\n  \
        volumes: [{name: d, emptyDir: {}}]\n  initContainers:\n  - {name: prepare, image: busybox, command: [sh, -c, 'echo prepared > /d/ready'], \
        volumeMounts: [{name: d, mountPath: /d}]}\n  containers:\n  - name: app\n    image: busybox\n    volumeMounts: [{name: d, mountPath: /d}]\n    \
        command: [sh, -c, 'cat /d/ready; if [ -f /d/once ]; then echo second; exit 0; fi; touch /d/once; echo first; exit 3']\n";
    let (status, lines) = run_manifest(&workspace, yaml, None);
    assert_eq!(
        lines
            .iter()
            .filter(|line| line.starts_with("app:"))
            .collect::<Vec<_>>(),
        [
            "app: prepared",
            "app: first",
            "app: prepared",
            "app: second"
        ],
        "the init container ran before the app, once: {lines:?}"
    );
    assert_eq!(status.phase.as_deref(), Some("Succeeded"));
    let app = app_status(&status, "app");
    assert_eq!(app.restart_count, 1);
    let last = app.last_state.clone().unwrap().terminated.unwrap();
    assert_eq!((last.exit_code, last.reason.as_deref()), (3, Some("Error")));
    let init = &status.init_container_statuses.clone().unwrap()[0];
    assert_eq!(terminated(init).reason.as_deref(), Some("Completed"));
}

#[test]
fn step7_a_failing_liveness_probe_restarts_the_container() {
    let workspace = workspace!();
    // Healthy for half a second, then not: the probe fails, the kubelet kills and restarts.
    let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: sick}\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: app\n    image: busybox\n    \
        command: [sh, -c, \"trap 'exit 143' TERM; touch /tmp/healthy; echo started; sleep 0.5; rm /tmp/healthy; sleep 100 & wait\"]\n    \
        livenessProbe: {exec: {command: [test, -f, /tmp/healthy]}, periodSeconds: 1, failureThreshold: 1}\n";
    // Runs until the second run has started (not for a fixed time: a loaded machine is slow).
    let (status, _lines) = run_until(&workspace, yaml, |status, lines| {
        Some(
            status.container_statuses.as_ref()?.first()?.restart_count >= 1
                && lines.iter().filter(|l| *l == "app: started").count() >= 2,
        )
    });
    let app = app_status(&status, "app");
    assert!(
        app.restart_count >= 1,
        "restarted after the liveness failure: {app:?}"
    );
    let last = app.last_state.clone().unwrap().terminated.unwrap();
    assert_eq!(
        last.exit_code, 143,
        "SIGTERM ended the first run, through its trap"
    );
}

#[test]
fn step7_an_oom_killed_container_says_so_in_the_pod_status() {
    let workspace = workspace!();
    let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: hog}\nspec:\n  restartPolicy: Never\n  containers:\n  - name: hog\n    image: busybox\n    \
        command: [sh, -c, 'head -c 209715200 /dev/zero | tail']\n    resources: {limits: {memory: 16Mi}}\n";
    let (status, _) = run_manifest(&workspace, yaml, None);
    assert_eq!(status.phase.as_deref(), Some("Failed"));
    let done = terminated(app_status(&status, "hog"));
    assert_eq!(
        (done.exit_code, done.reason.as_deref()),
        (137, Some("OOMKilled"))
    );
}

#[test]
fn step7_hooks_run_in_the_container_and_a_stopped_pod_is_terminal() {
    let workspace = workspace!();
    // `>>`: the log is a file, and `>` would truncate it (a real runtime's is a pipe).
    let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: hooks}\nspec:\n  terminationGracePeriodSeconds: 5\n  containers:\n  - name: server\n    image: busybox\n    \
        command: [sh, -c, \"trap 'echo got TERM; exit 0' TERM; echo serving; sleep 100 & wait\"]\n    lifecycle:\n      \
        postStart: {exec: {command: [sh, -c, 'echo post-start >> /proc/1/fd/1']}}\n      \
        preStop: {exec: {command: [sh, -c, 'echo pre-stop >> /proc/1/fd/1']}}\n";
    let (status, lines) = run_manifest(
        &workspace,
        yaml,
        Some(std::time::Duration::from_millis(500)),
    );
    let at = |wanted: &str| {
        lines
            .iter()
            .position(|line| line == wanted)
            .unwrap_or_else(|| panic!("{wanted} in {lines:?}"))
    };
    assert!(
        at("server: post-start") < at("server: pre-stop"),
        "{lines:?}"
    );
    assert!(
        at("server: pre-stop") < at("server: got TERM"),
        "preStop runs before SIGTERM: {lines:?}"
    );
    // restartPolicy Always, yet the stopped Pod is terminal: its phase is final.
    assert_eq!(status.phase.as_deref(), Some("Succeeded"));
    assert_eq!(terminated(app_status(&status, "server")).exit_code, 0);
}

/// `lab-01 <args>` with its own KUBELAB_HOME; (exit code, stdout, stderr).
/// What a kubelet needs while a Pod runs (the final cluster's kubelet uses these hooks): each
/// status change, and exec targets good for running a command in the container.
#[test]
fn run_pod_reports_status_changes_and_exec_targets_while_it_runs() {
    let workspace = workspace!();
    let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: live}\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: app\n    image: busybox\n    command: [sleep, \"3600\"]\n";
    let manifest = parse_manifest(yaml).unwrap();
    let plan = plan_pod(&manifest.pod, workspace.store()).unwrap();
    let (status_tx, statuses) = mpsc::channel();
    let targets = ExecTargets::default();
    let options = RunOptions {
        helper: helper().to_path_buf(),
        store: workspace.store().clone(),
        pod_dir: workspace.dir.path().join("pod-live"),
        sources: manifest.sources,
        cgroup_root: None,
        timeout: None,
        hooks: RunHooks {
            status: Some(status_tx),
            exec_targets: Some(targets.clone()),
            network: None,
        },
    };
    let runner =
        Running::start(move |shutdown| run_pod(&plan, &options, &shutdown, &mut |_, _| {}));
    let target = labkit::poll_until(
        std::time::Duration::from_secs(30),
        "the running container published as an exec target",
        || targets.lock().unwrap().get("app").cloned(),
    );
    let argv = ["hostname".to_owned()];
    let result = exec_sync(helper(), &target, &argv, std::time::Duration::from_secs(10)).unwrap();
    assert_eq!(result.exit_code, 0, "{result:?}");
    assert_eq!(String::from_utf8_lossy(&result.stdout).trim(), "live");
    let last = runner.finish().unwrap();
    let reported: Vec<corev1::PodStatus> = statuses.try_iter().collect();
    let running = reported
        .iter()
        .find(|status| status.phase.as_deref() == Some("Running"))
        .expect("a Running status was reported while the pod ran");
    assert!(
        app_status(running, "app")
            .state
            .as_ref()
            .unwrap()
            .running
            .is_some()
    );
    // Each report is a change: no two in a row are the same.
    assert!(reported.windows(2).all(|pair| pair[0] != pair[1]));
    assert!(
        targets.lock().unwrap().is_empty(),
        "targets go with the pod"
    );
    assert_ne!(last.phase.as_deref(), Some("Running"));
}

fn lab01(home: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(helper())
        .args(args)
        .env("KUBELAB_HOME", home)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Everything under `dir`, for "nothing left behind" checks.
fn entries(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .flatten()
        .map(|e| e.into_path())
        .collect()
}

#[test]
fn step7_lab01_run_prints_logs_and_the_status_as_json() {
    labkit::require!(labkit::root());
    labkit::require!(labkit::host_binary("busybox", "busybox-static"));
    let home = tempfile::tempdir().unwrap();
    assert_eq!(lab01(home.path(), &["images", "build-busybox"]).0, 0);
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/two-containers.yaml");
    let (code, stdout, stderr) = lab01(
        home.path(),
        &[
            "run",
            example.to_str().unwrap(),
            "--json",
            "--timeout",
            "30s",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("[reader] Hello from the writer container"),
        "{stderr}"
    );
    let status: corev1::PodStatus = serde_json::from_str(&stdout).unwrap();
    assert_eq!(status.phase.as_deref(), Some("Succeeded"));
    assert_eq!(
        entries(&home.path().join("pods")),
        Vec::<PathBuf>::new(),
        "the pod's directory is gone"
    );
}

#[test]
fn step7_lab01_run_refuses_bad_input_and_leaves_nothing_behind() {
    labkit::require!(labkit::root());
    labkit::require!(labkit::host_binary("busybox", "busybox-static"));
    let home = tempfile::tempdir().unwrap();
    assert_eq!(lab01(home.path(), &["images", "build-busybox"]).0, 0);
    let cases = [
        ("kind: Pod\n  bad: [", "not valid YAML"),
        (
            // `Never`: a missing image is an error at once, without asking a registry.
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: nginx:1.27, imagePullPolicy: Never}]}",
            "ErrImageNeverPull: Container image \"nginx:1.27\" is not present",
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: busybox, volumeMounts: [{name: data, mountPath: /d}]}]}",
            "no volume named `data`",
        ),
    ];
    for (yaml, expected) in cases {
        let file = home.path().join("pod.yaml");
        std::fs::write(&file, yaml).unwrap();
        let (code, stdout, stderr) = lab01(home.path(), &["run", file.to_str().unwrap()]);
        assert_eq!(code, 2, "bad input exits 2: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(expected),
            "expected `{expected}`: {stderr}"
        );
        assert_eq!(
            entries(&home.path().join("pods")),
            Vec::<PathBuf>::new(),
            "nothing left for {yaml}"
        );
    }
    let (code, _, stderr) = lab01(home.path(), &["run", "/no/such/pod.yaml"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot read /no/such/pod.yaml"), "{stderr}");
}

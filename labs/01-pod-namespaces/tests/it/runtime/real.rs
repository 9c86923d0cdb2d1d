//! Step 7 for real (root): the CRI-shaped runtime, exec into containers, exits and OOM kills.
//!
//! The runtime owns every process it starts: dropping it (also when a test fails) kills
//! them (the helpers are its children, and their Drop guards kill them), and each cgroup is
//! removed when its container is.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use lab_01::cgroups::{CgroupLimits, CgroupRoot};
use lab_01::config::SandboxConfig;
use lab_01::error::Error;
use lab_01::runtime::{ContainerRequest, Runtime, RuntimeService, RuntimeState};

use crate::pod::fixtures::{TIMEOUT, Workspace, helper, wait_for_log};

/// A runtime with cgroups, a busybox workspace and a running sandbox `pod`; or "not run".
macro_rules! runtime {
    ($pod:expr) => {{
        labkit::require!(labkit::root());
        let busybox = labkit::require!(labkit::host_binary("busybox", "busybox-static"));
        let workspace = Workspace::new(&busybox);
        let mut runtime = Runtime::new(helper(), Some(CgroupRoot::detect().unwrap()));
        let sandbox = runtime.run_pod_sandbox(&SandboxConfig::new($pod)).unwrap();
        (workspace, runtime, sandbox)
    }};
}

/// Creates and starts a shell container; its id.
fn start(
    runtime: &mut Runtime,
    sandbox: &str,
    workspace: &Workspace,
    name: &str,
    script: &str,
) -> String {
    let config = workspace.shell(name, script);
    let id = runtime
        .create_container(
            sandbox,
            ContainerRequest {
                config,
                limits: None,
            },
        )
        .unwrap();
    runtime.start_container(&id).unwrap();
    id
}

/// A container `app` that runs until stopped, once it has started.
fn start_running(runtime: &mut Runtime, sandbox: &str, workspace: &Workspace) -> String {
    let id = start(
        runtime,
        sandbox,
        workspace,
        "app",
        "echo up; while true; do sleep 1; done",
    );
    wait_for_log(&workspace.log_path("app"), "up");
    id
}

fn argv(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn exited(runtime: &mut Runtime, id: &str) -> lab_01::runtime::status::Terminated {
    labkit::poll_until(TIMEOUT, "the container to exit", || {
        match runtime.container_status(id).unwrap() {
            RuntimeState::Exited(run) => Some(run),
            _ => None,
        }
    })
}

#[test]
fn step7_exec_runs_inside_the_container() {
    let (workspace, mut runtime, sandbox) = runtime!("exec-pod");
    let id = start(
        &mut runtime,
        &sandbox,
        &workspace,
        "app",
        "echo only-in-here > /marker; echo up; while true; do sleep 1; done",
    );
    wait_for_log(&workspace.log_path("app"), "up");
    let run = |runtime: &mut Runtime, command: &[&str]| {
        runtime.exec_sync(&id, &argv(command), TIMEOUT).unwrap()
    };
    // Its files (mount namespace), its hostname (UTS), its processes (PID namespace).
    let marker = run(&mut runtime, &["cat", "/marker"]);
    assert_eq!(
        (marker.exit_code, marker.stdout.as_slice()),
        (0, &b"only-in-here\n"[..])
    );
    assert_eq!(run(&mut runtime, &["hostname"]).stdout, b"exec-pod\n");
    let init = run(&mut runtime, &["cat", "/proc/1/cmdline"]);
    assert!(
        init.stdout.starts_with(b"sh\0-c\0"),
        "PID 1 is the container's shell: {:?}",
        String::from_utf8_lossy(&init.stdout)
    );
    // Exit codes and the two streams come back apart.
    let both = run(
        &mut runtime,
        &["sh", "-c", "echo out; echo err >&2; exit 7"],
    );
    assert_eq!(
        (
            both.exit_code,
            both.stdout.as_slice(),
            both.stderr.as_slice()
        ),
        (7, &b"out\n"[..], &b"err\n"[..])
    );
    // A missing command is an answer (127, as in a shell), not a runtime failure.
    assert_eq!(run(&mut runtime, &["no-such-command"]).exit_code, 127);
    // The container's environment is inherited.
    assert_eq!(
        run(&mut runtime, &["sh", "-c", "echo $PATH"]).stdout,
        b"/bin\n"
    );
}

#[test]
fn step7_exec_that_outlives_its_timeout_is_killed() {
    let (workspace, mut runtime, sandbox) = runtime!("exec-timeout");
    let id = start_running(&mut runtime, &sandbox, &workspace);
    let error = runtime
        .exec_sync(&id, &argv(&["sleep", "30"]), Duration::from_millis(300))
        .unwrap_err();
    assert!(matches!(error, Error::ExecTimedOut(_)), "{error:?}");
    // The container itself is untouched.
    assert!(matches!(
        runtime.container_status(&id).unwrap(),
        RuntimeState::Running { .. }
    ));
}

#[test]
fn step7_container_status_reports_exit_codes_and_oom_kills() {
    let (workspace, mut runtime, sandbox) = runtime!("status-pod");
    let id = start(&mut runtime, &sandbox, &workspace, "quitter", "exit 3");
    let run = exited(&mut runtime, &id);
    assert_eq!((run.exit_code, run.oom_killed), (3, false));
    assert!(run.finished_at >= run.started_at);

    // `tail` holds its whole input when it has no newline: 200 MiB against a 16 MiB limit.
    let resources = k8s_openapi::api::core::v1::ResourceRequirements {
        limits: Some([("memory".to_owned(), Quantity("16Mi".into()))].into()),
        ..Default::default()
    };
    let limits = CgroupLimits::from_resources(&resources).unwrap();
    let config = workspace.shell("hog", "head -c 209715200 /dev/zero | tail");
    let hog = runtime
        .create_container(
            &sandbox,
            ContainerRequest {
                config,
                limits: Some(limits),
            },
        )
        .unwrap();
    runtime.start_container(&hog).unwrap();
    let run = exited(&mut runtime, &hog);
    assert_eq!(
        (run.exit_code, run.oom_killed),
        (137, true),
        "{}",
        crate::pod::fixtures::read_log(&workspace.log_path("hog"))
    );
}

#[test]
fn step7_stop_container_asks_then_insists() {
    let (workspace, mut runtime, sandbox) = runtime!("stop-pod");
    // One that leaves on SIGTERM, one that ignores it.
    let polite = start(
        &mut runtime,
        &sandbox,
        &workspace,
        "polite",
        "trap 'exit 0' TERM; echo up; sleep 100 & wait",
    );
    let stubborn = start(
        &mut runtime,
        &sandbox,
        &workspace,
        "stubborn",
        "trap '' TERM; echo up; while true; do sleep 1; done",
    );
    wait_for_log(&workspace.log_path("polite"), "up");
    wait_for_log(&workspace.log_path("stubborn"), "up");
    runtime.stop_container(&polite, TIMEOUT).unwrap();
    assert!(
        matches!(runtime.container_status(&polite).unwrap(), RuntimeState::Exited(run) if run.exit_code == 0)
    );
    runtime
        .stop_container(&stubborn, Duration::from_millis(200))
        .unwrap();
    assert!(
        matches!(runtime.container_status(&stubborn).unwrap(), RuntimeState::Exited(run) if run.exit_code == 137)
    );
    // Stopping twice is fine; starting again is not: a restart is a new container.
    runtime.stop_container(&polite, TIMEOUT).unwrap();
    let again = runtime.start_container(&polite).unwrap_err();
    assert!(again.to_string().contains("create a new one"), "{again}");
}

#[test]
fn step7_the_runtime_refuses_what_does_not_fit_the_state() {
    let (workspace, mut runtime, sandbox) = runtime!("state-pod");
    let id = start_running(&mut runtime, &sandbox, &workspace);
    let error = runtime.remove_container(&id).unwrap_err();
    assert!(error.to_string().contains("stop it first"), "{error}");
    assert!(matches!(
        runtime.container_status("nope"),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        runtime.stop_pod_sandbox("nope"),
        Err(Error::NotFound { .. })
    ));
    // Removing the sandbox stops and removes what is in it.
    runtime.remove_pod_sandbox(&sandbox).unwrap();
    assert!(matches!(
        runtime.container_status(&id),
        Err(Error::NotFound { .. })
    ));
}

//! Steps 2 and 3 without root: the plans of a sandbox and of containers, run through the
//! recording fake and compared with reviewed snapshots (each line is one system call, written
//! as `strace` would print it). The paths are fixed, made-up ones: a plan is pure, so it only
//! ever contains what its config says.

use std::path::{Path, PathBuf};

use lab_01::config::{ContainerConfig, MountSpec, SandboxConfig};
use lab_01::container::plan::{join_sandbox, minimal_dev, pivot_root, volume_mounts};
use lab_01::plan::{Op, Outcome, execute};
use lab_01::sandbox::SandboxNamespaces;
use lab_01::syscalls::RecordingSyscalls;
use lab_01::{container, sandbox};

use super::snapshot;

/// The pid the made-up sandbox's pause process has.
const PAUSE_PID: i32 = 4242;
/// The pod's state directory (short, so the snapshots stay readable).
const POD_DIR: &str = "/pods/two-containers";

/// Runs `plan` through the recording fake; the transcript, with how the plan ended.
fn transcript(plan: &[Op]) -> String {
    let mut syscalls = RecordingSyscalls::new();
    let outcome = execute(plan, &mut syscalls).expect("the fake never fails unless asked");
    format!("{}=> {outcome:?}\n", syscalls.transcript())
}

fn rootfs(name: &str) -> PathBuf {
    Path::new(POD_DIR).join(name).join("rootfs")
}

/// The seed's two-containers pod: a writer and a reader sharing an emptyDir, as configs.
fn two_containers() -> (SandboxConfig, Vec<ContainerConfig>) {
    let shared = Path::new(POD_DIR).join("volumes/kubernetes.io~empty-dir/shared-data");
    let container = |name: &str, mount_path: &str, script: &str| ContainerConfig {
        name: name.to_owned(),
        rootfs: rootfs(name),
        command: vec!["/bin/sh".to_owned()],
        args: vec!["-c".to_owned(), script.to_owned()],
        env: vec![("PATH".to_owned(), "/bin".to_owned())],
        working_dir: None,
        mounts: vec![MountSpec {
            host_path: shared.clone(),
            container_path: mount_path.into(),
            read_only: false,
        }],
        log_path: Path::new(POD_DIR).join(format!("logs/{name}.log")),
        cgroup_procs: vec![format!("/sys/fs/cgroup/pids/kubelab/{name}/cgroup.procs").into()],
    };
    let containers = vec![
        container(
            "nginx-container",
            "/usr/share/nginx/html",
            "until [ -f /usr/share/nginx/html/index.html ]; do sleep 0.1; done; cat /usr/share/nginx/html/index.html",
        ),
        container(
            "debian-container",
            "/pod-data",
            "echo Hello from the debian container > /pod-data/index.html",
        ),
    ];
    (SandboxConfig::new("two-containers"), containers)
}

#[test]
fn step2_sandbox_plan_makes_net_ipc_uts_names_the_host_and_brings_lo_up() {
    let config = SandboxConfig::new("web-0");
    snapshot!(transcript(&sandbox::plan(&config)));
}

#[test]
fn step2_shared_process_namespace_adds_a_pid_namespace_and_forks_its_pid_1() {
    let config = SandboxConfig {
        share_process_namespace: true,
        ..SandboxConfig::new("web-0")
    };
    let plan = sandbox::plan(&config);
    // The fake answers fork() as the child would: the plan ends as PID 1 of the new namespace.
    assert_eq!(plan.last(), Some(&Op::Fork));
    snapshot!(transcript(&plan));
}

#[test]
fn step2_sandbox_hostname_comes_from_the_config() {
    let config = SandboxConfig {
        hostname: "custom-host".to_owned(),
        ..SandboxConfig::new("web-0")
    };
    assert!(
        sandbox::plan(&config).contains(&Op::SetHostname("custom-host".to_owned())),
        "the hostname is the config's hostname, not necessarily the pod's name"
    );
}

#[test]
fn step3_container_joins_the_sandbox_namespaces_then_forks() {
    let unshared = SandboxNamespaces::of_process(PAUSE_PID, false);
    let shared = SandboxNamespaces::of_process(PAUSE_PID, true);
    snapshot!(format!(
        "# pod without shareProcessNamespace: a PID namespace of its own\n{}\n\
         # pod with shareProcessNamespace: the pause process's PID namespace\n{}",
        transcript(&join_sandbox(&unshared)),
        transcript(&join_sandbox(&shared))
    ));
}

#[test]
fn step3_minimal_dev_binds_six_devices_and_adds_pts_shm_and_links() {
    snapshot!(transcript(&minimal_dev(&rootfs("app"))));
}

#[test]
fn step3_volumes_are_bind_mounts_remounted_read_only_when_asked() {
    let mounts = [
        MountSpec {
            host_path: format!("{POD_DIR}/volumes/kubernetes.io~empty-dir/cache").into(),
            container_path: "/var/cache/app".into(),
            read_only: false,
        },
        MountSpec {
            host_path: format!("{POD_DIR}/volumes/kubernetes.io~configmap/settings").into(),
            container_path: "/etc/app".into(),
            read_only: true,
        },
    ];
    snapshot!(transcript(&volume_mounts(&rootfs("app"), &mounts)));
}

#[test]
fn step3_pivot_root_makes_the_rootfs_root_and_detaches_the_host() {
    snapshot!(transcript(&pivot_root(&rootfs("app"))));
}

#[test]
fn step3_pod_plan_of_the_two_containers_example() {
    let (sandbox_config, containers) = two_containers();
    let namespaces = SandboxNamespaces::of_process(PAUSE_PID, false);
    let mut text = format!(
        "# the sandbox: pause process\n{}",
        transcript(&sandbox::plan(&sandbox_config))
    );
    for config in &containers {
        text.push_str(&format!(
            "\n# container {}\n{}",
            config.name,
            transcript(&container::plan(config, &namespaces))
        ));
    }
    snapshot!(text);
}

#[test]
fn step3_container_plan_forks_before_mounting_and_execs_last() {
    let (_, containers) = two_containers();
    let plan = container::plan(
        &containers[1],
        &SandboxNamespaces::of_process(PAUSE_PID, true),
    );
    let position = |wanted: &dyn Fn(&Op) -> bool| plan.iter().position(wanted).unwrap();
    let fork = position(&|op| *op == Op::Fork);
    let first_mount = position(&|op| matches!(op, Op::Mount(_)));
    let cgroup = position(&|op| matches!(op, Op::JoinCgroup(_)));
    let pivot = position(&|op| matches!(op, Op::PivotRoot { .. }));
    assert!(
        fork < cgroup,
        "the child joins the cgroups, not the supervisor"
    );
    assert!(
        cgroup < pivot,
        "cgroup.procs is a host path: write it before pivot_root"
    );
    assert!(
        fork < first_mount,
        "/proc must be mounted from inside the new PID namespace"
    );
    assert!(
        matches!(plan.last(), Some(Op::Exec { argv, .. }) if argv[0] == "/bin/sh" && argv.len() == 3),
        "the plan ends with execve(command + args): {:?}",
        plan.last()
    );
}

#[test]
fn step3_a_failing_call_stops_the_plan_and_is_named_in_the_error() {
    let (_, containers) = two_containers();
    let plan = container::plan(
        &containers[1],
        &SandboxNamespaces::of_process(PAUSE_PID, false),
    );
    let mut syscalls = RecordingSyscalls::failing_at("pivot_root(", 22); // EINVAL
    let error = execute(&plan, &mut syscalls).unwrap_err();
    let message = lab_01::error::chain(&error);
    assert!(
        message.starts_with("pivot_root(\".\", \".\") failed: Invalid argument"),
        "{message}"
    );
    assert!(
        syscalls.calls().last().unwrap().starts_with("pivot_root("),
        "nothing runs after the failing call: {:?}",
        syscalls.calls()
    );
}

#[test]
fn plans_travel_to_the_helper_as_json_unchanged() {
    let (sandbox_config, containers) = two_containers();
    let plan = container::plan(
        &containers[0],
        &SandboxNamespaces::of_process(PAUSE_PID, true),
    );
    let json = serde_json::to_string(&plan).unwrap();
    let back: Vec<Op> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, plan);
    let mut syscalls = RecordingSyscalls::new();
    assert_eq!(
        execute(&sandbox::plan(&sandbox_config), &mut syscalls).unwrap(),
        Outcome::Finished
    );
}

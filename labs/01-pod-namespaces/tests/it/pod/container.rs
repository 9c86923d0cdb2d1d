//! Step 3 for real: busybox containers in a real sandbox, as root.
//!
//! Every container writes what it sees to its log file; the tests read the logs. Handles are
//! Drop guards: a failing test still kills its processes, and the mounts live in the
//! containers' own mount namespaces, so they vanish with them.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1 as corev1;
use lab_01::config::{ContainerConfig, MountSpec, SandboxConfig};
use lab_01::container::{Container, ContainerHandle};
use lab_01::error::Error;
use lab_01::sandbox::{Sandbox, SandboxHandle};
use lab_01::volume::{VolumeSources, container_mounts, prepare_volumes};
use nix::sys::signal::Signal;

use super::fixtures::{Workspace, helper, namespace_id, read_log, wait_for_log};

/// A workspace with busybox and a started sandbox, or "not run" when this machine cannot.
macro_rules! pod {
    ($name:expr, $share:expr) => {{
        labkit::require!(labkit::root());
        let busybox = labkit::require!(labkit::host_binary("busybox", "busybox-static"));
        let workspace = Workspace::new(&busybox);
        let sandbox = Sandbox::start(
            helper(),
            &SandboxConfig {
                share_process_namespace: $share,
                ..SandboxConfig::new($name)
            },
        )
        .unwrap();
        (workspace, sandbox)
    }};
}

fn start(sandbox: &SandboxHandle, config: &ContainerConfig) -> ContainerHandle {
    Container::start(helper(), sandbox, config).unwrap()
}

/// Runs a container to its end; its exit code and log.
fn run(sandbox: &SandboxHandle, config: &ContainerConfig) -> (i32, String) {
    let mut container = start(sandbox, config);
    let code = container.wait().unwrap();
    (code, read_log(&config.log_path))
}

#[test]
fn step3_containers_of_a_pod_share_its_network_namespace() {
    let (workspace, sandbox) = pod!("net-share", false);
    let script = "readlink /proc/self/ns/net";
    let (code_a, log_a) = run(&sandbox, &workspace.shell("a", script));
    let (code_b, log_b) = run(&sandbox, &workspace.shell("b", script));
    assert_eq!((code_a, code_b), (0, 0), "logs: {log_a} / {log_b}");
    let pod_net = namespace_id(&sandbox.namespaces().net);
    assert_eq!(log_a.trim(), pod_net);
    assert_eq!(log_b.trim(), pod_net);
    assert_ne!(pod_net, namespace_id("/proc/self/ns/net"));
    sandbox.stop().unwrap();
}

#[test]
fn step3_containers_talk_over_localhost() {
    let (workspace, sandbox) = pod!("localhost", false);
    // The port is free for sure: the pod has a network namespace of its own. The server's
    // stdin is a pipe that stays open: at end of input busybox nc closes its sending half, and
    // a client that saw that first would quit before sending anything.
    let mut server = start(
        &sandbox,
        &workspace.shell("server", "sleep 3600 | nc -l -p 8080"),
    );
    let client = workspace.shell(
        "client",
        "until echo hello over localhost | nc 127.0.0.1 8080; do sleep 0.1; done",
    );
    let mut client = start(&sandbox, &client);
    wait_for_log(&workspace.log_path("server"), "hello over localhost\n");
    // The server's nc exits when the client hangs up, and the client when the server does.
    assert_eq!(client.wait().unwrap(), 0);
    server.kill(Signal::SIGKILL).unwrap();
    assert_eq!(server.wait().unwrap(), 128 + 9);
    sandbox.stop().unwrap();
}

/// The seed's two-containers example, with an emptyDir and busybox in both containers.
const TWO_CONTAINERS: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: two-containers
spec:
  restartPolicy: Never
  volumes:
  - name: shared-data
    emptyDir: {}
  containers:
  - name: nginx-container
    image: busybox
    volumeMounts:
    - name: shared-data
      mountPath: /usr/share/nginx/html
    command: ["sh", "-c"]
    args: ["until [ -f /usr/share/nginx/html/index.html ]; do sleep 0.1; done; cat /usr/share/nginx/html/index.html"]
  - name: debian-container
    image: busybox
    volumeMounts:
    - name: shared-data
      mountPath: /pod-data
    command: ["/bin/sh"]
    args: ["-c", "echo Hello from the debian container > /pod-data/index.html"]
"#;

#[test]
fn step3_writer_and_reader_share_files_through_an_empty_dir() {
    let (workspace, sandbox) = pod!("two-containers", false);
    let pod: corev1::Pod = serde_yaml::from_str(TWO_CONTAINERS).unwrap();
    let spec = pod.spec.unwrap();
    let volumes = prepare_volumes(
        spec.volumes.as_deref().unwrap_or_default(),
        &workspace.pod_dir(),
        &VolumeSources::default(),
    )
    .unwrap();
    let mut handles = Vec::new();
    for container in &spec.containers {
        let config = ContainerConfig {
            name: container.name.clone(),
            rootfs: workspace.rootfs(&container.name),
            command: container.command.clone().unwrap_or_default(),
            args: container.args.clone().unwrap_or_default(),
            mounts: container_mounts(container, &volumes).unwrap(),
            log_path: workspace.log_path(&container.name),
            ..ContainerConfig::default()
        };
        handles.push(start(&sandbox, &config));
    }
    for handle in &mut handles {
        assert_eq!(handle.wait().unwrap(), 0, "{}", handle.name());
    }
    assert_eq!(
        read_log(&workspace.log_path("nginx-container")),
        "Hello from the debian container\n"
    );
    let on_host = workspace
        .pod_dir()
        .join("volumes/kubernetes.io~empty-dir/shared-data/index.html");
    assert!(on_host.is_file(), "one host directory behind both mounts");
    sandbox.stop().unwrap();
}

/// Starts a `sleep` in one container and runs `ps` in another; the `ps` output.
fn ps_beside_a_sleeper(workspace: &Workspace, sandbox: &SandboxHandle) -> String {
    let mut sleeper = start(sandbox, &workspace.shell("sleeper", "exec sleep 123"));
    let (code, log) = run(sandbox, &workspace.shell("looker", "ps -o pid,args"));
    assert_eq!(code, 0, "{log}");
    sleeper.kill(Signal::SIGKILL).unwrap();
    assert_eq!(sleeper.wait().unwrap(), 128 + 9, "killed by SIGKILL");
    log
}

#[test]
fn step3_processes_are_visible_across_containers_only_with_shared_pid_namespace() {
    {
        let (workspace, sandbox) = pod!("not-shared", false);
        let ps = ps_beside_a_sleeper(&workspace, &sandbox);
        assert!(!ps.contains("sleep 123"), "{ps}");
        // Alone in its PID namespace: the container's own command is PID 1.
        assert!(
            ps.lines()
                .any(|line| line.split_whitespace().next() == Some("1")
                    && line.contains("ps -o pid,args")),
            "{ps}"
        );
        sandbox.stop().unwrap();
    }
    let (workspace, sandbox) = pod!("shared", true);
    let ps = ps_beside_a_sleeper(&workspace, &sandbox);
    assert!(ps.contains("sleep 123"), "{ps}");
    // PID 1 is the pause process (the lab-01 binary, in its `__sandbox` role).
    assert!(
        ps.lines()
            .any(|line| line.split_whitespace().next() == Some("1") && line.contains("__sandbox")),
        "{ps}"
    );
    sandbox.stop().unwrap();
}

#[test]
fn step3_a_container_sees_only_its_image_at_root() {
    let (workspace, sandbox) = pod!("rootless", false);
    let config = workspace.shell("lister", "ls -1 /");
    let (code, log) = run(&sandbox, &config);
    assert_eq!(code, 0, "{log}");
    let seen: BTreeSet<&str> = log.lines().collect();
    let image: BTreeSet<String> = fs::read_dir(&config.rootfs)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        seen,
        image.iter().map(String::as_str).collect(),
        "`ls /` in the container is the rootfs"
    );
    // And nothing of the host's root: whatever the host has at `/` that the image lacks (the
    // checkout's own top directory, `/boot`, `/opt`, ...) must be invisible in the container.
    let host_root: BTreeSet<String> = fs::read_dir("/")
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    let host_only: Vec<&String> = host_root.difference(&image).collect();
    assert!(
        !host_only.is_empty(),
        "the host's / has nothing the image lacks: {host_root:?}"
    );
    for name in host_only {
        assert!(
            !seen.contains(name.as_str()),
            "/{name} of the host is visible: {log}"
        );
    }
    sandbox.stop().unwrap();
}

#[test]
fn step3_command_runs_with_its_env_working_dir_hostname_and_devices() {
    let (workspace, sandbox) = pod!("envy", false);
    let mut config = workspace.shell(
        "envy",
        "echo \"greeting=$GREETING\"; echo \"pwd=$(pwd)\"; echo \"hostname=$(hostname)\"; \
         echo discarded > /dev/null && echo null-ok; head -c 4 /dev/zero | wc -c; \
         echo to-stderr >&2; echo via-dev-stderr >> /dev/stderr; ls /dev | tr '\\n' ' '",
    );
    config.env.push(("GREETING".to_owned(), "hello".to_owned()));
    config.working_dir = Some(PathBuf::from("/work/dir"));
    let (code, log) = run(&sandbox, &config);
    assert_eq!(code, 0, "{log}");
    for line in [
        "greeting=hello",
        "pwd=/work/dir",
        "hostname=envy",
        "null-ok",
        "4",
        "to-stderr",
        // `>>`: the log is a file, and `>` on /dev/stderr would reopen and truncate it.
        "via-dev-stderr",
    ] {
        assert!(log.lines().any(|l| l == line), "`{line}` in:\n{log}");
    }
    let dev: BTreeSet<&str> = log.lines().last().unwrap().split_whitespace().collect();
    let expected = [
        "fd", "full", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty",
        "urandom", "zero",
    ];
    assert_eq!(dev, expected.into_iter().collect(), "a minimal /dev");
    sandbox.stop().unwrap();
}

#[test]
fn step3_a_read_only_volume_refuses_writes() {
    let (workspace, sandbox) = pod!("read-only", false);
    let host_dir = workspace.dir.path().join("settings");
    fs::create_dir(&host_dir).unwrap();
    fs::write(host_dir.join("greeting"), "hello\n").unwrap();
    let mut config = workspace.shell(
        "reader",
        "cat /etc/app/greeting; echo changed > /etc/app/greeting; echo \"write exit $?\"",
    );
    config.mounts.push(MountSpec {
        host_path: host_dir.clone(),
        container_path: "/etc/app".into(),
        read_only: true,
    });
    let (code, log) = run(&sandbox, &config);
    assert_eq!(code, 0, "{log}");
    assert!(log.starts_with("hello\n"), "{log}");
    assert!(log.contains("Read-only file system"), "{log}");
    assert!(log.ends_with("write exit 1\n"), "{log}");
    assert_eq!(
        fs::read_to_string(host_dir.join("greeting")).unwrap(),
        "hello\n"
    );
    sandbox.stop().unwrap();
}

#[test]
fn step3_a_missing_command_is_reported_with_exit_code_127() {
    let (workspace, sandbox) = pod!("missing", false);
    for (command, says) in [
        ("/bin/no-such-command", "No such file or directory"),
        ("no-such-command", "executable file not found"),
    ] {
        let config = ContainerConfig {
            command: vec![command.to_owned()],
            ..workspace.shell("missing", "")
        };
        let config = ContainerConfig {
            args: Vec::new(),
            ..config
        };
        let error = Container::start(helper(), &sandbox, &config).unwrap_err();
        let Error::ContainerStart {
            reason, exit_code, ..
        } = &error
        else {
            panic!("not a start error: {error}");
        };
        assert_eq!(*exit_code, Some(127), "{error}");
        assert!(reason.contains(command) && reason.contains(says), "{error}");
        assert!(
            read_log(&config.log_path).contains(says),
            "and in the container's log"
        );
        fs::remove_dir_all(&config.rootfs).unwrap();
    }
    sandbox.stop().unwrap();
}

#[test]
fn step3_exit_codes_and_signals_come_back_as_kubernetes_reports_them() {
    let (workspace, sandbox) = pod!("codes", true);
    let (code, _) = run(&sandbox, &workspace.shell("three", "exit 3"));
    assert_eq!(code, 3);
    // In a shared PID namespace the command is not PID 1, so SIGTERM's default action applies.
    let mut sleeper = start(&sandbox, &workspace.shell("sleeper", "exec sleep 300"));
    assert_eq!(sleeper.try_wait().unwrap(), None, "still running");
    sleeper.kill(Signal::SIGTERM).unwrap();
    assert_eq!(sleeper.wait().unwrap(), 128 + 15);
    sandbox.stop().unwrap();
}

/// A cgroup made for one test, removed when the test ends.
struct TestCgroup(PathBuf);

impl Drop for TestCgroup {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.0);
    }
}

#[test]
fn step3_container_joins_the_cgroups_it_is_given() {
    let (workspace, sandbox) = pod!("grouped", false);
    // The pids controller is enough to see membership: v1 has it at pids/, v2 at the root.
    let hierarchy = ["/sys/fs/cgroup/pids", "/sys/fs/cgroup"]
        .into_iter()
        .map(Path::new)
        .find(|dir| dir.join("cgroup.procs").is_file())
        .expect("a cgroup hierarchy");
    let name = format!("kubelab-step3-{}", std::process::id());
    let cgroup = TestCgroup(hierarchy.join(&name));
    fs::create_dir(&cgroup.0).unwrap();
    let mut config = workspace.shell("grouped", "cat /proc/self/cgroup");
    config.cgroup_procs.push(cgroup.0.join("cgroup.procs"));
    let (code, log) = run(&sandbox, &config);
    assert_eq!(code, 0, "{log}");
    assert!(
        log.lines().any(|line| line.ends_with(&format!(":/{name}"))),
        "the container's process is in {name}: {log}"
    );
    sandbox.stop().unwrap();
}

//! Step 2 for real: the pause process, its namespaces, its hostname, its loopback, its reaping.
//!
//! These need real root (this runtime does not create a user namespace first). Each test ends
//! with `stop()`, which fails with the pause process's stderr if it died on the way, so a panic
//! in the pause loop shows up here with its message.

use std::process::{Command, Stdio};

use lab_01::config::SandboxConfig;
use lab_01::sandbox::{Sandbox, SandboxHandle};

use super::fixtures::{TIMEOUT, children_of, helper, is_running, namespace_id, nsenter};

fn start(config: &SandboxConfig) -> SandboxHandle {
    Sandbox::start(helper(), config).unwrap()
}

#[test]
fn step2_sandbox_holds_new_net_ipc_and_uts_namespaces() {
    labkit::require!(labkit::root());
    let sandbox = start(&SandboxConfig::new("holder"));
    let ours = |kind: &str| namespace_id(format!("/proc/self/ns/{kind}"));
    let namespaces = sandbox.namespaces();
    for (kind, path) in [
        ("net", &namespaces.net),
        ("ipc", &namespaces.ipc),
        ("uts", &namespaces.uts),
    ] {
        assert_eq!(
            *path,
            std::path::PathBuf::from(format!("/proc/{}/ns/{kind}", sandbox.pid()))
        );
        assert_ne!(
            namespace_id(path),
            ours(kind),
            "the sandbox has its own {kind}"
        );
    }
    assert_eq!(namespaces.pid, None, "no shared PID namespace unless asked");
    assert_eq!(
        namespace_id(format!("/proc/{}/ns/pid", sandbox.pid())),
        ours("pid"),
        "without shareProcessNamespace the pause process stays in our PID namespace"
    );
    sandbox.stop().unwrap();
}

#[test]
fn step2_hostname_inside_is_the_pod_name_and_outside_unchanged() {
    labkit::require!(labkit::root());
    labkit::require!(labkit::host_binary("nsenter", "util-linux"));
    let before = nix::unistd::gethostname().unwrap();
    let sandbox = start(&SandboxConfig::new("web-0"));
    assert_eq!(
        nsenter(sandbox.pid(), &["--uts"], &["uname", "-n"]),
        "web-0\n"
    );
    assert_eq!(nix::unistd::gethostname().unwrap(), before);
    sandbox.stop().unwrap();
}

#[test]
fn step2_loopback_is_up_inside_the_sandbox() {
    labkit::require!(labkit::root());
    labkit::require!(labkit::host_binary("nsenter", "util-linux"));
    let busybox = labkit::require!(labkit::host_binary("busybox", "busybox-static"));
    let sandbox = start(&SandboxConfig::new("loopback"));
    let busybox = busybox.to_str().unwrap();
    let link = nsenter(
        sandbox.pid(),
        &["--net"],
        &[busybox, "ip", "link", "show", "lo"],
    );
    // `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 ...`
    let flags = link.split(['<', '>']).nth(1).unwrap_or_default();
    assert!(flags.split(',').any(|flag| flag == "UP"), "{link}");
    // And it is the only interface: a new network namespace has nothing else.
    let all = nsenter(sandbox.pid(), &["--net"], &[busybox, "ip", "-o", "link"]);
    assert_eq!(all.lines().count(), 1, "{all}");
    sandbox.stop().unwrap();
}

#[test]
fn step2_shared_pid_namespace_has_pause_as_pid_1_reaping_orphans() {
    labkit::require!(labkit::root());
    labkit::require!(labkit::host_binary("nsenter", "util-linux"));
    let busybox = labkit::require!(labkit::host_binary("busybox", "busybox-static"));
    let sandbox = start(&SandboxConfig {
        share_process_namespace: true,
        ..SandboxConfig::new("reaper")
    });
    let pause = sandbox.pid();
    let pid_namespace = sandbox
        .namespaces()
        .pid
        .clone()
        .expect("a shared PID namespace");
    assert_ne!(
        namespace_id(&pid_namespace),
        namespace_id("/proc/self/ns/pid")
    );
    // Inside, pause is PID 1: its status lists its pid in each namespace, ours first.
    let status = std::fs::read_to_string(format!("/proc/{pause}/status")).unwrap();
    let nspid = status.lines().find(|l| l.starts_with("NSpid:")).unwrap();
    assert_eq!(nspid.split_whitespace().last(), Some("1"), "{nspid}");

    // A shell in the pod's PID namespace starts `sleep` in the background and exits at once:
    // the sleep is orphaned and re-parented to the namespace's PID 1, the pause process.
    let busybox = busybox.to_str().unwrap();
    let status = Command::new("nsenter")
        .arg(format!("--target={pause}"))
        // nsenter forks by itself when it enters a PID namespace: its child is inside.
        .args(["--pid", "--", busybox, "sh", "-c", "sleep 2 &"])
        // Not piped: the background sleep would keep a pipe open, and reading it to its end
        // would wait for the sleep.
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "nsenter: {status}");
    let orphans = children_of(pause);
    assert!(
        !orphans.is_empty(),
        "the orphaned sleep is pause's child now"
    );
    // When it exits, pause must reap it: a zombie keeps its /proc entry until then.
    labkit::poll_until(TIMEOUT, "the orphan to be reaped", || {
        orphans
            .iter()
            .all(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists())
            .then_some(())
    });
    // Still alive after reaping, and still stops cleanly: `stop` fails (with pause's stderr)
    // if it died on the way.
    sandbox.stop().unwrap();
}

#[test]
fn step2_stop_ends_pause_cleanly_and_the_namespaces_go_with_it() {
    labkit::require!(labkit::root());
    for share_process_namespace in [false, true] {
        let sandbox = start(&SandboxConfig {
            share_process_namespace,
            ..SandboxConfig::new("stopper")
        });
        let pid = sandbox.pid();
        sandbox
            .stop()
            .expect("pause exits with status 0 on SIGTERM");
        assert!(!is_running(pid), "the namespace holder is gone");
    }
}

#[test]
fn step2_dropping_a_sandbox_kills_its_pause_process() {
    labkit::require!(labkit::root());
    let sandbox = start(&SandboxConfig {
        share_process_namespace: true,
        ..SandboxConfig::new("dropped")
    });
    let pid = sandbox.pid();
    drop(sandbox);
    // The holder is the supervisor's child: it dies by PDEATHSIG, a moment after.
    labkit::poll_until(TIMEOUT, "the pause process to die", || {
        (!is_running(pid)).then_some(())
    });
}

#[test]
fn step2_an_invalid_hostname_is_refused_before_anything_starts() {
    let error = Sandbox::start(
        helper(),
        &SandboxConfig {
            hostname: "Not_A_Hostname".to_owned(),
            ..SandboxConfig::new("bad")
        },
    )
    .unwrap_err();
    assert!(error.is_bad_input());
    assert!(
        error
            .to_string()
            .starts_with("hostname: `Not_A_Hostname` is not a valid hostname"),
        "{error}"
    );
}

//! Step 4 tests on this machine's real cgroups (root only): limits in the files, a process
//! joining, an OOM kill, a fork loop stopped, and removal with processes still inside.
//!
//! Every test makes its own pod uid (test name + pid), so parallel tests and parallel runs
//! never share a cgroup, and holds its cgroup and its child process in values whose `Drop`
//! kills and removes them, so a failing test leaves nothing behind either.

use std::io::{Read as _, Write as _};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use lab_01::cgroups::cgroup::flat_keyed;
use lab_01::cgroups::{Cgroup, CgroupLimits, CgroupRoot, Controller};

use super::resources;

/// How long any process of these tests may take to do its one thing.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A pod uid no other test or test run uses.
fn pod_uid(test: &str) -> String {
    format!("{test}-{}", std::process::id())
}

/// A `sh` child that waits for a line on stdin before running `script`, so the test can put it
/// in a cgroup *before* it forks anything. Killed and reaped on drop.
struct Script {
    child: Child,
}

impl Script {
    fn spawn(script: &str) -> Self {
        let child = Command::new("sh")
            .args(["-c", &format!("read go; {script}")])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sh");
        Self { child }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Lets the script run.
    fn go(&mut self) {
        let mut stdin = self.child.stdin.take().expect("stdin");
        stdin.write_all(b"go\n").expect("write to sh");
    }

    /// Waits (polling, with a deadline) for the script's `sh` to exit.
    fn exit_status(&mut self) -> ExitStatus {
        labkit::poll_until(TIMEOUT, "the script to exit", || {
            self.child.try_wait().expect("wait for sh")
        })
    }

    fn stderr(&mut self) -> String {
        let mut text = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            stderr.read_to_string(&mut text).expect("read stderr");
        }
        text
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of a cgroup file, trimmed.
fn read(cgroup: &Cgroup, controller: Controller, file: &str) -> String {
    let path = cgroup.dir(controller).join(file);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
        .trim()
        .to_owned()
}

#[test]
fn step4_a_process_joins_and_the_limit_files_hold_the_values() {
    labkit::require!(labkit::root());
    let root = CgroupRoot::detect().unwrap();
    let uid = pod_uid("joins");
    let limits = CgroupLimits::from_resources(&resources(&[
        ("requests.cpu", "250m"),
        ("limits.cpu", "500m"),
        ("limits.memory", "64Mi"),
    ]))
    .unwrap()
    .with_pids_limit(20);
    let cgroup = Cgroup::create(&root, &uid, "app", &limits).unwrap();
    let mut script = Script::spawn("exec sleep 30");
    cgroup.add_process(script.pid()).unwrap();
    script.go();

    for procs in cgroup.procs_files() {
        let pids = std::fs::read_to_string(&procs).unwrap();
        assert!(
            pids.lines().any(|line| line == script.pid().to_string()),
            "{} lists {pids:?}",
            procs.display()
        );
    }
    // The process's own view: one line per hierarchy, `id:controllers:path`.
    let own = std::fs::read_to_string(format!("/proc/{}/cgroup", script.pid())).unwrap();
    let suffix = format!("/kubelab/{uid}/app");
    let in_ours = |controller: &str| {
        own.lines().any(|line| {
            let mut fields = line.splitn(3, ':');
            let (_, controllers, path) = (fields.next(), fields.next(), fields.next());
            let listed = match cgroup.version() {
                1 => controllers.is_some_and(|c| c.split(',').any(|c| c == controller)),
                _ => controllers == Some(""),
            };
            listed && path.is_some_and(|path| path.ends_with(&suffix))
        })
    };
    for controller in ["cpu", "memory", "pids"] {
        assert!(in_ours(controller), "{controller} not {suffix} in:\n{own}");
    }

    assert_eq!(read(&cgroup, Controller::Pids, "pids.max"), "20");
    if cgroup.version() == 1 {
        assert_eq!(read(&cgroup, Controller::Cpu, "cpu.shares"), "256");
        assert_eq!(
            read(&cgroup, Controller::Cpu, "cpu.cfs_period_us"),
            "100000"
        );
        assert_eq!(read(&cgroup, Controller::Cpu, "cpu.cfs_quota_us"), "50000");
        assert_eq!(
            read(&cgroup, Controller::Memory, "memory.limit_in_bytes"),
            "67108864"
        );
    } else {
        assert_eq!(read(&cgroup, Controller::Cpu, "cpu.weight"), "10");
        assert_eq!(read(&cgroup, Controller::Cpu, "cpu.max"), "50000 100000");
        assert_eq!(read(&cgroup, Controller::Memory, "memory.max"), "67108864");
    }
}

#[test]
fn step4_a_memory_hog_is_oom_killed_and_reported() {
    labkit::require!(labkit::root());
    let root = CgroupRoot::detect().unwrap();
    let limits = CgroupLimits::from_resources(&resources(&[("limits.memory", "16Mi")])).unwrap();
    let cgroup = Cgroup::create(&root, &pod_uid("oom"), "hog", &limits).unwrap();
    // `tail` keeps the last lines of its input in memory, and /dev/zero has no newline: it
    // tries to hold all 200 MiB. The shell, `head` and `tail` are all in the cgroup.
    let mut script = Script::spawn("head -c 209715200 /dev/zero | tail");
    cgroup.add_process(script.pid()).unwrap();
    assert!(!cgroup.oom_killed().unwrap(), "nothing ran yet");
    script.go();
    let status = script.exit_status();
    // Only the hog was killed: the shell survived to report its pipeline's end by SIGKILL
    // (128 + 9), which is what a runtime sees when a container's main process is OOM-killed.
    assert_eq!(status.code(), Some(137), "{status:?}: {}", script.stderr());
    assert!(cgroup.oom_killed().unwrap(), "the OOM counter went up");
}

#[test]
fn step4_a_pids_limit_stops_a_fork_loop() {
    labkit::require!(labkit::root());
    let root = CgroupRoot::detect().unwrap();
    let limits = CgroupLimits::default().with_pids_limit(5);
    let cgroup = Cgroup::create(&root, &pod_uid("pids"), "forker", &limits).unwrap();
    let mut script =
        Script::spawn("i=0; while [ $i -lt 20 ]; do sleep 30 & i=$((i+1)); done; wait");
    cgroup.add_process(script.pid()).unwrap();
    script.go();
    // The kernel counts refused forks in pids.events: `max <n>`.
    labkit::poll_until(TIMEOUT, "a fork refused by pids.max", || {
        let events = read(&cgroup, Controller::Pids, "pids.events");
        (flat_keyed(&events, "max").unwrap_or(0) > 0).then_some(())
    });
    let pids = cgroup.pids().unwrap();
    assert!(
        pids.len() <= 5,
        "{} processes in a cgroup limited to 5",
        pids.len()
    );
}

#[test]
fn step4_remove_kills_what_is_left_and_leaves_no_directory() {
    labkit::require!(labkit::root());
    let root = CgroupRoot::detect().unwrap();
    let mut cgroup =
        Cgroup::create(&root, &pod_uid("remove"), "busy", &CgroupLimits::default()).unwrap();
    // A shell with a background child: two processes, one of them not ours to wait for.
    let mut script = Script::spawn("sleep 30 & exec sleep 31");
    cgroup.add_process(script.pid()).unwrap();
    script.go();
    labkit::poll_until(TIMEOUT, "two processes in the cgroup", || {
        (cgroup.pids().unwrap().len() == 2).then_some(())
    });
    let dirs: Vec<_> = cgroup.dirs().into_iter().map(ToOwned::to_owned).collect();
    cgroup.remove().unwrap();
    for dir in &dirs {
        assert!(!dir.exists(), "{} is left", dir.display());
        let pod_dir = dir.parent().unwrap();
        assert!(!pod_dir.exists(), "{} is left", pod_dir.display());
    }
    let status = script.exit_status();
    assert_eq!(status.signal(), Some(9), "{status:?}");
}

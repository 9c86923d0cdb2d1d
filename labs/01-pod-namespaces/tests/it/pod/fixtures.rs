//! Fixtures of the real sandbox and container tests: the helper binary, a busybox rootfs per
//! container, container configs running a shell script, reading logs, waiting.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use lab_01::config::ContainerConfig;
use lab_01::image::busybox::build_layout;
use lab_01::image::{ImageRef, OciDir, Store};

/// How long a test waits for something a container or the pause process should do at once.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(20);

/// The helper binary the runtime re-executes: this crate's own `lab-01`.
pub(crate) fn helper() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_lab-01"))
}

/// A temporary directory with the busybox image in a store, for one test.
pub(crate) struct Workspace {
    pub(crate) dir: tempfile::TempDir,
    store: Store,
}

impl Workspace {
    /// Builds the offline busybox image from the host's busybox into a new store.
    pub(crate) fn new(busybox: &Path) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let layout = dir.path().join("layout");
        build_layout(busybox, &layout).unwrap();
        let store = Store::open_or_create(dir.path().join("store")).unwrap();
        store.import(&OciDir::open(&layout).unwrap(), None).unwrap();
        Self { dir, store }
    }

    /// The image store holding busybox.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// The pod's state directory (volumes go under it).
    pub(crate) fn pod_dir(&self) -> PathBuf {
        self.dir.path().join("pod")
    }

    /// A fresh rootfs unpacked from busybox for the container `name`.
    pub(crate) fn rootfs(&self, name: &str) -> PathBuf {
        let rootfs = self.dir.path().join("containers").join(name).join("rootfs");
        self.store
            .unpack(&ImageRef::parse("busybox").unwrap(), &rootfs)
            .unwrap();
        rootfs
    }

    /// The log file of the container `name`.
    pub(crate) fn log_path(&self, name: &str) -> PathBuf {
        self.dir.path().join("logs").join(format!("{name}.log"))
    }

    /// A container `name` that runs `sh -c script` in its own busybox rootfs.
    pub(crate) fn shell(&self, name: &str, script: &str) -> ContainerConfig {
        ContainerConfig {
            name: name.to_owned(),
            rootfs: self.rootfs(name),
            command: vec!["sh".to_owned(), "-c".to_owned()],
            args: vec![script.to_owned()],
            env: vec![("PATH".to_owned(), "/bin".to_owned())],
            log_path: self.log_path(name),
            ..ContainerConfig::default()
        }
    }
}

/// The log of a container so far ("" when there is none yet).
pub(crate) fn read_log(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

/// Waits until the log at `path` contains `needle`; returns the whole log.
#[track_caller]
pub(crate) fn wait_for_log(path: &Path, needle: &str) -> String {
    labkit::poll_until(
        TIMEOUT,
        &format!("`{needle}` in {}", path.display()),
        || {
            let log = read_log(path);
            log.contains(needle).then_some(log)
        },
    )
}

/// The namespace a `/proc/<pid>/ns/<kind>` file names, as `net:[4026532281]`.
pub(crate) fn namespace_id(path: impl AsRef<Path>) -> String {
    fs::read_link(path.as_ref())
        .unwrap_or_else(|error| panic!("readlink {}: {error}", path.as_ref().display()))
        .display()
        .to_string()
}

/// Runs a program inside namespaces of process `pid` with `nsenter` (util-linux); its stdout.
pub(crate) fn nsenter(pid: i32, namespaces: &[&str], program: &[&str]) -> String {
    let output = Command::new("nsenter")
        .arg(format!("--target={pid}"))
        .args(namespaces)
        .arg("--")
        .args(program)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "nsenter {namespaces:?} {program:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Whether process `pid` exists and is not a zombie.
pub(crate) fn is_running(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            // The state letter follows the command name, which is in parentheses.
            let after_name = stat.rsplit_once(')')?.1;
            after_name
                .split_whitespace()
                .next()
                .map(|state| state != "Z")
        })
        .unwrap_or(false)
}

/// The pids of the processes whose parent is `parent`.
pub(crate) fn children_of(parent: i32) -> Vec<i32> {
    let mut children = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some((_, after_name)) = stat.rsplit_once(')') else {
            continue;
        };
        // Fields after the name: state, ppid, ...
        let ppid = after_name.split_whitespace().nth(1);
        if ppid.and_then(|p| p.parse::<i32>().ok()) == Some(parent) {
            children.push(pid);
        }
    }
    children
}

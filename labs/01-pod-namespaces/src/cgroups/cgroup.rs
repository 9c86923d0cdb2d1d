//! A container's cgroup: made with its limits, joined by its processes, removed with them.
//!
//! Where a container's cgroup lives, like the kubelet's `kubepods/<qos>/pod<uid>/<container>`
//! but flatter:
//!
//! ```text
//! <hierarchy root>/kubelab/<pod uid>/<container name>/
//!     cgroup.procs        write a pid here and that process (and its future children) joins
//!     cpu.*  memory.*  pids.*   the limits, see `writes`
//! ```
//!
//! The life of one, in the order the runtime uses it:
//!
//! 1. [`Cgroup::create`] makes the directories and writes the limits (on v2, it first enables
//!    the `cpu`, `memory` and `pids` controllers for the children of each parent, in
//!    `cgroup.subtree_control`: a v2 cgroup only has the knobs its parent hands down).
//! 2. The container's init process writes its own pid into each of [`Cgroup::procs_files`]
//!    before it `exec`s the command, so the command and everything it forks is limited from its
//!    first instruction. ([`Cgroup::add_process`] does the same from outside.)
//! 3. When the container exits, [`Cgroup::oom_killed`] tells whether the kernel's OOM killer
//!    ended it: the kubelet's `OOMKilled`.
//! 4. [`Cgroup::remove`] (or dropping the value) kills whatever is left, waits until the cgroup
//!    is empty, and removes the directories, the pod's and `kubelab` too once they are empty.

mod remove;

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cgroups::fs::{CgroupFs, RealFs};
use crate::cgroups::hierarchy::{CONTROLLERS, CgroupRoot};
use crate::cgroups::limits::CgroupLimits;
use crate::cgroups::writes::{V1Dirs, write, write_v1, write_v2};
use crate::cgroups::{Error, Result};

/// The directory under each hierarchy root that holds every pod of this runtime.
pub const KUBELAB_DIR: &str = "kubelab";

/// How long [`Cgroup::remove`] waits for killed processes to leave.
pub const REMOVE_TIMEOUT: Duration = Duration::from_secs(10);

/// How often to retry making the directories when a concurrent removal of an empty parent
/// (another pod's [`Cgroup::remove`]) takes one away under us.
const CREATE_ATTEMPTS: usize = 5;

/// A controller whose files a test or a caller wants to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Controller {
    /// CPU weight and quota.
    Cpu,
    /// Memory limit and OOM events.
    Memory,
    /// Process count limit.
    Pids,
}

/// One container's cgroup (three directories on v1, one on v2); removed when dropped.
#[derive(Debug)]
pub struct Cgroup {
    fs: Box<dyn CgroupFs>,
    leaves: Leaves,
    /// The directories above the leaves that we remove when they are empty, deepest first.
    parents: Vec<PathBuf>,
    removed: bool,
}

/// The container's own directories: where the limits are written and the pids go.
///
/// Kept per controller on v1 (even when two are the same directory) so that "the memory
/// cgroup" is always one lookup, whatever the mount layout.
#[derive(Debug)]
enum Leaves {
    V1 {
        cpu: PathBuf,
        memory: PathBuf,
        pids: PathBuf,
    },
    V2 {
        dir: PathBuf,
    },
}

impl Cgroup {
    /// Creates the cgroup of container `container` of the pod `pod_uid`, with `limits`.
    ///
    /// A leaf left over from an earlier run of the same container is reused and its limits
    /// written anew; its parents are shared with the pod's other containers.
    pub fn create(
        root: &CgroupRoot,
        pod_uid: &str,
        container: &str,
        limits: &CgroupLimits,
    ) -> Result<Self> {
        Self::create_with(RealFs, root, pod_uid, container, limits)
    }

    /// [`Cgroup::create`] through another [`CgroupFs`], such as the recording fake.
    pub fn create_with(
        fs: impl CgroupFs + 'static,
        root: &CgroupRoot,
        pod_uid: &str,
        container: &str,
        limits: &CgroupLimits,
    ) -> Result<Self> {
        check_name("pod uid", pod_uid)?;
        check_name("container name", container)?;
        let leaf = |root: &Path| root.join(KUBELAB_DIR).join(pod_uid).join(container);
        let (leaves, roots) = match root {
            CgroupRoot::V1 { cpu, memory, pids } => {
                // Co-mounted controllers (`cpu,memory` in one mount) share one directory
                // tree: make it once.
                let roots: Vec<PathBuf> = distinct([cpu.as_path(), memory, pids]);
                let leaves = Leaves::V1 {
                    cpu: leaf(cpu),
                    memory: leaf(memory),
                    pids: leaf(pids),
                };
                (leaves, roots)
            }
            CgroupRoot::V2 { path } => (Leaves::V2 { dir: leaf(path) }, vec![path.clone()]),
        };
        // Deepest first: the pod's directory can only go once it is empty, `kubelab` after it.
        let parents = roots
            .iter()
            .map(|root| root.join(KUBELAB_DIR).join(pod_uid))
            .chain(roots.iter().map(|root| root.join(KUBELAB_DIR)))
            .collect();
        // From here on, returning an error drops `cgroup`, which removes what was made.
        let cgroup = Self {
            fs: Box::new(fs),
            leaves,
            parents,
            removed: false,
        };
        for root in &roots {
            cgroup.make_directories(root, pod_uid, container)?;
        }
        match &cgroup.leaves {
            Leaves::V1 { cpu, memory, pids } => {
                let dirs = V1Dirs { cpu, memory, pids };
                write_v1(cgroup.fs.as_ref(), dirs, limits)?;
            }
            Leaves::V2 { dir } => write_v2(cgroup.fs.as_ref(), dir, limits)?,
        }
        tracing::info!(
            version = root.version(),
            pod_uid,
            container,
            ?limits,
            "created cgroup"
        );
        Ok(cgroup)
    }

    /// `root/kubelab/<pod>/<container>`, tolerating parents that exist already and retrying
    /// when a concurrent removal of an empty parent wins a race with us.
    fn make_directories(&self, root: &Path, pod_uid: &str, container: &str) -> Result<()> {
        let v2 = matches!(self.leaves, Leaves::V2 { .. });
        let chain = [
            root.join(KUBELAB_DIR),
            root.join(KUBELAB_DIR).join(pod_uid),
            root.join(KUBELAB_DIR).join(pod_uid).join(container),
        ];
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = (|| {
                let mut parent = root;
                for dir in &chain {
                    // v2: the parent must hand the controllers down before the child can have
                    // their files. v1 controllers are always on in their own hierarchy.
                    if v2 {
                        enable_controllers(self.fs.as_ref(), parent)?;
                    }
                    // `kubelab` and the pod's directory are shared: finding them is fine.
                    match self.fs.mkdir(dir) {
                        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                            return Err(Error::io("create the cgroup", dir)(e));
                        }
                        _ => {}
                    }
                    parent = dir;
                }
                Ok(())
            })();
            // NotFound: another pod's `remove` took away `kubelab` (it was empty for a moment)
            // between our two mkdirs. Start over; that race cannot repeat for long.
            match result {
                Err(Error::Io { source, .. })
                    if source.kind() == io::ErrorKind::NotFound && attempt < CREATE_ATTEMPTS => {}
                other => return other,
            }
        }
    }

    /// The hierarchy version: 1 or 2.
    pub fn version(&self) -> u8 {
        match self.leaves {
            Leaves::V1 { .. } => 1,
            Leaves::V2 { .. } => 2,
        }
    }

    /// The leaf directory that holds `controller`'s files (on v2, the one directory).
    pub fn dir(&self, controller: Controller) -> &Path {
        match (&self.leaves, controller) {
            (Leaves::V1 { cpu, .. }, Controller::Cpu) => cpu,
            (Leaves::V1 { memory, .. }, Controller::Memory) => memory,
            (Leaves::V1 { pids, .. }, Controller::Pids) => pids,
            (Leaves::V2 { dir }, _) => dir,
        }
    }

    /// The distinct leaf directories: three on v1 (fewer when co-mounted), one on v2.
    pub fn dirs(&self) -> Vec<&Path> {
        match &self.leaves {
            Leaves::V1 { cpu, memory, pids } => distinct([cpu.as_path(), memory, pids]),
            Leaves::V2 { dir } => vec![dir.as_path()],
        }
    }

    /// The `cgroup.procs` files a process writes a pid into to join this cgroup.
    ///
    /// The container's init writes `0` (meaning "me") or its pid into each, before `exec`.
    pub fn procs_files(&self) -> Vec<PathBuf> {
        self.dirs()
            .into_iter()
            .map(|dir| dir.join("cgroup.procs"))
            .collect()
    }

    /// Moves the process `pid` (all its threads) into this cgroup.
    pub fn add_process(&self, pid: u32) -> Result<()> {
        // `cgroup.procs` moves the whole process; v1's `tasks` file would move one thread.
        // On v1 it takes one write per hierarchy: a process is in one cgroup in each.
        for dir in self.dirs() {
            write(self.fs.as_ref(), dir, "cgroup.procs", &pid.to_string())?;
        }
        Ok(())
    }

    /// The pids in this cgroup, sorted; a leaf that is already gone counts as empty.
    pub fn pids(&self) -> Result<Vec<u32>> {
        // The union over the hierarchies: on v1 a process could (by someone else's hand) be
        // in our memory cgroup but not in our cpu one, and removal must still find it.
        let mut pids = Vec::new();
        for path in self.procs_files() {
            match self.fs.read(&path) {
                Ok(text) => pids.extend(
                    text.lines()
                        .filter_map(|line| line.trim().parse::<u32>().ok()),
                ),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io("read", path)(e)),
            }
        }
        pids.sort_unstable();
        pids.dedup();
        Ok(pids)
    }

    // ANCHOR: oom_killed
    /// Whether the kernel's OOM killer has killed a process of this cgroup.
    ///
    /// Both hierarchies keep a counter: the `oom_kill` line of v1's `memory.oom_control`
    /// (kernels since 4.13) and of v2's `memory.events`. Without that line (an old v1 kernel),
    /// `memory.failcnt` > 0 says the limit was hit, which with a SIGKILLed exit means the same.
    pub fn oom_killed(&self) -> Result<bool> {
        // BEGIN SOLUTION step-4: read the oom_kill counter (v1 memory.oom_control, v2 memory.events); v1 without it: memory.failcnt > 0
        // The counter lives with the memory controller's files, whatever the version.
        let memory = self.dir(Controller::Memory);
        let file = match self.leaves {
            Leaves::V1 { .. } => "memory.oom_control",
            Leaves::V2 { .. } => "memory.events",
        };
        let path = memory.join(file);
        let text = self
            .fs
            .read(&path)
            .map_err(Error::io("read the OOM counter", &path))?;
        if let Some(kills) = flat_keyed(&text, "oom_kill") {
            return Ok(kills > 0);
        }
        if matches!(self.leaves, Leaves::V2 { .. }) {
            return Ok(false);
        }
        let path = memory.join("memory.failcnt");
        let failcnt = self
            .fs
            .read(&path)
            .map_err(Error::io("read the memory failure count", &path))?;
        Ok(failcnt.trim().parse::<u64>().unwrap_or(0) > 0)
        // END SOLUTION
    }
    // ANCHOR_END: oom_killed
}

/// On v2, makes sure `parent` hands the cpu, memory and pids controllers down to its children.
///
/// A controller can be enabled in `cgroup.subtree_control` only if it is in the parent's
/// `cgroup.controllers`, that is, if the grandparent enabled it: hence one call per level.
fn enable_controllers(fs: &dyn CgroupFs, parent: &Path) -> Result<()> {
    let read = |file: &str| {
        let path = parent.join(file);
        fs.read(&path).map_err(Error::io("read", path))
    };
    let available = read("cgroup.controllers")?;
    let enabled = read("cgroup.subtree_control")?;
    let mut missing = Vec::new();
    for controller in CONTROLLERS {
        if !available.split_whitespace().any(|c| c == controller) {
            return Err(Error::MissingController {
                controller,
                path: parent.to_path_buf(),
            });
        }
        if !enabled.split_whitespace().any(|c| c == controller) {
            missing.push(format!("+{controller}"));
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    write(fs, parent, "cgroup.subtree_control", &missing.join(" "))
}

/// The distinct paths among `paths`, in their first order.
fn distinct<'a, P: From<&'a Path> + PartialEq>(paths: [&'a Path; 3]) -> Vec<P> {
    let mut out: Vec<P> = Vec::new();
    for path in paths {
        let path = P::from(path);
        if !out.contains(&path) {
            out.push(path);
        }
    }
    out
}

/// The value of `key` in a flat-keyed cgroup file (`key value` per line).
pub fn flat_keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(' ')?;
        (name == key).then(|| value.trim().parse().ok()).flatten()
    })
}

/// Refuses names that are not one plain directory name.
fn check_name(what: &'static str, name: &str) -> Result<()> {
    let plain = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if name.is_empty() || name.len() > 255 || !plain || name == "." || name == ".." {
        return Err(Error::InvalidName {
            what,
            name: name.to_owned(),
        });
    }
    Ok(())
}

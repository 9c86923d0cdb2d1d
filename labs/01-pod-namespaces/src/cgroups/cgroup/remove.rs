//! Removing a container's cgroup: kill what is left, wait until it is empty, `rmdir` upwards.
//!
//! The kernel refuses to remove a cgroup that still has processes (`rmdir` fails with `EBUSY`),
//! and a cgroup's files cannot be unlinked at all: `rmdir` of the directory takes them along.
//! So removal is a small loop:
//!
//! ```text
//! cgroup.procs empty? ──no──> kill them ──> wait a little ──┐
//!        │ yes     ^                                         │
//!        v         └─────────────────────────────────────────┘
//! rmdir leaf (each hierarchy) ──> rmdir pod dir ──> rmdir kubelab   (the last two only if empty)
//! ```
//!
//! Killing differs by version. v2 (kernel 5.14+) has `cgroup.kill`: one write and the kernel
//! kills every process in the cgroup, including one that is forking at that very moment. v1 has
//! no such file, so we SIGKILL every pid listed in `cgroup.procs`; a child forked between the
//! read and the kill shows up in the next round, and the loop kills it then.
//!
//! Killed processes are not gone at once: the kernel has to tear down their memory first. And
//! nothing announces "the cgroup is empty now" that a runtime can wait on as simply (v2 has
//! `cgroup.events` with inotify, v1 a release agent), so we poll, like `labkit::poll_until`:
//! a pause that starts at 1 ms and doubles up to 50 ms, with a deadline.

use std::io;
use std::time::{Duration, Instant};

use super::{Cgroup, Controller, Leaves, REMOVE_TIMEOUT};
use crate::cgroups::{Error, Result};

impl Cgroup {
    // ANCHOR: remove
    /// Kills every process left in the cgroup, waits until it is empty, and removes the leaf
    /// directories, then the pod's and `kubelab` if nothing else is in them.
    ///
    /// Calling it again (or dropping the value afterwards) does nothing.
    pub fn remove(&mut self) -> Result<()> {
        if self.removed {
            return Ok(());
        }
        let deadline = Instant::now() + REMOVE_TIMEOUT;
        let mut pause = Duration::from_millis(1);
        let mut kill_file_worked = false;
        loop {
            let pids = self.pids()?;
            if pids.is_empty() && self.remove_leaves(Instant::now() < deadline)? {
                break;
            }
            if Instant::now() >= deadline {
                let path = self.dir(Controller::Memory).to_path_buf();
                return Err(Error::NotEmptied { path, pids });
            }
            // v2: one write kills them all; a kernel before 5.14 has no such file.
            if !kill_file_worked && let Leaves::V2 { dir } = &self.leaves {
                let kill_file = dir.join("cgroup.kill");
                match self.fs.write(&kill_file, "1") {
                    Ok(()) => kill_file_worked = true,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io("write", kill_file)(e)),
                }
            }
            if !kill_file_worked {
                // v1 (or an old v2): SIGKILL each pid we saw; latecomers die next round.
                for &pid in &pids {
                    self.fs
                        .kill(pid)
                        .map_err(Error::io("kill a process of", self.dir(Controller::Pids)))?;
                }
            }
            wait(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
        for parent in &self.parents {
            match self.fs.rmdir(parent) {
                Ok(()) => {}
                // Gone already, or still used by another container or pod: theirs to remove.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::NotFound
                            | io::ErrorKind::DirectoryNotEmpty
                            | io::ErrorKind::ResourceBusy
                    ) => {}
                Err(e) => return Err(Error::io("remove the cgroup", parent)(e)),
            }
        }
        self.removed = true;
        tracing::debug!(dirs = ?self.dirs(), "removed cgroup");
        Ok(())
    }
    // ANCHOR_END: remove

    /// Removes the leaf directories; `Ok(false)` when the kernel still says busy and `retry`
    /// allows another round (a process that has just died can hold its cgroup for a moment).
    fn remove_leaves(&self, retry: bool) -> Result<bool> {
        for dir in self.dirs() {
            match self.fs.rmdir(dir) {
                Ok(()) => {}
                // Never made (a create that failed early) or removed in an earlier round.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) if e.kind() == io::ErrorKind::ResourceBusy && retry => return Ok(false),
                Err(e) => return Err(Error::io("remove the cgroup", dir)(e)),
            }
        }
        Ok(true)
    }
}

impl Drop for Cgroup {
    /// A cgroup never outlives its value: also when a test or a pod start fails halfway.
    fn drop(&mut self) {
        if let Err(error) = self.remove() {
            // Drop cannot return the error; the log is the only place it can go.
            tracing::warn!(error = %error, "failed to remove a cgroup");
        }
    }
}

/// The pause between two looks at `cgroup.procs`. The one sleep in this crate's library code:
/// it waits for the kernel, and the deadline in [`Cgroup::remove`] bounds the whole wait.
#[allow(clippy::disallowed_methods)]
fn wait(pause: Duration) {
    std::thread::sleep(pause);
}

//! The side effects of cgroups behind one small trait: the real filesystem and a recording fake.
//!
//! Everything this module does to the machine is a file read or write, a directory made or
//! removed, or a process killed. Putting those five operations behind [`CgroupFs`] lets tests
//! run the real [`Cgroup`](crate::cgroups::Cgroup) code against [`RecordingFs`], which only
//! writes down what it was asked to do: the list of writes a container's cgroup gets is then a
//! snapshot, checked without root on any machine.
//!
//! Cgroup files are not ordinary files: the kernel acts on each `write(2)`, and never creates a
//! file you name. So [`RealFs::write`] opens without `O_CREAT` and writes the value in one call,
//! and a missing file is `NotFound`, which callers use to ask "does this kernel have it?"

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// The operations on cgroup files and the processes in them.
pub trait CgroupFs: fmt::Debug + Send + Sync {
    /// Reads a whole cgroup file (`cgroup.procs`, `memory.events`, ...).
    fn read(&self, path: &Path) -> io::Result<String>;
    /// Writes `value` to an existing cgroup file in a single `write(2)`.
    fn write(&self, path: &Path, value: &str) -> io::Result<()>;
    /// Creates one directory, that is one cgroup (the kernel fills it with its files).
    fn mkdir(&self, path: &Path) -> io::Result<()>;
    /// Removes one empty cgroup directory (its files go with it; no process may be left).
    fn rmdir(&self, path: &Path) -> io::Result<()>;
    /// Sends SIGKILL to a process; one that is already gone is not an error.
    fn kill(&self, pid: u32) -> io::Result<()>;
}

/// The real thing: `/sys/fs/cgroup` through `std::fs`, and `kill(2)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealFs;

impl CgroupFs for RealFs {
    fn read(&self, path: &Path) -> io::Result<String> {
        std::fs::read_to_string(path)
    }

    fn write(&self, path: &Path, value: &str) -> io::Result<()> {
        // No `create(true)`: a cgroup file that does not exist is a knob this kernel lacks.
        let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
        file.write_all(value.as_bytes())
    }

    fn mkdir(&self, path: &Path) -> io::Result<()> {
        // One level, not `create_dir_all`: the caller walks the levels itself, because on v2
        // each parent must enable controllers before its child is made.
        std::fs::create_dir(path)
    }

    fn rmdir(&self, path: &Path) -> io::Result<()> {
        // `remove_dir`, never `remove_dir_all`: a cgroup's files cannot be unlinked, and the
        // kernel removes them with the directory.
        std::fs::remove_dir(path)
    }

    fn kill(&self, pid: u32) -> io::Result<()> {
        use nix::sys::signal::{Signal, kill};
        use nix::unistd::Pid;
        let pid = i32::try_from(pid).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SIGKILL, not SIGTERM: this is the end of a container whose graceful stop (step 5)
        // is over, or of one that never started. ESRCH means it died on its own meanwhile.
        match kill(Pid::from_raw(pid), Signal::SIGKILL) {
            Ok(()) | Err(nix::errno::Errno::ESRCH) => Ok(()),
            Err(errno) => Err(io::Error::from(errno)),
        }
    }
}

/// A fake that records every change and keeps files in memory, for snapshot tests.
///
/// Like the kernel, it fills a new directory with control files: those registered with
/// [`RecordingFs::with_dir_files`] for the hierarchy the directory is under. Reads of files it
/// does not have fail with `NotFound`, writes to them too, so "is this knob present?" logic runs
/// as on a real machine. Clones share their state, so a test keeps one to look at afterwards.
#[derive(Debug, Clone, Default)]
pub struct RecordingFs {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    /// One line per change, in order: `mkdir <path>`, `write <path> <value>`, ...
    log: Vec<String>,
    files: BTreeMap<PathBuf, String>,
    dirs: BTreeSet<PathBuf>,
    /// Per hierarchy root: the files (and initial contents) of every new directory under it.
    templates: Vec<(PathBuf, Vec<(String, String)>)>,
}

impl RecordingFs {
    /// An empty fake: no directories, no files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an existing directory with these files, e.g. a hierarchy's root.
    #[must_use]
    pub fn with_dir(self, dir: impl Into<PathBuf>, files: &[(&str, &str)]) -> Self {
        {
            let mut state = self.lock();
            let dir = dir.into();
            for (name, contents) in files {
                state.files.insert(dir.join(name), (*contents).to_owned());
            }
            state.dirs.insert(dir);
        }
        self
    }

    /// Makes every directory created under `root` get these files, as the kernel would.
    #[must_use]
    pub fn with_dir_files(self, root: impl Into<PathBuf>, files: &[(&str, &str)]) -> Self {
        let files = files
            .iter()
            .map(|(name, contents)| ((*name).to_owned(), (*contents).to_owned()))
            .collect();
        self.lock().templates.push((root.into(), files));
        self
    }

    /// Sets a file's contents without logging it: the kernel's side of the story (a counter
    /// going up, a process joining).
    pub fn set_file(&self, path: impl Into<PathBuf>, contents: &str) {
        self.lock().files.insert(path.into(), contents.to_owned());
    }

    /// The changes made so far, one per line, in order.
    pub fn log(&self) -> Vec<String> {
        self.lock().log.clone()
    }

    /// The directories that exist now, sorted.
    pub fn dirs(&self) -> Vec<PathBuf> {
        self.lock().dirs.iter().cloned().collect()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock has failed already; its state is still
        // worth reading.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl CgroupFs for RecordingFs {
    fn read(&self, path: &Path) -> io::Result<String> {
        // Reads are not logged: they change nothing, and the snapshot is the list of changes.
        self.lock()
            .files
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }

    fn write(&self, path: &Path, value: &str) -> io::Result<()> {
        let mut state = self.lock();
        let file = state
            .files
            .get_mut(path)
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        match path.file_name().and_then(|name| name.to_str()) {
            // Writing a pid to cgroup.procs adds that process to the list.
            Some("cgroup.procs") => file.push_str(&format!("{value}\n")),
            _ => value.clone_into(file),
        }
        state.log.push(format!("write {} {value}", path.display()));
        // Writing to v2's cgroup.kill kills every process in the cgroup.
        if path.file_name().is_some_and(|name| name == "cgroup.kill")
            && let Some(procs) = path.parent().map(|dir| dir.join("cgroup.procs"))
            && let Some(pids) = state.files.get_mut(&procs)
        {
            pids.clear();
        }
        Ok(())
    }

    fn mkdir(&self, path: &Path) -> io::Result<()> {
        let mut state = self.lock();
        // mkdir(2)'s two refusals: EEXIST, and ENOENT for a missing parent (the race that
        // `Cgroup::create` retries).
        if state.dirs.contains(path) {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        if !path
            .parent()
            .is_some_and(|parent| state.dirs.contains(parent))
        {
            return Err(io::Error::from(io::ErrorKind::NotFound));
        }
        // The kernel populates a new cgroup with the files of its hierarchy's controllers.
        let files: Vec<(String, String)> = state
            .templates
            .iter()
            .filter(|(root, _)| path.starts_with(root))
            .flat_map(|(_, files)| files.clone())
            .collect();
        for (name, contents) in files {
            state.files.insert(path.join(name), contents);
        }
        state.dirs.insert(path.to_path_buf());
        state.log.push(format!("mkdir {}", path.display()));
        Ok(())
    }

    fn rmdir(&self, path: &Path) -> io::Result<()> {
        let mut state = self.lock();
        if !state.dirs.contains(path) {
            return Err(io::Error::from(io::ErrorKind::NotFound));
        }
        // A cgroup with child cgroups cannot go (the kernel says EBUSY; ENOTEMPTY is close).
        if state.dirs.iter().any(|dir| dir.parent() == Some(path)) {
            return Err(io::Error::from(io::ErrorKind::DirectoryNotEmpty));
        }
        // Its control files go with it, as with a real cgroup.
        state.dirs.remove(path);
        state.files.retain(|file, _| file.parent() != Some(path));
        state.log.push(format!("rmdir {}", path.display()));
        Ok(())
    }

    fn kill(&self, pid: u32) -> io::Result<()> {
        let mut state = self.lock();
        state.log.push(format!("kill -9 {pid}"));
        // The process is gone: take it out of every cgroup.procs, as the kernel would.
        let pid = pid.to_string();
        for (path, contents) in &mut state.files {
            if path.file_name().is_some_and(|name| name == "cgroup.procs") {
                *contents = contents
                    .lines()
                    .filter(|line| *line != pid)
                    .map(|line| format!("{line}\n"))
                    .collect();
            }
        }
        Ok(())
    }
}

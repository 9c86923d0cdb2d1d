//! `RecordingSyscalls`: a fake kernel that writes down every call instead of making it.
//!
//! Each call becomes one line, formatted by the [`Op`]'s `Display` (so the transcript reads like
//! `strace` output), and the fake answers "success", except:
//!
//! - `fork()` answers as the *child* would, so the transcript goes on with the part of the plan
//!   that the container's process runs;
//! - a test may ask for one call to fail ([`RecordingSyscalls::failing_at`]), to check what the
//!   runtime does with an error from the kernel.

use std::io;
use std::path::Path;

use crate::plan::{Mount, Namespace, Op};
use crate::syscalls::{Forked, Syscalls};

/// See the module docs.
#[derive(Debug, Default, Clone)]
pub struct RecordingSyscalls {
    calls: Vec<String>,
    /// A call that starts with this text fails with this errno.
    failure: Option<(String, i32)>,
}

impl RecordingSyscalls {
    /// A fake kernel on which every call succeeds.
    pub fn new() -> Self {
        Self::default()
    }

    /// A fake kernel on which the first call whose line starts with `prefix` fails with the
    /// raw `errno` (for example `mount("/data"` and `libc::EPERM`, which is 1).
    pub fn failing_at(prefix: &str, errno: i32) -> Self {
        Self {
            calls: Vec::new(),
            failure: Some((prefix.to_owned(), errno)),
        }
    }

    /// The calls made so far, one line each.
    pub fn calls(&self) -> &[String] {
        &self.calls
    }

    /// The calls as one text, a line per call: what a snapshot holds.
    pub fn transcript(&self) -> String {
        let mut text = self.calls.join("\n");
        text.push('\n');
        text
    }

    /// Records `op` as the call it stands for, failing it if it matches the failure asked for.
    fn record(&mut self, op: &Op) -> io::Result<()> {
        // The call is recorded even when it fails: the transcript shows where the plan stopped.
        let line = op.to_string();
        let fails = self
            .failure
            .as_ref()
            .is_some_and(|(prefix, _)| line.starts_with(prefix.as_str()));
        self.calls.push(line);
        match self.failure.take_if(|_| fails) {
            Some((_, errno)) => Err(io::Error::from_raw_os_error(errno)),
            None => Ok(()),
        }
    }
}

// Every method builds the `Op` it stands for and records it: the transcript then uses the same
// `strace`-like formatting as error messages, so the snapshot a learner reads and the error
// they may get from the real kernel name a call the same way.
impl Syscalls for RecordingSyscalls {
    fn unshare(&mut self, namespaces: &[Namespace]) -> io::Result<()> {
        self.record(&Op::Unshare(namespaces.to_vec()))
    }

    // The path is recorded as given: a plan's paths are fixed by its config, so snapshots of
    // made-up configs need no redaction.
    fn setns(&mut self, path: &Path, namespace: Namespace) -> io::Result<()> {
        self.record(&Op::SetNs {
            path: path.to_path_buf(),
            namespace,
        })
    }

    fn sethostname(&mut self, hostname: &str) -> io::Result<()> {
        self.record(&Op::SetHostname(hostname.to_owned()))
    }

    fn loopback_up(&mut self) -> io::Result<()> {
        self.record(&Op::LoopbackUp)
    }

    fn mount(&mut self, mount: &Mount) -> io::Result<()> {
        self.record(&Op::Mount(mount.clone()))
    }

    fn umount_detach(&mut self, target: &Path) -> io::Result<()> {
        self.record(&Op::UnmountDetach(target.to_path_buf()))
    }

    fn mkdir_all(&mut self, path: &Path, mode: u32) -> io::Result<()> {
        self.record(&Op::Mkdir {
            path: path.to_path_buf(),
            mode,
        })
    }

    fn create_file(&mut self, path: &Path) -> io::Result<()> {
        self.record(&Op::CreateFile(path.to_path_buf()))
    }

    fn symlink(&mut self, target: &Path, link: &Path) -> io::Result<()> {
        self.record(&Op::Symlink {
            target: target.to_path_buf(),
            link: link.to_path_buf(),
        })
    }

    fn pivot_root(&mut self, new_root: &Path, put_old: &Path) -> io::Result<()> {
        self.record(&Op::PivotRoot {
            new_root: new_root.to_path_buf(),
            put_old: put_old.to_path_buf(),
        })
    }

    fn chdir(&mut self, path: &Path) -> io::Result<()> {
        self.record(&Op::Chdir(path.to_path_buf()))
    }

    fn join_cgroup(&mut self, procs_file: &Path) -> io::Result<()> {
        self.record(&Op::JoinCgroup(procs_file.to_path_buf()))
    }

    fn fork(&mut self) -> io::Result<Forked> {
        // Carry on as the child: the interesting part of a container's plan runs there. (The
        // parent's part, supervising, is not a plan but a loop: see `helper::supervise`.)
        self.record(&Op::Fork).map(|()| Forked::Child)
    }

    fn set_controlling_terminal(&mut self) -> io::Result<()> {
        self.record(&Op::SetControllingTerminal)
    }

    fn exec(&mut self, argv: &[String], env: &[String]) -> io::Result<()> {
        // The real `execve` never returns on success; the fake does, so the plan's end shows.
        self.record(&Op::Exec {
            argv: argv.to_vec(),
            env: env.to_vec(),
        })
    }
}

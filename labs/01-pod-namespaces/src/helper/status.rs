//! The helper's side of the status channel: fd 3, written a line at a time.

use std::fs::File;
use std::io::Write as _;
use std::os::fd::{FromRawFd as _, OwnedFd};

use nix::fcntl::{FcntlArg, FdFlag, fcntl};

use crate::helper::{STATUS_FD, Status};

/// The write end of the status pipe, if the runtime gave us one.
#[derive(Debug)]
pub struct StatusChannel {
    file: Option<File>,
}

impl StatusChannel {
    /// Takes fd 3 and marks it close-on-exec: from now on a successful `execve` closes it,
    /// which is how the runtime learns the command started. Call it once, first thing.
    pub fn take() -> Self {
        // Is fd 3 open at all? (Someone may run the helper by hand, without a pipe.)
        if std::fs::symlink_metadata(format!("/proc/self/fd/{STATUS_FD}")).is_err() {
            return Self { file: None };
        }
        let fd = owned_status_fd();
        if let Ok(flags) = fcntl(&fd, FcntlArg::F_GETFD) {
            let flags = FdFlag::from_bits_truncate(flags) | FdFlag::FD_CLOEXEC;
            let _ = fcntl(&fd, FcntlArg::F_SETFD(flags));
        }
        Self {
            file: Some(File::from(fd)),
        }
    }

    /// Writes one status line. A failure to report is ignored: the runtime sees end of file
    /// and the exit status instead.
    pub fn send(&mut self, status: &Status) {
        if let Some(file) = &mut self.file {
            let _ = file.write_all(status.to_line().as_bytes());
        }
    }

    /// Closes our end. (After a `fork`, each process holds its own copy: both must close, or
    /// exec, before the runtime sees end of file.)
    pub fn close(&mut self) {
        self.file = None;
    }
}

#[allow(unsafe_code)]
fn owned_status_fd() -> OwnedFd {
    // SAFETY: fd 3 was placed in this process by the runtime for exactly this purpose, it is
    // open (the caller checked `/proc/self/fd/3`), and nothing else in the helper owns or closes it:
    // `StatusChannel::take` is called once, at startup.
    unsafe { OwnedFd::from_raw_fd(STATUS_FD) }
}

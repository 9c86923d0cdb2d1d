//! Probes of the host: is a program installed, can this process make namespaces?
//!
//! Each probe answers `Result<_, NotRun>`, so a test writes `labkit::require!(probe)` and either
//! gets what it needs or is reported as not run with a reason that says what to install or how to
//! run it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::NotRun;

/// How a privileged test may make namespaces on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privileges {
    /// The process is root with the capabilities to create namespaces.
    Root,
    /// Not root, but unprivileged user namespaces work: the test must create a user namespace
    /// first and map itself to root inside it.
    UserNamespace,
}

/// Finds `program` on `PATH`, or says which Debian package provides it.
pub fn host_binary(program: &str, debian_package: &str) -> Result<PathBuf, NotRun> {
    find_on_path(program).ok_or_else(|| {
        NotRun::new(format!(
            "needs `{program}` (install it: apt-get install {debian_package})"
        ))
    })
}

/// Reports whether this process can create the namespaces a pod needs.
///
/// It does not trust the uid alone: root inside a container without `CAP_SYS_ADMIN` cannot
/// unshare. So it asks the kernel by running `unshare(1)` once and remembers the answer.
pub fn privileged() -> Result<Privileges, NotRun> {
    static PROBE: OnceLock<Result<Privileges, NotRun>> = OnceLock::new();
    PROBE.get_or_init(probe_namespaces).clone()
}

/// Like [`privileged`], but only as real root: for tests of things an unprivileged user
/// namespace cannot do (cgroup limits, host network devices).
pub fn root() -> Result<(), NotRun> {
    match privileged()? {
        Privileges::Root => Ok(()),
        Privileges::UserNamespace => Err(NotRun::new(
            "needs root (user namespaces are not enough here; run as root, or in the Vagrant VMs)",
        )),
    }
}

fn probe_namespaces() -> Result<Privileges, NotRun> {
    if !cfg!(target_os = "linux") {
        return Err(NotRun::new(
            "needs Linux namespaces (run this step in the Vagrant VMs)",
        ));
    }
    let unshare = host_binary("unshare", "util-linux")?;
    let is_root = nix::unistd::geteuid().is_root();
    // The same namespaces a pod sandbox makes: mount, net, uts, ipc and pid.
    let mut args = vec!["--mount", "--net", "--uts", "--ipc", "--pid", "--fork"];
    if !is_root {
        args.splice(0..0, ["--user", "--map-root-user"]);
    }
    let worked = Command::new(unshare)
        .args(&args)
        .arg("true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    match (worked, is_root) {
        (true, true) => Ok(Privileges::Root),
        (true, false) => Ok(Privileges::UserNamespace),
        (false, _) => Err(NotRun::new(
            "needs root or user namespaces (run as root, or in the Vagrant VMs)",
        )),
    }
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let path = Path::new(program);
        return is_executable(path).then(|| path.to_path_buf());
    }
    let path_var = std::env::var_os("PATH")?;
    std::env::split_paths(&path_var)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_program_every_machine_has() {
        assert!(host_binary("sh", "dash").is_ok());
    }

    #[test]
    fn a_missing_program_names_its_package() {
        let not_run = host_binary("no-such-program-labkit", "some-package").unwrap_err();
        assert_eq!(
            not_run.reason(),
            "needs `no-such-program-labkit` (install it: apt-get install some-package)"
        );
    }
}

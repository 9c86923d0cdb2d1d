//! Real kubectl of a chosen version, with a fresh `HOME` for every runner.
//!
//! kubectl caches discovery under `~/.kube/cache`; a cache from an earlier run would hide a
//! discovery bug in our apiserver. So each [`Kubectl`] gets its own empty `HOME`. Versions 1.27 to
//! 1.33 are installed side by side as `kubectl.1.NN` next to the `kubectl` dispatcher.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::{NotRun, host_binary};

/// A kubectl binary plus a private home directory and an optional kubeconfig.
#[derive(Debug)]
pub struct Kubectl {
    binary: PathBuf,
    home: TempDir,
    kubeconfig: Option<PathBuf>,
}

/// What one kubectl invocation did.
#[derive(Debug, Clone)]
pub struct KubectlOutput {
    /// True when kubectl exited with status 0.
    pub success: bool,
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl Kubectl {
    /// The default kubectl on `PATH`.
    pub fn new() -> Result<Self, NotRun> {
        let binary = host_binary("kubectl", "kubectl")?;
        Ok(Self::with_binary(binary))
    }

    /// kubectl `1.<minor>` (for example `version(30)` for 1.30), found as `kubectl.1.<minor>`
    /// beside the real path of the `kubectl` on `PATH`, or on `PATH` itself.
    pub fn version(minor: u32) -> Result<Self, NotRun> {
        let name = format!("kubectl.1.{minor}");
        let beside_dispatcher = host_binary("kubectl", "kubectl")
            .ok()
            .and_then(|path| path.canonicalize().ok())
            .and_then(|path| path.parent().map(|dir| dir.join(&name)))
            .filter(|candidate| candidate.is_file());
        let binary = match beside_dispatcher {
            Some(path) => path,
            None => host_binary(&name, &format!("kubectl (version 1.{minor})"))?,
        };
        Ok(Self::with_binary(binary))
    }

    fn with_binary(binary: PathBuf) -> Self {
        let home = tempfile::Builder::new()
            .prefix("labkit-kubectl-home-")
            .tempdir()
            .expect("failed to create a temporary HOME for kubectl");
        Self {
            binary,
            home,
            kubeconfig: None,
        }
    }

    /// Uses this kubeconfig for every later [`run`](Self::run).
    pub fn kubeconfig(mut self, path: impl Into<PathBuf>) -> Self {
        self.kubeconfig = Some(path.into());
        self
    }

    /// The binary this runner executes.
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// Runs kubectl with `args` and returns what it printed. Spawning failures panic: the binary
    /// was found a moment ago, so failing to run it is a broken machine, not a skipped test.
    pub fn run<I, S>(&self, args: I) -> KubectlOutput
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .env("HOME", self.home.path())
            .env_remove("KUBECONFIG");
        if let Some(kubeconfig) = &self.kubeconfig {
            command.env("KUBECONFIG", kubeconfig);
        }
        let output = command
            .output()
            .unwrap_or_else(|error| panic!("failed to run {}: {error}", self.binary.display()));
        KubectlOutput {
            success: output.status.success(),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_the_chosen_client_version_with_a_fresh_home() {
        let kubectl = crate::require!(Kubectl::version(30));
        let output = kubectl.run(["version", "--client", "-o", "json"]);
        assert!(output.success, "kubectl failed: {}", output.stderr);
        assert!(
            output.stdout.contains("\"minor\": \"30\""),
            "{}",
            output.stdout
        );
        assert!(!kubectl.home.path().join(".kube").exists());
    }
}

//! kubectl inside a test's host network namespace, the way a user runs it: plain commands,
//! `logs -f`, and commands that read stdin (`exec -i`) or a terminal (`exec -it`).

use std::io::{Read as _, Write as _};
use std::process::{Command, Stdio};
use std::time::Duration;

use lab_05::netns::Netns;
use labkit::{Kubectl, KubectlOutput, poll_until};

/// How long the cluster gets to converge after each step (pods start in well under a second
/// on an idle machine; CI machines are slower and busier).
pub const CONVERGE: Duration = Duration::from_secs(90);

/// How long a kubectl session with input may take.
const SESSION: Duration = Duration::from_secs(60);

/// kubectl inside the test's host namespace.
pub struct Ctl {
    /// kubectl, with the cluster's kubeconfig.
    pub kubectl: Kubectl,
    /// The kubeconfig file.
    pub kubeconfig: std::path::PathBuf,
    /// The host namespace kubectl runs in.
    pub host: Netns,
}

impl Ctl {
    pub fn run(&self, args: &[&str]) -> KubectlOutput {
        self.host
            .run(|| self.kubectl.run(args))
            .expect("enter the host namespace")
    }

    /// Runs and requires success; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.success, "kubectl {args:?} failed: {}", out.stderr);
        out.stdout
    }

    /// `kubectl logs -f pod`: the first line it streams (the stream itself never ends while
    /// the container runs, so the process is killed after it).
    pub fn follow_first_line(&self, pod: &str) -> String {
        use std::io::BufRead as _;
        let mut child = self
            .host
            .run(|| {
                self.command(&["logs", "-f", pod])
                    .stdout(std::process::Stdio::piped())
                    .spawn()
            })
            .expect("enter the host namespace")
            .expect("start kubectl logs -f");
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        }
        let _ = child.kill();
        let _ = child.wait();
        line
    }

    /// Polls a kubectl query until `check` accepts its stdout.
    pub fn wait_for<T>(&self, what: &str, args: &[&str], check: impl Fn(&str) -> Option<T>) -> T {
        poll_until(CONVERGE, what, || {
            let out = self.run(args);
            out.success.then(|| check(&out.stdout)).flatten()
        })
    }
}

impl Ctl {
    /// A kubectl command in the host namespace, with the cluster's kubeconfig and a HOME of
    /// its own (kubectl caches discovery there).
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(self.kubectl.binary());
        command
            .args(args)
            .env("KUBECONFIG", self.kubeconfig.as_os_str())
            .env(
                "HOME",
                self.kubeconfig
                    .parent()
                    .unwrap_or(std::path::Path::new("/")),
            );
        command
    }

    /// Runs kubectl with `input` on its stdin (`exec -i`); its exit code and stdout.
    pub fn with_stdin(&self, args: &[&str], input: &[u8]) -> (Option<i32>, String) {
        let output = self
            .host
            .run(|| {
                let mut child = self
                    .command(args)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::inherit())
                    .spawn()?;
                if let Some(mut stdin) = child.stdin.take() {
                    stdin.write_all(input)?;
                }
                child.wait_with_output()
            })
            .expect("enter the host namespace")
            .expect("run kubectl with stdin");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }

    /// Runs kubectl on a terminal of its own (`exec -it`), typing `typed` into it; its exit
    /// code and everything the terminal showed.
    pub fn on_terminal(&self, args: &[&str], typed: &[u8]) -> (Option<i32>, String) {
        // 80 columns: kubectl sends its terminal's size, the kubelet sets it on the pod's.
        let size = nix::pty::Winsize {
            ws_row: 24,
            ws_col: 80,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = nix::pty::openpty(Some(&size), None).expect("a pseudo-terminal");
        let mut master = std::fs::File::from(pty.master);
        let slave = pty.slave;
        let mut child = self
            .host
            .run(|| {
                self.command(args)
                    .stdin(Stdio::from(slave.try_clone()?))
                    .stdout(Stdio::from(slave.try_clone()?))
                    .stderr(Stdio::from(slave.try_clone()?))
                    .spawn()
            })
            .expect("enter the host namespace")
            .expect("start kubectl on a terminal");
        drop(slave);
        master.write_all(typed).expect("type into the terminal");
        // Read as it comes (a full terminal buffer would stop kubectl), until every writer is
        // gone: the read then fails with EIO.
        let reader = std::thread::spawn(move || {
            let mut shown = Vec::new();
            let mut buffer = [0_u8; 4096];
            while let Ok(n @ 1..) = master.read(&mut buffer) {
                shown.extend_from_slice(&buffer[..n]);
            }
            shown
        });
        let status = poll_until(SESSION, "kubectl exec -it to end", || {
            child.try_wait().ok().flatten()
        });
        let shown = reader.join().unwrap_or_default();
        (status.code(), String::from_utf8_lossy(&shown).into_owned())
    }
}

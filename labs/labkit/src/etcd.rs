//! A real etcd for tests: started on free loopback ports with a throw-away data directory.
//!
//! The course runs real etcd (Debian's `etcd-server`, version 3.4) wherever the real cluster would
//! meet it. Each test starts its own: no shared state between tests, nothing left behind. The
//! process is stopped when the [`Etcd`] value is dropped, and the kernel stops it too if the test
//! process dies first (parent-death signal), so a crashed test leaves no etcd running.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::{NotRun, host_binary, poll_until};

/// A running etcd server owned by one test.
#[derive(Debug)]
pub struct Etcd {
    child: Child,
    binary: PathBuf,
    client_addr: SocketAddr,
    peer_addr: SocketAddr,
    // Kept for its Drop: the data directory disappears with the server (and a restart reuses it).
    data_dir: TempDir,
}

impl Etcd {
    /// Starts etcd and waits (up to 30 s) until it reports healthy.
    ///
    /// Returns `Err(NotRun)` when the `etcd` binary is not installed; panics when it is installed
    /// but does not come up, because that is a real failure worth a red test.
    pub fn start() -> Result<Self, NotRun> {
        let binary = host_binary("etcd", "etcd-server")?;
        let data_dir = tempfile::Builder::new()
            .prefix("labkit-etcd-")
            .tempdir()
            .expect("failed to create a temporary directory for etcd");
        let (client_addr, peer_addr) = (free_loopback_port(), free_loopback_port());
        let child = spawn(&binary, data_dir.path(), client_addr, peer_addr);
        let etcd = Self {
            child,
            binary,
            client_addr,
            peer_addr,
            data_dir,
        };
        etcd.wait_healthy();
        Ok(etcd)
    }

    /// Kills the server (SIGKILL, as a crash would) and waits for it to be gone; the data stays.
    /// For tests of what a client does while etcd is down; [`Etcd::restart`] brings it back.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again on the same ports and data, and waits until it is healthy.
    pub fn restart(&mut self) {
        self.stop();
        self.child = spawn(
            &self.binary,
            self.data_dir.path(),
            self.client_addr,
            self.peer_addr,
        );
        self.wait_healthy();
    }

    fn wait_healthy(&self) {
        poll_until(Duration::from_secs(30), "etcd to report healthy", || {
            self.is_healthy().then_some(())
        });
    }

    /// The client endpoint, such as `http://127.0.0.1:34567`, for `--etcd-servers`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.client_addr)
    }

    /// Asks etcd's `/health` endpoint whether it serves.
    pub fn is_healthy(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect_timeout(&self.client_addr, Duration::from_secs(1))
        else {
            return false;
        };
        // A plain HTTP/1.0 request: enough for one health check, no client library needed.
        let request = format!("GET /health HTTP/1.0\r\nHost: {}\r\n\r\n", self.client_addr);
        let mut response = String::new();
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        stream.write_all(request.as_bytes()).is_ok()
            && stream.read_to_string(&mut response).is_ok()
            && response.contains("\"health\":\"true\"")
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        // SIGKILL is fine: the data directory is thrown away anyway.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts etcd with its data in `data_dir`, serving clients on `client_addr`.
fn spawn(binary: &Path, data_dir: &Path, client_addr: SocketAddr, peer_addr: SocketAddr) -> Child {
    let client_url = format!("http://{client_addr}");
    let peer_url = format!("http://{peer_addr}");
    let mut command = Command::new(binary);
    command
        .arg("--name=labkit")
        .arg(format!("--data-dir={}", data_dir.display()))
        .arg(format!("--listen-client-urls={client_url}"))
        .arg(format!("--advertise-client-urls={client_url}"))
        .arg(format!("--listen-peer-urls={peer_url}"))
        .arg(format!("--initial-advertise-peer-urls={peer_url}"))
        .arg(format!("--initial-cluster=labkit={peer_url}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    die_with_parent(&mut command);
    command.spawn().expect("failed to start etcd")
}

/// Asks the kernel for a free port on 127.0.0.1. Another process could take it before etcd
/// binds it; on this single-user machine that race is rare, and etcd then fails loudly.
fn free_loopback_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("failed to find a free loopback port")
}

/// Makes the child receive SIGKILL when the thread that started it exits, so an etcd never
/// outlives a test that panicked or was killed.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the forked child before exec; it only calls prctl(2), which is
    // async-signal-safe, and touches no memory shared with the parent.
    unsafe {
        command.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                .map_err(std::io::Error::from)
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etcd_starts_healthy_and_stops_on_drop() {
        let etcd = crate::require!(Etcd::start());
        assert!(etcd.endpoint().starts_with("http://127.0.0.1:"));
        let addr = etcd.client_addr;
        drop(etcd);
        assert!(
            TcpStream::connect(addr).is_err(),
            "etcd still listening after drop"
        );
    }
}

//! A throwaway local registry for pull tests: Debian's `docker-registry` on 127.0.0.1 with its
//! storage in a temporary directory, images pushed into it with `skopeo`. Nothing here reaches
//! the internet.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use labkit::NotRun;
use tempfile::TempDir;

/// A running `docker-registry`; stopped and its storage removed when dropped.
pub(crate) struct LocalRegistry {
    child: Child,
    dir: TempDir,
    port: u16,
}

impl LocalRegistry {
    /// Starts a registry on a free port, or says the programs it needs are missing.
    pub(crate) fn start() -> Result<Self, NotRun> {
        let needs = || {
            NotRun::new("needs docker-registry and skopeo (apt-get install docker-registry skopeo)")
        };
        let binary =
            labkit::host_binary("docker-registry", "docker-registry").map_err(|_| needs())?;
        labkit::host_binary("skopeo", "skopeo").map_err(|_| needs())?;
        let dir = tempfile::tempdir().unwrap();
        // A free port: bind port 0, read the port, let it go. Another process could take it in
        // between; on a test machine that is rare enough.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.path().join("config.yml");
        // The registry's own config format (version 0.1): where blobs go, where to listen.
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
                 http:\n  addr: 127.0.0.1:{port}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new(binary)
            .arg("serve")
            .arg(&config)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let registry = Self { child, dir, port };
        labkit::poll_until(Duration::from_secs(20), "the registry to listen", || {
            TcpStream::connect(("127.0.0.1", port)).ok()
        });
        Ok(registry)
    }

    /// `127.0.0.1:<port>`, the registry part of image names.
    pub(crate) fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Pushes the image named `layout_ref` in the OCI layout `layout` to `<host>/<dest>`, as
    /// Docker's v2 schema 2 when `docker_format`, else as it is (OCI).
    pub(crate) fn push(&self, layout: &Path, layout_ref: &str, dest: &str, docker_format: bool) {
        let mut command = Command::new("skopeo");
        // No signature policy file is needed for copying our own test images.
        command.args(["--insecure-policy", "copy", "--dest-tls-verify=false"]);
        if docker_format {
            command.args(["--format", "v2s2"]);
        }
        let output = command
            .arg(format!("oci:{}:{layout_ref}", layout.display()))
            .arg(format!("docker://{}/{dest}", self.host()))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "skopeo copy failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Where the registry keeps the bytes of the blob `digest` (`sha256:<hex>`), to damage it.
    pub(crate) fn blob_data(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.dir
            .path()
            .join("data/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        // Our own child, by its handle: nothing else is touched. The directory goes with `dir`.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

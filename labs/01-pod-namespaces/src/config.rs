//! What the runtime is asked to run: a sandbox config and container configs, shaped after the
//! CRI's `PodSandboxConfig` and `ContainerConfig` messages.
//!
//! The kubelet never hands a container runtime a Pod. It translates the Pod into the CRI's
//! smaller messages ("run a sandbox named web-0 in namespace default, hostname web-0"; "create
//! a container with this rootfs, this command, these mounts") and the runtime works from those.
//! We do the same: step 7 turns a `v1` Pod into these types (and [`crate::volume`] already turns
//! its volumes into [`MountSpec`]s), and everything in steps 2 and 3 reads only these.
//!
//! The checks here are the ones that need no disk: names, absolute paths, a command to run. The
//! runtime checks the rest (does the rootfs exist?) when it starts a container.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The longest hostname `sethostname(2)` accepts (`HOST_NAME_MAX`).
pub const MAX_HOSTNAME_LEN: usize = 64;

/// A pod sandbox: the namespaces its containers share (CRI `PodSandboxConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxConfig {
    /// The Pod's name (`metadata.name`).
    pub name: String,
    /// The Pod's namespace (`metadata.namespace`), a Kubernetes namespace, not a Linux one.
    pub namespace: String,
    /// The Pod's `metadata.uid`, which keeps two pods of the same name apart.
    pub uid: String,
    /// The hostname inside the pod: the Pod's name unless `spec.hostname` says otherwise.
    pub hostname: String,
    /// `spec.shareProcessNamespace`: one PID namespace for all the containers, with the pause
    /// process as its PID 1.
    pub share_process_namespace: bool,
}

/// A volume mount of a container (CRI `Mount`): a host path bind-mounted into the rootfs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountSpec {
    /// The directory on the host (an emptyDir's directory, a hostPath, a configMap's files).
    pub host_path: PathBuf,
    /// Where it appears in the container (`volumeMounts[].mountPath`), absolute.
    pub container_path: PathBuf,
    /// Whether the container may only read it.
    pub read_only: bool,
}

/// A container of a pod (CRI `ContainerConfig`, with the image already unpacked).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerConfig {
    /// The container's name, unique in its pod.
    pub name: String,
    /// Its root filesystem: a directory unpacked from its image by step 1's store. The
    /// container writes into it, so every container needs its own.
    pub rootfs: PathBuf,
    /// The program (`command`, the image's entrypoint by default).
    pub command: Vec<String>,
    /// Its arguments (`args`, the image's cmd by default).
    pub args: Vec<String>,
    /// The environment, in order (later entries may refer to earlier ones in Kubernetes).
    pub env: Vec<(String, String)>,
    /// The directory the command starts in (`workingDir`); `/` when `None`.
    pub working_dir: Option<PathBuf>,
    /// The volume mounts, in order.
    pub mounts: Vec<MountSpec>,
    /// The file the container's stdout and stderr go to.
    pub log_path: PathBuf,
    /// `cgroup.procs` files the container's process joins before it runs its command (step 4
    /// makes the cgroups; empty means "stay in the runtime's cgroup").
    pub cgroup_procs: Vec<PathBuf>,
}

impl SandboxConfig {
    /// A sandbox for the pod `name` in the `default` namespace, with that name as hostname.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            namespace: "default".to_owned(),
            uid: String::new(),
            hostname: name.to_owned(),
            share_process_namespace: false,
        }
    }

    /// Checks what can be checked without the machine: the hostname is one the kernel takes.
    pub fn validate(&self) -> Result<()> {
        if self.name.is_empty() {
            return Err(Error::invalid("metadata.name", "a pod needs a name"));
        }
        let hostname = &self.hostname;
        let valid_chars = hostname
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if hostname.is_empty() || hostname.len() > MAX_HOSTNAME_LEN || !valid_chars {
            return Err(Error::invalid(
                "hostname",
                format!(
                    "`{hostname}` is not a valid hostname; use 1 to {MAX_HOSTNAME_LEN} lowercase letters, digits, `-` or `.`"
                ),
            ));
        }
        Ok(())
    }
}

impl ContainerConfig {
    /// The argument vector: `command` followed by `args`.
    pub fn argv(&self) -> Vec<String> {
        self.command.iter().chain(&self.args).cloned().collect()
    }

    /// The environment as `execve(2)` wants it: `NAME=value` strings.
    pub fn env_strings(&self) -> Vec<String> {
        self.env
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect()
    }

    /// The working directory, `/` by default.
    pub fn working_dir(&self) -> &Path {
        self.working_dir.as_deref().unwrap_or(Path::new("/"))
    }

    /// Checks what can be checked without the machine: a command, sane env names, absolute
    /// paths without `..` inside the container.
    pub fn validate(&self) -> Result<()> {
        let field = |name: &str| format!("container {}: {name}", self.name);
        if self.name.is_empty() {
            return Err(Error::invalid("container name", "a container needs a name"));
        }
        if self.argv().is_empty() {
            return Err(Error::invalid(
                field("command"),
                "nothing to run; set command or args (or use an image that has a default command)",
            ));
        }
        for (name, _) in &self.env {
            if name.is_empty() || name.contains('=') || name.contains('\0') {
                return Err(Error::invalid(
                    field("env"),
                    format!("`{name}` is not a valid variable name"),
                ));
            }
        }
        if let Some(dir) = &self.working_dir {
            check_container_path(dir)
                .map_err(|reason| Error::invalid(field("workingDir"), reason))?;
        }
        for (index, mount) in self.mounts.iter().enumerate() {
            check_container_path(&mount.container_path).map_err(|reason| {
                Error::invalid(field(&format!("volumeMounts[{index}].mountPath")), reason)
            })?;
            if mount.container_path == Path::new("/") {
                return Err(Error::invalid(
                    field(&format!("volumeMounts[{index}].mountPath")),
                    "a volume cannot replace the container's root",
                ));
            }
            if !mount.host_path.is_absolute() {
                return Err(Error::invalid(
                    field(&format!("volumeMounts[{index}]")),
                    format!("host path {} must be absolute", mount.host_path.display()),
                ));
            }
        }
        Ok(())
    }
}

/// A path inside the container must be absolute and must not climb with `..`: it is joined to
/// the rootfs on the host, where `..` would lead out of it.
fn check_container_path(path: &Path) -> Result<(), String> {
    if !path.is_absolute() {
        return Err(format!("{} must be an absolute path", path.display()));
    }
    if path.components().any(|part| part == Component::ParentDir) {
        return Err(format!("{} must not contain `..`", path.display()));
    }
    Ok(())
}

/// Where a container path lands in the rootfs, on the host: `/rootfs` + `/data` = `/rootfs/data`.
/// (`Path::join` with an absolute path would *replace* the rootfs, hence this helper.)
pub fn in_rootfs(rootfs: &Path, container_path: &Path) -> PathBuf {
    let relative = container_path.strip_prefix("/").unwrap_or(container_path);
    if relative.as_os_str().is_empty() {
        rootfs.to_path_buf()
    } else {
        rootfs.join(relative)
    }
}

//! Volumes: a Pod's `spec.volumes` become host directories, its `volumeMounts` bind mounts.
//!
//! A volume belongs to the *pod*, not to a container: the kubelet prepares one host directory
//! per volume, under the pod's own directory, and every container that mounts the volume gets
//! a bind mount of that same directory. That is all it takes for the containers of a pod to
//! share files. The kinds this runtime supports:
//!
//! | volume      | host directory                                          | mounted   |
//! | ----------- | ------------------------------------------------------- | --------- |
//! | `emptyDir`  | `<pod dir>/volumes/kubernetes.io~empty-dir/<name>`, new  | as asked  |
//! | `hostPath`  | the path itself (created for `DirectoryOrCreate`)        | as asked  |
//! | `configMap` | `<pod dir>/volumes/kubernetes.io~configmap/<name>`, one file per key | read-only |
//! | `secret`    | `<pod dir>/volumes/kubernetes.io~secret/<name>`, one file per key    | read-only |
//!
//! (The directory names are the kubelet's own, under `/var/lib/kubelet/pods/<uid>/`.) There is
//! no API server in this lab, so ConfigMaps and Secrets come in a [`VolumeSources`], from the
//! same YAML file as the Pod, say. The directory goes when the pod's directory goes: an
//! `emptyDir` lives exactly as long as its pod.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Component, Path, PathBuf};

use k8s_openapi::api::core::v1 as corev1;

use crate::config::MountSpec;
use crate::error::{Error, Result};

/// A prepared volume: the host directory that containers mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodVolume {
    /// The directory on the host.
    pub host_path: PathBuf,
    /// Whether every mount of it is read-only whatever the container asks (configMap, secret).
    pub always_read_only: bool,
}

/// The ConfigMaps and Secrets that configMap and secret volumes may name, by name.
#[derive(Debug, Clone, Default)]
pub struct VolumeSources {
    /// ConfigMaps by `metadata.name`.
    pub config_maps: BTreeMap<String, corev1::ConfigMap>,
    /// Secrets by `metadata.name`.
    pub secrets: BTreeMap<String, corev1::Secret>,
}

/// The file mode of configMap and secret files when `defaultMode` is not set (0644, as in
/// Kubernetes).
pub const DEFAULT_FILE_MODE: i32 = 0o644;

/// Prepares every volume of a pod under `pod_dir`; the result is keyed by volume name.
pub fn prepare_volumes(
    volumes: &[corev1::Volume],
    pod_dir: &Path,
    sources: &VolumeSources,
) -> Result<BTreeMap<String, PodVolume>> {
    // Keyed by name: that is how `volumeMounts` refer to volumes. A BTreeMap, so that any
    // listing of the prepared volumes comes out in a stable order.
    let mut prepared = BTreeMap::new();
    for (index, volume) in volumes.iter().enumerate() {
        let field = format!("spec.volumes[{index}]");
        // The API server would refuse a duplicate name; without one, we do.
        if prepared.contains_key(&volume.name) {
            return Err(Error::invalid(
                format!("{field}.name"),
                format!(
                    "two volumes are named `{}`; names must be unique",
                    volume.name
                ),
            ));
        }
        let ready = prepare_volume(volume, &field, pod_dir, sources)?;
        prepared.insert(volume.name.clone(), ready);
    }
    Ok(prepared)
}

/// The mounts of one container: each `volumeMounts` entry, resolved against the pod's volumes.
pub fn container_mounts(
    container: &corev1::Container,
    volumes: &BTreeMap<String, PodVolume>,
) -> Result<Vec<MountSpec>> {
    // In the order the container lists them: a later mount may be *inside* an earlier one
    // (`/data` then `/data/cache`), so the order is part of the meaning.
    let mut mounts = Vec::new();
    for (index, mount) in container.volume_mounts.iter().flatten().enumerate() {
        let field = format!("container {}: volumeMounts[{index}]", container.name);
        // A typo here is the most common volume mistake, so the message names the field and
        // the name that matched nothing.
        let Some(volume) = volumes.get(&mount.name) else {
            return Err(Error::invalid(
                format!("{field}.name"),
                format!(
                    "no volume named `{}` in spec.volumes; add it there or fix the name",
                    mount.name
                ),
            ));
        };
        // subPath mounts one file or directory *inside* the volume; refused rather than
        // silently mounting the whole volume instead.
        if mount.sub_path.as_deref().is_some_and(|p| !p.is_empty())
            || mount
                .sub_path_expr
                .as_deref()
                .is_some_and(|p| !p.is_empty())
        {
            return Err(Error::invalid(
                format!("{field}.subPath"),
                "subPath is not supported by this runtime; mount the whole volume",
            ));
        }
        // Read-only if the volume says so (configMap, secret) or the mount asks for it; a
        // mount cannot make a read-only volume writable.
        mounts.push(MountSpec {
            host_path: volume.host_path.clone(),
            container_path: PathBuf::from(&mount.mount_path),
            read_only: volume.always_read_only || mount.read_only == Some(true),
        });
    }
    Ok(mounts)
}

/// Prepares one volume (see the module docs for each kind).
fn prepare_volume(
    volume: &corev1::Volume,
    field: &str,
    pod_dir: &Path,
    sources: &VolumeSources,
) -> Result<PodVolume> {
    // The kubelet keeps each volume plugin's directories apart: volumes/<plugin>/<name>.
    let plugin_dir = |plugin: &str| pod_dir.join("volumes").join(plugin).join(&volume.name);
    // The name becomes a directory name below: check it before any path is built from it.
    check_name(&volume.name, &format!("{field}.name"))?;
    if volume.empty_dir.is_some() {
        // `medium: Memory` would be a tmpfs; a directory behaves the same for the containers.
        let dir = plugin_dir("kubernetes.io~empty-dir");
        // 0777 as in the kubelet: containers may run as any user and must all be able to
        // write. A leftover from an earlier run of the same pod is reused as it is.
        create_dir(&dir, 0o777)?;
        return Ok(PodVolume {
            host_path: dir,
            always_read_only: false,
        });
    }
    if let Some(host_path) = &volume.host_path {
        // The host's own directory, mounted in place: whatever the container writes is on
        // the node, and outlives the pod. (That is why real clusters restrict hostPath.)
        let path = PathBuf::from(&host_path.path);
        // A relative path would depend on the runtime's working directory.
        if !path.is_absolute() {
            return Err(Error::invalid(
                format!("{field}.hostPath.path"),
                format!("`{}` must be an absolute path", host_path.path),
            ));
        }
        // `type` says what must be at the path; "" (unset) means "no check" in Kubernetes, but
        // this runtime can only bind directories, so it checks for one anyway.
        match host_path.type_.as_deref().unwrap_or("") {
            // Created if missing, but an existing directory is left as it is (its mode too).
            "DirectoryOrCreate" if path.is_dir() => {}
            "DirectoryOrCreate" => create_dir(&path, 0o755)?,
            "" | "Directory" if path.is_dir() => {}
            "" | "Directory" => {
                return Err(Error::invalid(
                    format!("{field}.hostPath.path"),
                    format!(
                        "{} is not a directory on this host; create it, or set type: DirectoryOrCreate",
                        path.display()
                    ),
                ));
            }
            other => {
                return Err(Error::invalid(
                    format!("{field}.hostPath.type"),
                    format!("`{other}` is not supported; this runtime mounts directories only"),
                ));
            }
        }
        return Ok(PodVolume {
            host_path: path,
            always_read_only: false,
        });
    }
    // configMap and secret volumes are the same idea: a directory holding one file per key of
    // an object, refreshed by the kubelet when the object changes (not here: it is written once).
    let (files, items, default_mode, dir) = if let Some(source) = &volume.config_map {
        // A missing object is an error, unless the volume is `optional`: then it is an empty
        // directory, exactly as in Kubernetes.
        let object = sources.config_maps.get(&source.name);
        if object.is_none() && source.optional != Some(true) {
            return Err(missing_object(
                field,
                "configMap",
                "ConfigMap",
                &source.name,
            ));
        }
        let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        if let Some(config_map) = object {
            for (key, value) in config_map.data.iter().flatten() {
                files.insert(key.clone(), value.clone().into_bytes());
            }
            // `binaryData` holds what is not UTF-8; its keys may not repeat `data`'s.
            for (key, value) in config_map.binary_data.iter().flatten() {
                files.insert(key.clone(), value.0.clone());
            }
        }
        let dir = plugin_dir("kubernetes.io~configmap");
        (files, source.items.as_deref(), source.default_mode, dir)
    } else if let Some(source) = &volume.secret {
        // Secrets name their object in `secretName`, configMaps in `name`: an API wart.
        let name = source.secret_name.clone().unwrap_or_default();
        let object = sources.secrets.get(&name);
        if object.is_none() && source.optional != Some(true) {
            return Err(missing_object(field, "secret", "Secret", &name));
        }
        let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        if let Some(secret) = object {
            // `data` values are base64 in YAML; `ByteString` has already decoded them.
            for (key, value) in secret.data.iter().flatten() {
                files.insert(key.clone(), value.0.clone());
            }
            // `stringData` is write-only sugar for `data`, and wins over it.
            for (key, value) in secret.string_data.iter().flatten() {
                files.insert(key.clone(), value.clone().into_bytes());
            }
        }
        let dir = plugin_dir("kubernetes.io~secret");
        (files, source.items.as_deref(), source.default_mode, dir)
    } else {
        // persistentVolumeClaim, nfs, csi, ...: each needs a storage system this lab has not.
        return Err(Error::invalid(
            field,
            format!(
                "volume `{}` has a type this runtime does not support; use emptyDir, hostPath, configMap or secret",
                volume.name
            ),
        ));
    };
    // The containers only read it (the mount is read-only), but the runtime writes it first.
    create_dir(&dir, 0o755)?;
    write_files(&dir, field, &files, items, default_mode)?;
    Ok(PodVolume {
        host_path: dir,
        always_read_only: true,
    })
}

/// Writes one file per key (or per `items` entry, which picks keys and names their paths).
fn write_files(
    dir: &Path,
    field: &str,
    files: &BTreeMap<String, Vec<u8>>,
    items: Option<&[corev1::KeyToPath]>,
    default_mode: Option<i32>,
) -> Result<()> {
    // Without `items`, every key becomes a file of the same name; with it, only the listed
    // keys, each at its own relative path and with an optional mode of its own.
    let chosen: Vec<(String, String, Option<i32>)> = match items {
        None => files
            .keys()
            .map(|key| (key.clone(), key.clone(), None))
            .collect(),
        Some(items) => items
            .iter()
            .map(|item| (item.key.clone(), item.path.clone(), item.mode))
            .collect(),
    };
    for (key, relative, mode) in chosen {
        // Kubernetes refuses an item whose key the object lacks (unless optional); so do we,
        // rather than leave the file out without a word.
        let Some(content) = files.get(&key) else {
            return Err(Error::invalid(
                format!("{field}.items"),
                format!("key `{key}` is not in the object; list only keys it has"),
            ));
        };
        // A key becomes a path under the volume: it must stay there.
        let relative_path = Path::new(&relative);
        if relative.is_empty()
            || !relative_path
                .components()
                .all(|part| matches!(part, Component::Normal(_)))
        {
            return Err(Error::invalid(
                format!("{field}.items"),
                format!("path `{relative}` must be relative and must not contain `..`"),
            ));
        }
        // `items[].path` may have directories (`conf/app.yaml`): make them.
        let path = dir.join(relative_path);
        if let Some(parent) = path.parent() {
            create_dir(parent, 0o755)?;
        }
        fs::write(&path, content).map_err(Error::io("write", &path))?;
        // An item's mode wins over the volume's defaultMode, which wins over 0644. Only the
        // permission bits: a mode cannot make a file set-user-id.
        let mode = mode.or(default_mode).unwrap_or(DEFAULT_FILE_MODE) as u32 & 0o777;
        fs::set_permissions(&path, fs::Permissions::from_mode(mode))
            .map_err(Error::io("set the mode of", &path))?;
    }
    Ok(())
}

/// The error for a configMap or secret volume whose object was not given.
fn missing_object(field: &str, kind_field: &str, kind: &str, name: &str) -> Error {
    Error::invalid(
        format!("{field}.{kind_field}"),
        format!("{kind} `{name}` was not given; add it to the input, or mark the volume optional"),
    )
}

/// A volume name becomes a directory name: one plain component.
fn check_name(name: &str, field: &str) -> Result<()> {
    let plain = Path::new(name).components().count() == 1
        && matches!(
            Path::new(name).components().next(),
            Some(Component::Normal(_))
        );
    if name.is_empty() || !plain {
        return Err(Error::invalid(
            field,
            format!("`{name}` is not a valid volume name; use a DNS label such as `shared-data`"),
        ));
    }
    Ok(())
}

/// Creates a directory (and parents) and sets its mode (the umask would narrow it).
fn create_dir(path: &Path, mode: u32) -> Result<()> {
    fs::create_dir_all(path).map_err(Error::io("create directory", path))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(Error::io("set the mode of", path))
}

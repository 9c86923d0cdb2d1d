//! Path safety: every layer entry lands inside the rootfs, or the unpack is refused.
//!
//! A layer is a tar archive made by someone else, and the unpacker runs on the host, often as
//! root. An entry named `/etc/passwd`, `../../etc/passwd`, or `evil/passwd` after an earlier entry
//! `evil -> /etc` would, if written naively with `rootfs.join(entry)`, overwrite the host's files.
//! This is the classic "tar slip" (Zip Slip, CVE-2018-1002100 in `kubectl cp`, CVE-2019-14271 in
//! `docker cp`). Two checks close it:
//!
//! 1. [`clean_entry_path`] is lexical: it refuses absolute paths and `..` components, and drops
//!    `./` so that `./bin/sh` and `bin/sh` are the same entry.
//! 2. [`resolve_in_rootfs`] looks at the disk: it walks the entry's parent directories one at a
//!    time inside the rootfs, following a symlink only if its target stays inside. The last
//!    component is never followed: writing an entry *replaces* whatever is there, it does not
//!    write through it.
//!
//! A symlink with an absolute target (`lib -> /usr/lib`) is refused as a parent: on the host,
//! where we run, it names a host path. containerd chooses instead to re-root such targets inside
//! the rootfs (as the container will see them); refusing is simpler and no real layer needs it,
//! because image builders record files under their real directories, never through a symlink.

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::image::{Error, Result};

/// How many symlinks one path may pass through, as Linux's own limit (`ELOOP` after 40).
pub const MAX_SYMLINK_HOPS: usize = 40;

// ANCHOR: clean_entry_path
/// Turns a tar entry's path into a clean relative path, or refuses it.
///
/// `./usr/bin/` becomes `usr/bin`; the root entry `./` becomes the empty path. An absolute path
/// or any `..` component is an [`Error::UnsafePath`].
pub fn clean_entry_path(raw: &Path) -> Result<PathBuf> {
    let refuse = |reason: &str| Error::UnsafePath {
        path: raw.display().to_string(),
        reason: reason.to_owned(),
    };
    let mut clean = PathBuf::new();
    for component in raw.components() {
        match component {
            Component::Normal(part) => clean.push(part),
            // `Path::components` already drops `.` in the middle of a path; this is a leading `./`.
            Component::CurDir => {}
            Component::ParentDir => return Err(refuse("contains a `..` component")),
            Component::RootDir | Component::Prefix(_) => return Err(refuse("is an absolute path")),
        }
    }
    Ok(clean)
}
// ANCHOR_END: clean_entry_path

/// Finds where the relative path `entry` lives on the host, inside `rootfs`.
///
/// Parent directories are resolved one by one: a real directory is entered, a missing one is
/// assumed (the writer will create it), and a symlink is followed only when its target is
/// relative and stays inside the rootfs. The last component is returned unresolved.
pub fn resolve_in_rootfs(rootfs: &Path, entry: &Path) -> Result<PathBuf> {
    // Cleaned again even if the caller already did: `rootfs.join("/etc")` is `/etc`, so a
    // forgotten check upstream must not turn into a write to the host.
    let entry = clean_entry_path(entry)?;
    let entry = entry.as_path();
    let refuse = |reason: String| Error::UnsafePath {
        path: entry.display().to_string(),
        reason,
    };
    let Some(last) = entry.file_name() else {
        // The empty path is the rootfs itself.
        return Ok(rootfs.to_path_buf());
    };
    // The directories still to walk, front first. A symlink's target is pushed onto the front,
    // so the walk continues *inside* the target, just as the kernel's path lookup does.
    let mut pending: VecDeque<OsString> = entry
        .parent()
        .into_iter()
        .flat_map(Path::iter)
        .map(|part| part.to_os_string())
        .collect();
    // What we have resolved so far, relative to the rootfs. It only ever holds real directories
    // (or names that do not exist yet), so `rootfs.join(resolved)` never crosses a symlink.
    let mut resolved = PathBuf::new();
    let mut hops = 0;
    let mut last_symlink = String::new();
    while let Some(part) = pending.pop_front() {
        if part == "." {
            continue;
        }
        if part == ".." {
            // Only a symlink target can bring `..` here (clean paths have none). Climbing above
            // the rootfs's top is exactly the escape we are guarding against.
            if !resolved.pop() {
                return Err(refuse(format!(
                    "passes through symlink {last_symlink}, which points outside the rootfs"
                )));
            }
            continue;
        }
        let candidate = resolved.join(&part);
        let on_host = rootfs.join(&candidate);
        match fs::symlink_metadata(&on_host) {
            Ok(meta) if meta.file_type().is_symlink() => {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(refuse(format!(
                        "passes through more than {MAX_SYMLINK_HOPS} symlinks"
                    )));
                }
                let target =
                    fs::read_link(&on_host).map_err(Error::io("read symlink", &on_host))?;
                last_symlink = format!("`{}` -> `{}`", candidate.display(), target.display());
                if target.has_root() {
                    return Err(refuse(format!(
                        "passes through symlink {last_symlink}, whose absolute target is outside the rootfs on the host"
                    )));
                }
                for target_part in target.iter().rev() {
                    pending.push_front(target_part.to_os_string());
                }
            }
            Ok(meta) if meta.is_dir() => resolved.push(part),
            Ok(_) => {
                return Err(Error::NotADirectory {
                    path: entry.display().to_string(),
                    parent: candidate.display().to_string(),
                });
            }
            // Missing: the writer creates it as a directory. Nothing below it exists either, so
            // no later component can be a symlink.
            Err(error) if error.kind() == io::ErrorKind::NotFound => resolved.push(part),
            Err(error) => return Err(Error::io("inspect", on_host)(error)),
        }
    }
    Ok(rootfs.join(resolved).join(last))
}

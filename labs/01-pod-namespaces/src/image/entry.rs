//! Writing one layer entry (file, directory, symlink, hard link) into the rootfs.
//!
//! The rule that makes layers stack is *replacement*: an entry in an upper layer replaces
//! whatever a lower layer left at that path, whatever its type, except that a directory entry
//! over an existing directory keeps the directory's contents (only its mode changes). That is
//! what overlayfs shows when it merges the layers, and what we reproduce by copying.
//!
//! What we keep from the tar header: the type, the permission bits (including setuid, setgid and
//! sticky), the link target, and, when running as root, the owner. What we drop: timestamps,
//! extended attributes (such as file capabilities) and device nodes, which a container gets from
//! its own `/dev` mount in step 3. Each is a simplification that a production runtime does not
//! make; none changes what a busybox container sees.

use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt, lchown, symlink};
use std::path::{Path, PathBuf};

use tar::EntryType;

use crate::image::safe_path::{clean_entry_path, resolve_in_rootfs};
use crate::image::{Error, Result};

/// A directory's final permission bits, applied when its layer is done (see [`set_dir_modes`]).
pub type DirMode = (PathBuf, u32);

/// Writes one tar entry at the clean relative path `path` inside `rootfs`.
///
/// Directory modes are not applied here but pushed onto `dir_modes`: a directory may be
/// read-only (`0555`), and its own children come after it in the tar. Returns `false` when the
/// entry was skipped (device nodes, FIFOs, tar bookkeeping).
pub fn write_entry<R: Read>(
    rootfs: &Path,
    path: &Path,
    entry: &mut tar::Entry<'_, R>,
    dir_modes: &mut Vec<DirMode>,
) -> Result<bool> {
    let kind = entry.header().entry_type();
    match kind {
        EntryType::Directory
        | EntryType::Regular
        | EntryType::Continuous
        | EntryType::Symlink
        | EntryType::Link => {}
        // Skipped before anything touches the disk, so a skipped entry creates no parents.
        EntryType::Char | EntryType::Block | EntryType::Fifo => {
            tracing::debug!(path = %path.display(), "skipping device node or fifo");
            return Ok(false);
        }
        // Anything else is tar bookkeeping (a pax global header, say) with no file behind it.
        other => {
            tracing::debug!(path = %path.display(), kind = ?other, "skipping unsupported entry type");
            return Ok(false);
        }
    }
    let target = resolve_in_rootfs(rootfs, path)?;
    if target == rootfs {
        // The `./` entry describes the rootfs itself, whose mode is the runtime's choice.
        return Ok(false);
    }
    let header = entry.header();
    // Only the permission bits: the tar mode field may also carry the file type bits.
    let mode = header
        .mode()
        .map_err(Error::io("read the mode of", &target))?
        & 0o7777;
    let owner = (header.uid().ok(), header.gid().ok());
    if let Some(parent) = target.parent() {
        create_parents(rootfs, parent)?;
    }
    match kind {
        EntryType::Directory => {
            if !is_real_dir(&target) {
                remove_any(&target)?;
                fs::create_dir(&target).map_err(Error::io("create directory", &target))?;
            }
            dir_modes.push((target.clone(), mode));
        }
        EntryType::Regular | EntryType::Continuous => {
            remove_any(&target)?;
            // Created private (0600) and given its real mode only once its content is written.
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&target)
                .map_err(Error::io("create file", &target))?;
            io::copy(entry, &mut file).map_err(Error::io("write file", &target))?;
        }
        EntryType::Symlink => {
            let link = link_name(entry, &target)?;
            remove_any(&target)?;
            // The target is stored as written, even if absolute or dangling: a symlink is only
            // followed inside the container, where `/` is the rootfs.
            symlink(&link, &target).map_err(Error::io("create symlink", &target))?;
        }
        EntryType::Link => {
            // A hard link names another entry of the archive, so it gets the same checks.
            let link = clean_entry_path(&link_name(entry, &target)?)?;
            let source = resolve_in_rootfs(rootfs, &link)?;
            remove_any(&target)?;
            fs::hard_link(&source, &target).map_err(Error::io("create hard link", &target))?;
            // A hard link shares its inode, mode and owner with its source: nothing left to set.
            return Ok(true);
        }
        // Filtered out at the top of the function.
        _ => return Ok(false),
    }
    set_owner(&target, owner)?;
    if kind != EntryType::Directory && kind != EntryType::Symlink {
        // After chown: changing the owner clears setuid and setgid bits, so the mode goes last.
        fs::set_permissions(&target, fs::Permissions::from_mode(mode))
            .map_err(Error::io("set the mode of", &target))?;
    }
    Ok(true)
}

/// Applies the directory modes collected by [`write_entry`], deepest first, so that a parent
/// made read-only cannot stop us from changing its children.
pub fn set_dir_modes(dir_modes: Vec<DirMode>) -> Result<()> {
    for (dir, mode) in dir_modes.into_iter().rev() {
        // A later entry of the same layer may have replaced the directory with something else.
        if is_real_dir(&dir) {
            fs::set_permissions(&dir, fs::Permissions::from_mode(mode))
                .map_err(Error::io("set the mode of", &dir))?;
        }
    }
    Ok(())
}

/// Removes whatever is at `path` (file, symlink, or directory with all it holds), never
/// following a symlink. A missing path is fine: there is nothing to replace.
pub fn remove_any(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => {
            // `remove_dir_all` does not follow symlinks inside the tree: it deletes the links.
            fs::remove_dir_all(path).map_err(Error::io("remove directory", path))
        }
        Ok(_) => fs::remove_file(path).map_err(Error::io("remove", path)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(Error::io("inspect", path)(error)),
    }
}

/// Whether `path` is a directory itself, not a symlink to one.
pub fn is_real_dir(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|meta| meta.is_dir())
}

/// Creates the missing directories between `rootfs` and `dir` with mode `0755`.
///
/// Layers need not list every parent (`usr/` before `usr/bin/sh`). `resolve_in_rootfs` has
/// already checked that no existing component is a symlink, so plain `create_dir` is safe here.
fn create_parents(rootfs: &Path, dir: &Path) -> Result<()> {
    if is_real_dir(dir) {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|_| dir != rootfs) {
        create_parents(rootfs, parent)?;
    }
    fs::create_dir(dir).map_err(Error::io("create directory", dir))?;
    // Set explicitly: `create_dir` applies the process umask, which differs between machines.
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755))
        .map_err(Error::io("set the mode of", dir))
}

/// Reads an entry's link target (symlink or hard link).
fn link_name<R: Read>(entry: &tar::Entry<'_, R>, target: &Path) -> Result<PathBuf> {
    match entry.link_name() {
        Ok(Some(link)) => Ok(link.into_owned()),
        Ok(None) => Err(Error::UnsafePath {
            path: target.display().to_string(),
            reason: "is a link without a target".to_owned(),
        }),
        Err(error) => Err(Error::io("read the link target of", target)(error)),
    }
}

/// Gives `path` the owner from the tar header, when we may: only root can give files away.
/// Unprivileged, every file belongs to the user who unpacked it (rootless runtimes map it back
/// with a user namespace, which is step 3's business).
fn set_owner(path: &Path, (uid, gid): (Option<u64>, Option<u64>)) -> Result<()> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(());
    }
    let uid = uid.and_then(|uid| u32::try_from(uid).ok());
    let gid = gid.and_then(|gid| u32::try_from(gid).ok());
    // `lchown` changes a symlink itself, never the file it points at.
    lchown(path, uid, gid).map_err(Error::io("change the owner of", path))
}

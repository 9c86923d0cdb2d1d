//! The offline `busybox` image, built from the host's busybox-static.
//!
//! The course never downloads anything, yet every later step needs an image with a shell. BusyBox
//! is one statically linked binary that behaves as `sh`, `ls`, `sleep`, `wget` and some 300 other
//! programs ("applets") depending on the name it is called by. So a complete image is:
//!
//! ```text
//! bin/busybox              the binary, copied from the host (Debian package busybox-static)
//! bin/sh -> busybox        one symlink per applet listed by `busybox --list`
//! bin/ls -> busybox
//! etc/passwd, etc/group    root and nobody, so user names resolve
//! dev/ proc/ sys/ tmp/ ... empty mount points and scratch space
//! ```
//!
//! It must be *static*: the rootfs has no `/lib`, so a dynamically linked busybox (the plain
//! `busybox` package) would fail to start with a confusing "no such file or directory" from the
//! missing dynamic loader. We check the ELF header for a `PT_INTERP` program header, the field
//! that names that loader, and refuse such a binary up front.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

use oci_spec::image::{ConfigBuilder, Descriptor};

use crate::image::build::{add_index_entry, tar_directory, write_image};
use crate::image::layout::OciDir;
use crate::image::media::Compression;
use crate::image::{Error, ImageRef, Result};

/// Where Debian's busybox-static installs the binary.
pub const DEFAULT_BUSYBOX: &str = "/bin/busybox";
/// The name the image gets: `busybox`, tag `latest`.
pub const IMAGE_NAME: &str = "busybox";

/// The `PATH` every Docker Hub image sets; ours has only `/bin`, but the rest does no harm and
/// keeps commands working in images that put things elsewhere.
const PATH_ENV: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// ELF program header type of the dynamic-loader path.
const PT_INTERP: u32 = 3;

/// Writes a one-image OCI layout for busybox at `layout_dir`, named `busybox:latest`, and
/// returns the manifest's descriptor. The same binary always gives the same digest.
pub fn build_layout(busybox: &Path, layout_dir: &Path) -> Result<Descriptor> {
    let binary = fs::read(busybox).map_err(|error| Error::Busybox {
        path: busybox.to_path_buf(),
        reason: format!("cannot read it ({error})"),
    })?;
    // Checked before anything is written, so a wrong binary leaves no half-built layout.
    check_static(busybox, &binary)?;
    // The rootfs is staged as real files and then tarred by the same code that would tar any
    // directory: one path to test, and what you see in the staging directory is the image.
    let staging = tempfile::tempdir().map_err(Error::io(
        "create a temporary directory in",
        std::env::temp_dir(),
    ))?;
    stage_rootfs(busybox, &binary, staging.path())?;
    let layer = tar_directory(staging.path())?;
    let layout = OciDir::create(layout_dir)?;
    // What `docker run busybox` would run: `sh`, with the usual PATH. A Pod's `command` and
    // `args` override these, exactly as Kubernetes defines (step 3).
    let runtime_config = ConfigBuilder::default()
        .env(vec![PATH_ENV.to_owned()])
        .cmd(vec!["sh".to_owned()])
        .build()
        .expect("env and cmd are set");
    let descriptor = write_image(&layout, &[layer], Compression::Gzip, runtime_config)?;
    let name = ImageRef::new(IMAGE_NAME, ImageRef::DEFAULT_TAG)
        .expect("busybox:latest is a valid reference");
    add_index_entry(&layout, &descriptor, &name)?;
    Ok(descriptor)
}

/// Lays out the busybox rootfs in the empty directory `root`, every mode set explicitly so the
/// process umask cannot change the image.
pub fn stage_rootfs(busybox: &Path, binary: &[u8], root: &Path) -> Result<()> {
    for (dir, mode) in [
        ("bin", 0o755),
        ("dev", 0o755),
        ("etc", 0o755),
        ("home", 0o755),
        ("proc", 0o555),
        ("root", 0o700),
        ("sys", 0o555),
        // The sticky bit: everyone may create files, only their owner may delete them.
        ("tmp", 0o1777),
        ("var", 0o755),
    ] {
        make_dir(&root.join(dir), mode)?;
    }
    write_file(&root.join("bin/busybox"), binary, 0o755)?;
    // BusyBox looks at `argv[0]` to decide which program to be, so `bin/ls -> busybox` *is*
    // `ls`. Everything goes in `bin/`; the PATH covers the other usual directories anyway.
    for applet in applets(busybox)? {
        let link = root.join("bin").join(&applet);
        // A relative target: it resolves inside the container, whatever the rootfs's host path.
        symlink("busybox", &link).map_err(Error::io("create symlink", &link))?;
    }
    // User and group names for `runAsUser`, `id`, `ls -l`: without these files, numbers only.
    write_file(
        &root.join("etc/passwd"),
        b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
        0o644,
    )?;
    write_file(
        &root.join("etc/group"),
        b"root:x:0:\nnobody:x:65534:\n",
        0o644,
    )
}

/// The applet names `busybox --list` prints, one per line, without `busybox` itself.
fn applets(busybox: &Path) -> Result<Vec<String>> {
    let busybox_error = |reason: String| Error::Busybox {
        path: busybox.to_path_buf(),
        reason,
    };
    // Running the host's binary is safe here: it is the program we are about to package, and
    // `--list` only prints.
    let output = Command::new(busybox)
        .arg("--list")
        .output()
        .map_err(|error| busybox_error(format!("cannot run it ({error})")))?;
    if !output.status.success() {
        return Err(busybox_error(format!(
            "`busybox --list` failed ({})",
            output.status
        )));
    }
    let stdout = String::from_utf8(output.stdout).map_err(|_| {
        busybox_error("`busybox --list` printed something that is not text".to_owned())
    })?;
    let applets: Vec<String> = stdout
        .lines()
        .map(str::trim)
        // An applet name becomes a file name in bin/, so it must be one plain component.
        .filter(|name| !name.is_empty() && *name != "busybox" && *name != "." && *name != "..")
        .filter(|name| !name.contains('/'))
        .map(str::to_owned)
        .collect();
    // A busybox built without a shell could not run any Pod command of this course.
    if !applets.iter().any(|name| name == "sh") {
        return Err(busybox_error("it has no `sh` applet".to_owned()));
    }
    Ok(applets)
}

/// Refuses a dynamically linked binary: one whose ELF program headers include `PT_INTERP`.
fn check_static(busybox: &Path, binary: &[u8]) -> Result<()> {
    let refuse = |reason: &str| Error::Busybox {
        path: busybox.to_path_buf(),
        reason: reason.to_owned(),
    };
    // Every ELF file starts with these four "magic" bytes (see `elf(5)`).
    if binary.get(..4) != Some(b"\x7fELF".as_slice()) {
        return Err(refuse("it is not an ELF executable"));
    }
    // Byte 5 is the data encoding; 1 means little-endian, what every machine we target uses.
    if binary.get(5) != Some(&1) {
        return Ok(());
    }
    // Reads a little-endian unsigned field of `width` bytes; `None` past the end of the file,
    // so a truncated or hostile binary gives an error, never a panic.
    let read = |offset: usize, width: usize| -> Option<u64> {
        let bytes = binary.get(offset..offset.checked_add(width)?)?;
        Some(
            bytes
                .iter()
                .rev()
                .fold(0, |value, &byte| (value << 8) | u64::from(byte)),
        )
    };
    // Byte 4 is the class: 2 for 64-bit, where the header fields sit at other offsets.
    let (table, entry_size, count) = match binary.get(4) {
        Some(2) => (read(0x20, 8), read(0x36, 2), read(0x38, 2)),
        _ => (read(0x1c, 4), read(0x2a, 2), read(0x2c, 2)),
    };
    let (Some(table), Some(entry_size), Some(count)) = (table, entry_size, count) else {
        return Err(refuse("its ELF header is truncated"));
    };
    // The program header table: `count` entries of `entry_size` bytes from offset `table`.
    // Each entry starts with its 4-byte type; a `PT_INTERP` entry names the dynamic loader
    // (`/lib64/ld-linux-x86-64.so.2`) that the kernel must start first.
    for index in 0..count {
        let offset = index
            .checked_mul(entry_size)
            .and_then(|start| start.checked_add(table))
            .and_then(|offset| usize::try_from(offset).ok());
        let header_type = offset.and_then(|offset| read(offset, 4));
        if header_type == Some(u64::from(PT_INTERP)) {
            return Err(refuse(
                "it is dynamically linked, and the image has no libraries for it (that is the `busybox` package, not `busybox-static`)",
            ));
        }
    }
    Ok(())
}

/// Creates a directory with exactly `mode`.
fn make_dir(path: &Path, mode: u32) -> Result<()> {
    fs::create_dir(path).map_err(Error::io("create directory", path))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(Error::io("set the mode of", path))
}

/// Writes a file with exactly `mode`.
fn write_file(path: &Path, content: &[u8], mode: u32) -> Result<()> {
    fs::write(path, content).map_err(Error::io("write", path))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(Error::io("set the mode of", path))
}

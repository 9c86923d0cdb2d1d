//! Step 1 tests of the offline busybox image, built from the host's busybox-static.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use lab_01::image::busybox::build_layout;
use lab_01::image::{ImageRef, OciDir, Store};

/// Builds the busybox layout at `dir` and imports it into a store at `store_dir`.
fn build_and_store(busybox: &Path, dir: &Path, store_dir: &Path) -> Store {
    build_layout(busybox, dir).unwrap();
    let store = Store::open_or_create(store_dir).unwrap();
    store.import(&OciDir::open(dir).unwrap(), None).unwrap();
    store
}

#[test]
fn step1_busybox_image_digest_is_the_same_on_every_build() {
    let busybox = labkit::require!(labkit::host_binary("busybox", "busybox-static"));
    let temp = tempfile::tempdir().unwrap();
    let first = build_and_store(
        &busybox,
        &temp.path().join("one"),
        &temp.path().join("store-one"),
    );
    let second = build_and_store(
        &busybox,
        &temp.path().join("two"),
        &temp.path().join("store-two"),
    );
    let busybox_ref = ImageRef::parse("busybox").unwrap();
    let (first, second) = (
        first.resolve(&busybox_ref).unwrap(),
        second.resolve(&busybox_ref).unwrap(),
    );
    assert_eq!(
        first.digest(),
        second.digest(),
        "a reproducible build has one digest"
    );
}

#[test]
fn step1_busybox_rootfs_has_a_shell_and_its_applets() {
    let busybox = labkit::require!(labkit::host_binary("busybox", "busybox-static"));
    let temp = tempfile::tempdir().unwrap();
    let store = build_and_store(
        &busybox,
        &temp.path().join("layout"),
        &temp.path().join("store"),
    );
    let rootfs = temp.path().join("rootfs");
    store
        .unpack(&ImageRef::parse("busybox").unwrap(), &rootfs)
        .unwrap();

    let binary = fs::metadata(rootfs.join("bin/busybox")).unwrap();
    assert_eq!(binary.len(), fs::metadata(&busybox).unwrap().len());
    assert_eq!(binary.permissions().mode() & 0o7777, 0o755);
    assert_eq!(
        fs::read_link(rootfs.join("bin/sh")).unwrap(),
        Path::new("busybox")
    );
    let tmp_mode = fs::metadata(rootfs.join("tmp"))
        .unwrap()
        .permissions()
        .mode()
        & 0o7777;
    assert_eq!(
        tmp_mode, 0o1777,
        "tmp is world-writable with the sticky bit"
    );
    assert!(
        fs::read_to_string(rootfs.join("etc/passwd"))
            .unwrap()
            .starts_with("root:x:0:0:")
    );

    // Every applet busybox lists is a symlink in bin/.
    let list = Command::new(&busybox).arg("--list").output().unwrap();
    for applet in String::from_utf8(list.stdout)
        .unwrap()
        .lines()
        .filter(|name| *name != "busybox")
    {
        assert!(
            fs::symlink_metadata(rootfs.join("bin").join(applet))
                .unwrap()
                .file_type()
                .is_symlink(),
            "{applet}"
        );
    }

    // The binary is static, so it runs straight from the rootfs, no libraries needed. Called
    // through its `sh` symlink, it is a shell.
    let output = Command::new(rootfs.join("bin/sh"))
        .args(["-c", "echo hello from the rootfs"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "hello from the rootfs\n"
    );
}

/// A minimal 64-bit little-endian ELF header with one program header of type `t`.
fn fake_elf(program_header_type: u32) -> Vec<u8> {
    let mut elf = vec![0_u8; 64 + 56];
    elf[..4].copy_from_slice(b"\x7fELF");
    elf[4] = 2; // 64-bit
    elf[5] = 1; // little-endian
    elf[0x20..0x28].copy_from_slice(&64_u64.to_le_bytes()); // program headers right after
    elf[0x36..0x38].copy_from_slice(&56_u16.to_le_bytes()); // each 56 bytes long
    elf[0x38..0x3a].copy_from_slice(&1_u16.to_le_bytes()); // one of them
    elf[64..68].copy_from_slice(&program_header_type.to_le_bytes());
    elf
}

#[test]
fn dynamically_linked_busybox_is_refused() {
    let temp = tempfile::tempdir().unwrap();
    let dynamic = temp.path().join("busybox");
    // PT_INTERP (3): "start this dynamic loader first", which the image could not provide.
    fs::write(&dynamic, fake_elf(3)).unwrap();
    let error = build_layout(&dynamic, &temp.path().join("layout")).unwrap_err();
    assert!(error.to_string().contains("dynamically linked"), "{error}");
    assert!(
        error.to_string().contains("apt-get install busybox-static"),
        "{error}"
    );
    assert!(
        !temp.path().join("layout").exists(),
        "nothing is written for a refused binary"
    );
}

#[test]
fn a_file_that_is_not_a_program_is_refused() {
    let temp = tempfile::tempdir().unwrap();
    let script = temp.path().join("busybox");
    fs::write(&script, "#!/bin/sh\necho not busybox\n").unwrap();
    let error = build_layout(&script, &temp.path().join("layout")).unwrap_err();
    assert!(
        error.to_string().contains("not an ELF executable"),
        "{error}"
    );
}

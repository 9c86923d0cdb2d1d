//! Unit tests for the path-safety helpers (given code, so not graded: the graded escape tests
//! go through `apply_layer` in `tests/it/unpack.rs`).

use std::os::unix::fs::symlink;

use super::*;

#[test]
fn clean_path_drops_leading_dot_and_trailing_slash() {
    let clean = clean_entry_path(Path::new("./usr/bin/")).unwrap();
    assert_eq!(clean, Path::new("usr/bin"));
    assert_eq!(clean_entry_path(Path::new("./")).unwrap(), Path::new(""));
}

#[test]
fn clean_path_refuses_absolute_and_parent_components() {
    for bad in ["/etc/passwd", "../x", "a/../../x", "a/b/.."] {
        let error = clean_entry_path(Path::new(bad)).expect_err(bad);
        assert!(matches!(error, Error::UnsafePath { .. }), "{bad}: {error}");
    }
}

#[test]
fn resolve_follows_a_relative_symlink_that_stays_inside() {
    let rootfs = tempfile::tempdir().unwrap();
    fs::create_dir_all(rootfs.path().join("usr/lib")).unwrap();
    symlink("usr/lib", rootfs.path().join("lib")).unwrap();
    let resolved = resolve_in_rootfs(rootfs.path(), Path::new("lib/libc.so")).unwrap();
    assert_eq!(resolved, rootfs.path().join("usr/lib/libc.so"));
}

#[test]
fn resolve_refuses_symlinks_that_leave_the_rootfs() {
    let rootfs = tempfile::tempdir().unwrap();
    fs::create_dir(rootfs.path().join("a")).unwrap();
    symlink("../..", rootfs.path().join("a/up")).unwrap();
    symlink("/etc", rootfs.path().join("abs")).unwrap();
    for bad in ["a/up/x", "abs/passwd"] {
        let error = resolve_in_rootfs(rootfs.path(), Path::new(bad)).expect_err(bad);
        assert!(matches!(error, Error::UnsafePath { .. }), "{bad}: {error}");
    }
}

#[test]
fn resolve_does_not_follow_the_last_component() {
    let rootfs = tempfile::tempdir().unwrap();
    symlink("/etc/passwd", rootfs.path().join("passwd")).unwrap();
    // The entry replaces the symlink itself, so resolving it is harmless.
    let resolved = resolve_in_rootfs(rootfs.path(), Path::new("passwd")).unwrap();
    assert_eq!(resolved, rootfs.path().join("passwd"));
}

#[test]
fn resolve_stops_symlink_loops() {
    let rootfs = tempfile::tempdir().unwrap();
    symlink("loop", rootfs.path().join("loop")).unwrap();
    let error = resolve_in_rootfs(rootfs.path(), Path::new("loop/x")).unwrap_err();
    assert!(
        error.to_string().contains("more than 40 symlinks"),
        "{error}"
    );
}

#[test]
fn resolve_refuses_an_absolute_entry_even_when_not_cleaned_first() {
    // `rootfs.join("/etc/passwd")` would be the host's file: resolve must not trust its caller.
    let rootfs = tempfile::tempdir().unwrap();
    let error = resolve_in_rootfs(rootfs.path(), Path::new("/etc/passwd")).unwrap_err();
    assert!(matches!(error, Error::UnsafePath { .. }), "{error}");
}

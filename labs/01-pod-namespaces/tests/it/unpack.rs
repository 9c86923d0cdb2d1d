//! Step 1 tests of unpacking: layers in order, whiteouts, and entries that try to escape.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use lab_01::image::media::Compression;
use lab_01::image::unpack::{LayerStats, apply_layer};
use lab_01::image::{Error, unpack_image};

use crate::support::{Layer, fixture_layout, listing};

/// Applies each layer in turn to a fresh rootfs inside a temporary directory.
fn apply_all(layers: &[Vec<u8>]) -> (tempfile::TempDir, std::path::PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let rootfs = temp.path().join("rootfs");
    fs::create_dir(&rootfs).unwrap();
    for layer in layers {
        apply_layer(layer.as_slice(), &rootfs).unwrap();
    }
    (temp, rootfs)
}

/// Applies `layers` and expects the last one to fail with an unsafe-path error.
fn expect_refused(layers: &[Vec<u8>]) -> (tempfile::TempDir, String) {
    let temp = tempfile::tempdir().unwrap();
    let rootfs = temp.path().join("rootfs");
    fs::create_dir(&rootfs).unwrap();
    let (last, lower) = layers.split_last().unwrap();
    for layer in lower {
        apply_layer(layer.as_slice(), &rootfs).unwrap();
    }
    let error = apply_layer(last.as_slice(), &rootfs).unwrap_err();
    assert!(
        matches!(error, Error::UnsafePath { .. }),
        "expected an unsafe-path error, got: {error}"
    );
    (temp, error.to_string())
}

/// Three layers that use every rule: modes, links, both whiteout kinds, replacement by type.
fn three_layers() -> Vec<Vec<u8>> {
    let base = Layer::new()
        .dir("./", 0o755)
        .dir("bin", 0o755)
        .file("bin/tool", 0o755, "#!/bin/sh\necho v1\n")
        .symlink("bin/alias", "tool")
        .dir("etc", 0o755)
        .file("etc/motd", 0o644, "hello\n")
        .file("etc/hosts", 0o644, "127.0.0.1 localhost\n")
        .hardlink("etc/hosts.bak", "etc/hosts")
        .dir("var/cache", 0o755)
        .file("var/cache/a", 0o600, "a")
        .dir("var/cache/sub", 0o700)
        .file("var/cache/sub/b", 0o600, "b")
        .dir("opt/old", 0o755)
        .file("opt/old/data", 0o644, "old")
        .dir("tmp", 0o1777)
        .file("bin/su", 0o4755, "setuid")
        .file("usr/bin/env", 0o755, "env")
        .finish();
    let middle = Layer::new()
        .file("bin/tool", 0o755, "#!/bin/sh\necho v2, longer\n")
        .whiteout("etc/.wh.motd")
        .dir("var/cache", 0o755)
        .whiteout("var/cache/.wh..wh..opq")
        .file("var/cache/fresh", 0o644, "fresh")
        .file("opt/old", 0o644, "a file where a directory was")
        .finish();
    let top = Layer::new()
        .whiteout("usr/.wh.bin")
        .symlink("etc/motd", "/etc/issue")
        .finish();
    vec![base, middle, top]
}

#[test]
fn step1_layers_apply_in_order_with_whiteouts() {
    let (_temp, rootfs) = apply_all(&three_layers());
    insta::assert_snapshot!(listing(&rootfs));
}

#[test]
fn step1_read_only_directory_gets_its_mode_after_its_contents() {
    // `locked/` comes first in the tar with mode 0555, then a file inside it. Unprivileged, the
    // file could not be created if the mode were applied at once.
    let layer = Layer::new()
        .dir("locked", 0o555)
        .file("locked/inside", 0o444, "inside")
        .finish();
    let (_temp, rootfs) = apply_all(&[layer]);
    let listed = listing(&rootfs);
    // Give the owner write access back, so the temporary directory can be deleted.
    fs::set_permissions(rootfs.join("locked"), fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(listed, "locked/ dir 0555\nlocked/inside file 0444 size=6");
}

#[test]
fn step1_whiteout_removes_a_file_from_a_lower_layer() {
    let lower = Layer::new()
        .file("etc/motd", 0o644, "hello")
        .file("etc/keep", 0o644, "k")
        .finish();
    let upper = Layer::new().whiteout("etc/.wh.motd").finish();
    let (_temp, rootfs) = apply_all(&[lower, upper]);
    assert!(
        !rootfs.join("etc/motd").exists(),
        "the whited-out file is gone"
    );
    assert!(rootfs.join("etc/keep").exists(), "its sibling stays");
    assert!(
        !rootfs.join("etc/.wh.motd").exists(),
        "whiteout files are never written"
    );
}

#[test]
fn step1_whiteout_removes_a_whole_directory_from_a_lower_layer() {
    let lower = Layer::new()
        .file("srv/www/index.html", 0o644, "<h1>")
        .finish();
    let upper = Layer::new().whiteout("srv/.wh.www").finish();
    let (_temp, rootfs) = apply_all(&[lower, upper]);
    assert_eq!(listing(&rootfs), "srv/ dir 0755");
}

#[test]
fn step1_opaque_whiteout_hides_lower_directory_contents() {
    let lower = Layer::new()
        .file("data/a", 0o644, "a")
        .file("data/sub/b", 0o644, "b")
        .finish();
    let upper = Layer::new()
        .dir("data", 0o755)
        .whiteout("data/.wh..wh..opq")
        .file("data/new", 0o644, "new")
        .finish();
    let (_temp, rootfs) = apply_all(&[lower, upper]);
    assert_eq!(
        listing(&rootfs),
        "data/ dir 0755\ndata/new file 0644 size=3"
    );
}

#[test]
fn step1_whiteouts_do_not_hide_files_of_their_own_layer() {
    // The same layer adds `data/sub/kept` and `x` *before* the whiteouts that would hide them:
    // whiteouts only apply to lower layers, wherever they sit in the tar.
    let lower = Layer::new()
        .file("data/old", 0o644, "old")
        .file("data/sub/old", 0o644, "old")
        .file("x", 0o644, "lower")
        .finish();
    let upper = Layer::new()
        .file("data/sub/kept", 0o644, "kept")
        .file("x", 0o644, "upper")
        .whiteout("data/.wh..wh..opq")
        .whiteout(".wh.x")
        .finish();
    let (_temp, rootfs) = apply_all(&[lower, upper]);
    assert_eq!(
        listing(&rootfs),
        "data/ dir 0755\ndata/sub/ dir 0755\ndata/sub/kept file 0644 size=4\nx file 0644 size=5"
    );
}

#[test]
fn step1_apply_layer_counts_what_it_did() {
    let lower = Layer::new()
        .file("a", 0o644, "a")
        .file("b", 0o644, "b")
        .finish();
    let upper = Layer::new()
        .dir("./", 0o755)
        .whiteout(".wh.a")
        .file("c", 0o644, "c")
        .finish();
    let (_temp, rootfs) = apply_all(&[lower]);
    let stats = apply_layer(upper.as_slice(), &rootfs).unwrap();
    assert_eq!(
        stats,
        LayerStats {
            written: 1,
            whiteouts: 1,
            skipped: 1
        }
    );
}

#[test]
fn step1_absolute_entry_is_refused() {
    let (_temp, message) =
        expect_refused(&[Layer::new().raw_file("/etc/passwd", "pwned").finish()]);
    assert_eq!(
        message,
        "layer entry `/etc/passwd` is an absolute path; refusing to unpack it"
    );
}

#[test]
fn step1_parent_directory_entry_is_refused() {
    let (temp, message) = expect_refused(&[Layer::new().raw_file("../pwned", "pwned").finish()]);
    assert_eq!(
        message,
        "layer entry `../pwned` contains a `..` component; refusing to unpack it"
    );
    assert!(
        !temp.path().join("pwned").exists(),
        "nothing was written beside the rootfs"
    );
}

#[test]
fn step1_entry_through_a_symlink_pointing_outside_is_refused() {
    // Layer 1 plants `escape -> ..`; layer 2 writes through it. Naively joined, the file would
    // land beside the rootfs, outside it.
    let plant = Layer::new().symlink("escape", "..").finish();
    let write = Layer::new().file("escape/pwned", 0o644, "pwned").finish();
    let (temp, message) = expect_refused(&[plant, write]);
    assert!(message.contains("points outside the rootfs"), "{message}");
    assert!(
        !temp.path().join("pwned").exists(),
        "nothing was written beside the rootfs"
    );
}

#[test]
fn step1_entry_through_an_absolute_symlink_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().display().to_string();
    let plant = Layer::new().symlink("escape", &target).finish();
    let write = Layer::new().file("escape/pwned", 0o644, "pwned").finish();
    let (_temp, message) = expect_refused(&[plant, write]);
    assert!(message.contains("absolute target"), "{message}");
    assert!(
        !outside.path().join("pwned").exists(),
        "nothing was written through the symlink"
    );
}

#[test]
fn step1_hard_link_to_outside_the_rootfs_is_refused() {
    let (_temp, message) = expect_refused(&[Layer::new()
        .hardlink("passwd", "../../../etc/passwd")
        .finish()]);
    assert!(message.contains("contains a `..` component"), "{message}");
}

#[test]
fn step1_whiteout_naming_the_parent_is_refused() {
    let (_temp, message) = expect_refused(&[Layer::new().whiteout("etc/.wh..").finish()]);
    assert!(message.contains("names no file"), "{message}");
}

#[test]
fn step1_gzip_and_plain_layers_unpack_the_same() {
    let mut listings = Vec::new();
    for compression in [Compression::None, Compression::Gzip] {
        let temp = tempfile::tempdir().unwrap();
        let (layout, descriptor) =
            fixture_layout(&temp.path().join("layout"), &three_layers(), compression);
        let image = layout.image(&descriptor).unwrap();
        unpack_image(&layout, &image, &temp.path().join("rootfs")).unwrap();
        listings.push(listing(&temp.path().join("rootfs")));
    }
    assert_eq!(listings[0], listings[1]);
}

#[test]
fn step1_unpack_refuses_a_destination_that_is_not_empty() {
    let temp = tempfile::tempdir().unwrap();
    let (layout, descriptor) = fixture_layout(
        &temp.path().join("layout"),
        &three_layers(),
        Compression::Gzip,
    );
    let image = layout.image(&descriptor).unwrap();
    let dest = temp.path().join("rootfs");
    fs::create_dir(&dest).unwrap();
    fs::write(dest.join("precious"), "keep me").unwrap();
    let error = unpack_image(&layout, &image, &dest).unwrap_err();
    assert!(
        matches!(error, Error::DestinationNotEmpty { .. }),
        "{error}"
    );
    assert_eq!(listing(&dest), "precious file 0644 size=7");
}

#[test]
fn step1_layer_that_does_not_match_its_diff_id_is_refused() {
    let temp = tempfile::tempdir().unwrap();
    let good = Layer::new().file("a", 0o644, "a").finish();
    let (layout, descriptor) =
        fixture_layout(&temp.path().join("layout"), &[good], Compression::None);
    let mut image = layout.image(&descriptor).unwrap();
    // Claim a different uncompressed digest for the (intact) layer blob.
    let wrong = format!("sha256:{}", "0".repeat(64));
    image.config.rootfs_mut().set_diff_ids(vec![wrong]);
    let error = unpack_image(&layout, &image, &temp.path().join("rootfs")).unwrap_err();
    assert!(matches!(error, Error::DiffIdMismatch { .. }), "{error}");
}

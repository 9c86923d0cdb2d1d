//! Step 1 tests of reading a layout: digests are checked, and index -> manifest -> config is
//! walked, through a nested multi-platform index when there is one.

use std::fs;

use lab_01::image::build::write_image;
use lab_01::image::media::{Compression, host_platform};
use lab_01::image::{Error, OciDir};
use oci_spec::image::{Arch, Config, Descriptor, ImageIndex, MediaType, Platform, PlatformBuilder};

use crate::support::{Layer, blob_file, fixture_layout};

fn two_layer_fixture(dir: &std::path::Path) -> (OciDir, Descriptor) {
    let base = Layer::new()
        .file("etc/os-release", 0o644, "ID=fixture\n")
        .finish();
    let top = Layer::new().file("app/run", 0o755, "#!/bin/sh\n").finish();
    fixture_layout(dir, &[base, top], Compression::Gzip)
}

/// This machine's OS on an architecture no machine has: a platform the store must not pick.
fn foreign_platform() -> Platform {
    let (os, _) = host_platform();
    PlatformBuilder::default()
        .os(os)
        .architecture(Arch::Other("pdp11".to_owned()))
        .build()
        .unwrap()
}

#[test]
fn step1_index_leads_to_manifest_config_and_layers() {
    let temp = tempfile::tempdir().unwrap();
    two_layer_fixture(temp.path());
    // Start from what is on disk, as `lab-01 images import` does.
    let layout = OciDir::open(temp.path()).unwrap();
    let entry = layout.index().unwrap().manifests()[0].clone();
    let image = layout.image(&entry).unwrap();
    assert_eq!(&image.manifest_digest, entry.digest());
    assert_eq!(image.manifest.layers().len(), 2);
    assert_eq!(image.config.rootfs().diff_ids().len(), 2);
    let (os, arch) = host_platform();
    assert_eq!(
        (image.config.os(), image.config.architecture()),
        (&os, &arch)
    );
    // Layers are gzipped, so each blob digest differs from its diff_id (the digest of the tar).
    for (layer, diff_id) in image
        .manifest
        .layers()
        .iter()
        .zip(image.config.rootfs().diff_ids())
    {
        assert_eq!(layer.media_type(), &MediaType::ImageLayerGzip);
        assert_ne!(&layer.digest().to_string(), diff_id);
    }
}

#[test]
fn step1_nested_index_picks_this_platform() {
    let temp = tempfile::tempdir().unwrap();
    let (layout, ours) = two_layer_fixture(temp.path());
    // A second image for another architecture, with a different layer.
    let other_layer = Layer::new()
        .file("other", 0o644, "not for this machine")
        .finish();
    let mut theirs = write_image(
        &layout,
        &[other_layer],
        Compression::Gzip,
        Config::default(),
    )
    .unwrap();
    theirs.set_platform(Some(foreign_platform()));
    // Foreign platform first, so picking "the first entry" would be wrong.
    let mut nested = ImageIndex::default();
    nested.set_manifests(vec![theirs, ours.clone()]);
    let nested_descriptor = layout
        .write_blob(MediaType::ImageIndex, &serde_json::to_vec(&nested).unwrap())
        .unwrap();
    let image = layout.image(&nested_descriptor).unwrap();
    assert_eq!(&image.manifest_digest, ours.digest());
}

#[test]
fn step1_nested_index_without_this_platform_is_an_error() {
    let temp = tempfile::tempdir().unwrap();
    let (layout, mut theirs) = two_layer_fixture(temp.path());
    theirs.set_platform(Some(foreign_platform()));
    let mut nested = ImageIndex::default();
    nested.set_manifests(vec![theirs]);
    let nested_descriptor = layout
        .write_blob(MediaType::ImageIndex, &serde_json::to_vec(&nested).unwrap())
        .unwrap();
    let error = layout.image(&nested_descriptor).unwrap_err();
    assert!(matches!(error, Error::NoMatchingPlatform { .. }), "{error}");
    assert!(error.to_string().contains("it has: linux/pdp11"), "{error}");
}

#[test]
fn step1_blob_with_a_wrong_digest_is_rejected() {
    let temp = tempfile::tempdir().unwrap();
    let (layout, descriptor) = two_layer_fixture(temp.path());
    let image = layout.image(&descriptor).unwrap();
    let layer = &image.manifest.layers()[1];
    // Same size, one byte changed: only the hash can tell.
    let path = blob_file(&layout, layer);
    let mut bytes = fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    fs::write(&path, bytes).unwrap();
    let error = layout.open_blob(layer).unwrap_err();
    assert!(matches!(error, Error::DigestMismatch { .. }), "{error}");
    assert!(
        error.to_string().contains("corrupt or was tampered with"),
        "{error}"
    );
}

#[test]
fn step1_blob_with_a_wrong_size_is_rejected() {
    let temp = tempfile::tempdir().unwrap();
    let (layout, descriptor) = two_layer_fixture(temp.path());
    let path = blob_file(&layout, &descriptor);
    let mut bytes = fs::read(&path).unwrap();
    bytes.push(b'\n');
    fs::write(&path, bytes).unwrap();
    let error = layout.image(&descriptor).unwrap_err();
    assert!(matches!(error, Error::SizeMismatch { .. }), "{error}");
}

#[test]
fn step1_missing_blob_is_reported_by_digest() {
    let temp = tempfile::tempdir().unwrap();
    let (layout, descriptor) = two_layer_fixture(temp.path());
    let image = layout.image(&descriptor).unwrap();
    fs::remove_file(blob_file(&layout, image.manifest.config())).unwrap();
    let error = layout.image(&descriptor).unwrap_err();
    assert!(matches!(error, Error::MissingBlob { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains(&image.manifest.config().digest().to_string()),
        "{error}"
    );
}

#[test]
fn step1_blob_is_read_back_verified_from_its_start() {
    let temp = tempfile::tempdir().unwrap();
    let layout = OciDir::create(temp.path()).unwrap();
    let descriptor = layout
        .write_blob(MediaType::ImageConfig, b"{\"hello\":1}")
        .unwrap();
    let mut content = String::new();
    std::io::Read::read_to_string(&mut layout.open_blob(&descriptor).unwrap(), &mut content)
        .unwrap();
    assert_eq!(content, "{\"hello\":1}");
}

#[test]
fn step1_config_and_manifest_layer_counts_must_agree() {
    let temp = tempfile::tempdir().unwrap();
    let (layout, descriptor) = two_layer_fixture(temp.path());
    let mut image = layout.image(&descriptor).unwrap();
    // Rewrite the manifest with one layer fewer than its config has diff_ids.
    image.manifest.layers_mut().pop();
    let manifest = layout
        .write_blob(
            MediaType::ImageManifest,
            &serde_json::to_vec(&image.manifest).unwrap(),
        )
        .unwrap();
    let error = layout.image(&manifest).unwrap_err();
    assert!(
        matches!(
            error,
            Error::LayerCountMismatch {
                diff_ids: 2,
                layers: 1
            }
        ),
        "{error}"
    );
}

#[test]
fn a_directory_without_oci_layout_is_not_a_layout() {
    let temp = tempfile::tempdir().unwrap();
    let error = OciDir::open(temp.path()).unwrap_err();
    assert!(matches!(error, Error::NotALayout { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("point at a directory that holds `oci-layout`"),
        "{error}"
    );
}

//! Step 1 tests of the image store: import, resolve by `name[:tag]`, list, unpack.

use std::fs;

use lab_01::image::build::write_image;
use lab_01::image::media::Compression;
use lab_01::image::{Error, ImageRef, OciDir, Store};
use oci_spec::image::{Config, ImageIndex};

use crate::support::{Layer, blob_file, fixture_layout, listing, redact};

fn hello_layer(greeting: &str) -> Vec<u8> {
    Layer::new().file("hello.txt", 0o644, greeting).finish()
}

#[test]
fn step1_imported_image_is_found_by_name_with_the_default_tag() {
    let temp = tempfile::tempdir().unwrap();
    let (source, descriptor) = fixture_layout(
        &temp.path().join("layout"),
        &[hello_layer("hi")],
        Compression::Gzip,
    );
    let store = Store::open_or_create(temp.path().join("store")).unwrap();
    store.import(&source, None).unwrap();
    // `fixture` means `fixture:latest`.
    let found = store.resolve(&ImageRef::parse("fixture").unwrap()).unwrap();
    assert_eq!(found.digest(), descriptor.digest());
    let rootfs = temp.path().join("rootfs");
    store
        .unpack(&ImageRef::parse("fixture:latest").unwrap(), &rootfs)
        .unwrap();
    assert_eq!(fs::read_to_string(rootfs.join("hello.txt")).unwrap(), "hi");
}

#[test]
fn step1_import_with_a_name_stores_the_image_under_that_name() {
    let temp = tempfile::tempdir().unwrap();
    let (source, _) = fixture_layout(
        &temp.path().join("layout"),
        &[hello_layer("hi")],
        Compression::None,
    );
    let store = Store::open_or_create(temp.path().join("store")).unwrap();
    let name = ImageRef::parse("localhost:5000/team/hello:v1").unwrap();
    let imported = store.import(&source, Some(&name)).unwrap();
    assert_eq!(imported[0].reference, name);
    let names: Vec<String> = store
        .list()
        .unwrap()
        .iter()
        .map(|image| image.reference.to_string())
        .collect();
    assert_eq!(names, ["localhost:5000/team/hello:v1"]);
}

#[test]
fn step1_unknown_image_is_an_error_that_says_what_to_do() {
    let temp = tempfile::tempdir().unwrap();
    let store = Store::open_or_create(temp.path()).unwrap();
    let error = store
        .resolve(&ImageRef::parse("nginx:1.27").unwrap())
        .unwrap_err();
    assert!(matches!(error, Error::ImageNotFound { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.starts_with("image nginx:1.27 is not in the store"),
        "{message}"
    );
    assert!(message.contains("lab-01 images import"), "{message}");
}

#[test]
fn step1_reimport_moves_the_tag_and_shares_blobs() {
    let temp = tempfile::tempdir().unwrap();
    let store = Store::open_or_create(temp.path().join("store")).unwrap();
    let shared = Layer::new()
        .file("etc/base", 0o644, "shared base layer")
        .finish();
    let (first, _) = fixture_layout(
        &temp.path().join("one"),
        &[shared.clone(), hello_layer("v1")],
        Compression::Gzip,
    );
    let (second, newer) = fixture_layout(
        &temp.path().join("two"),
        &[shared, hello_layer("v2")],
        Compression::Gzip,
    );
    store.import(&first, None).unwrap();
    store.import(&second, None).unwrap();
    // One name, now pointing at the second image.
    let listed = store.list().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(&listed[0].digest, newer.digest());
    // The base layer is stored once: 1 shared layer + 2 top layers + 2 configs + 2 manifests.
    let blobs = fs::read_dir(store.root().join("blobs/sha256"))
        .unwrap()
        .count();
    assert_eq!(blobs, 7);
}

#[test]
fn step1_import_of_a_corrupt_layout_changes_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let (source, descriptor) = fixture_layout(
        &temp.path().join("layout"),
        &[hello_layer("hi")],
        Compression::Gzip,
    );
    let image = source.image(&descriptor).unwrap();
    fs::write(
        blob_file(&source, &image.manifest.layers()[0]),
        b"not the layer",
    )
    .unwrap();
    let store = Store::open_or_create(temp.path().join("store")).unwrap();
    let error = store.import(&source, None).unwrap_err();
    assert!(matches!(error, Error::SizeMismatch { .. }), "{error}");
    assert!(
        store.list().unwrap().is_empty(),
        "no name points at a half-imported image"
    );
}

#[test]
fn step1_import_needs_a_name_for_every_image() {
    let temp = tempfile::tempdir().unwrap();
    let layout = OciDir::create(temp.path().join("layout")).unwrap();
    let descriptor = write_image(
        &layout,
        &[hello_layer("hi")],
        Compression::Gzip,
        Config::default(),
    )
    .unwrap();
    // An index entry without the ref.name annotation, as some tools write.
    let mut index = ImageIndex::default();
    index.set_manifests(vec![descriptor]);
    layout.write_index(&index).unwrap();
    let store = Store::open_or_create(temp.path().join("store")).unwrap();
    let error = store.import(&layout, None).unwrap_err();
    assert!(
        error.to_string().contains("pass --name NAME[:TAG]"),
        "{error}"
    );
    store
        .import(&layout, Some(&ImageRef::parse("named").unwrap()))
        .unwrap();
    let rootfs = temp.path().join("rootfs");
    store
        .unpack(&ImageRef::parse("named").unwrap(), &rootfs)
        .unwrap();
    assert_eq!(listing(&rootfs), "hello.txt file 0644 size=2");
}

#[test]
fn step1_store_index_names_each_image_by_annotation() {
    let temp = tempfile::tempdir().unwrap();
    let store = Store::open_or_create(temp.path().join("store")).unwrap();
    for (dir, name) in [("b", "zeta:2"), ("a", "alpha")] {
        let (source, _) = fixture_layout(
            &temp.path().join(dir),
            &[hello_layer(name)],
            Compression::Gzip,
        );
        store
            .import(&source, Some(&ImageRef::parse(name).unwrap()))
            .unwrap();
    }
    let index = fs::read_to_string(store.root().join("index.json")).unwrap();
    insta::assert_snapshot!(redact(&index));
}

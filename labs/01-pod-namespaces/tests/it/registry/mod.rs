//! Step 1 tests of pulling from a registry, against a local `docker-registry` (never the
//! internet): the round trip, digests, a missing tag, a corrupt blob, and pull policies; tokens
//! against a fake registry.

mod kubelet;
mod offline;
mod server;
mod token;

use std::path::Path;

use lab_01::image::busybox::build_layout;
use lab_01::image::media::Compression;
use lab_01::image::policy::resolve;
use lab_01::image::{Error, ImageRef, Progress, PullOptions, PullPolicy, Store};

use crate::support::{Layer, fixture_layout, listing};
use server::LocalRegistry;

/// Pulls `reference` into `store`, collecting the progress events as strings.
fn pull(
    store: &Store,
    reference: &str,
) -> (Result<lab_01::image::StoredImage, Error>, Vec<String>) {
    let mut events = Vec::new();
    let result = store.pull(
        &ImageRef::parse(reference).unwrap(),
        &PullOptions::default(),
        &mut |event| {
            events.push(match event {
                Progress::Resolved { .. } => "resolved".to_owned(),
                Progress::Exists { .. } => "exists".to_owned(),
                Progress::Downloading { .. } => return,
                Progress::Verified { .. } => "verified".to_owned(),
            });
        },
    );
    (result, events)
}

/// Pushes a one-file fixture image (`greeting` holds `content`) as `<registry>/<dest>`.
fn push_fixture(registry: &LocalRegistry, dir: &Path, content: &str, dest: &str) {
    let layer = Layer::new().file("greeting", 0o644, content).finish();
    fixture_layout(dir, &[layer], Compression::Gzip);
    registry.push(dir, "fixture:latest", dest, false);
}

#[test]
fn step1_pull_from_a_local_registry_stores_busybox_that_unpacks() {
    let busybox = labkit::require!(labkit::host_binary("busybox", "busybox-static"));
    let registry = labkit::require!(LocalRegistry::start());
    let temp = tempfile::tempdir().unwrap();
    let layout = temp.path().join("busybox-layout");
    build_layout(&busybox, &layout).unwrap();
    // As Docker's v2 schema 2: `rootfs.diff.tar.gzip` layers, what most registries serve.
    registry.push(&layout, "busybox:latest", "library/busybox:1.0", true);

    let store = Store::open_or_create(temp.path().join("store")).unwrap();
    let name = format!("{}/library/busybox:1.0", registry.host());
    let (pulled, events) = pull(&store, &name);
    let pulled = pulled.unwrap();
    assert_eq!(pulled.reference.to_string(), name);
    assert_eq!(
        events,
        ["resolved", "verified", "verified"],
        "config, then the layer"
    );

    let rootfs = temp.path().join("rootfs");
    store.unpack(&pulled.reference, &rootfs).unwrap();
    assert!(rootfs.join("bin/busybox").is_file());
    assert_eq!(
        std::fs::read_link(rootfs.join("bin/sh")).unwrap(),
        Path::new("busybox")
    );
    assert!(listing(&rootfs).contains("etc/passwd file 0644"));

    // Pulling again downloads nothing: the blobs are there, and the tag still means the same.
    let (again, events) = pull(&store, &name);
    assert_eq!(again.unwrap().digest, pulled.digest);
    assert_eq!(events, ["resolved", "exists", "exists"]);
}

#[test]
fn step1_pull_by_digest_gets_exactly_that_manifest() {
    let registry = labkit::require!(LocalRegistry::start());
    let temp = tempfile::tempdir().unwrap();
    push_fixture(
        &registry,
        &temp.path().join("layout"),
        "hello",
        "team/app:1.0",
    );
    let store = Store::open_or_create(temp.path().join("store")).unwrap();
    let (by_tag, _) = pull(&store, &format!("{}/team/app:1.0", registry.host()));
    let digest = by_tag.unwrap().digest;

    let other = Store::open_or_create(temp.path().join("other")).unwrap();
    let pinned = format!("{}/team/app@{digest}", registry.host());
    let (by_digest, _) = pull(&other, &pinned);
    let by_digest = by_digest.unwrap();
    assert_eq!(by_digest.digest, digest);
    assert_eq!(by_digest.reference.to_string(), pinned);
    let rootfs = temp.path().join("rootfs");
    other.unpack(&by_digest.reference, &rootfs).unwrap();
    assert_eq!(
        std::fs::read_to_string(rootfs.join("greeting")).unwrap(),
        "hello"
    );
}

#[test]
fn step1_pull_of_a_missing_tag_is_err_image_pull_saying_manifest_unknown() {
    let registry = labkit::require!(LocalRegistry::start());
    let temp = tempfile::tempdir().unwrap();
    push_fixture(
        &registry,
        &temp.path().join("layout"),
        "hello",
        "team/app:1.0",
    );
    let store = Store::open_or_create(temp.path().join("store")).unwrap();
    let (result, _) = pull(&store, &format!("{}/team/app:nope", registry.host()));
    let error = result.unwrap_err();
    assert_eq!(error.kubelet_reason(), "ErrImagePull");
    let message = error.to_string();
    assert!(message.contains("manifest unknown"), "{message}");
    assert!(message.contains("team/app:nope"), "{message}");
    assert!(store.list().unwrap().is_empty(), "nothing is named");
}

#[test]
fn step1_pull_of_a_corrupt_blob_fails_and_stores_nothing_of_it() {
    let registry = labkit::require!(LocalRegistry::start());
    let temp = tempfile::tempdir().unwrap();
    let layout_dir = temp.path().join("layout");
    let layer = Layer::new().file("greeting", 0o644, "hello").finish();
    let (_, manifest) = fixture_layout(&layout_dir, &[layer], Compression::Gzip);
    registry.push(&layout_dir, "fixture:latest", "team/app:1.0", false);
    // The layer's digest, from the manifest skopeo pushed unchanged.
    let layout = lab_01::image::OciDir::open(&layout_dir).unwrap();
    let image = layout.image(&manifest).unwrap();
    let layer_digest = image.manifest.layers()[0].digest().to_string();
    // Same length, different bytes: the size check passes, only the digest can catch it.
    let data = registry.blob_data(&layer_digest);
    let mut bytes = std::fs::read(&data).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&data, bytes).unwrap();

    let store = Store::open_or_create(temp.path().join("store")).unwrap();
    let (result, _) = pull(&store, &format!("{}/team/app:1.0", registry.host()));
    let error = result.unwrap_err();
    assert!(matches!(error, Error::BadDownload { .. }), "{error}");
    assert_eq!(error.kubelet_reason(), "ErrImagePull");
    assert!(error.to_string().contains(&layer_digest), "{error}");
    let layer_path = store
        .layout()
        .blob_path(image.manifest.layers()[0].digest())
        .unwrap();
    assert!(!layer_path.exists(), "the corrupt layer is not stored");
    assert!(store.list().unwrap().is_empty(), "nothing is named");
    // No temporary file is left beside the blobs either: only the config made it.
    let blobs = std::fs::read_dir(layer_path.parent().unwrap())
        .unwrap()
        .count();
    assert_eq!(blobs, 1, "only the (valid) config blob");
}

#[test]
fn step1_pull_policy_always_follows_a_moved_tag_if_not_present_does_not() {
    let registry = labkit::require!(LocalRegistry::start());
    let temp = tempfile::tempdir().unwrap();
    let store = Store::open_or_create(temp.path().join("store")).unwrap();
    let image = ImageRef::parse(&format!("{}/team/app:latest", registry.host())).unwrap();
    let greeting = |policy| {
        let resolved =
            resolve(&store, &image, policy, &PullOptions::default(), &mut |_| {}).unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let rootfs = scratch.path().join("rootfs");
        lab_01::image::unpack_image(store.layout(), &resolved, &rootfs).unwrap();
        std::fs::read_to_string(rootfs.join("greeting")).unwrap()
    };
    push_fixture(
        &registry,
        &temp.path().join("one"),
        "first",
        "team/app:latest",
    );
    assert_eq!(PullPolicy::default_for(&image), PullPolicy::Always);
    assert_eq!(greeting(PullPolicy::Always), "first");
    // The tag moves in the registry, as `:latest` does.
    push_fixture(
        &registry,
        &temp.path().join("two"),
        "second",
        "team/app:latest",
    );
    assert_eq!(
        greeting(PullPolicy::IfNotPresent),
        "first",
        "present: not pulled"
    );
    assert_eq!(greeting(PullPolicy::Never), "first");
    assert_eq!(
        greeting(PullPolicy::Always),
        "second",
        "Always asks the registry"
    );
}

//! Step 1 tests of the pull machinery that need no registry: pull policies, blobs verified on
//! arrival, the bearer challenge, and an unreachable registry.

use std::net::TcpListener;

use lab_01::image::incoming::IncomingBlob;
use lab_01::image::layout::{OciDir, sha256_digest};
use lab_01::image::media::Compression;
use lab_01::image::policy::{Decision, Presence, decide, resolve};
use lab_01::image::registry::auth::{Challenge, parse_challenge, token_url};
use lab_01::image::{Error, ImageRef, PullOptions, PullPolicy, Store};
use oci_spec::image::{Descriptor, MediaType};

use crate::support::{Layer, fixture_layout};

#[test]
fn step1_pull_policy_defaults_from_the_tag_as_kubernetes_does() {
    let default = |image: &str| PullPolicy::default_for(&ImageRef::parse(image).unwrap());
    assert_eq!(default("busybox"), PullPolicy::Always);
    assert_eq!(default("busybox:latest"), PullPolicy::Always);
    assert_eq!(default("busybox:1.36"), PullPolicy::IfNotPresent);
    let pinned = format!("busybox@sha256:{}", "ab".repeat(32));
    assert_eq!(default(&pinned), PullPolicy::IfNotPresent);
    let image = ImageRef::parse("busybox").unwrap();
    assert_eq!(
        PullPolicy::for_container(Some("Never"), &image).unwrap(),
        PullPolicy::Never
    );
    let error = PullPolicy::for_container(Some("Sometimes"), &image).unwrap_err();
    assert!(error.to_string().contains("Sometimes"), "{error}");
}

#[test]
fn step1_pull_policy_decides_when_to_pull() {
    use Decision::{NeverPull, Pull, UseStored};
    use Presence::{Absent, Local, Pulled};
    use PullPolicy::{Always, IfNotPresent, Never};
    let table = [
        (Always, Absent, false, Pull),
        (Always, Pulled, false, Pull),
        // Built here: no registry to ask (the offline busybox).
        (Always, Local, false, UseStored),
        // Pinned by digest: the registry cannot have changed it.
        (Always, Pulled, true, UseStored),
        (IfNotPresent, Absent, false, Pull),
        (IfNotPresent, Pulled, false, UseStored),
        (IfNotPresent, Local, false, UseStored),
        (Never, Absent, false, NeverPull),
        (Never, Absent, true, NeverPull),
        (Never, Pulled, false, UseStored),
        (Never, Local, false, UseStored),
    ];
    for (policy, presence, pinned, expected) in table {
        assert_eq!(
            decide(policy, presence, pinned),
            expected,
            "{policy} with {presence:?}, pinned: {pinned}"
        );
    }
}

#[test]
fn step1_never_policy_without_the_image_is_err_image_never_pull() {
    let temp = tempfile::tempdir().unwrap();
    let store = Store::open_or_create(temp.path()).unwrap();
    let image = ImageRef::parse("registry.invalid/app:1.0").unwrap();
    let error = resolve(
        &store,
        &image,
        PullPolicy::Never,
        &PullOptions::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(error.kubelet_reason(), "ErrImageNeverPull");
    assert_eq!(
        error.to_string(),
        "Container image \"registry.invalid/app:1.0\" is not present with pull policy of Never"
    );
}

#[test]
fn step1_stored_images_are_used_without_asking_a_registry() {
    // `registry.invalid` cannot resolve: any attempt to pull would fail the test.
    let temp = tempfile::tempdir().unwrap();
    let layer = Layer::new().file("greeting", 0o644, "hello").finish();
    let (layout, _) = fixture_layout(&temp.path().join("layout"), &[layer], Compression::Gzip);
    let store = Store::open_or_create(temp.path().join("store")).unwrap();
    for name in ["registry.invalid/app:1.0", "registry.invalid/app:latest"] {
        let image = ImageRef::parse(name).unwrap();
        store.import(&layout, Some(&image)).unwrap();
        for policy in [
            PullPolicy::IfNotPresent,
            PullPolicy::Never,
            PullPolicy::default_for(&image),
        ] {
            resolve(&store, &image, policy, &PullOptions::default(), &mut |_| {})
                .unwrap_or_else(|error| panic!("{name} with {policy}: {error}"));
        }
    }
}

#[test]
fn step1_unreachable_registry_is_err_image_pull() {
    // A port nobody listens on (bound, then released): connection refused, at once.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let temp = tempfile::tempdir().unwrap();
    let store = Store::open_or_create(temp.path()).unwrap();
    let image = ImageRef::parse(&format!("127.0.0.1:{port}/app:1.0")).unwrap();
    let error = store
        .pull(&image, &PullOptions::default(), &mut |_| {})
        .unwrap_err();
    assert!(matches!(error, Error::Unreachable { .. }), "{error}");
    assert_eq!(error.kubelet_reason(), "ErrImagePull");
    assert!(
        !error.is_bad_input(),
        "a network failure is the machine's, not the user's"
    );
}

/// A descriptor for `bytes` (as a layer) and an empty layout to receive it.
fn incoming_fixture(bytes: &[u8]) -> (tempfile::TempDir, OciDir, Descriptor) {
    let temp = tempfile::tempdir().unwrap();
    let layout = OciDir::create(temp.path().join("layout")).unwrap();
    let descriptor = Descriptor::new(
        MediaType::ImageLayerGzip,
        bytes.len() as u64,
        sha256_digest(bytes),
    );
    (temp, layout, descriptor)
}

/// The files in the layout's blob directory.
fn blob_files(layout: &OciDir) -> usize {
    std::fs::read_dir(layout.root().join("blobs/sha256"))
        .unwrap()
        .count()
}

#[test]
fn step1_incoming_blob_is_stored_only_when_size_and_digest_match() {
    let (_temp, layout, descriptor) = incoming_fixture(b"hello, registry");
    let mut incoming = IncomingBlob::new(&layout, &descriptor).unwrap();
    incoming.write(b"hello, ").unwrap();
    incoming.write(b"registry").unwrap();
    incoming.finish().unwrap();
    assert_eq!(layout.open_blob(&descriptor).map(|_| ()).ok(), Some(()));

    // Same length, other bytes: only the digest tells.
    let (_temp, layout, descriptor) = incoming_fixture(b"hello, registry");
    let mut incoming = IncomingBlob::new(&layout, &descriptor).unwrap();
    incoming.write(b"hello, REGISTRY").unwrap();
    let error = incoming.finish().unwrap_err();
    assert!(matches!(error, Error::BadDownload { .. }), "{error}");
    assert!(
        error.to_string().contains(&descriptor.digest().to_string()),
        "{error}"
    );
    assert_eq!(
        blob_files(&layout),
        0,
        "nothing stored, no temporary file left"
    );

    // Short: the connection ended early.
    let (_temp, layout, descriptor) = incoming_fixture(b"hello, registry");
    let mut incoming = IncomingBlob::new(&layout, &descriptor).unwrap();
    incoming.write(b"hello").unwrap();
    assert!(matches!(incoming.finish(), Err(Error::BadDownload { .. })));
    assert_eq!(blob_files(&layout), 0);
}

#[test]
fn step1_incoming_blob_refuses_more_bytes_than_promised() {
    let (_temp, layout, descriptor) = incoming_fixture(b"small");
    let mut incoming = IncomingBlob::new(&layout, &descriptor).unwrap();
    let error = incoming.write(b"much more than promised").unwrap_err();
    assert!(matches!(error, Error::BadDownload { .. }), "{error}");
}

#[test]
fn step1_bearer_challenge_is_parsed_into_a_token_url() {
    // Docker Hub's answer to an anonymous manifest request, as sent.
    let header = "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",\
                  scope=\"repository:library/busybox:pull\"";
    let challenge = parse_challenge(header).unwrap();
    assert_eq!(
        challenge,
        Challenge {
            realm: "https://auth.docker.io/token".to_owned(),
            service: Some("registry.docker.io".to_owned()),
            scope: Some("repository:library/busybox:pull".to_owned()),
        }
    );
    assert_eq!(
        token_url(&challenge, "library/busybox"),
        "https://auth.docker.io/token?service=registry.docker.io&scope=repository:library/busybox:pull"
    );
    // Commas inside a quoted value belong to it; the scheme is case-insensitive.
    let several =
        parse_challenge("bearer realm=\"https://r/t\",scope=\"repository:a/b:pull,push\"").unwrap();
    assert_eq!(several.scope.as_deref(), Some("repository:a/b:pull,push"));
    assert_eq!(several.service, None);
    // Not a bearer challenge, or no realm: nothing to ask a token from.
    assert_eq!(parse_challenge("Basic realm=\"registry\""), None);
    assert_eq!(parse_challenge("Bearer service=\"x\""), None);
}

//! Unit tests for `name[:tag]` parsing: the defaults and the one tricky colon.

use super::*;

#[test]
fn step1_image_name_without_tag_means_latest() {
    let image = ImageRef::parse("busybox").unwrap();
    assert_eq!(image.name(), "busybox");
    assert_eq!(image.tag(), "latest");
    assert_eq!(image, ImageRef::parse("busybox:latest").unwrap());
}

#[test]
fn step1_image_tag_follows_the_last_colon() {
    let image = ImageRef::parse("library/busybox:1.36.1").unwrap();
    assert_eq!((image.name(), image.tag()), ("library/busybox", "1.36.1"));
    assert_eq!(image.to_string(), "library/busybox:1.36.1");
}

#[test]
fn step1_registry_port_is_not_a_tag() {
    // The colon before `5000` is followed by a slash, so it belongs to the host, not a tag.
    let untagged = ImageRef::parse("localhost:5000/busybox").unwrap();
    assert_eq!(untagged.to_string(), "localhost:5000/busybox:latest");
    let tagged = ImageRef::parse("localhost:5000/busybox:musl").unwrap();
    assert_eq!(
        (tagged.name(), tagged.tag()),
        ("localhost:5000/busybox", "musl")
    );
}

#[test]
fn step1_invalid_references_are_refused_with_a_reason() {
    // Each bad reference must fail, and the message must name the input so the user sees it.
    for bad in [
        "",
        "busybox:",
        ":latest",
        "BusyBox",
        "busy box",
        "busybox@sha256:0123",
        "a//b",
        "busybox:-x",
        "-busybox",
        "host:port/x",
        "a:b:c",
    ] {
        let error = ImageRef::parse(bad).expect_err(bad);
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("invalid image reference `{bad}`: ")),
            "{message}"
        );
        assert!(error.is_bad_input());
    }
}

#[test]
fn step1_first_component_is_a_registry_only_with_a_dot_a_port_or_localhost() {
    // (reference, registry, repository in that registry, canonical form)
    for (reference, registry, repository, canonical) in [
        ("busybox", "docker.io", "library/busybox", "busybox:latest"),
        ("team/app:1.0", "docker.io", "team/app", "team/app:1.0"),
        (
            "registry.local:5000/team/app:1.0",
            "registry.local:5000",
            "team/app",
            "registry.local:5000/team/app:1.0",
        ),
        (
            "registry.local/app",
            "registry.local",
            "app",
            "registry.local/app:latest",
        ),
        ("localhost/x", "localhost", "x", "localhost/x:latest"),
        (
            "localhost:5000/x",
            "localhost:5000",
            "x",
            "localhost:5000/x:latest",
        ),
        // Docker Hub's long spellings are the same images as the short ones.
        (
            "docker.io/library/busybox:1.36",
            "docker.io",
            "library/busybox",
            "busybox:1.36",
        ),
        (
            "docker.io/team/app",
            "docker.io",
            "team/app",
            "team/app:latest",
        ),
    ] {
        let image = ImageRef::parse(reference).unwrap();
        assert_eq!(image.registry(), registry, "{reference}");
        assert_eq!(image.repository(), repository, "{reference}");
        assert_eq!(image.to_string(), canonical, "{reference}");
    }
    assert_eq!(
        ImageRef::parse("busybox").unwrap().qualified(),
        "docker.io/library/busybox:latest"
    );
}

#[test]
fn step1_digest_references_pin_the_manifest() {
    let hex = "4a6c".repeat(16);
    let pinned = ImageRef::parse(&format!("busybox@sha256:{hex}")).unwrap();
    assert_eq!(pinned.name(), "busybox");
    assert_eq!(pinned.tag(), "", "a digest reference has no tag");
    assert_eq!(pinned.digest(), Some(format!("sha256:{hex}").as_str()));
    assert_eq!(pinned.manifest_reference(), format!("sha256:{hex}"));
    assert_eq!(pinned.to_string(), format!("busybox@sha256:{hex}"));
    // Both: the tag is kept for people, the digest is what is fetched.
    let both = ImageRef::parse(&format!("localhost:5000/team/app:1.0@sha256:{hex}")).unwrap();
    assert_eq!(
        (both.name(), both.tag()),
        ("localhost:5000/team/app", "1.0")
    );
    assert_eq!(both.manifest_reference(), format!("sha256:{hex}"));
    // The canonical form parses back to the same reference (the store relies on it).
    assert_eq!(ImageRef::parse(&both.to_string()).unwrap(), both);
    for bad in [
        format!("busybox@sha512:{hex}"),
        format!("busybox@sha256:{}", hex.to_uppercase()),
        "busybox@sha256:abc".to_owned(),
        format!("busybox@{hex}"),
    ] {
        assert!(ImageRef::parse(&bad).is_err(), "{bad}");
    }
}

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

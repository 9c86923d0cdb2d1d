//! Bodies that are not valid Kubernetes protobuf: each is an error, never a panic, and only a
//! kind the server has no descriptor for is `UnsupportedKind` (the REST layer's 415).

use lab_02::protobuf::{ProtobufError, decode};

use super::fixture;

/// `k8s\0` + a runtime.Unknown with this typeMeta and raw object.
fn body(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
    fn field(number: u8, data: &[u8]) -> Vec<u8> {
        let len = u8::try_from(data.len()).expect("short test fields");
        [&[number << 3 | 2, len][..], data].concat()
    }
    let type_meta = [field(1, api_version.as_bytes()), field(2, kind.as_bytes())].concat();
    [b"k8s\0".to_vec(), field(1, &type_meta), field(2, raw)].concat()
}

#[test]
fn step5_body_without_magic_is_rejected() {
    let mut json = br#"{"kind":"Namespace","apiVersion":"v1"}"#.to_vec();
    assert!(matches!(decode(&json), Err(ProtobufError::MissingMagic)));
    json.clear();
    assert!(matches!(decode(&json), Err(ProtobufError::MissingMagic)));
    // A bare protobuf message, without the magic, is not accepted either.
    let bare = &fixture("namespace.kubectl-1.33.pb")[4..];
    assert!(matches!(decode(bare), Err(ProtobufError::MissingMagic)));
}

#[test]
fn step5_truncated_varint_is_rejected() {
    // Field 1, length-delimited, and a length whose varint never ends.
    let err = decode(b"k8s\0\x0a\xff\xff").unwrap_err();
    assert!(matches!(err, ProtobufError::Envelope(_)), "{err:?}");
    assert!(err.to_string().contains("truncated varint"), "{err}");
}

#[test]
fn step5_field_longer_than_body_is_rejected() {
    let err = decode(b"k8s\0\x0a\x40\x0a\x02v1").unwrap_err();
    assert!(matches!(err, ProtobufError::Envelope(_)), "{err:?}");
}

#[test]
fn step5_envelope_without_kind_is_rejected() {
    let err = decode(b"k8s\0\x12\x00").unwrap_err();
    assert!(matches!(err, ProtobufError::MissingTypeMeta), "{err:?}");
}

#[test]
fn step5_unknown_kind_is_unsupported_not_malformed() {
    for (api_version, kind) in [
        ("storage.k8s.io/v1", "StorageClass"),
        ("v1", "Widget"),
        // A message of the core group, but not an object one can create.
        ("v1", "Container"),
    ] {
        let err = decode(&body(api_version, kind, b"")).unwrap_err();
        match err {
            ProtobufError::UnsupportedKind {
                api_version: v,
                kind: k,
            } => {
                assert_eq!((v.as_str(), k.as_str()), (api_version, kind));
            }
            other => panic!("{api_version} {kind}: {other:?}"),
        }
    }
}

#[test]
fn step5_malformed_object_is_rejected() {
    // metadata (field 1) claims 16 bytes, has 3.
    let err = decode(&body("v1", "Namespace", b"\x0a\x10\x0a\x01x")).unwrap_err();
    assert!(
        matches!(&err, ProtobufError::Object { kind, .. } if kind == "Namespace"),
        "{err:?}"
    );
    // A string that is not UTF-8.
    let err = decode(&body("v1", "Namespace", b"\x0a\x04\x0a\x02\xff\xfe")).unwrap_err();
    assert!(matches!(err, ProtobufError::Object { .. }), "{err:?}");
    // A RawExtension that is not JSON.
    let err = decode(&body("apps/v1", "ControllerRevision", b"\x12\x03\x0a\x01{")).unwrap_err();
    assert!(err.to_string().contains("not JSON"), "{err}");
}

#[test]
fn step5_every_truncation_of_a_real_body_is_an_error_or_an_object() {
    let full = fixture("deployment.kubectl-1.33.pb");
    let mut errors = 0;
    for len in 0..full.len() {
        match decode(&full[..len]) {
            Ok(object) => assert!(object.is_object()),
            Err(_) => errors += 1,
        }
    }
    // Cut anywhere inside the envelope or the object, the body is broken.
    assert!(
        errors > full.len() * 9 / 10,
        "{errors} of {} prefixes failed",
        full.len()
    );
}

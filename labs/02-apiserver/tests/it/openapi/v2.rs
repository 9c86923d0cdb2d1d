//! The OpenAPI v2 protobuf of kubectl 1.27/1.28, decoded back with a tiny protobuf reader.

use lab_02::openapi::{V2_PROTOBUF_CONTENT_TYPE, v2_protobuf};

/// Reads a varint at `at`, moving `at` past it.
fn varint(bytes: &[u8], at: &mut usize) -> u64 {
    let mut value = 0;
    for shift in (0..64).step_by(7) {
        let byte = bytes[*at];
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return value;
        }
    }
    panic!("varint too long")
}

/// The (field number, bytes) of a message made only of length-delimited fields.
fn fields(bytes: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut at = 0;
    let mut fields = Vec::new();
    while at < bytes.len() {
        let key = varint(bytes, &mut at);
        assert_eq!(key & 7, 2, "wire type 2 (length-delimited)");
        let len = usize::try_from(varint(bytes, &mut at)).expect("a length");
        fields.push((key >> 3, bytes[at..at + len].to_vec()));
        at += len;
    }
    fields
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("UTF-8")
}

#[test]
fn step5_v2_protobuf_decodes_to_swagger_2_0() {
    let document = fields(&v2_protobuf("v1.33.0"));
    let numbers: Vec<u64> = document.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, [1, 2, 8], "swagger, info, paths");
    assert_eq!(text(&document[0].1), "2.0");
    let info = fields(&document[1].1);
    assert_eq!(info.len(), 2);
    assert_eq!((info[0].0, text(&info[0].1)), (1, "Kubernetes"));
    assert_eq!((info[1].0, text(&info[1].1)), (2, "v1.33.0"));
    assert!(document[2].1.is_empty(), "empty paths");
}

#[test]
fn step5_v2_protobuf_matches_what_kubectl_accepted() {
    // The 28 bytes measured against kubectl 1.27/1.28, then the empty `paths` (field 8).
    let measured = "0a03322e3012150a0a4b756265726e65746573120776312e33322e30";
    let hex: String = v2_protobuf("v1.32.0")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(hex, format!("{measured}4200"));
}

#[test]
fn step5_v2_protobuf_long_version_uses_multibyte_lengths() {
    let version = format!("v1.33.0-{}", "x".repeat(200));
    let document = fields(&v2_protobuf(&version));
    let info = fields(&document[1].1);
    assert_eq!(text(&info[1].1), version);
}

#[test]
fn step5_v2_content_type_is_the_parseable_one() {
    assert_eq!(
        V2_PROTOBUF_CONTENT_TYPE,
        "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    );
    assert!(
        !V2_PROTOBUF_CONTENT_TYPE.contains('@'),
        "Go's mime parser rejects '@'"
    );
}

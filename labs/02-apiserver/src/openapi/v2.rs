//! The OpenAPI v2 document kubectl 1.27 and 1.28 insist on, as protobuf.
//!
//! Before `apply`, `create -f`, `edit` and `explain`, those two versions first
//! `GET /openapi/v2` with `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`
//! (never JSON), and give up if it fails. Once it answers they use OpenAPI v3 for everything,
//! so the v2 document may be nearly empty. It is a gnostic `openapi.v2.Document` message
//! (google/gnostic `openapiv2/OpenAPIv2.proto`), small enough to encode by hand:
//!
//! ```text
//! Document { swagger (1): "2.0", info (2): Info { title (1), version (2) }, paths (8): Paths {} }
//!
//! 0a 03 "2.0"                      field 1, length-delimited, 3 bytes
//! 12 15                            field 2, length-delimited, 21 bytes: the Info message
//!    0a 0a "Kubernetes"            Info field 1
//!    12 07 "v1.32.0"               Info field 2
//! 42 00                            field 8, length-delimited, 0 bytes: empty Paths
//! ```
//!
//! A protobuf field is a key, `field_number << 3 | wire_type` (wire type 2: length-delimited),
//! then for type 2 the length and the bytes; keys and lengths are varints (7 bits per byte, low
//! bits first, the high bit set on every byte but the last). Strings and embedded messages are
//! both length-delimited.

/// The `Content-Type` of the answer. Not the `...spec.v2@v1.0+protobuf` kubectl asks for: Go's
/// `mime.ParseMediaType` rejects the `@`, so kubectl could not read its own media type back.
/// This is what the real server (kube-openapi) answers.
pub const V2_PROTOBUF_CONTENT_TYPE: &str =
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// The wire type of strings, bytes and embedded messages.
const LENGTH_DELIMITED: u32 = 2;

// ANCHOR: v2_protobuf
/// The OpenAPI v2 document for `GET /openapi/v2`: `swagger: "2.0"`, `info` (title
/// `Kubernetes`, version `server_version`, e.g. `v1.33.0`) and empty `paths`, as protobuf.
pub fn v2_protobuf(server_version: &str) -> Vec<u8> {
    // BEGIN SOLUTION step-5: encode Info {title: 1, version: 2}, then Document {swagger: 1, info: 2, paths: 8 (empty)} as length-delimited fields
    let mut info = Vec::new();
    put_field(&mut info, 1, b"Kubernetes");
    put_field(&mut info, 2, server_version.as_bytes());

    let mut document = Vec::new();
    put_field(&mut document, 1, b"2.0");
    put_field(&mut document, 2, &info);
    put_field(&mut document, 8, &[]);
    document
    // END SOLUTION
}
// ANCHOR_END: v2_protobuf

/// Appends a length-delimited field: key, length, bytes.
fn put_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_varint(out, u64::from(field << 3 | LENGTH_DELIMITED));
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Appends `value` as a varint: 7 bits per byte, least significant first, the high bit set on
/// every byte but the last.
fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

//! Step 5: reading kubectl's protobuf request bodies as the JSON the server stores.
//!
//! Since 1.32, kubectl's typed clients send `kubectl create namespace|deployment|configmap|
//! secret|service|job|...` as `Content-Type: application/vnd.kubernetes.protobuf`, and they do
//! not fall back to JSON on 415 Unsupported Media Type. The server stores JSON, so [`decode`]
//! turns such a body into the very object kubectl 1.31 sends as JSON for the same command.
//!
//! A body has two layers:
//!
//! ```text
//! 6b 38 73 00                          "k8s\0": the magic that says "Kubernetes protobuf"
//! runtime.Unknown {
//!   1: typeMeta { 1: apiVersion "apps/v1", 2: kind "Deployment" }
//!   2: raw             the object, encoded as its own message (apps.v1.Deployment)
//!   3: contentEncoding (empty)
//!   4: contentType     (empty)
//! }
//! ```
//!
//! - `envelope`: the outer layer, read by hand from the wire format (tags, varints,
//!   length-delimited fields): `envelope::open`. Start here.
//! - `json`: the object itself. A protobuf message carries field *numbers*, not names; the
//!   names and types come from *descriptors*, which `build.rs` compiles from the upstream
//!   `generated.proto` files vendored under `proto/`. `prost-reflect` decodes `raw` by them
//!   into a dynamic message, and `json` writes that message out the way Go's `encoding/json`
//!   writes the same Go struct: field by field, dropping what Go's `omitempty` drops.
//! - `special`: the types whose JSON is not "an object of their fields": `metav1.Time` is a
//!   string, `intstr.IntOrString` a number or a string, `resource.Quantity` a string,
//!   `runtime.RawExtension` embedded JSON...
//! - `go_facts`: what the `.proto` files do not say but Go's JSON depends on: which fields are
//!   embedded structs (inlined in JSON), and which are plain (non-pointer) values whose zero Go
//!   leaves out.
//!
//! The server has descriptors for the `v1` objects of the core group and of `apps`,
//! `authentication.k8s.io`, `batch`, `coordination.k8s.io`, `discovery.k8s.io`,
//! `networking.k8s.io`, `policy`, `rbac.authorization.k8s.io` and `scheduling.k8s.io`: every
//! kind `kubectl create` makes. Any other kind is [`ProtobufError::UnsupportedKind`].

mod envelope;
mod go_facts;
mod json;
mod special;
#[cfg(test)]
mod tests;

use std::sync::LazyLock;

use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};
use serde_json::Value;

/// The media type of Kubernetes protobuf bodies (`runtime.ContentTypeProtobuf`).
pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// Why a protobuf body could not be read.
///
/// Every variant but [`ProtobufError::UnsupportedKind`] is the client's fault (400 Bad Request);
/// `UnsupportedKind` is a kind this server has no descriptor for (415 Unsupported Media Type:
/// the client may send it as JSON instead).
#[derive(Debug, thiserror::Error)]
pub enum ProtobufError {
    /// The body does not start with the 4 bytes `k8s\0`.
    #[error("protobuf body does not start with the Kubernetes magic bytes \"k8s\\x00\"")]
    MissingMagic,
    /// The `runtime.Unknown` around the object is not valid protobuf.
    #[error("malformed protobuf envelope: {0}")]
    Envelope(String),
    /// The envelope has no `typeMeta.kind` or `typeMeta.apiVersion`.
    #[error("protobuf envelope does not name the object's apiVersion and kind")]
    MissingTypeMeta,
    /// The envelope says the object is compressed or otherwise encoded; kubectl never does this.
    #[error("unsupported protobuf contentEncoding {0:?}")]
    ContentEncoding(String),
    /// The server has no descriptor for this kind (415: send it as JSON).
    #[error("{kind} in {api_version} cannot be decoded from protobuf; send it as application/json")]
    UnsupportedKind {
        /// `typeMeta.apiVersion` of the envelope, e.g. `storage.k8s.io/v1`.
        api_version: String,
        /// `typeMeta.kind` of the envelope, e.g. `StorageClass`.
        kind: String,
    },
    /// The object inside the envelope is not a valid message of its kind.
    #[error("malformed protobuf {kind}: {reason}")]
    Object {
        /// `typeMeta.kind` of the envelope.
        kind: String,
        /// What was wrong, e.g. a truncated field or a bad timestamp.
        reason: String,
    },
}

/// Decodes a Kubernetes protobuf request body into the JSON object kubectl would have sent as
/// `application/json`, with `apiVersion` and `kind` set from the envelope.
///
/// ```
/// // `kubectl create namespace lab`, shortened: kubectl 1.33 also sends the empty fields
/// // (`generateName: ""`, `spec {}`, ...).
/// let body = b"k8s\0\x0a\x0f\x0a\x02v1\x12\x09Namespace\x12\x07\x0a\x05\x0a\x03lab";
/// let object = lab_02::protobuf::decode(body).unwrap();
/// assert_eq!(object["kind"], "Namespace");
/// assert_eq!(object["metadata"]["name"], "lab");
/// ```
pub fn decode(body: &[u8]) -> Result<Value, ProtobufError> {
    let envelope = envelope::open(body)?;
    if !envelope.content_encoding.is_empty() {
        return Err(ProtobufError::ContentEncoding(envelope.content_encoding));
    }
    if envelope.api_version.is_empty() || envelope.kind.is_empty() {
        return Err(ProtobufError::MissingTypeMeta);
    }
    let Some(descriptor) = object_descriptor(&envelope.api_version, &envelope.kind) else {
        return Err(ProtobufError::UnsupportedKind {
            api_version: envelope.api_version,
            kind: envelope.kind,
        });
    };
    let malformed = |reason: String| ProtobufError::Object {
        kind: envelope.kind.clone(),
        reason,
    };
    let message = DynamicMessage::decode(descriptor, envelope.raw.as_slice())
        .map_err(|e| malformed(e.to_string()))?;
    let mut object = match json::message_to_json(&message).map_err(|e| malformed(e.to_string()))? {
        Value::Object(object) => object,
        // Only the special types are not objects, and no top-level kind is one of them.
        other => return Err(malformed(format!("decoded to {other}, not an object"))),
    };
    object.insert("apiVersion".into(), Value::String(envelope.api_version));
    object.insert("kind".into(), Value::String(envelope.kind));
    Ok(Value::Object(object))
}

/// The descriptor set `build.rs` compiled from `proto/`, loaded once.
fn pool() -> &'static DescriptorPool {
    static POOL: LazyLock<DescriptorPool> = LazyLock::new(|| {
        let bytes = include_bytes!(concat!(env!("OUT_DIR"), "/k8s-descriptors.bin"));
        // Not input: build.rs wrote these bytes with protox, and a unit test loads them.
        DescriptorPool::decode(bytes.as_slice()).expect("build.rs writes a valid descriptor set")
    });
    &POOL
}

/// The message of a top-level object of `kind` in `api_version`, if the server can decode it.
///
/// Upstream names each group's package after its Go import path: `apps/v1` objects are in
/// `k8s.io.api.apps.v1`, the core group's (`v1`) in `k8s.io.api.core.v1`. Only messages with
/// `metadata` are objects; `Container` or `PodSpec` are not kinds a client can POST.
fn object_descriptor(api_version: &str, kind: &str) -> Option<MessageDescriptor> {
    let package = go_facts::proto_package(api_version)?;
    let descriptor = pool().get_message_by_name(&format!("{package}.{kind}"))?;
    descriptor.get_field_by_name("metadata")?;
    Some(descriptor)
}

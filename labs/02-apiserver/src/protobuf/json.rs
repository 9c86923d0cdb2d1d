//! A decoded protobuf message, written as the JSON Go's `encoding/json` writes for the same
//! struct.
//!
//! `prost-reflect` has decoded `raw` by its descriptor into a [`DynamicMessage`]: for each
//! field that was on the wire, its descriptor (name, type) and its value. Writing it out is a
//! walk over those fields:
//!
//! - the key is the field's name (the `.proto` files use the JSON names: `generateName`,
//!   `terminationGracePeriodSeconds`);
//! - strings, numbers and booleans become JSON strings, numbers and booleans (an `int64` stays
//!   a number: proto3's JSON mapping would quote it, Kubernetes does not);
//! - `bytes` become base64 text (a Secret's `data`), as Go writes `[]byte`;
//! - maps (`map<string, string>`, `map<string, bytes>`, `map<string, Quantity>`) become objects;
//! - repeated fields become arrays;
//! - messages become objects, except the special types of `special` and the embedded structs
//!   of `go_facts::INLINE`, whose keys are merged into the parent;
//! - fields Go's JSON would leave out are left out ([`on_json`]).

use prost_reflect::{DynamicMessage, FieldDescriptor, MapKey, ReflectMessage, Value as ProtoValue};
use serde_json::{Map, Value};

use super::{go_facts, special};

/// Why a decoded message has no JSON form (a bad timestamp, a `RawExtension` that is not JSON).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct TranscodeError(pub(crate) String);

// ANCHOR: message_to_json
/// The JSON of one message.
pub(crate) fn message_to_json(message: &DynamicMessage) -> Result<Value, TranscodeError> {
    if let Some(json) = special::to_json(message)? {
        return Ok(json);
    }
    let name = message.descriptor().full_name().to_owned();
    let mut object = Map::new();
    for (field, value) in message.fields() {
        if !on_json(&name, &field, value) {
            continue;
        }
        let json = value_to_json(value)?;
        match json {
            Value::Object(inner) if go_facts::is_inline(&name, field.name()) => {
                object.extend(inner);
            }
            json => {
                object.insert(field.name().to_owned(), json);
            }
        }
    }
    let unknown = message.unknown_fields().count();
    if unknown > 0 {
        // As upstream's decoder does: fields this server's descriptors do not know (sent by a
        // newer client) are skipped.
        tracing::debug!(message = %name, unknown, "skipped unknown protobuf fields");
    }
    Ok(Value::Object(object))
}
// ANCHOR_END: message_to_json

// ANCHOR: on_json
/// Whether Go's JSON writes `field` of the message named `message`, given the `value` that was
/// on the wire.
///
/// Go's protobuf code writes every plain (non-pointer) field, so the wire is full of zero
/// values that Go's JSON, with `omitempty`, leaves out: `generateName: ""`, `uid: ""`,
/// `paused: false`. Lists and maps are never on the wire when empty. So:
///
/// - an empty string or byte string is left out: it is a plain `omitempty` field almost
///   always (the few pointer strings whose "" means something are in
///   `go_facts::EMPTY_STRING_KEPT`);
/// - a zero number or `false` is left out only where `go_facts::omits_zero` says the field is
///   a plain `omitempty` one; other zeros are kept, because a set pointer (`replicas: 0`) is
///   on the wire only when the user set it;
/// - a message is always written, even empty: Go writes a struct as `{}` (`"spec":{}`) whether
///   or not it is a pointer, and only a nil pointer is absent from the wire too.
pub(crate) fn on_json(message: &str, field: &FieldDescriptor, value: &ProtoValue) -> bool {
    // BEGIN SOLUTION step-5: leave out empty strings (unless go_facts::keeps_empty_string) and empty bytes; leave out 0 and false only where go_facts::omits_zero; keep everything else (messages, lists, maps, non-zero values, other zeros)
    let name = field.name();
    match value {
        ProtoValue::String(s) => !s.is_empty() || go_facts::keeps_empty_string(message, name),
        ProtoValue::Bytes(b) => !b.is_empty(),
        ProtoValue::Bool(false) | ProtoValue::I32(0) | ProtoValue::I64(0) => {
            !go_facts::omits_zero(message, name)
        }
        _ => true,
    }
    // END SOLUTION
}
// ANCHOR_END: on_json

/// The JSON of one field value (a list or a map item, or a whole field).
fn value_to_json(value: &ProtoValue) -> Result<Value, TranscodeError> {
    Ok(match value {
        ProtoValue::Bool(b) => Value::Bool(*b),
        ProtoValue::I32(n) => Value::from(*n),
        ProtoValue::I64(n) => Value::from(*n),
        ProtoValue::U32(n) => Value::from(*n),
        ProtoValue::U64(n) => Value::from(*n),
        ProtoValue::F32(n) => Value::from(f64::from(*n)),
        ProtoValue::F64(n) => Value::from(*n),
        ProtoValue::EnumNumber(n) => Value::from(*n),
        ProtoValue::String(s) => Value::String(s.clone()),
        ProtoValue::Bytes(b) => base64(b),
        ProtoValue::Message(message) => message_to_json(message)?,
        ProtoValue::List(items) => {
            Value::Array(items.iter().map(value_to_json).collect::<Result<_, _>>()?)
        }
        ProtoValue::Map(entries) => {
            let mut object = Map::new();
            for (key, value) in entries {
                object.insert(map_key(key), value_to_json(value)?);
            }
            Value::Object(object)
        }
    })
}

/// Kubernetes maps are keyed by strings; other key types are written as Go writes them, in
/// decimal or as `true`/`false`.
fn map_key(key: &MapKey) -> String {
    match key {
        MapKey::String(s) => s.clone(),
        MapKey::Bool(b) => b.to_string(),
        MapKey::I32(n) => n.to_string(),
        MapKey::I64(n) => n.to_string(),
        MapKey::U32(n) => n.to_string(),
        MapKey::U64(n) => n.to_string(),
    }
}

/// Bytes as standard base64 with padding, as Go's `encoding/json` writes `[]byte`
/// (k8s-openapi's `ByteString` serializes the same way).
fn base64(bytes: &[u8]) -> Value {
    serde_json::to_value(k8s_openapi::ByteString(bytes.to_vec())).unwrap_or(Value::Null)
}

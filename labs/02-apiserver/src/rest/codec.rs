//! Objects in the store: JSON bytes without `resourceVersion`, which is the key's revision.

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::registry::Resource;
use crate::status::Status;
use crate::store::KeyValue;

/// The bytes to store for `object`. Its `resourceVersion` is left out: the store's revision of
/// the write will be the version, so storing a copy could only ever be stale (kube-apiserver's
/// etcd layer clears it too).
pub(crate) fn encode(object: &Value) -> Bytes {
    let mut object = object.clone();
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("resourceVersion");
    }
    Bytes::from(object.to_string())
}

/// The object stored in `kv`, with `metadata.resourceVersion` set to the key's `mod_revision`.
pub(crate) fn decode(resource: &Resource, kv: &KeyValue) -> Result<Value, Status> {
    let mut object: Value = serde_json::from_slice(&kv.value).map_err(|error| {
        Status::internal(format!(
            "stored {} at {} is not JSON: {error}",
            resource.qualified_name(),
            kv.key
        ))
    })?;
    set_resource_version(&mut object, kv.mod_revision);
    Ok(object)
}

/// Sets `metadata.resourceVersion` (a string, as every Kubernetes version is).
pub(crate) fn set_resource_version(object: &mut Value, revision: i64) {
    metadata_mut(object).insert(
        "resourceVersion".into(),
        Value::String(revision.to_string()),
    );
}

/// `metadata` of an object, created empty when missing (and the object made an object: the
/// body decoder has already refused anything else, so that never happens to user input).
pub(crate) fn metadata_mut(object: &mut Value) -> &mut Map<String, Value> {
    if !object.is_object() {
        *object = Value::Object(Map::new());
    }
    if !object["metadata"].is_object() {
        object["metadata"] = Value::Object(Map::new());
    }
    match &mut object["metadata"] {
        Value::Object(metadata) => metadata,
        _ => unreachable!("metadata was made an object just above"),
    }
}

/// A string field of `metadata` (`name`, `namespace`, `uid`, ...), `""` when absent.
pub(crate) fn meta_str<'a>(object: &'a Value, field: &str) -> &'a str {
    object
        .get("metadata")
        .and_then(|metadata| metadata.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `metadata.finalizers` as strings.
pub(crate) fn finalizers(object: &Value) -> Vec<String> {
    object
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// True once a delete has started (`metadata.deletionTimestamp` is set).
pub(crate) fn is_deleting(object: &Value) -> bool {
    object
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|value| !value.is_null())
}

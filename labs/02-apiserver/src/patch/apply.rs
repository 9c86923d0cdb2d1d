//! Server-side apply, simplified: the applied configuration merged onto the live object.
//!
//! `kubectl apply --server-side` sends the whole configuration from the file as
//! `application/apply-patch+yaml` (kubectl sends JSON, which is also YAML) with
//! `?fieldManager=kubectl&force=false`. The real server (sigs.k8s.io/structured-merge-diff)
//! then does much more than merge:
//!
//! - it records in `metadata.managedFields` which manager set which field (a `FieldsV1` set per
//!   manager and operation);
//! - it removes fields that the same manager applied last time and has now left out of its
//!   configuration (that is how removing a line from the file removes the field);
//! - it answers 409 Conflict (`details.causes[].type: FieldManagerConflict`) when the
//!   configuration changes a field another manager owns, unless `force=true`;
//! - it merges lists by their `x-kubernetes-list-type: map` keys, which can be composite
//!   (`containerPort` and `protocol` for container ports), and treats `atomic` lists and maps as
//!   one value.
//!
//! **This module does none of that.** It parses the body ([`parse_applied`]) and merges it onto
//! the live object as a strategic merge patch of the configuration ([`super::strategic`]), with
//! the same merge keys. So: no `managedFields` are written or read; no field is ever removed
//! because a manager stopped applying it (only a `null` in the configuration deletes a field,
//! as in a strategic merge patch); there are never any conflicts, and `force` means nothing;
//! lists merge by the strategic merge keys, never by composite list-map keys. Creating the object when it does not exist (201) is
//! the REST layer's part: it creates [`parse_applied`]'s object. Directives (`$patch`, ...)
//! are strategic merge patch syntax, not configuration, and are refused.

use serde_json::Value;

use super::{PatchError, merge_keys, strategic};

/// Reads an apply-patch body: one YAML document (JSON is YAML) holding an object.
pub fn parse_applied(body: &[u8]) -> Result<Value, PatchError> {
    let applied: Value = serde_yaml::from_slice(body)
        .map_err(|error| PatchError::BadRequest(format!("error decoding YAML: {error}")))?;
    if !applied.is_object() {
        return Err(PatchError::BadRequest(
            "error decoding YAML: the applied configuration is not an object".to_owned(),
        ));
    }
    if let Some(path) = directive_path(&applied, "") {
        // The real server's words for a field its schema does not have.
        return Err(PatchError::BadRequest(format!(
            "failed to create typed patch object: {path}: field not declared in schema"
        )));
    }
    Ok(applied)
}

/// The path (`.spec.$patch`) of the first `$`-key in the configuration, if any.
fn directive_path(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::Object(map) => map.iter().find_map(|(key, value)| {
            let path = format!("{path}.{key}");
            if key.starts_with('$') {
                Some(path)
            } else {
                directive_path(value, &path)
            }
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| directive_path(item, &format!("{path}[{i}]"))),
        _ => None,
    }
}

/// Applies the configuration in `body` to `live`, an object of `kind`: the simplified merge
/// described at the top of this module.
pub fn apply(live: &Value, body: &[u8], kind: &str) -> Result<Value, PatchError> {
    let applied = parse_applied(body)?;
    strategic::strategic_merge(live, &applied, merge_keys::root_type(kind))
}

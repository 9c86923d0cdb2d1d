//! The object pipeline: the metadata the server owns, and the rules of an update.
//!
//! A client sends the object it wants; the server fills in what only it may set:
//!
//! | field                        | set by the server                                        |
//! | ---------------------------- | -------------------------------------------------------- |
//! | `metadata.uid`               | a random UUID on create, never changed                   |
//! | `metadata.creationTimestamp` | the time of the create, never changed                    |
//! | `metadata.generation`        | 1 on create, +1 when the *desired state* changes         |
//! | `metadata.resourceVersion`   | the store's revision of the last write                   |
//! | `metadata.deletionTimestamp` | when a delete starts while finalizers remain             |
//! | `metadata.name`              | from `generateName` plus five random characters, if asked |
//!
//! `generation` is what controllers compare with `status.observedGeneration` ("have I acted on
//! the latest spec?"), so it must count changes to the spec (everything but `metadata` and
//! `status`), and only those. `resourceVersion` counts every write.

use std::time::SystemTime;

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::codec::{is_deleting, meta_str, metadata_mut};
use crate::registry::Resource;
use crate::status::{Status, StatusCause};

/// The characters of a `generateName` suffix: lowercase consonants and digits without
/// vowels or look-alikes, so a generated name never spells a word (upstream's alphabet).
const SUFFIX_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// Refuses names that would make unsafe keys or URLs: the rule Kubernetes applies to every
/// name that becomes a path segment (`IsValidPathSegmentName`). Per-kind rules (DNS-1123 and
/// so on) are validation's job.
pub(crate) fn check_path_segment_name(resource: &Resource, name: &str) -> Result<(), Status> {
    let problem = if name == "." {
        Some("may not be '.'")
    } else if name == ".." {
        Some("may not be '..'")
    } else if name.contains('/') {
        Some("may not contain '/'")
    } else if name.contains('%') {
        Some("may not contain '%'")
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(Status::invalid(
            resource,
            name,
            vec![StatusCause {
                reason: "FieldValueInvalid".into(),
                message: format!("Invalid value: \"{name}\": {problem}"),
                field: "metadata.name".into(),
            }],
        )),
    }
}

/// The name of an object being created: `metadata.name`, or `generateName` plus a random
/// suffix. Neither is a 422 `Required value`.
pub(crate) fn name_for_create(resource: &Resource, object: &mut Value) -> Result<String, Status> {
    let name = meta_str(object, "name").to_string();
    let generate = meta_str(object, "generateName").to_string();
    let name = if !name.is_empty() {
        name
    } else if !generate.is_empty() {
        let mut random = [0_u8; 5];
        getrandom::fill(&mut random).map_err(Status::internal)?;
        let suffix: String = random
            .iter()
            .map(|byte| char::from(SUFFIX_ALPHABET[usize::from(*byte) % SUFFIX_ALPHABET.len()]))
            .collect();
        format!("{generate}{suffix}")
    } else {
        return Err(Status::invalid(
            resource,
            "",
            vec![StatusCause {
                reason: "FieldValueRequired".into(),
                message: "Required value: name or generateName is required".into(),
                field: "metadata.name".into(),
            }],
        ));
    };
    check_path_segment_name(resource, &name)?;
    metadata_mut(object).insert("name".into(), json!(name));
    Ok(name)
}

/// Puts the URL's namespace into the object. The body may leave it out or repeat it; a
/// different one is a 400. Cluster-scoped objects have no namespace.
pub(crate) fn set_namespace(
    resource: &Resource,
    object: &mut Value,
    url_namespace: Option<&str>,
) -> Result<(), Status> {
    let in_body = meta_str(object, "namespace").to_string();
    let metadata = metadata_mut(object);
    match url_namespace.filter(|_| resource.namespaced) {
        Some(namespace) if in_body.is_empty() || in_body == namespace => {
            metadata.insert("namespace".into(), json!(namespace));
            Ok(())
        }
        Some(_) => Err(Status::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        )),
        None => {
            metadata.remove("namespace");
            Ok(())
        }
    }
}

/// The time as Kubernetes writes it in objects: RFC 3339, UTC, whole seconds.
pub(crate) fn timestamp(now: SystemTime) -> Result<String, Status> {
    let seconds = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(Status::internal)?
        .as_secs();
    let seconds = i64::try_from(seconds).map_err(Status::internal)?;
    let now = Timestamp::from_second(seconds).map_err(Status::internal)?;
    Ok(now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// A random (version 4) UUID, as `metadata.uid`: 122 random bits in the 8-4-4-4-12 hex form.
pub(crate) fn new_uid() -> Result<String, Status> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).map_err(Status::internal)?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // the RFC 4122 variant
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

/// The server's metadata on a new object: uid, creationTimestamp, generation 1; whatever the
/// client sent for them, or for the delete fields, is replaced.
pub(crate) fn prepare_create(object: &mut Value, now: SystemTime) -> Result<(), Status> {
    let uid = new_uid()?;
    let created = timestamp(now)?;
    let metadata = metadata_mut(object);
    metadata.insert("uid".into(), json!(uid));
    metadata.insert("creationTimestamp".into(), json!(created));
    metadata.insert("generation".into(), json!(1));
    for field in [
        "resourceVersion",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    ] {
        metadata.remove(field);
    }
    Ok(())
}

/// The object without `metadata` and `status`: what `generation` counts changes of.
fn desired_state(object: &Value) -> Value {
    let mut rest = object.clone();
    if let Some(fields) = rest.as_object_mut() {
        fields.remove("metadata");
        fields.remove("status");
    }
    rest
}

// ANCHOR: prepare_update
/// Turns the object a client PUT (`new`) into the object to store, given the stored one
/// (`old`). The client owns the spec and most of the metadata; the server keeps:
///
/// - `uid`, `creationTimestamp` and the delete fields from `old` (the client cannot change
///   them);
/// - for kinds with a `status` subresource, `old`'s status: status is written through
///   `/status` only, so a spec writer cannot clobber what a controller reported;
/// - `generation`: `old`'s, plus 1 when anything outside `metadata` and `status` changed.
///
/// Refuses new finalizers on an object that is being deleted (422), as upstream.
pub(crate) fn prepare_update(
    resource: &Resource,
    new: &mut Value,
    old: &Value,
) -> Result<(), Status> {
    // BEGIN SOLUTION step-2: keep the server's fields, keep the status, count spec changes
    if resource.has_status() {
        match old.get("status") {
            Some(status) => new["status"] = status.clone(),
            None => {
                if let Some(fields) = new.as_object_mut() {
                    fields.remove("status");
                }
            }
        }
    }
    if is_deleting(old) {
        let before = super::codec::finalizers(old);
        let added: Vec<String> = super::codec::finalizers(new)
            .into_iter()
            .filter(|finalizer| !before.contains(finalizer))
            .collect();
        if !added.is_empty() {
            return Err(Status::invalid(
                resource,
                meta_str(old, "name"),
                vec![StatusCause {
                    reason: "FieldValueForbidden".into(),
                    message:
                        "Forbidden: no new finalizers can be added if the object is being deleted"
                            .into(),
                    field: "metadata.finalizers".into(),
                }],
            ));
        }
    }
    let old_generation = old
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let generation = if desired_state(new) == desired_state(old) {
        old_generation
    } else {
        old_generation + 1
    };
    let old_metadata = old.get("metadata").cloned().unwrap_or_default();
    let metadata = metadata_mut(new);
    for field in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    ] {
        match old_metadata.get(field) {
            Some(value) => metadata.insert(field.into(), value.clone()),
            None => metadata.remove(field),
        };
    }
    metadata.insert("generation".into(), json!(generation));
    Ok(())
    // END SOLUTION
}
// ANCHOR_END: prepare_update

/// The object a `PUT .../status` stores: `old` with only its `status` replaced by `new`'s.
pub(crate) fn with_status_of(old: &Value, new: &Value) -> Value {
    let mut updated = old.clone();
    match new.get("status") {
        Some(status) => updated["status"] = status.clone(),
        None => {
            if let Some(fields) = updated.as_object_mut() {
                fields.remove("status");
            }
        }
    }
    updated
}

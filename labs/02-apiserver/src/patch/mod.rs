//! PATCH: the four body formats kubectl sends, applied to a stored object.
//!
//! Every kubectl command that changes part of an object sends a PATCH, and its `Content-Type`
//! says how to read the body:
//!
//! | Content-Type | format | sent by |
//! | --- | --- | --- |
//! | `application/json-patch+json` | RFC 6902, a list of operations | `patch --type=json`, `rollout undo` |
//! | `application/merge-patch+json` | RFC 7386, a partial object | `label`, `annotate`, `scale`, `patch --type=merge` |
//! | `application/strategic-merge-patch+json` | Kubernetes' strategic merge patch | `patch` (default), `edit`, `apply` |
//! | `application/apply-patch+yaml` | server-side apply, an applied configuration | `apply --server-side` |
//!
//! The first two are standards, and the `json-patch` crate implements them. The third is
//! Kubernetes' own ([`strategic`]): a merge patch that knows that `containers` is a list keyed by
//! `name` ([`merge_keys`]), and understands directives such as `$patch: delete`
//! ([`directives`]). The fourth is simplified here ([`apply`]).
//!
//! - [`PatchType`] reads the `Content-Type`; [`apply_patch`] patches an object. Start here.
//! - [`PatchError`] is what went wrong, with the status code and reason the real server answers.

pub mod apply;
pub mod directives;
pub mod merge_keys;
pub mod strategic;

use serde_json::Value;

/// The patch formats, by the `Content-Type` of the PATCH request (`types.PatchType` upstream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// `application/json-patch+json`: RFC 6902 operations (`add`, `remove`, `replace`, `move`,
    /// `copy`, `test`) on JSON pointers.
    Json,
    /// `application/merge-patch+json`: RFC 7386. Maps merge, `null` deletes, lists are replaced.
    Merge,
    /// `application/strategic-merge-patch+json`: like a merge patch, but lists with a merge key
    /// merge element by element, and directives say what to delete, replace or keep.
    StrategicMerge,
    /// `application/apply-patch+yaml`: server-side apply of a whole applied configuration.
    Apply,
}

/// The media types a built-in resource accepts for PATCH, in the order the real server lists them.
pub const BUILT_IN_PATCH_TYPES: &[&str] = &[
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
];

/// The media types a custom resource accepts: no strategic merge patch, since there are no Go
/// struct tags to take merge keys from.
pub const CUSTOM_PATCH_TYPES: &[&str] = &[
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
];

/// The most operations one JSON patch may have (`maxJSONPatchOperations` upstream).
pub const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;

impl PatchType {
    /// The patch type of a `Content-Type` header, ignoring parameters (`; charset=utf-8`) and
    /// case; `None` for anything else (the REST layer answers 415, see
    /// [`PatchError::UnsupportedMediaType`]).
    pub fn from_content_type(content_type: &str) -> Option<PatchType> {
        let media_type = content_type.split(';').next()?.trim().to_ascii_lowercase();
        match media_type.as_str() {
            "application/json-patch+json" => Some(PatchType::Json),
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/strategic-merge-patch+json" => Some(PatchType::StrategicMerge),
            "application/apply-patch+yaml" => Some(PatchType::Apply),
            _ => None,
        }
    }

    /// The media type of this patch type.
    pub fn content_type(self) -> &'static str {
        match self {
            PatchType::Json => "application/json-patch+json",
            PatchType::Merge => "application/merge-patch+json",
            PatchType::StrategicMerge => "application/strategic-merge-patch+json",
            PatchType::Apply => "application/apply-patch+yaml",
        }
    }
}

/// Whether resources of this API group are built in, and so accept strategic merge patches.
/// Built-in groups are the core group (`""`), the unqualified ones (`apps`, `batch`, `policy`,
/// `autoscaling`) and those ending in `.k8s.io`; a custom resource's group is a domain name.
pub fn is_built_in_group(group: &str) -> bool {
    !group.contains('.') || group.ends_with(".k8s.io")
}

/// Why a strategic merge patch could not be applied, with the messages of k8s.io/apimachinery
/// `pkg/util/mergepatch/errors.go` and `strategicpatch/patch.go`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrategicError {
    /// A `$deleteFromPrimitiveList/<list>` whose value is not a list, or a key with that prefix
    /// and no list name.
    #[error("invalid patch format of primitive list")]
    BadPrimitiveList,
    /// A `$retainKeys` that is not a list of strings, or a patch that sets a field its
    /// `$retainKeys` does not keep.
    #[error("invalid patch format of retainKeys")]
    BadRetainKeys,
    /// A `$setElementOrder/<list>` whose value is not a list, or that names no list.
    #[error("invalid patch format of setElementOrder list")]
    BadSetElementOrder,
    /// A list whose elements are lists.
    #[error("lists of lists are not supported")]
    ListOfLists,
    /// An element of a merging list without its merge key (`{"image":"x"}` in `containers`).
    #[error("map: {map} does not contain declared merge key: {key}")]
    NoMergeKey {
        /// The element, as JSON.
        map: String,
        /// The merge key it lacks.
        key: String,
    },
    /// A `$patch` other than `replace`, `delete` (and `merge`, for maps).
    #[error("unknown patch type: {directive} in map: {map}")]
    BadPatchType {
        /// The value of `$patch`.
        directive: String,
        /// The map holding it, as JSON.
        map: String,
    },
    /// `$patch: merge` inside a list.
    #[error("merging lists cannot yet be specified in the patch")]
    MergeDirectiveInList,
    /// A merging list mixing objects and primitives.
    #[error("list element types are not identical: {0}")]
    MixedList(String),
}

/// Why a PATCH failed. [`PatchError::code`] and [`PatchError::reason`] are the status the real
/// apiserver answers with (k8s.io/apiserver `pkg/endpoints/handlers/patch.go`), so the REST
/// layer turns this into a `Status` with [`PatchError::status_message`].
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    /// The `Content-Type` is not a patch type the resource accepts (415).
    #[error("the body of the request was in an unknown format - accepted media types include: {}", .accepted.join(", "))]
    UnsupportedMediaType {
        /// The types it does accept: [`BUILT_IN_PATCH_TYPES`] or [`CUSTOM_PATCH_TYPES`].
        accepted: &'static [&'static str],
    },
    /// The body cannot be read as a patch of its type (400 BadRequest): not JSON, not a list of
    /// operations, not an object. The json-patch crate also refuses an unknown `op` or a `path`
    /// that is not a JSON pointer here, where upstream fails them later with a 422.
    #[error("{0}")]
    BadRequest(String),
    /// A JSON patch with more than [`MAX_JSON_PATCH_OPERATIONS`] operations (413).
    #[error(
        "Request entity too large: The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, got {0}"
    )]
    TooManyOperations(usize),
    /// A JSON patch operation failed: a `test` that did not match, a path that does not exist
    /// (422 Invalid). Nothing of the patch is applied.
    #[error("{0}")]
    JsonPatch(#[from] json_patch::PatchError),
    /// A strategic merge patch is malformed; [`PatchError::code`] says which status each case gets.
    #[error("{0}")]
    Strategic(#[from] StrategicError),
    /// The patch turned the object into something that is not an object (422 Invalid), e.g. a
    /// merge patch that is a string.
    #[error("the patched object is not a JSON object: {0}")]
    NotAnObject(String),
}

/// The message the real server gives for the 422s it builds with `NewGenericServerResponse`,
/// which drops the underlying error's text.
pub const GENERIC_UNPROCESSABLE: &str =
    "the server rejected our request due to an error in our request";

impl PatchError {
    /// The HTTP status code the real apiserver answers with.
    ///
    /// Upstream answers 500 for a strategic merge patch element without its merge key and for an
    /// unknown `$patch`: those errors reach the handler untyped. We keep its codes.
    pub fn code(&self) -> u16 {
        match self {
            PatchError::UnsupportedMediaType { .. } => 415,
            PatchError::BadRequest(_) => 400,
            PatchError::TooManyOperations(_) => 413,
            PatchError::JsonPatch(_) | PatchError::NotAnObject(_) => 422,
            PatchError::Strategic(error) => match error {
                StrategicError::BadPrimitiveList
                | StrategicError::BadRetainKeys
                | StrategicError::BadSetElementOrder => 400,
                StrategicError::ListOfLists => 422,
                StrategicError::NoMergeKey { .. }
                | StrategicError::BadPatchType { .. }
                | StrategicError::MergeDirectiveInList
                | StrategicError::MixedList(_) => 500,
            },
        }
    }

    /// The `Status` reason that goes with [`PatchError::code`].
    pub fn reason(&self) -> &'static str {
        match self.code() {
            400 => "BadRequest",
            413 => "RequestEntityTooLarge",
            415 => "UnsupportedMediaType",
            422 => "Invalid",
            _ => "InternalError",
        }
    }

    /// The `Status` message: this error's text, except for the 422s the real server words
    /// generically ([`GENERIC_UNPROCESSABLE`]); log the error itself for the details.
    pub fn status_message(&self) -> String {
        match self {
            PatchError::JsonPatch(_) | PatchError::Strategic(StrategicError::ListOfLists) => {
                GENERIC_UNPROCESSABLE.to_owned()
            }
            other => other.to_string(),
        }
    }
}

/// Applies a PATCH body of `patch_type` to `original`, an object of `kind` in API `group` (`""`
/// for the core group), and returns the patched object. `original` is not changed; on error
/// nothing is applied.
///
/// For [`PatchType::Apply`], `original` is the live object; creating it when there is none is
/// the REST layer's job (see [`apply::parse_applied`]).
pub fn apply_patch(
    patch_type: PatchType,
    group: &str,
    kind: &str,
    original: &Value,
    patch: &[u8],
) -> Result<Value, PatchError> {
    let patched = match patch_type {
        PatchType::Json => json_patch(original, patch)?,
        PatchType::Merge => merge_patch(original, patch)?,
        PatchType::StrategicMerge => {
            if !is_built_in_group(group) {
                return Err(PatchError::UnsupportedMediaType {
                    accepted: CUSTOM_PATCH_TYPES,
                });
            }
            let patch: Value = serde_json::from_slice(patch)
                .map_err(|error| PatchError::BadRequest(error.to_string()))?;
            strategic::strategic_merge(original, &patch, merge_keys::root_type(kind))?
        }
        PatchType::Apply => apply::apply(original, patch, kind)?,
    };
    if patched.is_object() {
        Ok(patched)
    } else {
        Err(PatchError::NotAnObject(patched.to_string()))
    }
}

/// RFC 6902: decode the operations, then apply them all or none.
fn json_patch(original: &Value, body: &[u8]) -> Result<Value, PatchError> {
    let operations: json_patch::Patch =
        serde_json::from_slice(body).map_err(|error| PatchError::BadRequest(error.to_string()))?;
    if operations.0.len() > MAX_JSON_PATCH_OPERATIONS {
        return Err(PatchError::TooManyOperations(operations.0.len()));
    }
    let mut patched = original.clone();
    json_patch::patch(&mut patched, &operations)?;
    Ok(patched)
}

/// RFC 7386: the body is a JSON document; `null` alone is not a patch ("Invalid JSON Patch" is
/// the message of the Go library the real server uses, for both cases).
fn merge_patch(original: &Value, body: &[u8]) -> Result<Value, PatchError> {
    let patch: Value = serde_json::from_slice(body)
        .map_err(|_| PatchError::BadRequest("Invalid JSON Patch".to_owned()))?;
    if patch.is_null() {
        return Err(PatchError::BadRequest("Invalid JSON Patch".to_owned()));
    }
    let mut patched = original.clone();
    json_patch::merge(&mut patched, &patch);
    Ok(patched)
}

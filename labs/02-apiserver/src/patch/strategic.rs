//! Strategic merge patch: a merge patch that knows the API's lists.
//!
//! A JSON merge patch (RFC 7386) merges maps key by key and replaces lists whole. That is wrong
//! for most of Kubernetes' lists: `kubectl patch` with one container would drop every other
//! container of the pod. Strategic merge patch fixes it with the API's patch metadata
//! ([`super::merge_keys`]): a list with `patchStrategy: merge` merges element by element, each
//! element identified by its `patchMergeKey` (a container by its `name`), and a list of
//! primitives with that strategy (`finalizers`) becomes the union of both. Every other list is
//! replaced, as in a merge patch. Directives ([`super::directives`]) do what a merge cannot.
//!
//! ```text
//! live:   {"containers": [{"name": "nginx", "image": "nginx:1.26"}, {"name": "log", "image": "busybox"}]}
//! patch:  {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}
//! result: {"containers": [{"name": "nginx", "image": "nginx:1.27"}, {"name": "log", "image": "busybox"}]}
//! ```
//!
//! This follows k8s.io/apimachinery `pkg/util/strategicpatch/patch.go` (`mergeMap`,
//! `mergeSlice`), with two simplifications: the patch's order is not checked against its
//! `$setElementOrder` (upstream refuses a patch whose list disagrees with it), and values the
//! patch adds are cleaned of directives and `null`s the same way as values it merges.

use serde_json::{Map, Value, json};

use super::StrategicError;
use super::directives::{self, MapDirective, PATCH};
use super::merge_keys::{self, FieldMeta, TypeName};

/// Applies the strategic merge patch `patch` to `original`, an object whose type is `root`
/// (from [`merge_keys::root_type`]). A `null` patch changes nothing, as upstream; any other
/// patch that is not an object is malformed.
pub fn strategic_merge(
    original: &Value,
    patch: &Value,
    root: TypeName,
) -> Result<Value, super::PatchError> {
    let patch = match patch {
        Value::Object(patch) => patch.clone(),
        Value::Null => Map::new(),
        other => {
            // The real server decodes the body into a Go map and reports Go's words.
            return Err(super::PatchError::BadRequest(format!(
                "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_type(other)
            )));
        }
    };
    let original = original.as_object().cloned().unwrap_or_default();
    Ok(Value::Object(merge_map(original, patch, Some(root))?))
}

/// How Go's JSON decoder names the type of a value.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

// ANCHOR: merge_map
/// Merges the map patch `patch` into the live map `original`, a value of type `ty` (`None` where
/// the table knows nothing: then maps merge and lists are replaced). In order:
///
/// 1. a `$patch` decides for the whole map: `replace` keeps only the patch, `delete` empties it;
/// 2. the other directives are taken out ([`directives::take_directives`]);
/// 3. each field of the patch: `null` deletes it; anything else is merged with the live value
///    by [`merge_value`], with the field's patch metadata ([`merge_keys::field`]);
/// 4. lists with a `$setElementOrder` are put in that order ([`directives::order_list`]).
pub fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    ty: Option<TypeName>,
) -> Result<Map<String, Value>, StrategicError> {
    // BEGIN SOLUTION step-5: $patch first, then the directives, then merge field by field, then the orders
    match directives::map_directive(&patch)? {
        Some(MapDirective::Replace) => {
            patch.remove(PATCH);
            // Merging into nothing still strips nested directives and nulls.
            return merge_map(Map::new(), patch, ty);
        }
        Some(MapDirective::Delete) => return Ok(Map::new()),
        None => {}
    }

    let orders = directives::take_directives(&mut original, &mut patch)?;
    // The live lists as they were before the merge: where server-only elements stay.
    let live_lists: Vec<Vec<Value>> = orders
        .iter()
        .map(|order| {
            original
                .get(&order.list)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .collect();

    for (key, value) in patch {
        if value.is_null() {
            original.remove(&key);
            continue;
        }
        let meta = merge_keys::field(ty, &key);
        let merged = merge_value(original.remove(&key), value, meta)?;
        original.insert(key, merged);
    }

    for (order, live) in orders.into_iter().zip(live_lists) {
        if let Some(Value::Array(list)) = original.remove(&order.list) {
            let merge_key = merge_keys::field(ty, &order.list).merge_key;
            let ordered = directives::order_list(list, &order.order, &live, merge_key);
            original.insert(order.list, Value::Array(ordered));
        }
    }
    Ok(original)
    // END SOLUTION
}
// ANCHOR_END: merge_map

/// Merges one field: two maps merge ([`merge_map`]), two lists merge or are replaced
/// ([`merge_list`]), and anything else (a scalar, or a value of another shape) is replaced by
/// the patch's value. A map or list the live object does not have is merged into an empty one,
/// which strips its directives and `null`s.
pub fn merge_value(
    original: Option<Value>,
    patch: Value,
    meta: FieldMeta,
) -> Result<Value, StrategicError> {
    Ok(match (original, patch) {
        (Some(Value::Object(live)), Value::Object(patch)) => {
            Value::Object(merge_map(live, patch, meta.ty)?)
        }
        (_, Value::Object(patch)) => Value::Object(merge_map(Map::new(), patch, meta.ty)?),
        (Some(Value::Array(live)), Value::Array(patch)) => {
            Value::Array(merge_list(live, patch, meta)?)
        }
        (_, Value::Array(patch)) => Value::Array(merge_list(Vec::new(), patch, meta)?),
        (_, scalar) => scalar,
    })
}

// ANCHOR: merge_list
/// Merges the list patch `patch` into the live list `live`, as the field's metadata says:
///
/// - not `merge`: the patch replaces the list;
/// - `merge` without a merge key (primitives): the union, live values first, no duplicates;
/// - `merge` with a merge key: each patch element merges into the live element with the same key
///   (or is added); an element `{"<key>": .., "$patch": "delete"}` deletes the live element with
///   that key; an element `{"$patch": "replace"}` makes the other elements replace the list.
///
/// The result is ordered by [`directives::order_list`]: the patch's elements in the patch's
/// order, the others where they were.
pub fn merge_list(
    live: Vec<Value>,
    patch: Vec<Value>,
    meta: FieldMeta,
) -> Result<Vec<Value>, StrategicError> {
    // BEGIN SOLUTION step-5: replace, union of primitives, or merge objects by their merge key
    if !meta.merge {
        return Ok(patch);
    }
    if patch.iter().chain(&live).any(Value::is_array) {
        return Err(StrategicError::ListOfLists);
    }
    let Some(key) = meta.merge_key else {
        if patch.iter().chain(&live).any(Value::is_object) {
            return Err(StrategicError::MixedList(Value::Array(patch).to_string()));
        }
        let mut merged = live.clone();
        for value in &patch {
            if !merged.contains(value) {
                merged.push(value.clone());
            }
        }
        return Ok(directives::order_list(merged, &patch, &live, None));
    };

    // First the elements that are directives: deletions by key, or a replacement of the list.
    let mut merged = live;
    let mut elements = Vec::new();
    let mut replace = false;
    for element in patch {
        let element = into_object(element)?;
        let Some(directive) = element.get(PATCH) else {
            elements.push(element);
            continue;
        };
        match directive.as_str() {
            Some("delete") => {
                let id = merge_key_of(&element, key)?;
                merged.retain(|live| live.get(key) != Some(&id));
            }
            Some("replace") => replace = true,
            Some("merge") => return Err(StrategicError::MergeDirectiveInList),
            _ => {
                return Err(StrategicError::BadPatchType {
                    directive: directives::directive_text(directive),
                    map: Value::Object(element.clone()).to_string(),
                });
            }
        }
    }
    if replace {
        return Ok(elements.into_iter().map(Value::Object).collect());
    }

    // Then each element merges into the live one with its key, or joins the list.
    let server_order = merged.clone();
    let mut order = Vec::with_capacity(elements.len());
    for element in elements {
        let id = merge_key_of(&element, key)?;
        order.push(json!({ key: id.clone() }));
        match merged.iter_mut().find(|live| live.get(key) == Some(&id)) {
            Some(live) => {
                let live_map = into_object(live.take())?;
                *live = Value::Object(merge_map(live_map, element, meta.ty)?);
            }
            None => merged.push(Value::Object(merge_map(Map::new(), element, meta.ty)?)),
        }
    }
    Ok(directives::order_list(
        merged,
        &order,
        &server_order,
        Some(key),
    ))
    // END SOLUTION
}
// ANCHOR_END: merge_list

/// The value of an element's merge key, or the error upstream gives when it has none.
fn merge_key_of(element: &Map<String, Value>, key: &str) -> Result<Value, StrategicError> {
    element
        .get(key)
        .cloned()
        .ok_or_else(|| StrategicError::NoMergeKey {
            map: Value::Object(element.clone()).to_string(),
            key: key.to_owned(),
        })
}

/// An element of a merging list of objects, as a map (lists mixing objects and other values
/// are malformed).
fn into_object(element: Value) -> Result<Map<String, Value>, StrategicError> {
    match element {
        Value::Object(map) => Ok(map),
        other => Err(StrategicError::MixedList(other.to_string())),
    }
}

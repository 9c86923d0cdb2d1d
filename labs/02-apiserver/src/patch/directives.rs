//! The directives of strategic merge patch: the `$`-keys that say what a plain merge cannot.
//!
//! A merge patch can set and delete keys of a map, but it cannot delete one element of a list,
//! replace a map instead of merging into it, or say in which order the elements of a merged list
//! go. Strategic merge patch adds keys for that (kubernetes/community
//! `contributors/devel/sig-api-machinery/strategic-merge-patch.md`):
//!
//! | directive | where | meaning |
//! | --- | --- | --- |
//! | `"$patch": "replace"` | in a map | this map replaces the live one instead of merging into it |
//! | `"$patch": "delete"` | in a map | delete this map (in a list: the element with this merge key) |
//! | `{"$patch": "replace"}` | an element of a list | the rest of this list replaces the live one |
//! | `"$retainKeys": [..]` | in a map | drop every live key not listed (union fields: a strategy, a volume source) |
//! | `"$deleteFromPrimitiveList/<list>": [..]` | next to `<list>` | remove these values from a merging list of primitives |
//! | `"$setElementOrder/<list>": [..]` | next to `<list>` | the order of the merged list, by merge key |
//!
//! `null` as a value, as in a merge patch, deletes the key. kubectl computes these patches (for
//! `apply`, from the last applied configuration, the new one and the live object); the server
//! only applies them.

use serde_json::{Map, Value};

use super::StrategicError;

/// The key of the `$patch` directive.
pub const PATCH: &str = "$patch";
/// The key of the `$retainKeys` directive.
pub const RETAIN_KEYS: &str = "$retainKeys";
/// The prefix of `$setElementOrder/<list>`.
pub const SET_ELEMENT_ORDER: &str = "$setElementOrder";
/// The prefix of `$deleteFromPrimitiveList/<list>`.
pub const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";

/// What a `$patch` in a map asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapDirective {
    /// `$patch: replace`: the map (without the directive) replaces the live one.
    Replace,
    /// `$patch: delete`: the map is deleted (left empty).
    Delete,
}

/// The `$patch` of a map patch, if it has one. Only `replace` and `delete` are valid in a map
/// (upstream rejects even `merge`, the default).
pub fn map_directive(patch: &Map<String, Value>) -> Result<Option<MapDirective>, StrategicError> {
    match patch.get(PATCH) {
        None => Ok(None),
        Some(Value::String(s)) if s == "replace" => Ok(Some(MapDirective::Replace)),
        Some(Value::String(s)) if s == "delete" => Ok(Some(MapDirective::Delete)),
        Some(other) => Err(StrategicError::BadPatchType {
            directive: directive_text(other),
            map: Value::Object(patch.clone()).to_string(),
        }),
    }
}

/// A directive's value as the error messages show it: strings without quotes.
pub(crate) fn directive_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The list a `$setElementOrder/<list>` or `$deleteFromPrimitiveList/<list>` key is about, or
/// `None` when `key` does not start with `prefix` at all.
fn list_name<'k>(
    key: &'k str,
    prefix: &str,
    malformed: StrategicError,
) -> Option<Result<&'k str, StrategicError>> {
    let rest = key.strip_prefix(prefix)?;
    Some(match rest.strip_prefix('/') {
        Some(name) if !name.is_empty() => Ok(name),
        _ => Err(malformed),
    })
}

/// One `$setElementOrder/<list>`: the list's name and the order its elements must have.
#[derive(Debug, Clone, PartialEq)]
pub struct ElementOrder {
    /// The list field, e.g. `containers`.
    pub list: String,
    /// Its elements in order: `{"<merge key>": value}` maps, or the values of a primitive list.
    pub order: Vec<Value>,
}

/// Takes every directive out of `patch`, a map patch without `$patch` (see [`map_directive`]),
/// and applies those that act on the live map `original` right away:
///
/// - `$retainKeys`: a list of strings; every key of `original` not in it is removed. Each key
///   the patch sets (not to `null`) must be in it, or the patch is malformed.
/// - `$deleteFromPrimitiveList/<list>`: a list of values removed from `original[<list>]`.
///
/// `$setElementOrder/<list>` can only be applied once `<list>` is merged, so they are returned.
/// When this returns, `patch` holds only fields.
pub fn take_directives(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<Vec<ElementOrder>, StrategicError> {
    // BEGIN SOLUTION step-5: apply $retainKeys and $deleteFromPrimitiveList, return the $setElementOrder lists
    if let Some(retain) = patch.remove(RETAIN_KEYS) {
        let Value::Array(retain) = retain else {
            return Err(StrategicError::BadRetainKeys);
        };
        let keep = |key: &str| retain.iter().any(|k| k.as_str() == Some(key));
        // Every field the patch sets must be one the live map keeps.
        for (key, value) in patch.iter() {
            let is_directive =
                key.starts_with(SET_ELEMENT_ORDER) || key.starts_with(DELETE_FROM_PRIMITIVE_LIST);
            if !value.is_null() && !is_directive && !keep(key) {
                return Err(StrategicError::BadRetainKeys);
            }
        }
        original.retain(|key, _| keep(key));
    }

    let mut orders = Vec::new();
    let keys: Vec<String> = patch.keys().cloned().collect();
    for key in keys {
        if let Some(list) = list_name(
            &key,
            DELETE_FROM_PRIMITIVE_LIST,
            StrategicError::BadPrimitiveList,
        ) {
            let list = list?;
            let Some(Value::Array(remove)) = patch.remove(&key) else {
                return Err(StrategicError::BadPrimitiveList);
            };
            if let Some(Value::Array(live)) = original.get_mut(list) {
                live.retain(|value| !remove.contains(value));
            }
        } else if let Some(list) =
            list_name(&key, SET_ELEMENT_ORDER, StrategicError::BadSetElementOrder)
        {
            let list = list?.to_owned();
            let Some(Value::Array(order)) = patch.remove(&key) else {
                return Err(StrategicError::BadSetElementOrder);
            };
            orders.push(ElementOrder { list, order });
        }
    }
    Ok(orders)
    // END SOLUTION
}

/// What identifies an element of a list: its merge key's value for a list of objects, the
/// element itself for a list of primitives.
fn identity<'v>(element: &'v Value, merge_key: Option<&str>) -> Option<&'v Value> {
    match merge_key {
        Some(key) => element.get(key),
        None => Some(element),
    }
}

/// Where `element` is in `list`, compared by [`identity`].
fn position(list: &[Value], element: &Value, merge_key: Option<&str>) -> Option<usize> {
    let wanted = identity(element, merge_key)?;
    list.iter()
        .position(|other| identity(other, merge_key) == Some(wanted))
}

/// Orders a merged list the way upstream's `normalizeElementOrder` does. The elements named in
/// `order` (the patch's list, or its `$setElementOrder`) come in that order; the others (only on
/// the server) keep the order they had in `live`, the list before the patch; and the two are
/// interleaved so that an element the patch only changed stays where it was. An element that
/// is new goes before the server-only elements still to place: SMP puts new elements first.
pub fn order_list(
    merged: Vec<Value>,
    order: &[Value],
    live: &[Value],
    merge_key: Option<&str>,
) -> Vec<Value> {
    let (mut ordered, mut server_only): (Vec<Value>, Vec<Value>) = merged
        .into_iter()
        .partition(|element| position(order, element, merge_key).is_some());
    // Stable sorts: elements without a position keep their relative order, at the end.
    ordered.sort_by_cached_key(|element| position(order, element, merge_key).unwrap_or(usize::MAX));
    server_only
        .sort_by_cached_key(|element| position(live, element, merge_key).unwrap_or(usize::MAX));

    let mut result = Vec::with_capacity(ordered.len() + server_only.len());
    let mut ordered = ordered.into_iter().peekable();
    let mut server_only = server_only.into_iter().peekable();
    loop {
        let take_server_only = match (server_only.peek(), ordered.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            // A server-only element goes first only if it came first in the live list.
            (Some(left), Some(right)) => matches!(
                (position(live, left, merge_key), position(live, right, merge_key)),
                (Some(l), Some(r)) if l < r
            ),
        };
        let next = if take_server_only {
            server_only.next()
        } else {
            ordered.next()
        };
        result.extend(next);
    }
    result
}

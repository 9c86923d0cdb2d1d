//! Label selectors as validation needs them: checking a `LabelSelector`'s shape, and whether it
//! matches a set of labels (step 3 builds the full selector language for queries).

use serde_json::Value;

use super::Bad;
use super::meta::validate_labels;
use super::names;
use super::{Causes, arr_at, child, index, str_at};

/// `ValidateLabelSelector`: valid matchLabels, and matchExpressions whose operator fits its
/// values.
pub(crate) fn validate_label_selector(selector: &Value, path: &str, causes: &mut Causes) {
    validate_labels(
        selector.get("matchLabels"),
        &child(path, "matchLabels"),
        causes,
    );
    let expressions_path = child(path, "matchExpressions");
    for (i, expression) in arr_at(selector, "matchExpressions").iter().enumerate() {
        let at = index(&expressions_path, i);
        let values = arr_at(expression, "values");
        match str_at(expression, "operator").unwrap_or("") {
            "In" | "NotIn" => {
                if values.is_empty() {
                    causes.required(
                        child(&at, "values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    );
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    causes.forbidden(
                        child(&at, "values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    );
                }
            }
            op => causes.invalid(
                child(&at, "operator"),
                Bad::str(op),
                "not a valid selector operator",
            ),
        }
        let key = str_at(expression, "key").unwrap_or("");
        causes.invalid_each(&child(&at, "key"), key, names::is_qualified_name(key));
    }
}

/// Whether `selector` (matchLabels and matchExpressions, all of which must hold) selects an
/// object with `labels`.
pub(crate) fn selector_matches(selector: &Value, labels: Option<&Value>) -> bool {
    let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    let match_labels_hold = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .is_none_or(|m| m.iter().all(|(k, v)| label(k) == v.as_str()));
    let expressions_hold = arr_at(selector, "matchExpressions").iter().all(|e| {
        let key = str_at(e, "key").unwrap_or("");
        let values: Vec<&str> = arr_at(e, "values")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        match (str_at(e, "operator").unwrap_or(""), label(key)) {
            ("In", Some(v)) => values.contains(&v),
            ("NotIn", v) => v.is_none_or(|v| !values.contains(&v)),
            ("Exists", v) => v.is_some(),
            ("DoesNotExist", v) => v.is_none(),
            _ => false,
        }
    });
    match_labels_hold && expressions_hold
}

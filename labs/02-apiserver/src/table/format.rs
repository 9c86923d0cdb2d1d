//! Cell helpers the printers share: labels, label selectors, container lists, optional values.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Container;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// `labels.FormatLabels`: `app=web,tier=front` in key order, or `<none>`.
pub(crate) fn labels(labels: Option<&BTreeMap<String, String>>) -> String {
    let joined = labels
        .into_iter()
        .flatten()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(",");
    if joined.is_empty() {
        "<none>".to_owned()
    } else {
        joined
    }
}

/// `metav1.LabelSelectorAsSelector(..).String()`: the selector in the `-l` syntax, requirements
/// sorted by key (`app=web,tier in (a,b)`); an empty or missing selector is `""`, an invalid one
/// `Err(())`.
pub(crate) fn selector_string(selector: Option<&LabelSelector>) -> Result<String, ()> {
    let Some(selector) = selector else {
        return Ok(String::new());
    };
    let mut requirements: Vec<(String, String)> = Vec::new();
    for (key, value) in selector.match_labels.iter().flatten() {
        requirements.push((key.clone(), format!("{key}={value}")));
    }
    for expression in selector.match_expressions.iter().flatten() {
        let key = &expression.key;
        let mut values = expression.values.clone().unwrap_or_default();
        values.sort();
        let text = match (expression.operator.as_str(), values.is_empty()) {
            ("In", false) => format!("{key} in ({})", values.join(",")),
            ("NotIn", false) => format!("{key} notin ({})", values.join(",")),
            ("Exists", true) => key.clone(),
            ("DoesNotExist", true) => format!("!{key}"),
            _ => return Err(()),
        };
        requirements.push((key.clone(), text));
    }
    // A stable sort by key, as the selector's requirements are kept in Go.
    requirements.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(requirements
        .into_iter()
        .map(|(_, text)| text)
        .collect::<Vec<_>>()
        .join(","))
}

/// `metav1.FormatLabelSelector`: like [`selector_string`], but `<none>` when empty and
/// `<error>` when invalid.
pub(crate) fn label_selector(selector: Option<&LabelSelector>) -> String {
    match selector_string(selector) {
        Ok(text) if text.is_empty() => "<none>".to_owned(),
        Ok(text) => text,
        Err(()) => "<error>".to_owned(),
    }
}

/// `layoutContainerCells`: the containers' names and their images, each comma-separated.
pub(crate) fn containers(containers: &[Container]) -> (String, String) {
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    let images: Vec<&str> = containers
        .iter()
        .map(|c| c.image.as_deref().unwrap_or_default())
        .collect();
    (names.join(","), images.join(","))
}

/// `printBoolPtr`: `true`, `false`, or `<unset>`.
pub(crate) fn bool_ptr(value: Option<bool>) -> String {
    value.map_or_else(|| "<unset>".to_owned(), |v| v.to_string())
}

/// `listWithMoreString`: the first `max` items, `" + N more..."` for the rest, `<unset>` for
/// none.
pub(crate) fn list_with_more(items: &[String], max: usize) -> String {
    if items.is_empty() {
        return "<unset>".to_owned();
    }
    let shown = items[..items.len().min(max)].join(",");
    if items.len() > max {
        format!("{shown} + {} more...", items.len() - max)
    } else {
        shown
    }
}

//! `metav1.LabelSelector` to a selector: each operator, the nil-versus-empty rule, and the
//! errors for invalid operators, keys and values.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use lab_02::selector::{Selector, SelectorError};

use super::labels;

fn expression(key: &str, operator: &str, values: Option<&[&str]>) -> LabelSelectorRequirement {
    LabelSelectorRequirement {
        key: key.to_owned(),
        operator: operator.to_owned(),
        values: values.map(|values| values.iter().map(|v| (*v).to_owned()).collect()),
    }
}

fn selector(
    match_labels: &[(&str, &str)],
    expressions: Vec<LabelSelectorRequirement>,
) -> LabelSelector {
    LabelSelector {
        match_labels: Some(
            match_labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
        ),
        match_expressions: Some(expressions),
    }
}

fn conversion_error(selector: &LabelSelector) -> String {
    match Selector::from_label_selector(Some(selector)) {
        Ok(converted) => panic!("{selector:?} converted to {converted}, expected an error"),
        Err(error) => {
            assert!(matches!(error, SelectorError::Label { .. }), "{error:?}");
            error.to_string()
        }
    }
}

#[test]
fn step3_nil_label_selector_matches_nothing() {
    let nothing = Selector::from_label_selector(None).expect("None converts");
    assert_eq!(nothing, Selector::Nothing);
    assert!(!nothing.matches(&labels(&[])));
    assert!(!nothing.matches(&labels(&[("app", "web")])));
    assert_eq!(nothing.to_string(), "");
}

#[test]
fn step3_empty_label_selector_matches_everything() {
    let empties = [LabelSelector::default(), selector(&[], Vec::new())];
    for empty in &empties {
        let everything = Selector::from_label_selector(Some(empty)).expect("converts");
        assert!(everything.is_everything(), "{empty:?}");
        assert!(everything.matches(&labels(&[])));
        assert!(everything.matches(&labels(&[("app", "web")])));
    }
}

#[test]
fn step3_label_selector_operators_become_requirements() {
    let converted = Selector::from_label_selector(Some(&selector(
        &[("app", "web")],
        vec![
            expression("tier", "In", Some(&["frontend", "cache"])),
            expression("canary", "DoesNotExist", None),
            expression("track", "Exists", Some(&[])),
            expression("env", "NotIn", Some(&["dev"])),
        ],
    )))
    .expect("a valid selector");
    assert_eq!(
        converted.to_string(),
        "app=web,!canary,env notin (dev),tier in (cache,frontend),track"
    );
    let matching = labels(&[("app", "web"), ("tier", "cache"), ("track", "stable")]);
    assert!(converted.matches(&matching));
    let cases = [
        labels(&[("app", "web"), ("tier", "db"), ("track", "stable")]),
        labels(&[
            ("app", "web"),
            ("tier", "cache"),
            ("track", "stable"),
            ("canary", "1"),
        ]),
        labels(&[("app", "web"), ("tier", "cache")]),
        labels(&[
            ("app", "web"),
            ("tier", "cache"),
            ("track", "x"),
            ("env", "dev"),
        ]),
        labels(&[("app", "api"), ("tier", "cache"), ("track", "stable")]),
    ];
    for labels in &cases {
        assert!(!converted.matches(labels), "{labels:?} should not match");
    }
}

#[test]
fn step3_label_selector_rejects_unknown_operators() {
    for operator in ["Gt", "in", "Equals", ""] {
        let invalid = selector(&[], vec![expression("a", operator, Some(&["1"]))]);
        assert_eq!(
            conversion_error(&invalid),
            format!("\"{operator}\" is not a valid label selector operator")
        );
    }
}

#[test]
fn step3_label_selector_checks_the_values_each_operator_needs() {
    let cases = [
        (
            expression("a", "In", None),
            "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
        ),
        (
            expression("a", "NotIn", Some(&[])),
            "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
        ),
        (
            expression("a", "Exists", Some(&["x"])),
            "values: Invalid value: []string{\"x\"}: values set must be empty for exists and does not exist",
        ),
        (
            expression("a", "DoesNotExist", Some(&["x", "y"])),
            "values: Invalid value: []string{\"x\", \"y\"}: values set must be empty for exists and does not exist",
        ),
    ];
    for (expression, message) in cases {
        assert_eq!(conversion_error(&selector(&[], vec![expression])), message);
    }
}

#[test]
fn step3_label_selector_checks_keys_and_values() {
    let name_rule = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    let value_rule = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    assert_eq!(
        conversion_error(&selector(&[("app", "-x")], Vec::new())),
        format!("values[0][app]: Invalid value: \"-x\": {value_rule}")
    );
    assert_eq!(
        conversion_error(&selector(&[], vec![expression("-a", "In", Some(&["x"]))])),
        format!("key: Invalid value: \"-a\": name part {name_rule}")
    );
    // Several problems in one requirement are listed together, in brackets.
    assert_eq!(
        conversion_error(&selector(
            &[],
            vec![expression("-a", "Exists", Some(&["-b"]))]
        )),
        format!(
            "[key: Invalid value: \"-a\": name part {name_rule}, values: Invalid value: []string{{\"-b\"}}: values set must be empty for exists and does not exist, values[0][-a]: Invalid value: \"-b\": {value_rule}]"
        )
    );
}

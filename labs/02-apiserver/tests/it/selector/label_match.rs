//! Matching label selectors against labels: one truth table per operator, with the missing-key
//! cases that surprise people (`!=` and `notin` select objects without the key).

use lab_02::selector::{Labels, Selector};

use super::labels;

/// The label sets every selector below is tried on, in this order.
fn label_sets() -> Vec<Labels> {
    vec![
        labels(&[]),
        labels(&[("env", "prod")]),
        labels(&[("env", "dev")]),
        labels(&[("env", "prod"), ("gen", "7")]),
        labels(&[("gen", "abc")]),
        labels(&[("env", "")]),
    ]
}

fn check(cases: &[(&str, [bool; 6])]) {
    for (input, expected) in cases {
        let selector = Selector::parse(input).expect("a valid selector");
        let got: Vec<bool> = label_sets()
            .iter()
            .map(|labels| selector.matches(labels))
            .collect();
        assert_eq!(
            got,
            expected.to_vec(),
            "selector {input:?} on {:?}",
            label_sets()
        );
    }
}

#[test]
fn step3_equality_operators_need_the_key_and_the_value() {
    //        {}     prod   dev    prod+7 gen=abc env=""
    check(&[
        ("env=prod", [false, true, false, true, false, false]),
        ("env==prod", [false, true, false, true, false, false]),
        ("env=", [false, false, false, false, false, true]),
    ]);
}

#[test]
fn step3_not_equals_matches_objects_without_the_key() {
    check(&[
        ("env!=prod", [true, false, true, false, true, true]),
        ("env!=", [true, true, true, true, true, false]),
    ]);
}

#[test]
fn step3_set_based_in_needs_the_key() {
    check(&[
        ("env in (prod,dev)", [false, true, true, true, false, false]),
        ("env in (prod,)", [false, true, false, true, false, true]),
    ]);
}

#[test]
fn step3_set_based_notin_matches_missing_key() {
    check(&[
        ("env notin (prod)", [true, false, true, false, true, true]),
        (
            "env notin (prod,dev)",
            [true, false, false, false, true, true],
        ),
    ]);
}

#[test]
fn step3_exists_and_does_not_exist_test_presence_only() {
    check(&[
        ("env", [false, true, true, true, false, true]),
        ("!env", [true, false, false, false, true, false]),
    ]);
}

#[test]
fn step3_greater_and_less_than_compare_integers() {
    check(&[
        ("gen>5", [false, false, false, true, false, false]),
        ("gen>7", [false, false, false, false, false, false]),
        ("gen<8", [false, false, false, true, false, false]),
        ("gen<7", [false, false, false, false, false, false]),
    ]);
}

#[test]
fn step3_all_requirements_must_hold() {
    check(&[
        ("env=prod,gen", [false, false, false, true, false, false]),
        ("env!=dev,!gen", [true, true, false, false, false, true]),
        ("", [true, true, true, true, true, true]),
    ]);
}

#[test]
fn step3_a_label_map_selects_by_equality() {
    let selector = Selector::from_set(&labels(&[("tier", "web"), ("app", "shop")]));
    assert_eq!(selector.to_string(), "app=shop,tier=web");
    assert!(selector.matches(&labels(&[("app", "shop"), ("tier", "web"), ("x", "y")])));
    assert!(!selector.matches(&labels(&[("app", "shop")])));
    assert!(Selector::from_set(&labels(&[])).is_everything());
}

//! Parsing label selector strings: what parses (and how it prints back) and what does not
//! (and the real server's message for it).

use lab_02::selector::{Operator, Selector, SelectorError};

/// The text of the `qualified name` rule, as every key error quotes it.
const NAME_PART_RULE: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_RULE: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

fn parse_error(input: &str) -> String {
    match Selector::parse(input) {
        Ok(selector) => panic!("{input:?} parsed as {selector}, expected an error"),
        Err(error) => {
            assert!(matches!(error, SelectorError::Label { .. }), "{error:?}");
            assert_eq!(error.code(), 400);
            error.to_string()
        }
    }
}

#[test]
fn step3_valid_label_selectors_print_back_canonically() {
    let cases = [
        ("", ""),
        ("x=a", "x=a"),
        ("x==a", "x==a"),
        ("x!=a", "x!=a"),
        ("x in (b,a)", "x in (a,b)"),
        ("x notin (a)", "x notin (a)"),
        ("x", "x"),
        ("!x", "!x"),
        ("x>5", "x>5"),
        ("x<10", "x<10"),
        ("  x = a ,\ty\n", "x=a,y"),
        ("z=1,a=2,m", "a=2,m,z=1"),
        ("x=", "x="),
        ("x in ()", "x in ()"),
        ("x in (,a)", "x in (,a)"),
        ("x in (a,,b)", "x in (,a,b)"),
        ("x in (a,a)", "x in (a)"),
        ("x in (in,notin)", "x in (in,notin)"),
        ("in=notin", "in=notin"),
        ("example.com/app=web", "example.com/app=web"),
        ("a.b_c-D=E.f_g-1", "a.b_c-D=E.f_g-1"),
        // Sorted by key: the `!` of DoesNotExist is not part of the key.
        ("z,x notin(a),!y", "x notin (a),!y,z"),
    ];
    for (input, canonical) in cases {
        match Selector::parse(input) {
            Ok(selector) => assert_eq!(selector.to_string(), canonical, "input {input:?}"),
            Err(error) => panic!("{input:?} should parse, got: {error}"),
        }
    }
}

#[test]
fn step3_parsed_requirements_have_the_right_operators() {
    let selector = Selector::parse("a=1,b==2,c!=3,d in (4),e notin (5),f,!g,h>6,i<7")
        .expect("a valid selector");
    let operators: Vec<Operator> = selector
        .requirements()
        .iter()
        .map(|requirement| requirement.operator())
        .collect();
    assert_eq!(
        operators,
        vec![
            Operator::Equals,
            Operator::DoubleEquals,
            Operator::NotEquals,
            Operator::In,
            Operator::NotIn,
            Operator::Exists,
            Operator::DoesNotExist,
            Operator::GreaterThan,
            Operator::LessThan,
        ]
    );
    assert!(Selector::parse("").expect("empty parses").is_everything());
}

#[test]
fn step3_syntax_errors_have_the_real_messages() {
    let cases = [
        ("x=a b", "found 'b', expected: ',' or 'end of string'"),
        ("!x=a", "found '=', expected: ',' or 'end of string'"),
        ("x>1>2", "found '>', expected: ',' or 'end of string'"),
        ("x=a,", "found '', expected: identifier after ','"),
        ("x=a,,y", "found ',', expected: identifier after ','"),
        (
            ",x",
            "found ',', expected: !, identifier, or 'end of string'",
        ),
        (
            "=a",
            "found '=', expected: !, identifier, or 'end of string'",
        ),
        (
            "x y",
            "unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt",
        ),
        (
            "!",
            "unable to parse requirement: found '', expected: identifier",
        ),
        (
            "!!x",
            "unable to parse requirement: found '!', expected: identifier",
        ),
        (
            "x in a",
            "unable to parse requirement: found 'a' expected: '('",
        ),
        (
            "x in (a",
            "unable to parse requirement: found '', expected: ',' or ')'",
        ),
        (
            "x in (a b)",
            "unable to parse requirement: found 'b', expected: ',' or ')'",
        ),
        (
            "x in (=)",
            "unable to parse requirement: found '=', expected: ',', ')' or identifier",
        ),
        (
            "x in (a,=)",
            "unable to parse requirement: found '=', expected: ',', or identifier",
        ),
        (
            "x=(",
            "unable to parse requirement: found '(', expected: identifier",
        ),
    ];
    for (input, message) in cases {
        assert_eq!(parse_error(input), message, "input {input:?}");
    }
}

#[test]
fn step3_invalid_keys_and_values_have_the_real_messages() {
    let long_value = "z".repeat(64);
    let long_key = "k".repeat(64);
    let cases = [
        (
            "-x=a".to_owned(),
            format!("unable to parse requirement: <nil>: Invalid value: \"-x\": name part {NAME_PART_RULE}"),
        ),
        (
            "a/b/c".to_owned(),
            format!(
                "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name {NAME_PART_RULE} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            ),
        ),
        (
            "/x".to_owned(),
            "unable to parse requirement: <nil>: Invalid value: \"/x\": prefix part must be non-empty".to_owned(),
        ),
        (
            "x/".to_owned(),
            format!(
                "unable to parse requirement: <nil>: Invalid value: \"x/\": name part must be non-empty; name part {NAME_PART_RULE}"
            ),
        ),
        (
            "Example.com/x".to_owned(),
            "unable to parse requirement: <nil>: Invalid value: \"Example.com/x\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".to_owned(),
        ),
        (
            long_key.clone(),
            format!(
                "unable to parse requirement: <nil>: Invalid value: \"{long_key}\": name part must be no more than 63 characters"
            ),
        ),
        (
            format!("good-key={long_value}"),
            format!(
                "unable to parse requirement: values[0][good-key]: Invalid value: \"{long_value}\": must be no more than 63 characters"
            ),
        ),
        (
            "x=-a".to_owned(),
            format!("unable to parse requirement: values[0][x]: Invalid value: \"-a\": {VALUE_RULE}"),
        ),
        (
            // A value set is sorted before it is checked, so "b_" is values[0].
            "x in (ok,b_)".to_owned(),
            format!("unable to parse requirement: values[0][x]: Invalid value: \"b_\": {VALUE_RULE}"),
        ),
        (
            "x>a".to_owned(),
            "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer".to_owned(),
        ),
        (
            "x<".to_owned(),
            "unable to parse requirement: values[0]: Invalid value: \"\": for 'Gt', 'Lt' operators, the value must be an integer".to_owned(),
        ),
        (
            "x>-1".to_owned(),
            format!("unable to parse requirement: values[0][x]: Invalid value: \"-1\": {VALUE_RULE}"),
        ),
    ];
    for (input, message) in cases {
        assert_eq!(parse_error(&input), message, "input {input:?}");
    }
}

#[test]
fn step3_keys_and_values_at_their_length_limits_parse() {
    let name = "n".repeat(63);
    let prefix = format!("{}.{}", "p".repeat(63), "q".repeat(63));
    let value = "v".repeat(63);
    let input = format!("{prefix}/{name}={value}");
    let selector = Selector::parse(&input).expect("63-character name and value are valid");
    assert_eq!(selector.to_string(), input);
}

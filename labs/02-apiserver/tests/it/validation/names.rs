//! The name rules, with the real messages.

use lab_02::validation::names::{
    is_dns1035_label, is_dns1123_label, is_dns1123_subdomain, is_qualified_name,
    is_valid_label_value,
};

const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

#[test]
fn step2_dns1123_subdomain_accepts_and_rejects_like_kubernetes() {
    for good in ["web", "web-1", "a.b.c", "0abc", "x"] {
        assert!(is_dns1123_subdomain(good).is_empty(), "{good} is valid");
    }
    for bad in ["Web", "-web", "web-", "web_1", "a..b", "", ".a", "a."] {
        assert_eq!(is_dns1123_subdomain(bad), vec![SUBDOMAIN_MSG], "{bad:?}");
    }
    let long = "a".repeat(254);
    assert_eq!(
        is_dns1123_subdomain(&long),
        vec!["must be no more than 253 characters".to_string()]
    );
    assert!(is_dns1123_subdomain(&"a".repeat(253)).is_empty());
}

#[test]
fn step2_dns1123_label_rejects_dots_and_capitals() {
    assert!(is_dns1123_label("kube-system").is_empty());
    assert_eq!(is_dns1123_label("Web"), vec![LABEL_MSG]);
    assert_eq!(is_dns1123_label("a.b"), vec!["must not contain dots"]);
    assert_eq!(
        is_dns1123_label(&"a".repeat(64)),
        vec!["must be no more than 63 characters".to_string()]
    );
}

#[test]
fn step2_dns1035_label_must_start_with_a_letter() {
    assert!(is_dns1035_label("web-1").is_empty());
    assert_eq!(is_dns1035_label("1web"), vec![DNS1035_MSG]);
    assert_eq!(is_dns1035_label("web.svc"), vec![DNS1035_MSG]);
}

#[test]
fn step2_qualified_names_and_label_values() {
    assert!(is_qualified_name("app.kubernetes.io/name").is_empty());
    assert!(is_qualified_name("App_1").is_empty());
    assert_eq!(
        is_qualified_name("/x"),
        vec!["prefix part must be non-empty"]
    );
    assert_eq!(
        is_qualified_name("a/b/c"),
        vec![
            "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    );
    assert_eq!(
        is_qualified_name("x/"),
        vec![
            "name part must be non-empty",
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        ]
    );
    assert!(is_valid_label_value("").is_empty());
    assert!(is_valid_label_value("v1.2_x").is_empty());
    assert_eq!(
        is_valid_label_value("-x"),
        vec![
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        ]
    );
}

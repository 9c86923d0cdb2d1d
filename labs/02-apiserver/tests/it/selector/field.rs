//! Field selectors: parsing and escaping, the fields each resource accepts (with each
//! resource's own wording of the refusal), and the field values read from objects.

use lab_02::selector::{
    FieldSelector, Fields, SelectorError, convert_field_label, escape_value, selectable_fields,
    unescape_value,
};
use serde_json::json;

fn field_error(input: &str) -> String {
    match FieldSelector::parse(input) {
        Ok(selector) => panic!("{input:?} parsed as {selector}, expected an error"),
        Err(error) => {
            assert!(matches!(error, SelectorError::Field { .. }), "{error:?}");
            error.to_string()
        }
    }
}

fn fields(pairs: &[(&str, &str)]) -> Fields {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn step3_field_selectors_parse_and_print_back_sorted() {
    let cases = [
        ("", ""),
        ("a=b", "a=b"),
        ("a==b", "a=b"),
        ("a!=b", "a!=b"),
        ("a=!b", "a=!b"),
        ("b=1,a=2", "a=2,b=1"),
        ("a=b,,c=d", "a=b,c=d"),
        ("a=", "a="),
        (r"a=x\,y\=z\\w", r"a=x\,y\=z\\w"),
    ];
    for (input, canonical) in cases {
        let selector = FieldSelector::parse(input).expect("a valid field selector");
        assert_eq!(selector.to_string(), canonical, "input {input:?}");
    }
    let escaped = FieldSelector::parse(r"a=x\,y\=z\\w").expect("valid");
    assert_eq!(escaped.terms()[0].value, r"x,y=z\w");
}

#[test]
fn step3_field_values_escape_and_unescape() {
    assert_eq!(escape_value(r"a,b=c\d!e"), r"a\,b\=c\\d!e");
    assert_eq!(
        unescape_value(r"a\,b\=c\\d!e").expect("valid"),
        r"a,b=c\d!e"
    );
    for value in ["", "plain", r"\,=,\", "x=y,z"] {
        assert_eq!(
            unescape_value(&escape_value(value)).expect("round trip"),
            value
        );
    }
}

#[test]
fn step3_field_selector_errors_have_the_real_messages() {
    let cases = [
        ("abc", "invalid selector: 'abc'; can't understand 'abc'"),
        ("a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'"),
        (
            r"a=b\x",
            r"invalid field selector: invalid escape sequence: \x",
        ),
        (
            r"a=b\",
            r"invalid field selector: invalid escape sequence: \",
        ),
        // Go prints the rune as a number: '=' is 61.
        (
            "a=b=c",
            "invalid field selector: unescaped character in value: 61",
        ),
    ];
    for (input, message) in cases {
        assert_eq!(field_error(input), message, "input {input:?}");
    }
}

#[test]
fn step3_field_selector_matching_reads_missing_fields_as_empty() {
    let selector = FieldSelector::parse("spec.nodeName=,status.phase!=Failed").expect("valid");
    assert!(selector.matches(&fields(&[("status.phase", "Pending")])));
    assert!(selector.matches(&fields(&[])));
    assert!(!selector.matches(&fields(&[("spec.nodeName", "node-1")])));
    assert!(!selector.matches(&fields(&[("status.phase", "Failed")])));
    assert_eq!(
        FieldSelector::parse("metadata.name=web")
            .expect("valid")
            .requires_exact_match("metadata.name"),
        Some("web")
    );
}

#[test]
fn step3_unsupported_fields_are_refused_in_each_resources_words() {
    let cases = [
        (
            "",
            "pods",
            "spec.containers",
            "field label not supported: spec.containers",
        ),
        (
            "",
            "nodes",
            "metadata.namespace",
            "field label not supported: metadata.namespace",
        ),
        (
            "",
            "namespaces",
            "spec.finalizers",
            "field label not supported: spec.finalizers",
        ),
        (
            "",
            "events",
            "message",
            "field label not supported: message",
        ),
        (
            "",
            "services",
            "spec.ports",
            "field label not supported: spec.ports",
        ),
        ("", "secrets", "data", "field label not supported: data"),
        (
            "batch",
            "jobs",
            "status.active",
            "field label \"status.active\" not supported for batchv1.Job",
        ),
        (
            "",
            "configmaps",
            "data",
            "\"data\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
        ),
        (
            "apps",
            "replicasets",
            "status.replicas",
            "\"status.replicas\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
        ),
    ];
    for (group, resource, label, message) in cases {
        let error = convert_field_label(group, resource, label)
            .expect_err("an unsupported field is refused");
        assert!(matches!(error, SelectorError::FieldNotSupported { .. }));
        assert_eq!(error.to_string(), message, "{group}/{resource} {label}");
    }
}

#[test]
fn step3_supported_fields_are_accepted_per_resource() {
    let cases = [
        ("", "pods", "spec.nodeName", "spec.nodeName"),
        ("", "pods", "spec.host", "spec.nodeName"),
        ("", "pods", "status.podIPs", "status.podIPs"),
        ("", "events", "involvedObject.uid", "involvedObject.uid"),
        ("", "services", "spec.clusterIP", "spec.clusterIP"),
        ("", "secrets", "type", "type"),
        ("", "nodes", "spec.unschedulable", "spec.unschedulable"),
        ("", "namespaces", "status.phase", "status.phase"),
        (
            "",
            "replicationcontrollers",
            "status.replicas",
            "status.replicas",
        ),
        ("batch", "jobs", "status.successful", "status.successful"),
        (
            "apps",
            "deployments",
            "metadata.namespace",
            "metadata.namespace",
        ),
        ("", "configmaps", "metadata.name", "metadata.name"),
    ];
    for (group, resource, label, converted) in cases {
        assert_eq!(
            convert_field_label(group, resource, label).expect("supported"),
            converted,
            "{group}/{resource} {label}"
        );
    }
}

#[test]
fn step3_pod_fields_are_read_from_the_object() {
    let pod = json!({
        "metadata": {"name": "web-1", "namespace": "shop"},
        "spec": {
            "nodeName": "node-1", "restartPolicy": "Always", "schedulerName": "default-scheduler",
            "serviceAccountName": "default", "hostNetwork": true, "containers": []
        },
        "status": {
            "phase": "Running", "podIP": "10.244.1.7",
            "podIPs": [{"ip": "10.244.1.7"}, {"ip": "fd00::7"}], "nominatedNodeName": "node-2"
        }
    });
    let expected = fields(&[
        ("metadata.name", "web-1"),
        ("metadata.namespace", "shop"),
        ("spec.nodeName", "node-1"),
        ("spec.restartPolicy", "Always"),
        ("spec.schedulerName", "default-scheduler"),
        ("spec.serviceAccountName", "default"),
        ("spec.hostNetwork", "true"),
        ("status.phase", "Running"),
        ("status.podIP", "10.244.1.7"),
        ("status.nominatedNodeName", "node-2"),
    ]);
    assert_eq!(selectable_fields("", "pods", &pod), expected);

    let fresh = json!({"metadata": {"name": "new", "namespace": "shop"}, "spec": {}});
    let expected = fields(&[
        ("metadata.name", "new"),
        ("metadata.namespace", "shop"),
        ("spec.nodeName", ""),
        ("spec.restartPolicy", ""),
        ("spec.schedulerName", ""),
        ("spec.serviceAccountName", ""),
        ("spec.hostNetwork", "false"),
        ("status.phase", ""),
        ("status.podIP", ""),
        ("status.nominatedNodeName", ""),
    ]);
    assert_eq!(selectable_fields("", "pods", &fresh), expected);
}

#[test]
fn step3_event_fields_are_read_from_the_object() {
    let event = json!({
        "metadata": {"name": "web.1", "namespace": "shop"},
        "involvedObject": {
            "kind": "Deployment", "namespace": "shop", "name": "web", "uid": "u-1",
            "apiVersion": "apps/v1", "resourceVersion": "42", "fieldPath": "spec"
        },
        "reason": "ScalingReplicaSet", "type": "Normal",
        "source": {"component": "deployment-controller"}
    });
    let got = selectable_fields("", "events", &event);
    for (field, value) in [
        ("involvedObject.kind", "Deployment"),
        ("involvedObject.namespace", "shop"),
        ("involvedObject.name", "web"),
        ("involvedObject.uid", "u-1"),
        ("involvedObject.apiVersion", "apps/v1"),
        ("involvedObject.resourceVersion", "42"),
        ("involvedObject.fieldPath", "spec"),
        ("reason", "ScalingReplicaSet"),
        ("type", "Normal"),
        ("source", "deployment-controller"),
        ("reportingComponent", ""),
    ] {
        assert_eq!(got.get(field).map(String::as_str), Some(value), "{field}");
    }
    // Newer reporters fill reportingComponent and no source: `source` falls back to it.
    let event = json!({"metadata": {"name": "e"}, "reportingComponent": "kubelet"});
    let got = selectable_fields("", "events", &event);
    assert_eq!(got.get("source").map(String::as_str), Some("kubelet"));
    assert_eq!(
        got.get("reportingComponent").map(String::as_str),
        Some("kubelet")
    );
}

#[test]
fn step3_other_resources_fields_are_read_as_text_numbers_and_booleans() {
    let node = json!({"metadata": {"name": "n1"}, "spec": {"unschedulable": true}});
    let got = selectable_fields("", "nodes", &node);
    assert_eq!(
        got.get("spec.unschedulable").map(String::as_str),
        Some("true")
    );
    assert_eq!(got.get("metadata.namespace").map(String::as_str), Some(""));
    let node = json!({"metadata": {"name": "n2"}, "spec": {}});
    let got = selectable_fields("", "nodes", &node);
    assert_eq!(
        got.get("spec.unschedulable").map(String::as_str),
        Some("false")
    );

    let job = json!({"metadata": {"name": "j"}, "status": {"succeeded": 3}});
    let got = selectable_fields("batch", "jobs", &job);
    assert_eq!(got.get("status.successful").map(String::as_str), Some("3"));
    let rc = json!({"metadata": {"name": "rc"}, "status": {}});
    let got = selectable_fields("", "replicationcontrollers", &rc);
    assert_eq!(got.get("status.replicas").map(String::as_str), Some("0"));

    let secret = json!({"metadata": {"name": "s"}, "type": "kubernetes.io/tls"});
    let got = selectable_fields("", "secrets", &secret);
    assert_eq!(
        got.get("type").map(String::as_str),
        Some("kubernetes.io/tls")
    );
    let service = json!({"metadata": {"name": "svc"}, "spec": {"clusterIP": "10.96.0.10", "type": "ClusterIP"}});
    let got = selectable_fields("", "services", &service);
    assert_eq!(
        got.get("spec.clusterIP").map(String::as_str),
        Some("10.96.0.10")
    );
    assert_eq!(got.get("spec.type").map(String::as_str), Some("ClusterIP"));
    let namespace = json!({"metadata": {"name": "shop"}, "status": {"phase": "Terminating"}});
    let got = selectable_fields("", "namespaces", &namespace);
    assert_eq!(
        got.get("status.phase").map(String::as_str),
        Some("Terminating")
    );
}

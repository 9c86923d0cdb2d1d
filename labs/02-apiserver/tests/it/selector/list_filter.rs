//! `ListFilter`, the entry point of the REST layer: both selectors from the query, applied to
//! stored objects as JSON.

use lab_02::selector::{ListFilter, SelectorError};
use serde_json::{Value, json};

fn pod(name: &str, labels: &Value, node: Option<&str>, phase: &str) -> Value {
    let mut pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
        "status": {"phase": phase}
    });
    if let Some(node) = node {
        pod["spec"]["nodeName"] = json!(node);
    }
    pod
}

fn pods() -> Vec<Value> {
    vec![
        pod(
            "web-1",
            &json!({"app": "web", "tier": "frontend"}),
            Some("node-1"),
            "Running",
        ),
        pod(
            "web-2",
            &json!({"app": "web", "tier": "frontend"}),
            None,
            "Pending",
        ),
        pod(
            "db-1",
            &json!({"app": "db", "tier": "db"}),
            Some("node-2"),
            "Running",
        ),
        pod(
            "job-1",
            &json!({"app": "batch"}),
            Some("node-1"),
            "Succeeded",
        ),
        pod("bare", &json!(null), Some("node-2"), "Running"),
    ]
}

fn selected(label_selector: Option<&str>, field_selector: Option<&str>) -> Vec<String> {
    let filter = ListFilter::from_query("", "pods", label_selector, field_selector)
        .expect("valid selectors");
    pods()
        .iter()
        .filter(|pod| filter.matches(pod))
        .filter_map(|pod| pod["metadata"]["name"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn step3_list_filter_applies_label_and_field_selectors() {
    let all = ["web-1", "web-2", "db-1", "job-1", "bare"];
    let cases: [(Option<&str>, Option<&str>, &[&str]); 9] = [
        (None, None, &all),
        (Some(""), Some(""), &all),
        (Some("app=web"), None, &["web-1", "web-2"]),
        (Some("tier!=db"), None, &["web-1", "web-2", "job-1", "bare"]),
        (Some("!tier"), None, &["job-1", "bare"]),
        (None, Some("spec.nodeName=node-1"), &["web-1", "job-1"]),
        (None, Some("spec.nodeName="), &["web-2"]),
        (
            Some("app in (web,db)"),
            Some("status.phase=Running"),
            &["web-1", "db-1"],
        ),
        (
            Some("app"),
            Some("spec.host=node-2,metadata.name!=db-1"),
            &[],
        ),
    ];
    for (labels, fields, expected) in cases {
        assert_eq!(
            selected(labels, fields),
            expected.to_vec(),
            "labelSelector {labels:?} fieldSelector {fields:?}"
        );
    }
}

#[test]
fn step3_list_filter_selects_events_like_kubectl_describe() {
    let filter = ListFilter::from_query(
        "",
        "events",
        None,
        Some("involvedObject.kind=Deployment,involvedObject.uid=u-1,involvedObject.name=web,involvedObject.namespace=shop"),
    )
    .expect("kubectl's event query is valid");
    let event = |uid: &str| {
        json!({
            "metadata": {"name": format!("web.{uid}"), "namespace": "shop"},
            "involvedObject": {"kind": "Deployment", "name": "web", "namespace": "shop", "uid": uid},
            "reason": "ScalingReplicaSet"
        })
    };
    assert!(filter.matches(&event("u-1")));
    assert!(!filter.matches(&event("u-2")));
}

#[test]
fn step3_list_filter_refuses_bad_selectors_with_400_messages() {
    let cases: [(Option<&str>, Option<&str>, &str); 5] = [
        (
            Some("app=web b"),
            None,
            "found 'b', expected: ',' or 'end of string'",
        ),
        (
            None,
            Some("spec.containers=x"),
            "field label not supported: spec.containers",
        ),
        // Terms are sorted before their fields are checked: "aaa" is reported, not "zzz".
        (None, Some("zzz=1,aaa=2"), "field label not supported: aaa"),
        (
            None,
            Some("status.phase"),
            "invalid selector: 'status.phase'; can't understand 'status.phase'",
        ),
        // The label selector is checked first.
        (
            Some("!"),
            Some("nope=1"),
            "unable to parse requirement: found '', expected: identifier",
        ),
    ];
    for (labels, fields, message) in cases {
        let error = ListFilter::from_query("", "pods", labels, fields)
            .expect_err("an invalid selector is refused");
        assert_eq!(error.to_string(), message);
        assert_eq!((error.code(), error.reason()), (400, "BadRequest"));
    }
    let error = ListFilter::from_query("apps", "deployments", None, Some("spec.replicas=1"))
        .expect_err("deployments only offer metadata fields");
    assert!(matches!(error, SelectorError::FieldNotSupported { .. }));
}

#[test]
fn step3_list_filter_keeps_the_canonical_selectors() {
    let filter = ListFilter::from_query("", "pods", Some("b=1, a in (y,x)"), Some("spec.host=n1"))
        .expect("valid");
    assert_eq!(filter.label_selector().to_string(), "a in (x,y),b=1");
    assert_eq!(filter.field_selector().to_string(), "spec.nodeName=n1");
    assert!(!filter.is_everything());
    assert!(ListFilter::everything("", "pods").is_everything());
    assert!(ListFilter::everything("", "pods").matches(&json!({"metadata": {"name": "x"}})));
}

//! Updates: the fields that may not change.

use lab_02::validation::{default_object, validate_update};
use serde_json::{Value, json};

use super::{c, deployment, pod, triple};

fn update(
    group: &str,
    kind: &str,
    mut new: Value,
    mut old: Value,
) -> Vec<(String, &'static str, String)> {
    default_object(group, kind, &mut new);
    default_object(group, kind, &mut old);
    validate_update(group, kind, &new, &old)
        .iter()
        .map(triple)
        .collect()
}

#[test]
fn step2_update_deployment_selector_is_immutable() {
    let old = deployment();
    let mut new = deployment();
    new["spec"]["replicas"] = json!(3);
    assert_eq!(
        update("apps", "Deployment", new.clone(), old.clone()),
        vec![]
    );
    new["spec"]["selector"] = json!({"matchLabels": {"app": "web", "v": "2"}});
    new["spec"]["template"]["metadata"]["labels"]["v"] = json!("2");
    assert_eq!(
        update("apps", "Deployment", new, old),
        vec![c(
            "spec.selector",
            "FieldValueInvalid",
            "Invalid value: {\"matchLabels\":{\"app\":\"web\",\"v\":\"2\"}}: field is immutable"
        )]
    );
}

#[test]
fn step2_update_pod_only_image_may_change() {
    let old = pod();
    let mut new = pod();
    new["spec"]["containers"][0]["image"] = json!("nginx:1.28");
    new["spec"]["activeDeadlineSeconds"] = json!(60);
    assert_eq!(update("", "Pod", new.clone(), old.clone()), vec![]);
    new["spec"]["containers"][0]["ports"] = json!([{"containerPort": 80}]);
    assert_eq!(
        update("", "Pod", new, old),
        vec![c(
            "spec",
            "FieldValueForbidden",
            "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
        )]
    );
}

#[test]
fn step2_update_pod_tolerations_may_only_be_added() {
    let mut old = pod();
    old["spec"]["tolerations"] = json!([{"key": "a", "operator": "Exists"}]);
    let mut added = old.clone();
    added["spec"]["tolerations"] =
        json!([{"key": "a", "operator": "Exists"}, {"key": "b", "operator": "Exists"}]);
    assert_eq!(update("", "Pod", added, old.clone()), vec![]);
    let mut removed = old.clone();
    removed["spec"]["tolerations"] = json!([]);
    assert_eq!(update("", "Pod", removed, old).len(), 1);
}

#[test]
fn step2_update_job_template_service_ip_and_immutable_configmap() {
    let job = json!({
        "metadata": {"name": "pi", "namespace": "default", "uid": "u-1"},
        "spec": {"template": {"spec": {"containers": [{"name": "pi", "image": "perl"}], "restartPolicy": "Never"}}}
    });
    let mut changed = job.clone();
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = json!("perl:2");
    let got = update("batch", "Job", changed, job);
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].0.as_str(), got[0].1),
        ("spec.template", "FieldValueInvalid")
    );
    assert!(got[0].2.ends_with(": field is immutable"));

    let svc = |ip: &str| {
        json!({
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"clusterIP": ip, "ports": [{"port": 80}]}
        })
    };
    assert_eq!(
        update("", "Service", svc("10.96.0.20"), svc("10.96.0.10")),
        vec![c(
            "spec.clusterIPs[0]",
            "FieldValueInvalid",
            "Invalid value: [\"10.96.0.20\"]: may not change once set"
        )]
    );

    let cm = |value: &str| {
        json!({
            "metadata": {"name": "cfg", "namespace": "default"},
            "immutable": true, "data": {"k": value}
        })
    };
    assert_eq!(update("", "ConfigMap", cm("1"), cm("1")), vec![]);
    assert_eq!(
        update("", "ConfigMap", cm("2"), cm("1")),
        vec![c(
            "data",
            "FieldValueForbidden",
            "Forbidden: field is immutable when `immutable` is set"
        )]
    );
}

#[test]
fn step2_update_pvc_only_storage_request_may_change() {
    let pvc = |size: &str, class: &str| {
        json!({
            "metadata": {"name": "data", "namespace": "default"},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": class,
                     "resources": {"requests": {"storage": size}}}
        })
    };
    assert_eq!(
        update(
            "",
            "PersistentVolumeClaim",
            pvc("2Gi", "std"),
            pvc("1Gi", "std")
        ),
        vec![]
    );
    assert_eq!(
        update(
            "",
            "PersistentVolumeClaim",
            pvc("1Gi", "fast"),
            pvc("1Gi", "std")
        ),
        vec![c(
            "spec",
            "FieldValueForbidden",
            "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"
        )]
    );
}

//! Strategic merge patch, one rule or directive at a time.

use super::{container_names, deployment, strategic};
use lab_02::patch::{PatchType, apply_patch};
use serde_json::json;

#[test]
fn step5_strategic_null_deletes_a_label() {
    let patched = strategic(r#"{"metadata":{"labels":{"app":null,"tier":"web"}}}"#);
    assert_eq!(patched["metadata"]["labels"], json!({"tier": "web"}));
}

#[test]
fn step5_strategic_patch_delete_removes_a_container_by_name() {
    let patched = strategic(
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}}"#,
    );
    assert_eq!(container_names(&patched), ["nginx"]);
}

#[test]
fn step5_strategic_patch_replace_on_a_map_replaces_it() {
    let patched = strategic(r#"{"metadata":{"labels":{"$patch":"replace","tier":"web"}}}"#);
    assert_eq!(patched["metadata"]["labels"], json!({"tier": "web"}));
    // A map without the directive merges.
    let merged = strategic(r#"{"metadata":{"labels":{"tier":"web"}}}"#);
    assert_eq!(
        merged["metadata"]["labels"],
        json!({"app": "web", "tier": "web"})
    );
}

#[test]
fn step5_strategic_patch_replace_in_a_list_replaces_the_list() {
    let patched = strategic(
        r#"{"spec":{"template":{"spec":{"containers":[{"$patch":"replace"},{"name":"only","image":"nginx"}]}}}}"#,
    );
    assert_eq!(
        patched["spec"]["template"]["spec"]["containers"],
        json!([{"name": "only", "image": "nginx"}])
    );
}

#[test]
fn step5_strategic_retain_keys_switches_the_strategy_to_recreate() {
    // kubectl apply after changing the strategy: rollingUpdate must go, or validation fails
    // ("may not be specified when strategy `type` is 'Recreate'").
    let patched = strategic(r#"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}"#);
    assert_eq!(patched["spec"]["strategy"], json!({"type": "Recreate"}));
    // Without the directive the maps merge and the old member stays.
    let merged = strategic(r#"{"spec":{"strategy":{"type":"Recreate"}}}"#);
    assert_eq!(
        merged["spec"]["strategy"]["rollingUpdate"]["maxSurge"],
        "25%"
    );
}

#[test]
fn step5_strategic_retain_keys_must_keep_every_field_the_patch_sets() {
    let error = apply_patch(
        PatchType::StrategicMerge,
        "apps",
        "Deployment",
        &deployment(),
        br#"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":{"maxSurge":1}}}}"#,
    )
    .expect_err("rollingUpdate is set but not retained");
    assert_eq!((error.code(), error.reason()), (400, "BadRequest"));
    assert_eq!(error.status_message(), "invalid patch format of retainKeys");
}

#[test]
fn step5_strategic_delete_from_primitive_list_removes_a_finalizer() {
    let mut live = deployment();
    live["metadata"]["finalizers"] =
        json!(["a.example.com/x", "example.com/keep", "b.example.com/y"]);
    let patched = apply_patch(
        PatchType::StrategicMerge,
        "apps",
        "Deployment",
        &live,
        br#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["example.com/keep"]}}"#,
    )
    .expect("applies");
    assert_eq!(
        patched["metadata"]["finalizers"],
        json!(["a.example.com/x", "b.example.com/y"])
    );
}

#[test]
fn step5_strategic_finalizers_merge_as_a_set() {
    // finalizers has patchStrategy merge: the patch's values join the live ones, once each.
    let patched =
        strategic(r#"{"metadata":{"finalizers":["example.com/keep","example.com/new"]}}"#);
    assert_eq!(
        patched["metadata"]["finalizers"],
        json!(["example.com/keep", "example.com/new"])
    );
    // A value the live list lacks, sent alone, goes first: that is how upstream orders it.
    let patched = strategic(r#"{"metadata":{"finalizers":["example.com/new"]}}"#);
    assert_eq!(
        patched["metadata"]["finalizers"],
        json!(["example.com/new", "example.com/keep"])
    );
}

#[test]
fn step5_strategic_lists_without_a_strategy_are_replaced() {
    // PodSpec.tolerations has no patch strategy (it is atomic): the patch replaces it.
    let patched = strategic(
        r#"{"spec":{"template":{"spec":{"tolerations":[{"key":"b","operator":"Exists"}]}}}}"#,
    );
    assert_eq!(
        patched["spec"]["template"]["spec"]["tolerations"],
        json!([{"key": "b", "operator": "Exists"}])
    );
}

#[test]
fn step5_strategic_env_merges_by_name_inside_a_container() {
    let patched = strategic(
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"LEVEL","value":"debug"},{"name":"NEW","value":"1"}]}]}}}}"#,
    );
    // LEVEL is changed in place (after the server-only MODE, as before); NEW joins after it.
    assert_eq!(
        patched["spec"]["template"]["spec"]["containers"][0]["env"],
        json!([{"name": "MODE", "value": "prod"}, {"name": "LEVEL", "value": "debug"}, {"name": "NEW", "value": "1"}])
    );
}

#[test]
fn step5_strategic_set_element_order_reorders_a_merged_list() {
    let patched = strategic(
        r#"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"sidecar"},{"name":"nginx"}]}}}}"#,
    );
    assert_eq!(container_names(&patched), ["sidecar", "nginx"]);
    assert_eq!(
        patched["spec"]["template"]["spec"]["containers"][1],
        deployment()["spec"]["template"]["spec"]["containers"][0]
    );
}

#[test]
fn step5_strategic_service_ports_merge_by_port() {
    let service = json!({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}, {"name": "https", "port": 443}]},
    });
    let patched = apply_patch(
        PatchType::StrategicMerge,
        "",
        "Service",
        &service,
        br#"{"spec":{"ports":[{"port":80,"targetPort":9090}]}}"#,
    )
    .expect("applies");
    assert_eq!(
        patched["spec"]["ports"],
        json!([{"name": "http", "port": 80, "targetPort": 9090}, {"name": "https", "port": 443}])
    );
}

#[test]
fn step5_strategic_owner_references_merge_by_uid_on_any_kind() {
    // A ConfigMap has no rows of its own, but its metadata is an ObjectMeta.
    let config_map = json!({
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c",
            "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "a", "uid": "1"}]},
        "data": {"k": "v"},
    });
    let patched = apply_patch(
        PatchType::StrategicMerge,
        "",
        "ConfigMap",
        &config_map,
        br#"{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"Pod","name":"b","uid":"2"}]},"data":{"k2":"v2"}}"#,
    )
    .expect("applies");
    let uids: Vec<&str> = patched["metadata"]["ownerReferences"]
        .as_array()
        .expect("owners")
        .iter()
        .map(|o| o["uid"].as_str().expect("uid"))
        .collect();
    assert_eq!(uids, ["2", "1"]);
    assert_eq!(patched["data"], json!({"k": "v", "k2": "v2"}));
}

#[test]
fn step5_strategic_pod_status_conditions_merge_by_type() {
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "status": {"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False"}]},
    });
    let patched = apply_patch(
        PatchType::StrategicMerge,
        "",
        "Pod",
        &pod,
        br#"{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}"#,
    )
    .expect("applies");
    assert_eq!(
        patched["status"]["conditions"],
        json!([{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "True"}])
    );
}

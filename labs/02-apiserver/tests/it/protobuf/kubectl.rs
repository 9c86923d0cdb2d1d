//! Real kubectl bodies: each 1.33 protobuf body decodes to exactly the object 1.31 sends as
//! JSON for the same `kubectl create` command.

use serde_json::Value;

use super::{decoded, fixture};

/// Decodes `<command>.kubectl-1.33.pb` and compares it with `<command>.kubectl-1.31.json`.
fn assert_same_as_json(command: &str) {
    let from_protobuf = decoded(&format!("{command}.kubectl-1.33.pb"));
    let json: Value = serde_json::from_slice(&fixture(&format!("{command}.kubectl-1.31.json")))
        .expect("the JSON fixture is JSON");
    assert_eq!(
        from_protobuf, json,
        "`kubectl create {command}`: protobuf (left) and JSON (right) differ"
    );
}

#[test]
fn step5_create_namespace_decodes_to_kubectl_json() {
    // The zero creationTimestamp is `null` and the empty spec and status `{}`, as in Go.
    assert_same_as_json("namespace");
}

#[test]
fn step5_create_deployment_decodes_to_kubectl_json() {
    assert_same_as_json("deployment");
}

#[test]
fn step5_create_deployment_with_zero_replicas_keeps_replicas_zero() {
    assert_same_as_json("deployment-zero");
    // replicas is a pointer in Go: 0 was set by the user, and dropping it would make it 1.
    let object = decoded("deployment-zero.kubectl-1.33.pb");
    assert_eq!(object["spec"]["replicas"], 0);
    // ...while the plain zeros next to it are gone.
    assert!(object["spec"].get("paused").is_none());
    assert!(object["spec"].get("minReadySeconds").is_none());
}

#[test]
fn step5_create_deployment_with_port_decodes_to_kubectl_json() {
    assert_same_as_json("deployment-port");
}

#[test]
fn step5_create_configmap_decodes_to_kubectl_json() {
    assert_same_as_json("configmap");
}

#[test]
fn step5_create_secret_generic_decodes_bytes_to_base64() {
    assert_same_as_json("secret");
    let object = decoded("secret.kubectl-1.33.pb");
    assert_eq!(object["data"]["user"], "YWRtaW4=");
}

#[test]
fn step5_create_secret_docker_registry_decodes_to_kubectl_json() {
    assert_same_as_json("secret-docker");
}

#[test]
fn step5_create_service_clusterip_decodes_to_kubectl_json() {
    assert_same_as_json("service");
}

#[test]
fn step5_create_service_named_target_port_is_a_string() {
    assert_same_as_json("service-named");
    let object = decoded("service-named.kubectl-1.33.pb");
    assert_eq!(object["spec"]["ports"][0]["targetPort"], "https");
}

#[test]
fn step5_create_service_nodeport_decodes_to_kubectl_json() {
    assert_same_as_json("service-nodeport");
}

#[test]
fn step5_create_service_headless_decodes_to_kubectl_json() {
    assert_same_as_json("service-headless");
}

#[test]
fn step5_create_service_externalname_decodes_to_kubectl_json() {
    assert_same_as_json("service-external");
}

#[test]
fn step5_create_job_decodes_to_kubectl_json() {
    assert_same_as_json("job");
}

#[test]
fn step5_create_cronjob_decodes_to_kubectl_json() {
    assert_same_as_json("cronjob");
}

#[test]
fn step5_create_quota_decodes_quantities_to_strings() {
    assert_same_as_json("quota");
}

#[test]
fn step5_create_serviceaccount_decodes_to_kubectl_json() {
    assert_same_as_json("serviceaccount");
}

#[test]
fn step5_create_ingress_inlines_the_rule_value() {
    // IngressRule embeds IngressRuleValue: `http` sits in the rule itself in JSON.
    assert_same_as_json("ingress");
}

#[test]
fn step5_create_poddisruptionbudget_keeps_required_zeros() {
    // disruptionsAllowed, currentHealthy, ... have no omitempty: Go writes their 0.
    assert_same_as_json("pdb");
}

#[test]
fn step5_create_priorityclass_decodes_to_kubectl_json() {
    assert_same_as_json("priorityclass");
}

#[test]
fn step5_create_clusterrolebinding_decodes_to_kubectl_json() {
    assert_same_as_json("clusterrolebinding");
}

#[test]
fn step5_create_rolebinding_decodes_to_kubectl_json() {
    assert_same_as_json("rolebinding");
}

#[test]
fn step5_create_token_decodes_to_kubectl_json_without_its_empty_fields() {
    // TokenRequest has fields without omitempty, which Go's JSON writes even when empty
    // (`"audiences":null`, `"token":""`); the wire cannot tell them from omitempty ones, so
    // they are left out, which means the same to the server.
    let from_protobuf = decoded("token.kubectl-1.33.pb");
    let mut json: Value = serde_json::from_slice(&fixture("token.kubectl-1.31.json")).unwrap();
    assert_eq!(json["spec"]["audiences"], Value::Null);
    assert_eq!(json["status"]["token"], "");
    json["spec"].as_object_mut().unwrap().remove("audiences");
    json["spec"]
        .as_object_mut()
        .unwrap()
        .remove("boundObjectRef");
    json["status"].as_object_mut().unwrap().remove("token");
    assert_eq!(from_protobuf, json);
}

//! Services, Namespaces, ConfigMaps, Secrets, PVCs and Ingresses.

use serde_json::{Value, json};

use super::{c, create};

fn service(ports: &Value) -> Value {
    json!({
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"app": "web"}, "ports": ports}
    })
}

#[test]
fn step2_service_ports_rules() {
    assert_eq!(
        create("", "Service", service(&json!([{"port": 80}]))),
        vec![]
    );
    assert_eq!(
        create("", "Service", service(&json!([]))),
        vec![c("spec.ports", "FieldValueRequired", "Required value")]
    );
    let mut headless = service(&json!([]));
    headless["spec"]["clusterIP"] = json!("None");
    assert_eq!(create("", "Service", headless), vec![]);
    let got = create(
        "",
        "Service",
        service(&json!([
            {"name": "http", "port": 0},
            {"name": "http", "port": 443, "targetPort": 70000},
            {"port": 8080}
        ])),
    );
    assert_eq!(
        got,
        vec![
            c(
                "spec.ports[0].port",
                "FieldValueInvalid",
                "Invalid value: 0: must be between 1 and 65535, inclusive"
            ),
            // The port defaulted targetPort to 0 as well.
            c(
                "spec.ports[0].targetPort",
                "FieldValueInvalid",
                "Invalid value: 0: must be between 1 and 65535, inclusive"
            ),
            c(
                "spec.ports[1].name",
                "FieldValueDuplicate",
                "Duplicate value: \"http\""
            ),
            c(
                "spec.ports[1].targetPort",
                "FieldValueInvalid",
                "Invalid value: 70000: must be between 1 and 65535, inclusive"
            ),
            c("spec.ports[2].name", "FieldValueRequired", "Required value"),
        ]
    );
}

#[test]
fn step2_service_name_is_dns1035_and_type_known() {
    let mut s = service(&json!([{"port": 80}]));
    s["metadata"]["name"] = json!("1web");
    s["spec"]["type"] = json!("Magic");
    assert_eq!(
        create("", "Service", s),
        vec![
            c(
                "metadata.name",
                "FieldValueInvalid",
                "Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
            ),
            c(
                "spec.type",
                "FieldValueNotSupported",
                "Unsupported value: \"Magic\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""
            ),
        ]
    );
}

#[test]
fn step2_namespace_name_is_a_label_and_cluster_scoped() {
    assert_eq!(
        create("", "Namespace", json!({"metadata": {"name": "lab"}})),
        vec![]
    );
    assert_eq!(
        create(
            "",
            "Namespace",
            json!({"metadata": {"name": "lab.x", "namespace": "default"}})
        ),
        vec![
            c(
                "metadata.name",
                "FieldValueInvalid",
                "Invalid value: \"lab.x\": must not contain dots"
            ),
            c(
                "metadata.namespace",
                "FieldValueForbidden",
                "Forbidden: not allowed on this type"
            ),
        ]
    );
}

#[test]
fn step2_configmap_and_secret_keys() {
    let cm = json!({
        "metadata": {"name": "cfg", "namespace": "default"},
        "data": {"good.key": "1", "bad/key": "2", "..": "3"}
    });
    assert_eq!(
        create("", "ConfigMap", cm),
        vec![
            c(
                "data[..]",
                "FieldValueInvalid",
                "Invalid value: \"..\": must not be '..'"
            ),
            c(
                "data[bad/key]",
                "FieldValueInvalid",
                "Invalid value: \"bad/key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
            ),
        ]
    );
    let tls = json!({
        "metadata": {"name": "cert", "namespace": "default"},
        "type": "kubernetes.io/tls", "data": {"tls.crt": "eA=="}
    });
    assert_eq!(
        create("", "Secret", tls),
        vec![c("data[tls.key]", "FieldValueRequired", "Required value")]
    );
}

#[test]
fn step2_pvc_needs_access_modes_and_storage() {
    let pvc = json!({"metadata": {"name": "data", "namespace": "default"}, "spec": {}});
    assert_eq!(
        create("", "PersistentVolumeClaim", pvc),
        vec![
            c(
                "spec.accessModes",
                "FieldValueRequired",
                "Required value: at least 1 access mode is required"
            ),
            c(
                "spec.resources[storage]",
                "FieldValueRequired",
                "Required value"
            ),
        ]
    );
}

#[test]
fn step2_ingress_paths_need_a_type_and_a_port() {
    let ingress = json!({
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"rules": [{"host": "example.com", "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}},
            {"path": "api", "backend": {"service": {"name": "api", "port": {}}}}
        ]}}]}
    });
    assert_eq!(
        create("networking.k8s.io", "Ingress", ingress),
        vec![
            c(
                "spec.rules[0].http.paths[1].pathType",
                "FieldValueRequired",
                "Required value: pathType must be specified"
            ),
            c(
                "spec.rules[0].http.paths[1].path",
                "FieldValueInvalid",
                "Invalid value: \"api\": must be an absolute path"
            ),
            c(
                "spec.rules[0].http.paths[1].backend.service.port",
                "FieldValueRequired",
                "Required value: port name or number is required"
            ),
        ]
    );
}

#[test]
fn step2_unknown_kinds_get_only_metadata_rules() {
    let widget = json!({"metadata": {"name": "w1"}, "spec": {"anything": true}});
    assert_eq!(create("example.com", "Widget", widget), vec![]);
    let bad = json!({"metadata": {"name": "W1"}});
    assert_eq!(create("example.com", "Widget", bad).len(), 1);
}

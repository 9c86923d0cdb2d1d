//! Pod validation: one mutation of a valid Pod per case, and exactly the causes it must give.

use serde_json::{Value, json};

use super::{Expected, c, create, pod, set};

const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/// Runs `mutate` on a fresh valid Pod and returns its causes.
fn pod_causes(mutate: impl FnOnce(&mut Value)) -> Vec<(String, &'static str, String)> {
    let mut p = pod();
    mutate(&mut p);
    create("", "Pod", p)
}

#[test]
fn step2_pod_minimal_is_valid() {
    assert_eq!(pod_causes(|_| {}), vec![]);
}

#[test]
fn step2_pod_name_must_be_a_subdomain() {
    assert_eq!(
        pod_causes(|p| set(p, "/metadata/name", json!("Web"))),
        vec![c(
            "metadata.name",
            "FieldValueInvalid",
            "Invalid value: \"Web\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        )]
    );
    assert_eq!(
        pod_causes(|p| set(p, "/metadata/name", json!(""))),
        vec![c(
            "metadata.name",
            "FieldValueRequired",
            "Required value: name or generateName is required"
        )]
    );
}

#[test]
fn step2_pod_container_image_and_name_rules() {
    let cases: Vec<(&str, Value, Vec<Expected>)> = vec![
        (
            "missing image",
            json!([{"name": "web"}]),
            vec![c(
                "spec.containers[0].image",
                "FieldValueRequired",
                "Required value",
            )],
        ),
        (
            "missing name",
            json!([{"image": "nginx"}]),
            vec![c(
                "spec.containers[0].name",
                "FieldValueRequired",
                "Required value",
            )],
        ),
        (
            "bad name",
            json!([{"name": "Web", "image": "nginx"}]),
            vec![c(
                "spec.containers[0].name",
                "FieldValueInvalid",
                &format!("Invalid value: \"Web\": {LABEL_MSG}"),
            )],
        ),
        (
            "duplicate name",
            json!([{"name": "web", "image": "a"}, {"name": "web", "image": "b"}]),
            vec![c(
                "spec.containers[1].name",
                "FieldValueDuplicate",
                "Duplicate value: \"web\"",
            )],
        ),
        (
            "no containers",
            json!([]),
            vec![c("spec.containers", "FieldValueRequired", "Required value")],
        ),
        (
            "bad pull policy",
            json!([{"name": "web", "image": "nginx", "imagePullPolicy": "Sometimes"}]),
            vec![c(
                "spec.containers[0].imagePullPolicy",
                "FieldValueNotSupported",
                "Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\"",
            )],
        ),
    ];
    for (what, containers, expected) in cases {
        let got = pod_causes(|p| set(p, "/spec/containers", containers));
        assert_eq!(got, expected, "{what}");
    }
}

#[test]
fn step2_pod_ports_env_and_mounts() {
    let container = json!({
        "name": "web", "image": "nginx",
        "ports": [
            {"containerPort": 70000, "name": "http"},
            {"containerPort": 81, "name": "http", "protocol": "ICMP"}
        ],
        "env": [{"name": ""}, {"name": "A=B"}],
        "volumeMounts": [{"name": "data", "mountPath": "/data"}]
    });
    let got = pod_causes(|p| set(p, "/spec/containers/0", container));
    assert_eq!(
        got,
        vec![
            c(
                "spec.containers[0].ports[0].containerPort",
                "FieldValueInvalid",
                "Invalid value: 70000: must be between 1 and 65535, inclusive"
            ),
            c(
                "spec.containers[0].ports[1].name",
                "FieldValueDuplicate",
                "Duplicate value: \"http\""
            ),
            c(
                "spec.containers[0].ports[1].protocol",
                "FieldValueNotSupported",
                "Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\""
            ),
            c(
                "spec.containers[0].env[0].name",
                "FieldValueRequired",
                "Required value"
            ),
            c(
                "spec.containers[0].env[1].name",
                "FieldValueInvalid",
                "Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='"
            ),
            c(
                "spec.containers[0].volumeMounts[0].name",
                "FieldValueNotFound",
                "Not found: \"data\""
            ),
        ]
    );
}

#[test]
fn step2_pod_requests_may_not_exceed_limits() {
    let resources = json!({"requests": {"cpu": "2", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "128Mi"}});
    let got = pod_causes(|p| p["spec"]["containers"][0]["resources"] = resources);
    assert_eq!(
        got,
        vec![c(
            "spec.containers[0].resources.requests[cpu]",
            "FieldValueInvalid",
            "Invalid value: \"2\": must be less than or equal to cpu limit of 1"
        )]
    );
}

#[test]
fn step2_pod_probes_and_policies() {
    let got = pod_causes(|p| {
        p["spec"]["containers"][0]["livenessProbe"] =
            json!({"tcpSocket": {"port": 80}, "periodSeconds": -1, "successThreshold": 2});
        p["spec"]["containers"][0]["readinessProbe"] = json!({"periodSeconds": 5});
        p["spec"]["restartPolicy"] = json!("Sometimes");
        p["spec"]["volumes"] =
            json!([{"name": "a", "emptyDir": {}}, {"name": "a", "emptyDir": {}}]);
    });
    assert_eq!(
        got,
        vec![
            c(
                "spec.volumes[1].name",
                "FieldValueDuplicate",
                "Duplicate value: \"a\""
            ),
            c(
                "spec.containers[0].livenessProbe.periodSeconds",
                "FieldValueInvalid",
                "Invalid value: -1: must be greater than or equal to 0"
            ),
            c(
                "spec.containers[0].livenessProbe.successThreshold",
                "FieldValueInvalid",
                "Invalid value: 2: must be 1"
            ),
            c(
                "spec.containers[0].readinessProbe",
                "FieldValueRequired",
                "Required value: must specify a handler type"
            ),
            c(
                "spec.restartPolicy",
                "FieldValueNotSupported",
                "Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""
            ),
        ]
    );
}

#[test]
fn step2_pod_metadata_labels_and_annotations() {
    let got = pod_causes(|p| {
        p["metadata"]["labels"] = json!({"app": "-bad"});
        p["metadata"]["annotations"] = json!({"big": "x".repeat(256 * 1024)});
        p["metadata"]["namespace"] = json!("");
    });
    assert_eq!(
        got,
        vec![
            c("metadata.namespace", "FieldValueRequired", "Required value"),
            c(
                "metadata.labels",
                "FieldValueInvalid",
                "Invalid value: \"-bad\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
            ),
            c(
                "metadata.annotations",
                "FieldValueTooLong",
                "Too long: must have at most 262144 bytes"
            ),
        ]
    );
}

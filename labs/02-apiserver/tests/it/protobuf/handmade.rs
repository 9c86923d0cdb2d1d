//! Bodies kubectl create never sends, made with `protoc` from `fixtures/handmade/*.txtpb`:
//! the special types and the embedded structs.

use serde_json::json;

use super::decoded;

#[test]
fn step5_pod_times_inline_structs_and_zeros_decode_as_go_writes_them() {
    let expected = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "p",
            "namespace": "lab",
            // metav1.Time keeps whole seconds.
            "creationTimestamp": "2024-01-02T03:04:05Z",
            // A pointer set to 0 stays; the plain generation: 0 goes.
            "deletionGracePeriodSeconds": 0,
            "labels": {"app": "p"},
        },
        "spec": {
            // Volume embeds VolumeSource, ConfigMapVolumeSource embeds LocalObjectReference.
            "volumes": [{"name": "cfg", "configMap": {"name": "settings", "defaultMode": 420}}],
            "containers": [{
                "name": "app",
                "image": "busybox",
                "env": [{
                    "name": "MODE",
                    "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "mode"}},
                }],
                "resources": {"limits": {"memory": "64Mi"}},
                // Probe embeds ProbeHandler; the port is a named IntOrString.
                "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5},
                "volumeMounts": [{"name": "cfg", "mountPath": "/etc/cfg"}],
            }],
            "terminationGracePeriodSeconds": 0,
            "automountServiceAccountToken": false,
        },
        "status": {},
    });
    assert_eq!(decoded("handmade/pod.pb"), expected);
}

#[test]
fn step5_lease_micro_times_keep_microseconds() {
    let expected = json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "node-1", "namespace": "kube-node-lease"},
        "spec": {
            "holderIdentity": "node-1",
            "leaseDurationSeconds": 40,
            "acquireTime": "2024-01-02T03:04:05.000000Z",
            "renewTime": "2024-01-02T03:05:05.123456Z",
            "leaseTransitions": 0,
        },
    });
    assert_eq!(decoded("handmade/lease.pb"), expected);
}

#[test]
fn step5_controller_revision_raw_extension_is_embedded_json() {
    let expected = json!({
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {"name": "web-5d4f9c", "namespace": "lab"},
        "data": {"spec": {"template": {"$patch": "replace"}}},
        // revision has no omitempty in Go: its 0 is written.
        "revision": 0,
    });
    assert_eq!(decoded("handmade/controllerrevision.pb"), expected);
}

#[test]
fn step5_decoded_pod_reads_as_a_typed_pod() {
    use k8s_openapi::api::core::v1::Pod;
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    let pod: Pod = serde_json::from_value(decoded("handmade/pod.pb")).expect("a Pod");
    let spec = pod.spec.expect("a spec");
    let volume = &spec.volumes.expect("volumes")[0];
    assert_eq!(
        volume.config_map.as_ref().map(|c| c.name.as_str()),
        Some("settings")
    );
    let probe = spec.containers[0].liveness_probe.as_ref().expect("a probe");
    let port = probe.http_get.as_ref().map(|get| &get.port);
    assert_eq!(port, Some(&IntOrString::String("http".into())));
    assert_eq!(spec.termination_grace_period_seconds, Some(0));
    assert_eq!(spec.automount_service_account_token, Some(false));
    assert_eq!(spec.host_network, None);
}

//! Step 5, PATCH: the bodies kubectl sends, applied to stored objects.
//!
//! The kubectl bodies (`kubectl.rs`) are those the real kubectl 1.27-1.33 sent to a server
//! (docs/reference kubectl-compat, section a); `strategic.rs` goes through strategic merge
//! patch's directives one by one; `formats.rs` covers JSON patch, merge patch, apply and the
//! errors of malformed bodies.

mod formats;
mod kubectl;
mod strategic;

use lab_02::patch::{PatchError, PatchType, apply_patch};
use serde_json::{Value, json};

/// A Deployment `web` with two containers, a label, a finalizer and the RollingUpdate strategy,
/// as a server stores it.
fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "labels": {"app": "web"},
            "finalizers": ["example.com/keep"],
            "resourceVersion": "42",
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "nginx", "image": "nginx:1.26",
                         "ports": [{"containerPort": 80, "protocol": "TCP"}],
                         "env": [{"name": "MODE", "value": "prod"}, {"name": "LEVEL", "value": "info"}]},
                        {"name": "sidecar", "image": "busybox:1.36", "args": ["sleep", "infinity"]},
                    ],
                    "tolerations": [{"key": "a", "operator": "Exists"}],
                },
            },
        },
    })
}

/// Applies a patch to a Deployment (group `apps`).
fn patch_deployment(
    patch_type: PatchType,
    original: &Value,
    body: &str,
) -> Result<Value, PatchError> {
    apply_patch(patch_type, "apps", "Deployment", original, body.as_bytes())
}

/// Applies a strategic merge patch to [`deployment`], expecting success.
fn strategic(body: &str) -> Value {
    patch_deployment(PatchType::StrategicMerge, &deployment(), body).expect("the patch applies")
}

/// The names of the pod template's containers, in order.
fn container_names(deployment: &Value) -> Vec<String> {
    deployment["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .map(|c| c["name"].as_str().expect("a name").to_owned())
        .collect()
}

//! Defaulting: the values the real server fills in when a manifest leaves a field out.
//!
//! Each function mirrors a real `SetDefaults_<Kind>` (`pkg/apis/<group>/v1/defaults.go`), or a
//! registry strategy's `PrepareForCreate` where that is what sets the field (the Namespace
//! finalizer, the Job selector). They edit the JSON directly and only ever add what is missing,
//! so unknown fields survive and defaulting twice changes nothing.
//!
//! Some fields that real objects carry are *not* defaults and are left to other parts of the
//! server: `serviceAccountName: default`, `priority: 0`, `preemptionPolicy` and the
//! not-ready/unreachable tolerations come from admission plugins; a Service's `clusterIP`,
//! `clusterIPs`, `ipFamilies` and `ipFamilyPolicy` from IP allocation (step 6).

mod apps;
mod batch;
mod core;
pub mod pod;
pub mod pod_status;

use serde_json::{Map, Value};

/// Fills in the defaults of a `group`/`kind` object; unknown kinds are left alone.
pub fn default_object(group: &str, kind: &str, object: &mut Value) {
    match (group, kind) {
        ("", "Pod") => pod::default_pod(object),
        ("", "PodTemplate") => {
            if let Some(template) = object.get_mut("template") {
                pod::default_pod_template(template);
            }
        }
        ("", "Service") => core::default_service(object),
        ("", "Namespace") => core::default_namespace(object),
        ("", "Secret") => core::default_secret(object),
        ("", "Endpoints") => core::default_endpoints(object),
        ("", "PersistentVolumeClaim") => core::default_pvc(object),
        ("", "PersistentVolume") => core::default_pv(object),
        ("discovery.k8s.io", "EndpointSlice") => core::default_endpoint_slice(object),
        ("apps", "Deployment") => apps::default_deployment(object),
        ("apps", "ReplicaSet") => apps::default_replica_set(object),
        ("apps", "DaemonSet") => apps::default_daemon_set(object),
        ("apps", "StatefulSet") => apps::default_stateful_set(object),
        ("batch", "Job") => batch::default_job(object),
        ("batch", "CronJob") => batch::default_cron_job(object),
        _ => {}
    }
}

/// Sets `key` of a JSON object to `value` when it is missing or `null`.
pub(crate) fn set_default(object: &mut Value, key: &str, value: Value) {
    if let Some(map) = object.as_object_mut() {
        let slot = map.entry(key.to_string()).or_insert(Value::Null);
        if slot.is_null() {
            *slot = value;
        }
    }
}

/// The object at `key`, created empty when missing or `null`; `None` when `object` is not an
/// object or `key` holds something else.
pub(crate) fn object_at<'a>(object: &'a mut Value, key: &str) -> Option<&'a mut Value> {
    set_default(object, key, Value::Object(Map::new()));
    object.get_mut(key).filter(|v| v.is_object())
}

/// Each item of the array at `key`, if there is one.
pub(crate) fn items_mut<'a>(
    object: &'a mut Value,
    key: &str,
) -> impl Iterator<Item = &'a mut Value> {
    object
        .get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

//! A new Pod's status, as kube-apiserver's Pod strategy sets it on create
//! (`PrepareForCreate`): whatever the client sent is replaced by phase `Pending` and the Pod's
//! QoS class, which `kubectl get` (STATUS) and `kubectl describe` (QoS Class) show before any
//! kubelet has reported.

use serde_json::{Value, json};

/// Replaces `pod`'s status with the one every new Pod starts with.
pub fn initial_pod_status(pod: &mut Value) {
    let qos = qos_class(pod);
    if let Some(fields) = pod.as_object_mut() {
        fields.insert(
            "status".into(),
            json!({"phase": "Pending", "qosClass": qos}),
        );
    }
}

/// The QoS class (`GetPodQOS`), from the requests and limits of the containers and init
/// containers (after defaulting, which copies limits into missing requests):
/// - `BestEffort`: no container requests or limits cpu or memory;
/// - `Guaranteed`: every container limits both cpu and memory, and requests equal limits;
/// - `Burstable`: anything else.
pub fn qos_class(pod: &Value) -> &'static str {
    let containers: Vec<&Value> = ["containers", "initContainers"]
        .iter()
        .filter_map(|list| pod.pointer(&format!("/spec/{list}"))?.as_array())
        .flatten()
        .collect();
    let amount = |container: &Value, kind: &str, resource: &str| {
        container
            .pointer(&format!("/resources/{kind}/{resource}"))
            .cloned()
    };
    let mut any = false;
    let mut guaranteed = true;
    for container in &containers {
        for resource in ["cpu", "memory"] {
            let request = amount(container, "requests", resource);
            let limit = amount(container, "limits", resource);
            any |= request.is_some() || limit.is_some();
            // Quantities as written: "1" and "1000m" compare unequal here, where upstream
            // compares values; kubectl and defaulting write them the same way in practice.
            guaranteed &= limit.is_some() && request == limit;
        }
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(resources: &Value) -> Value {
        json!({"spec": {"containers": [{"name": "c", "image": "busybox", "resources": resources}]}})
    }

    #[test]
    fn the_three_classes() {
        assert_eq!(qos_class(&pod(&json!({}))), "BestEffort");
        assert_eq!(
            qos_class(&pod(&json!({"requests": {"memory": "64Mi"}}))),
            "Burstable"
        );
        let both = json!({"cpu": "500m", "memory": "64Mi"});
        assert_eq!(
            qos_class(&pod(&json!({"requests": both, "limits": both}))),
            "Guaranteed"
        );
        assert_eq!(
            qos_class(&pod(
                &json!({"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": both})
            )),
            "Burstable"
        );
    }

    #[test]
    fn the_client_status_is_replaced() {
        let mut new = pod(&json!({}));
        new["status"] = json!({"phase": "Running", "podIP": "10.0.0.1"});
        initial_pod_status(&mut new);
        assert_eq!(
            new["status"],
            json!({"phase": "Pending", "qosClass": "BestEffort"})
        );
    }
}

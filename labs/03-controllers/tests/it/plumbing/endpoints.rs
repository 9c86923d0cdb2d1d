//! Step 5: which pods stand behind a Service, as Endpoints subsets and as EndpointSlices.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use lab_03::endpoints::slices::{
    CONTROLLER_NAME, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, desired_slices, new_slice, reconcile,
    slice_labels,
};
use lab_03::endpoints::subsets::build_subsets;
use lab_03::endpoints::{find_port, should_include};
use serde_json::json;

/// A pod `name` with IP `ip` (none when empty), ready or not, and a container port `http`.
fn pod(name: &str, ip: &str, ready: bool, http_port: i32) -> Arc<Pod> {
    let mut status = json!({
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
    });
    if !ip.is_empty() {
        status["podIP"] = json!(ip);
    }
    Arc::new(
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "default", "uid": format!("uid-{name}"),
                         "labels": {"app": "web"}},
            "spec": {
                "nodeName": "node-a",
                "containers": [{"name": "web", "image": "nginx",
                                "ports": [{"name": "http", "containerPort": http_port}]}]
            },
            "status": status,
        }))
        .expect("a pod"),
    )
}

fn service(extra: &serde_json::Value) -> Service {
    let mut spec = json!({
        "selector": {"app": "web"},
        "ports": [{"name": "web", "port": 80, "targetPort": "http"}],
    });
    if let Some(extra) = extra.as_object() {
        for (key, value) in extra {
            spec[key] = value.clone();
        }
    }
    serde_json::from_value(json!({
        "metadata": {"name": "web", "namespace": "default", "uid": "svc-uid"},
        "spec": spec,
    }))
    .expect("a service")
}

fn ips(addresses: Option<&Vec<k8s_openapi::api::core::v1::EndpointAddress>>) -> Vec<String> {
    addresses
        .into_iter()
        .flatten()
        .map(|address| address.ip.clone())
        .collect()
}

#[test]
fn step5_find_port_resolves_named_target_ports_on_each_pod() {
    let svc = service(&json!({}));
    let port = &svc
        .spec
        .as_ref()
        .expect("spec")
        .ports
        .as_ref()
        .expect("ports")[0];
    assert_eq!(
        find_port(&pod("a", "10.244.0.5", true, 8080), port),
        Some(8080)
    );
    assert_eq!(
        find_port(&pod("b", "10.244.0.6", true, 9090), port),
        Some(9090)
    );
    let numeric = service(&json!({"ports": [{"port": 80, "targetPort": 8443}]}));
    let port = &numeric
        .spec
        .as_ref()
        .expect("spec")
        .ports
        .as_ref()
        .expect("ports")[0];
    assert_eq!(
        find_port(&pod("a", "10.244.0.5", true, 8080), port),
        Some(8443)
    );
    let missing = service(&json!({"ports": [{"port": 80, "targetPort": "grpc"}]}));
    let port = &missing
        .spec
        .as_ref()
        .expect("spec")
        .ports
        .as_ref()
        .expect("ports")[0];
    assert_eq!(find_port(&pod("a", "10.244.0.5", true, 8080), port), None);
}

#[test]
fn step5_should_include_skips_pods_without_an_ip_finished_or_terminating() {
    assert!(should_include(&pod("a", "10.244.0.5", false, 80), false));
    assert!(!should_include(&pod("a", "", true, 80), false), "no IP yet");
    let mut finished = (*pod("a", "10.244.0.5", false, 80)).clone();
    finished.status.as_mut().expect("status").phase = Some("Succeeded".into());
    assert!(!should_include(&finished, true));
    let mut terminating = (*pod("a", "10.244.0.5", true, 80)).clone();
    terminating.metadata.deletion_timestamp =
        Some(lab_03::pods::to_time(std::time::SystemTime::now()));
    assert!(
        !should_include(&terminating, false),
        "Endpoints leave terminating pods out"
    );
    assert!(
        should_include(&terminating, true),
        "EndpointSlices keep them, marked"
    );
}

#[test]
fn step5_endpoints_put_ready_pods_in_addresses_and_the_others_in_not_ready() {
    let pods = [
        pod("b", "10.244.0.6", false, 8080),
        pod("a", "10.244.0.5", true, 8080),
        pod("c", "", true, 8080),
    ];
    let subsets = build_subsets(&service(&json!({})), &pods);
    assert_eq!(subsets.len(), 1, "{subsets:?}");
    assert_eq!(ips(subsets[0].addresses.as_ref()), ["10.244.0.5"]);
    assert_eq!(ips(subsets[0].not_ready_addresses.as_ref()), ["10.244.0.6"]);
    let ports = subsets[0].ports.as_ref().expect("ports");
    assert_eq!(
        (ports[0].name.as_deref(), ports[0].port),
        (Some("web"), 8080)
    );
    let address = &subsets[0].addresses.as_ref().expect("addresses")[0];
    assert_eq!(address.node_name.as_deref(), Some("node-a"));
    let target = address.target_ref.as_ref().expect("a targetRef");
    assert_eq!(
        (target.kind.as_deref(), target.name.as_deref()),
        (Some("Pod"), Some("a"))
    );
}

#[test]
fn step5_endpoints_publish_not_ready_addresses_counts_every_pod_ready() {
    let pods = [
        pod("a", "10.244.0.5", true, 8080),
        pod("b", "10.244.0.6", false, 8080),
    ];
    let subsets = build_subsets(&service(&json!({"publishNotReadyAddresses": true})), &pods);
    assert_eq!(
        ips(subsets[0].addresses.as_ref()),
        ["10.244.0.5", "10.244.0.6"]
    );
    assert_eq!(subsets[0].not_ready_addresses, None);
}

#[test]
fn step5_endpoints_group_pods_whose_named_port_differs_into_subsets() {
    let pods = [
        pod("a", "10.244.0.5", true, 8080),
        pod("b", "10.244.0.6", true, 9090),
        pod("c", "10.244.0.7", true, 8080),
    ];
    let subsets = build_subsets(&service(&json!({})), &pods);
    let shape: Vec<(i32, Vec<String>)> = subsets
        .iter()
        .map(|subset| {
            (
                subset.ports.as_ref().expect("ports")[0].port,
                ips(subset.addresses.as_ref()),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (8080, vec!["10.244.0.5".to_owned(), "10.244.0.7".to_owned()]),
            (9090, vec!["10.244.0.6".to_owned()])
        ]
    );
}

#[test]
fn step5_slices_mark_ready_serving_and_terminating() {
    let mut terminating = (*pod("c", "10.244.0.7", true, 8080)).clone();
    terminating.metadata.deletion_timestamp =
        Some(lab_03::pods::to_time(std::time::SystemTime::now()));
    let pods = [
        pod("a", "10.244.0.5", true, 8080),
        pod("b", "10.244.0.6", false, 8080),
        Arc::new(terminating),
        pod("d", "", true, 8080),
    ];
    let slices = desired_slices(&service(&json!({})), &pods);
    assert_eq!(slices.len(), 1);
    let conditions: Vec<(String, bool, bool, bool)> = slices[0]
        .endpoints
        .iter()
        .map(|endpoint| {
            let c = endpoint.conditions.as_ref().expect("conditions");
            (
                endpoint.addresses[0].clone(),
                c.ready == Some(true),
                c.serving == Some(true),
                c.terminating == Some(true),
            )
        })
        .collect();
    assert_eq!(
        conditions,
        [
            ("10.244.0.5".to_owned(), true, true, false),
            ("10.244.0.6".to_owned(), false, false, false),
            ("10.244.0.7".to_owned(), false, true, true),
        ]
    );
    let ports = slices[0].ports.as_ref().expect("ports");
    assert_eq!(
        (ports[0].name.as_deref(), ports[0].port),
        (Some("web"), Some(8080))
    );
    assert_eq!(slices[0].endpoints[0].node_name.as_deref(), Some("node-a"));
}

#[test]
fn step5_slices_without_pods_keep_one_empty_placeholder() {
    let slices = desired_slices(&service(&json!({})), &[]);
    assert_eq!(slices.len(), 1);
    assert!(slices[0].endpoints.is_empty());
    assert_eq!(slices[0].ports, None);
}

#[test]
fn step5_slices_hold_at_most_100_endpoints() {
    let pods: Vec<Arc<Pod>> = (0..250)
        .map(|i| {
            pod(
                &format!("p{i}"),
                &format!("10.244.{}.{}", i / 200, i % 200 + 1),
                true,
                8080,
            )
        })
        .collect();
    let sizes: Vec<usize> = desired_slices(&service(&json!({})), &pods)
        .iter()
        .map(|slice| slice.endpoints.len())
        .collect();
    assert_eq!(sizes, [100, 100, 50]);
}

/// What the server would hold after writing `desired` for `svc`, named `web-<i>`.
fn written(svc: &Service, pods: &[Arc<Pod>]) -> Vec<Arc<EndpointSlice>> {
    desired_slices(svc, pods)
        .into_iter()
        .enumerate()
        .map(|(i, desired)| {
            let mut slice = new_slice(svc, desired, &slice_labels(svc));
            slice.metadata.name = Some(format!("web-{i}"));
            slice.metadata.resource_version = Some("7".to_owned());
            Arc::new(slice)
        })
        .collect()
}

#[test]
fn step5_slices_reconcile_writes_nothing_when_nothing_changed() {
    let svc = service(&json!({}));
    let pods = [pod("a", "10.244.0.5", true, 8080)];
    let existing = written(&svc, &pods);
    let labels = existing[0].metadata.labels.as_ref().expect("labels");
    assert_eq!(
        labels.get(LABEL_SERVICE_NAME).map(String::as_str),
        Some("web")
    );
    assert_eq!(
        labels.get(LABEL_MANAGED_BY).map(String::as_str),
        Some(CONTROLLER_NAME)
    );
    assert_eq!(existing[0].address_type, "IPv4");
    let owner = &existing[0]
        .metadata
        .owner_references
        .as_ref()
        .expect("owner")[0];
    assert_eq!(
        (owner.kind.as_str(), owner.uid.as_str(), owner.controller),
        ("Service", "svc-uid", Some(true))
    );
    let plan = reconcile(&svc, desired_slices(&svc, &pods), &existing);
    assert!(plan.is_empty(), "{plan:?}");
}

#[test]
fn step5_slices_reconcile_updates_an_existing_slice_and_deletes_the_extra_ones() {
    let svc = service(&json!({}));
    let before = [
        pod("a", "10.244.0.5", true, 8080),
        pod("b", "10.244.0.6", true, 9090),
    ];
    let existing = written(&svc, &before);
    assert_eq!(existing.len(), 2);
    let after = [pod("a", "10.244.0.5", false, 8080)];
    let plan = reconcile(&svc, desired_slices(&svc, &after), &existing);
    assert!(plan.create.is_empty(), "{plan:?}");
    assert_eq!(plan.update.len(), 1);
    assert_eq!(plan.update[0].metadata.name.as_deref(), Some("web-0"));
    assert_eq!(
        plan.update[0].metadata.resource_version.as_deref(),
        Some("7")
    );
    assert_eq!(plan.delete, ["web-1"]);
    let none = reconcile(&svc, desired_slices(&svc, &after), &[]);
    assert_eq!(none.create.len(), 1);
    assert_eq!(
        none.create[0].metadata.generate_name.as_deref(),
        Some("web-")
    );
}

#[test]
fn step5_services_without_a_selector_are_left_alone() {
    use lab_03::endpoints::{selector_of, service_selects};
    let manual: Service = serde_json::from_value(json!({
        "metadata": {"name": "db", "namespace": "default"},
        "spec": {"ports": [{"port": 5432}]},
    }))
    .expect("a service");
    assert!(
        selector_of(&manual).is_none(),
        "no selector: its Endpoints are written by hand"
    );
    let labels = std::collections::BTreeMap::from([("app".to_owned(), "web".to_owned())]);
    assert!(!service_selects(
        &std::collections::BTreeMap::new(),
        Some(&labels)
    ));
    let web = service(&json!({}));
    let selector = selector_of(&web).expect("a selector");
    assert!(service_selects(selector, Some(&labels)));
    assert!(!service_selects(selector, None));
}

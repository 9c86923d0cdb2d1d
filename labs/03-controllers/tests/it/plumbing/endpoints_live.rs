//! Step 5: the Endpoints and EndpointSlice controllers against lab-02.

use k8s_openapi::api::core::v1::{Endpoints, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::Cluster;

fn web_pod(name: &str, port: i32) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "nginx",
                                 "ports": [{"name": "http", "containerPort": port}]}]}
    }))
    .expect("a Pod")
}

/// What a kubelet would report: Running with an IP, ready or not.
fn report(cluster: &Cluster, pods: &Api<Pod>, name: &str, ip: &str, ready: bool) {
    let status = json!({"status": {
        "phase": "Running",
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
    }});
    cluster
        .block_on(pods.patch_status(name, &PatchParams::default(), &Patch::Merge(status)))
        .expect("the pod's status is written");
}

/// The ready and not-ready IPs of the Endpoints `web`, with the ports of its first subset.
fn endpoint_ips(endpoints: &Endpoints) -> (Vec<String>, Vec<String>, Vec<i32>) {
    let mut ready = Vec::new();
    let mut not_ready = Vec::new();
    let mut ports = Vec::new();
    for subset in endpoints.subsets.iter().flatten() {
        ready.extend(subset.addresses.iter().flatten().map(|a| a.ip.clone()));
        not_ready.extend(
            subset
                .not_ready_addresses
                .iter()
                .flatten()
                .map(|a| a.ip.clone()),
        );
        ports.extend(subset.ports.iter().flatten().map(|p| p.port));
    }
    ready.sort();
    not_ready.sort();
    (ready, not_ready, ports)
}

#[test]
fn step5_endpoints_and_slices_follow_the_ready_pods_behind_a_service() {
    let cluster = Cluster::start_without_stopgap();
    cluster.start_controllers(&["endpoint", "endpointslice"]);
    let client = cluster.client.clone();
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let services: Api<Service> = Api::namespaced(client.clone(), "default");
    let service: Service = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "labels": {"tier": "front"}},
        "spec": {"selector": {"app": "web"},
                 "ports": [{"name": "web", "port": 80, "targetPort": "http"}]}
    }))
    .expect("a Service");
    cluster
        .block_on(services.create(&PostParams::default(), &service))
        .expect("the service is created");
    for name in ["a", "b", "c"] {
        cluster
            .block_on(pods.create(&PostParams::default(), &web_pod(name, 8080)))
            .expect("a pod is created");
    }
    report(&cluster, &pods, "a", "10.244.1.5", true);
    report(&cluster, &pods, "b", "10.244.1.6", false);
    // c has no IP yet: it is nowhere.

    let endpoints: Api<Endpoints> = Api::namespaced(client.clone(), "default");
    let wanted = (
        vec!["10.244.1.5".to_owned()],
        vec!["10.244.1.6".to_owned()],
        vec![8080],
    );
    let found = cluster.wait_for("Endpoints web with a ready and b not ready", || async {
        let found = endpoints.get("web").await.ok()?;
        (endpoint_ips(&found) == wanted).then_some(found)
    });
    let labels = found.metadata.labels.expect("labels");
    assert_eq!(
        labels.get("tier").map(String::as_str),
        Some("front"),
        "the Service's labels"
    );

    let slices: Api<EndpointSlice> = Api::namespaced(client, "default");
    let by_service = ListParams::default().labels("kubernetes.io/service-name=web");
    let slice = cluster.wait_for("an EndpointSlice for web with two endpoints", || async {
        let list = slices.list(&by_service).await.ok()?;
        list.items
            .into_iter()
            .find(|slice| slice.endpoints.len() == 2)
    });
    assert_eq!(slice.address_type, "IPv4");
    let labels = slice.metadata.labels.clone().expect("labels");
    assert_eq!(
        labels
            .get("endpointslice.kubernetes.io/managed-by")
            .map(String::as_str),
        Some("endpointslice-controller.k8s.io")
    );
    let ports = slice.ports.clone().expect("ports");
    assert_eq!(
        (ports[0].name.as_deref(), ports[0].port),
        (Some("web"), Some(8080))
    );
    let ready: Vec<(String, Option<bool>)> = slice
        .endpoints
        .iter()
        .map(|e| {
            (
                e.addresses[0].clone(),
                e.conditions.as_ref().and_then(|c| c.ready),
            )
        })
        .collect();
    assert_eq!(
        ready,
        [
            ("10.244.1.5".to_owned(), Some(true)),
            ("10.244.1.6".to_owned(), Some(false))
        ]
    );
    let target = slice.endpoints[0].target_ref.as_ref().expect("a targetRef");
    assert_eq!(target.name.as_deref(), Some("a"));

    // b becomes ready, c gets an IP: both appear.
    report(&cluster, &pods, "b", "10.244.1.6", true);
    report(&cluster, &pods, "c", "10.244.1.7", true);
    let all_ready = (
        vec![
            "10.244.1.5".to_owned(),
            "10.244.1.6".to_owned(),
            "10.244.1.7".to_owned(),
        ],
        Vec::new(),
        vec![8080],
    );
    cluster.wait_for("Endpoints web with three ready addresses", || async {
        let found = endpoints.get("web").await.ok()?;
        (endpoint_ips(&found) == all_ready).then_some(())
    });
    let one = cluster.wait_for(
        "one EndpointSlice for web with three ready endpoints",
        || async {
            let list = slices.list(&by_service).await.ok()?;
            let ready = |slice: &EndpointSlice| {
                slice.endpoints.len() == 3
                    && slice
                        .endpoints
                        .iter()
                        .all(|e| e.conditions.as_ref().and_then(|c| c.ready) == Some(true))
            };
            (list.items.len() == 1 && ready(&list.items[0])).then_some(list.items[0].clone())
        },
    );
    assert_eq!(
        one.metadata.name, slice.metadata.name,
        "the slice is updated, not replaced"
    );
}

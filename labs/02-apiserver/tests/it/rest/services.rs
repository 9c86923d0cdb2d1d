//! Step 6 through the REST layer: Services get their addresses on create, keep them on
//! update, give them back on delete; `kubernetes.default` is there from the start.

use std::sync::Arc;

use lab_02::allocator::{IpRange, PortRange};
use lab_02::rest::ApiState;
use labkit::FakeClock;
use serde_json::{Value, json};

use super::Api;

const SERVICES: &str = "/api/v1/namespaces/default/services";

fn service(name: &str, kind: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name},
        "spec": {"type": kind, "selector": {"app": name}, "ports": [{"port": 80}]},
    })
}

#[tokio::test]
async fn step6_the_kubernetes_service_has_the_first_address() {
    let api = Api::embedded().await;
    let kubernetes = api.get(&format!("{SERVICES}/kubernetes")).await;
    let spec = &kubernetes.ok(200)["spec"];
    assert_eq!(spec["clusterIP"], "10.96.0.1");
    assert_eq!(spec["ports"][0]["port"], 443);
}

#[tokio::test]
async fn step6_services_get_distinct_cluster_ips_and_node_ports() {
    let api = Api::embedded().await;
    let web = api.post(SERVICES, &service("web", "ClusterIP")).await;
    let web_ip = web.ok(201)["spec"]["clusterIP"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        web_ip.starts_with("10.") && web_ip != "10.96.0.1",
        "{web_ip}"
    );
    assert_eq!(web.body["spec"]["clusterIPs"], json!([web_ip]));
    let node = api.post(SERVICES, &service("node", "NodePort")).await;
    let spec = node.ok(201)["spec"].clone();
    assert_ne!(spec["clusterIP"].as_str().unwrap(), web_ip);
    let port = spec["ports"][0]["nodePort"].as_u64().unwrap();
    assert!((30000..=32767).contains(&port), "{port}");
    // Asking for a taken address or port is a 422 on that field.
    let mut taken = service("taken", "NodePort");
    taken["spec"]["clusterIP"] = json!(web_ip);
    let refused = api.post(SERVICES, &taken).await;
    let message = refused.status(422, "Invalid");
    assert!(
        message.contains("spec.clusterIPs[0]") && message.contains("already allocated"),
        "{message}"
    );
    let mut taken_port = service("taken-port", "NodePort");
    taken_port["spec"]["ports"][0]["nodePort"] = json!(port);
    let refused = api.post(SERVICES, &taken_port).await;
    let message = refused.status(422, "Invalid");
    assert!(
        message.contains("spec.ports[0].nodePort") && message.contains("already allocated"),
        "{message}"
    );
    // A refused create gives back what it took: the IP it was given can be asked for again.
    assert_eq!(api.get(&format!("{SERVICES}/taken-port")).await.code, 404);
    // Headless Services get no address.
    let mut headless = service("headless", "ClusterIP");
    headless["spec"]["clusterIP"] = json!("None");
    assert_eq!(
        api.post(SERVICES, &headless).await.ok(201)["spec"]["clusterIP"],
        "None"
    );
}

#[tokio::test]
async fn step6_updates_keep_the_addresses_and_deletes_free_them() {
    let api = Api::embedded().await;
    let created = api.post(SERVICES, &service("web", "NodePort")).await;
    let spec = created.ok(201)["spec"].clone();
    let (ip, port) = (
        spec["clusterIP"].clone(),
        spec["ports"][0]["nodePort"].clone(),
    );
    // The original manifest again (no clusterIP, no nodePort), as `kubectl replace` sends it.
    let mut again = service("web", "NodePort");
    again["metadata"]["labels"] = json!({"changed": "yes"});
    let updated = api.put(&format!("{SERVICES}/web"), &again).await;
    let spec = &updated.ok(200)["spec"];
    assert_eq!(
        (&spec["clusterIP"], &spec["ports"][0]["nodePort"]),
        (&ip, &port)
    );
    // Deleted: another Service may take exactly these now.
    assert_eq!(api.delete(&format!("{SERVICES}/web")).await.code, 200);
    let mut same = service("same", "NodePort");
    same["spec"]["clusterIP"] = ip.clone();
    same["spec"]["ports"][0]["nodePort"] = port.clone();
    let reused = api.post(SERVICES, &same).await;
    assert_eq!(reused.ok(201)["spec"]["clusterIP"], ip);
}

/// A strategic merge patch, as `kubectl patch` sends it.
async fn patch(api: &Api, name: &str, body: Value) -> super::Reply {
    api.raw(
        "PATCH",
        &format!("{SERVICES}/{name}"),
        "application/strategic-merge-patch+json",
        body.to_string().into_bytes(),
    )
    .await
}

/// A NodePort Service asking for exactly `node_port`.
fn asking(name: &str, node_port: &Value) -> Value {
    let mut service = service(name, "NodePort");
    service["spec"]["ports"][0]["nodePort"] = node_port.clone();
    service
}

#[tokio::test]
async fn step6_a_type_change_to_node_port_allocates_and_back_frees() {
    let api = Api::embedded().await;
    api.post(SERVICES, &service("web", "ClusterIP"))
        .await
        .ok(201);
    let patched = patch(&api, "web", json!({"spec": {"type": "NodePort"}})).await;
    let node_port = patched.ok(200)["spec"]["ports"][0]["nodePort"].clone();
    let number = node_port
        .as_u64()
        .expect("a node port after the change to NodePort");
    assert!((30000..=32767).contains(&number), "{number}");
    // Taken now: nobody else gets it.
    api.post(SERVICES, &asking("other", &node_port))
        .await
        .status(422, "Invalid");
    // Back to ClusterIP: the port loses its nodePort, and the node port is free again.
    let back = patch(&api, "web", json!({"spec": {"type": "ClusterIP"}})).await;
    assert!(back.ok(200)["spec"]["ports"][0].get("nodePort").is_none());
    api.post(SERVICES, &asking("other", &node_port))
        .await
        .ok(201);
}

#[tokio::test]
async fn step6_an_added_port_gets_a_node_port_and_a_removed_one_frees_it() {
    let api = Api::embedded().await;
    let created = api.post(SERVICES, &service("web", "NodePort")).await;
    let first = created.ok(201)["spec"]["ports"][0]["nodePort"].clone();
    let mut two = service("web", "NodePort");
    two["spec"]["ports"] = json!([
        {"name": "http", "port": 80},
        {"name": "https", "port": 443},
    ]);
    let updated = api.put(&format!("{SERVICES}/web"), &two).await;
    let ports = updated.ok(200)["spec"]["ports"].clone();
    assert_eq!(
        ports[0]["nodePort"], first,
        "the kept port keeps its node port"
    );
    let second = ports[1]["nodePort"].clone();
    assert!(second.is_u64() && second != first, "{ports}");
    // Only https left: the http port's node port goes back to the pool.
    let mut one = service("web", "NodePort");
    one["spec"]["ports"] = json!([{"name": "https", "port": 443, "nodePort": second}]);
    let updated = api.put(&format!("{SERVICES}/web"), &one).await;
    assert_eq!(updated.ok(200)["spec"]["ports"][0]["nodePort"], second);
    api.post(SERVICES, &asking("other", &first)).await.ok(201);
}

/// An `Api` whose node port range has only two ports, so a leaked one shows.
async fn two_node_ports() -> Api {
    let store = lab_02::store::Backend::default();
    let ips = IpRange::parse(lab_02::allocator::DEFAULT_SERVICE_CIDR).unwrap();
    let ports = PortRange::parse("30000-30001").unwrap();
    let clock = FakeClock::default();
    let state = ApiState::new(store.clone())
        .with_clock(Arc::new(clock.clone()))
        .with_service_ranges(ips, ports);
    lab_02::server::bootstrap(&state).await.unwrap();
    Api {
        router: lab_02::server::router(state),
        store,
        clock,
    }
}

#[tokio::test]
async fn step6_an_update_asking_a_taken_node_port_is_refused_and_leaks_nothing() {
    let api = two_node_ports().await;
    let a = api.post(SERVICES, &service("a", "NodePort")).await;
    let taken = a.ok(201)["spec"]["ports"][0]["nodePort"].clone();
    api.post(SERVICES, &service("b", "ClusterIP")).await.ok(201);
    // b becomes NodePort with two ports, one asking for a's node port: refused as a whole,
    // after the other port has been given the last free node port.
    let mut wants = service("b", "NodePort");
    wants["spec"]["ports"] = json!([
        {"name": "free", "port": 81},
        {"name": "taken", "port": 80, "nodePort": taken},
    ]);
    let refused = api.put(&format!("{SERVICES}/b"), &wants).await;
    let message = refused.status(422, "Invalid");
    assert!(message.contains("already allocated"), "{message}");
    let b = api.get(&format!("{SERVICES}/b")).await;
    assert_eq!(b.ok(200)["spec"]["type"], "ClusterIP");
    // That last port went back to the pool: another Service gets it.
    let c = api.post(SERVICES, &service("c", "NodePort")).await;
    let last = c.ok(201)["spec"]["ports"][0]["nodePort"].clone();
    assert_ne!(last, taken);
}

#[tokio::test]
async fn step6_an_external_name_service_gets_a_cluster_ip_when_it_stops_being_one() {
    let api = Api::embedded().await;
    let mut external = service("db", "ExternalName");
    external["spec"]["externalName"] = json!("db.example.com");
    let created = api.post(SERVICES, &external).await;
    assert!(created.ok(201)["spec"].get("clusterIP").is_none());
    let patched = patch(
        &api,
        "db",
        json!({"spec": {"type": "ClusterIP", "externalName": null}}),
    )
    .await;
    let ip = patched.ok(200)["spec"]["clusterIP"].clone();
    assert!(ip.as_str().is_some_and(|ip| ip.starts_with("10.")), "{ip}");
    let back = patch(
        &api,
        "db",
        json!({"spec": {"type": "ExternalName", "externalName": "db.example.com"}}),
    )
    .await;
    assert!(back.ok(200)["spec"].get("clusterIP").is_none());
    // The address is free again: a Service may ask for it.
    let mut again = service("again", "ClusterIP");
    again["spec"]["clusterIP"] = ip.clone();
    assert_eq!(
        api.post(SERVICES, &again).await.ok(201)["spec"]["clusterIP"],
        ip
    );
}

//! Step 6 through the REST layer: Services get their addresses on create, keep them on
//! update, give them back on delete; `kubernetes.default` is there from the start.

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

//! Step 7: finding the container and its kubelet, and the errors when that is not possible.

use std::time::Instant;

use lab_02::node_proxy::{DEFAULT_KUBELET_PORT, KubeletAddress, kubelet_address};
use serde_json::json;
use tokio::net::TcpListener;

use super::{Cluster, DEADLINE, NODE, log_url};

#[tokio::test]
async fn step7_logs_of_a_missing_pod_are_not_found() {
    let cluster = Cluster::start().await;
    let message = cluster
        .get_status(&log_url("nope", ""), 404, "NotFound")
        .await;
    assert_eq!(message, "pods \"nope\" not found");
}

#[tokio::test]
async fn step7_logs_of_an_unscheduled_pod_are_a_bad_request() {
    let cluster = Cluster::start().await;
    cluster.put_pod("web", None, &["app"]).await;
    let message = cluster
        .get_status(&log_url("web", ""), 400, "BadRequest")
        .await;
    assert_eq!(message, "pod web does not have a host assigned");
    assert!(cluster.stub.requests().is_empty());
}

#[tokio::test]
async fn step7_logs_of_a_pod_with_several_containers_need_a_container() {
    let cluster = Cluster::start().await;
    cluster.put_pod("web", Some(NODE), &["a", "b"]).await;
    let message = cluster
        .get_status(&log_url("web", ""), 400, "BadRequest")
        .await;
    assert_eq!(
        message,
        "a container name must be specified for pod web, choose one of: [a b]"
    );
}

#[tokio::test]
async fn step7_logs_of_an_unknown_container_are_a_bad_request() {
    let cluster = Cluster::start().await;
    cluster.put_pod("web", Some(NODE), &["app"]).await;
    let message = cluster
        .get_status(&log_url("web", "?container=db"), 400, "BadRequest")
        .await;
    assert_eq!(message, "container db is not valid for pod web");
}

#[tokio::test]
async fn step7_logs_when_the_kubelet_is_down_fail_fast_with_the_address() {
    let cluster = Cluster::start().await;
    // A port nobody listens on: bind one, then let it go.
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    cluster.put_node("node-2", "127.0.0.1", closed).await;
    cluster.put_pod("web", Some("node-2"), &["app"]).await;
    let started = Instant::now();
    let message = cluster.get_status(&log_url("web", ""), 500, "").await;
    assert!(started.elapsed() < DEADLINE);
    let url = format!("http://127.0.0.1:{closed}/containerLogs/default/web/app");
    assert_eq!(
        message,
        format!("Get \"{url}\": dial tcp 127.0.0.1:{closed}: connect: connection refused")
    );
}

#[test]
fn step7_kubelet_address_prefers_the_internal_ip_and_defaults_the_port() {
    let node = json!({
        "metadata": {"name": "node-1"},
        "status": {"addresses": [
            {"type": "Hostname", "address": "node-1"},
            {"type": "ExternalIP", "address": "203.0.113.7"},
            {"type": "InternalIP", "address": "10.0.0.11"},
        ]},
    });
    let address = kubelet_address(&node).unwrap();
    assert_eq!(
        address,
        KubeletAddress {
            host: "10.0.0.11".into(),
            port: DEFAULT_KUBELET_PORT
        }
    );
    assert_eq!(address.to_string(), "10.0.0.11:10250");

    let hostname_only = json!({
        "status": {
            "addresses": [{"type": "Hostname", "address": "node-2"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 11250}},
        },
    });
    assert_eq!(
        kubelet_address(&hostname_only).unwrap().to_string(),
        "node-2:11250"
    );

    let nowhere = json!({"metadata": {"name": "node-3"}, "status": {}});
    let refused = kubelet_address(&nowhere).unwrap_err();
    assert_eq!(refused.code, 500);
    assert!(refused.message.contains("node-3"), "{}", refused.message);
}

#[tokio::test]
async fn step7_logs_refuse_a_negative_tail_before_asking_the_kubelet() {
    let cluster = Cluster::start().await;
    cluster.put_pod("web", Some(NODE), &["app"]).await;
    let message = cluster
        .get_status(&log_url("web", "?tailLines=-1"), 400, "BadRequest")
        .await;
    assert_eq!(
        message,
        "tailLines: Invalid value: -1: must be greater than or equal to 0"
    );
    let message = cluster
        .get_status(&log_url("web", "?tailLines=ten"), 400, "BadRequest")
        .await;
    assert!(message.contains("tailLines"), "{message}");
    assert!(cluster.stub.requests().is_empty());
}

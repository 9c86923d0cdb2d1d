//! Step 7: `pods/log` is the kubelet's plain text, passed through (and, with `follow`, streamed).

use http_body_util::BodyExt;

use super::{Cluster, NODE, log_url, within};

#[tokio::test]
async fn step7_logs_are_the_kubelets_plain_text() {
    let cluster = Cluster::start().await;
    cluster.put_pod("web", Some(NODE), &["app"]).await;
    let (code, content_type, text) = cluster.get_text(&log_url("web", "")).await;
    assert_eq!(code, 200, "{text}");
    // Raw text, not a JSON string: kubectl prints the body as it is.
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert_eq!(text, "app line 1\napp line 2\napp line 3\n");
    assert_eq!(
        cluster.stub.requests(),
        ["/containerLogs/default/web/app"],
        "the kubelet is asked for the pod's only container"
    );
}

#[tokio::test]
async fn step7_logs_pass_tail_lines_and_the_container_to_the_kubelet() {
    let cluster = Cluster::start().await;
    cluster
        .put_pod("web", Some(NODE), &["app", "sidecar"])
        .await;
    // What `kubectl logs web -c sidecar --tail=2 --timestamps` asks.
    let url = log_url("web", "?container=sidecar&tailLines=2&timestamps=true");
    let (code, _, text) = cluster.get_text(&url).await;
    assert_eq!(code, 200, "{text}");
    assert_eq!(text, "sidecar line 2\nsidecar line 3\n");
    assert_eq!(
        cluster.stub.requests(),
        ["/containerLogs/default/web/sidecar?timestamps=true&tailLines=2"]
    );
}

#[tokio::test]
async fn step7_logs_default_to_the_annotated_container() {
    let cluster = Cluster::start().await;
    let annotations = serde_json::json!({"kubectl.kubernetes.io/default-container": "sidecar"});
    cluster
        .put_pod_with("web", Some(NODE), &["app", "sidecar"], annotations)
        .await;
    let (code, _, text) = cluster.get_text(&log_url("web", "")).await;
    assert_eq!(code, 200, "{text}");
    assert!(text.starts_with("sidecar line 1\n"), "{text}");
}

#[tokio::test]
async fn step7_logs_follow_streams_lines_as_the_kubelet_writes_them() {
    let mut cluster = Cluster::start().await;
    cluster.put_pod("web", Some(NODE), &["app"]).await;
    let follow = cluster.stub.follow.take().unwrap();
    let (code, content_type, mut body) = cluster
        .get(&log_url("web", "?follow=true&tailLines=1"))
        .await;
    assert_eq!(code, 200);
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    // Each line must reach us before the next is written: nothing waits for the end.
    for n in 1..=3 {
        let line = format!("app line {n}\n");
        follow.send(line.clone()).unwrap();
        let mut received = Vec::new();
        while received.len() < line.len() {
            let frame = within(body.frame()).await.expect("the stream ended early");
            if let Ok(data) = frame.unwrap().into_data() {
                received.extend_from_slice(&data);
            }
        }
        assert_eq!(String::from_utf8_lossy(&received), line);
    }
    // The container stops: the kubelet ends its stream, and so does ours.
    drop(follow);
    let rest = within(body.collect()).await.unwrap().to_bytes();
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(
        cluster.stub.requests(),
        ["/containerLogs/default/web/app?follow=true&tailLines=1"]
    );
}

#[tokio::test]
async fn step7_logs_follow_lets_go_of_the_kubelet_when_the_client_leaves() {
    let mut cluster = Cluster::start().await;
    cluster.put_pod("web", Some(NODE), &["app"]).await;
    let follow = cluster.stub.follow.take().unwrap();
    let (code, _, mut body) = cluster.get(&log_url("web", "?follow=true")).await;
    assert_eq!(code, 200);
    follow.send("one\n".into()).unwrap();
    let first = within(body.frame()).await.unwrap().unwrap();
    assert_eq!(first.into_data().unwrap(), "one\n");
    // kubectl logs -f is stopped with Ctrl-C: its connection closes.
    drop(body);
    // The server notices at its next write and drops its side, which closes the kubelet's
    // stream (the stub's receiver goes away). Poll: keep the container writing meanwhile.
    let deadline = tokio::time::Instant::now() + super::DEADLINE;
    while !follow.is_closed() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the kubelet stream is still open after the client left"
        );
        let _ = follow.send("more\n".into());
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

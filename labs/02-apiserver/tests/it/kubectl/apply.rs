//! Creating objects: `apply -f` (create, update, unchanged) and the `create` generators.

use super::{Client, Cluster, assert_snapshots, manifests, per_version, per_version_of};

/// Applies `text` as a file; panics with kubectl's words if it fails.
pub(crate) fn apply(cluster: &Cluster, kubectl: &Client, name: &str, text: &str) -> String {
    let path = cluster.file(name, text);
    let path = path.to_str().expect("a UTF-8 path");
    let output = kubectl.run(&["apply", "-f", path]);
    assert!(
        output.success,
        "kubectl 1.{} apply -f {name}: {}",
        kubectl.minor, output.stderr
    );
    format!("$ kubectl apply -f {name}\n{}", output.stdout)
}

/// The namespace `lab`, the Deployment `web` (nginx:1.25) and the ReplicaSet `cache`.
pub(crate) fn seed(cluster: &Cluster, kubectl: &Client) {
    apply(cluster, kubectl, "namespace.yaml", manifests::NAMESPACE);
    apply(
        cluster,
        kubectl,
        "deployment.yaml",
        &manifests::deployment("nginx:1.25"),
    );
    apply(
        cluster,
        kubectl,
        "replicaset.yaml",
        &manifests::replica_set("redis:7"),
    );
}

#[test]
fn step5_kubectl_apply_creates_then_updates_then_is_unchanged() {
    let Some(transcripts) = per_version(|cluster, kubectl| {
        let mut text = String::new();
        text += &apply(cluster, kubectl, "namespace.yaml", manifests::NAMESPACE);
        text += &apply(
            cluster,
            kubectl,
            "deployment.yaml",
            &manifests::deployment("nginx:1.25"),
        );
        text += &apply(
            cluster,
            kubectl,
            "replicaset.yaml",
            &manifests::replica_set("redis:7"),
        );
        // A new image: a three-way strategic merge patch computed by kubectl.
        text += &apply(
            cluster,
            kubectl,
            "deployment.yaml",
            &manifests::deployment("nginx:1.26"),
        );
        text += &apply(
            cluster,
            kubectl,
            "replicaset.yaml",
            &manifests::replica_set("redis:7.2"),
        );
        // Nothing changed: kubectl sends nothing and says so.
        text += &apply(
            cluster,
            kubectl,
            "deployment.yaml",
            &manifests::deployment("nginx:1.26"),
        );
        text += &kubectl.transcript(&[
            "get",
            "deploy/web",
            "rs/cache",
            "-n",
            "lab",
            "-o",
            "jsonpath={range .items[*]}{.metadata.name} {.metadata.generation} {.spec.template.spec.containers[0].image}{\"\\n\"}{end}",
        ]);
        text
    }) else {
        return;
    };
    assert_snapshots("apply", &transcripts);
}

#[test]
fn step5_kubectl_apply_server_side_creates_and_merges() {
    let Some(transcripts) = per_version(|cluster, kubectl| {
        let path = cluster.file("deployment.yaml", &manifests::deployment("nginx:1.25"));
        let path = path.to_str().expect("a UTF-8 path");
        apply(cluster, kubectl, "namespace.yaml", manifests::NAMESPACE);
        let mut text = kubectl.transcript(&["apply", "--server-side", "-f", path]);
        let changed = cluster.file("deployment.yaml", &manifests::deployment("nginx:1.26"));
        let changed = changed.to_str().expect("a UTF-8 path");
        text += &kubectl.transcript(&["apply", "--server-side", "-f", changed]);
        text += &kubectl.transcript(&[
            "get",
            "deploy/web",
            "-n",
            "lab",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}{\"\\n\"}",
        ]);
        text.replace(path, "deployment.yaml")
    }) else {
        return;
    };
    assert_snapshots("apply_server_side", &transcripts);
}

/// `create namespace` and `create deployment`: the typed clients, which send JSON up to 1.31
/// and protobuf from 1.32 on.
fn create_generators(kubectl: &Client) -> String {
    let mut text = kubectl.transcript(&["create", "namespace", "other"]);
    text += &kubectl.transcript(&[
        "create",
        "deployment",
        "d2",
        "-n",
        "other",
        "--image=nginx:1.25",
        "--replicas=2",
    ]);
    text += &kubectl.transcript(&["get", "deploy", "d2", "-n", "other", "-o", "yaml"]);
    text
}

#[test]
fn step5_kubectl_create_namespace_and_deployment_json_clients() {
    let Some(transcripts) = per_version_of(27..=31, |_, kubectl| create_generators(kubectl)) else {
        return;
    };
    assert_snapshots("create_generators", &transcripts);
}

/// kubectl 1.32 and 1.33 POST `application/vnd.kubernetes.protobuf` for these two commands
/// (kubernetes/kubernetes#125314) and do not retry with JSON after a 415. This test passes once
/// the server decodes protobuf request bodies (`rest/body.rs`).
#[test]
fn step5_kubectl_create_namespace_and_deployment_protobuf_clients() {
    let Some(transcripts) = per_version_of(32..=33, |_, kubectl| create_generators(kubectl)) else {
        return;
    };
    for (minor, text) in &transcripts {
        assert!(
            !text.contains("UnsupportedMediaType") && !text.contains("unknown format"),
            "kubectl 1.{minor} sends protobuf bodies for `create namespace|deployment`, and the \
             server does not decode application/vnd.kubernetes.protobuf yet:\n{text}"
        );
    }
    assert_snapshots("create_generators", &transcripts);
}

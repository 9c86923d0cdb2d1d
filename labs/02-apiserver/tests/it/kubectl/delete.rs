//! Deleting: every cascade mode and a namespace must return (the stopgap controllers finish
//! what lab 03's controllers will), and `kubectl events`.

use super::apply::{apply, seed};
use super::{Client, Cluster, assert_snapshots, per_version};

/// A ReplicaSet owned by the Deployment `web` (as the deployment controller would make it).
fn owned_replica_set(cluster: &Cluster, kubectl: &Client) {
    let uid = kubectl.run(&[
        "get",
        "deploy",
        "web",
        "-n",
        "lab",
        "-o",
        "jsonpath={.metadata.uid}",
    ]);
    assert!(uid.success, "{}", uid.stderr);
    let manifest = format!(
        "apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-1
  namespace: lab
  labels: {{app: web}}
  ownerReferences:
  - {{apiVersion: apps/v1, kind: Deployment, name: web, uid: {uid}, controller: true, blockOwnerDeletion: true}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
",
        uid = uid.stdout
    );
    apply(cluster, kubectl, "owned.yaml", &manifest);
}

/// Deletes `deploy/web` with `cascade` and shows what is left.
fn delete_with(cascade: &str) -> Option<Vec<(u32, String)>> {
    per_version(|cluster, kubectl| {
        seed(cluster, kubectl);
        owned_replica_set(cluster, kubectl);
        let cascade = format!("--cascade={cascade}");
        kubectl.transcript(&["delete", "deploy", "web", "-n", "lab", &cascade, "--timeout=20s"])
            + &kubectl.transcript(&["get", "deploy,rs", "-n", "lab"])
            + &kubectl.transcript(&[
                "get",
                "rs",
                "-n",
                "lab",
                "-o",
                "jsonpath={range .items[*]}{.metadata.name} owners={.metadata.ownerReferences[*].name}{\"\\n\"}{end}",
            ])
    })
}

#[test]
fn step5_kubectl_delete_background_returns() {
    let Some(transcripts) = delete_with("background") else {
        return;
    };
    assert_snapshots("delete_background", &transcripts);
}

#[test]
fn step5_kubectl_delete_foreground_waits_for_the_dependents() {
    let Some(transcripts) = delete_with("foreground") else {
        return;
    };
    assert_snapshots("delete_foreground", &transcripts);
}

#[test]
fn step5_kubectl_delete_orphan_keeps_the_dependents() {
    let Some(transcripts) = delete_with("orphan") else {
        return;
    };
    assert_snapshots("delete_orphan", &transcripts);
}

#[test]
fn step5_kubectl_delete_namespace_returns_when_it_is_empty() {
    let Some(transcripts) = per_version(|cluster, kubectl| {
        seed(cluster, kubectl);
        kubectl.transcript(&["delete", "namespace", "lab", "--timeout=20s"])
            + &kubectl.transcript(&["get", "namespaces"])
            + &kubectl.transcript(&["get", "deploy,rs", "-A"])
    }) else {
        return;
    };
    assert_snapshots("delete_namespace", &transcripts);
}

#[test]
fn step5_kubectl_events_lists_core_events() {
    let Some(transcripts) = per_version(|cluster, kubectl| {
        seed(cluster, kubectl);
        apply(
            cluster,
            kubectl,
            "event.yaml",
            "apiVersion: v1
kind: Event
metadata:
  name: web.1
  namespace: lab
involvedObject:
  apiVersion: apps/v1
  kind: Deployment
  name: web
  namespace: lab
reason: ScalingReplicaSet
message: Scaled up replica set web-1 to 2
type: Normal
count: 1
firstTimestamp: \"2025-01-01T00:00:00Z\"
lastTimestamp: \"2025-01-01T00:00:00Z\"
source:
  component: deployment-controller
",
        );
        // `kubectl events` renders LAST SEEN on the client, from the wall clock: cut it.
        events_transcript(kubectl, &["events", "-n", "lab"])
            + &events_transcript(kubectl, &["events", "-n", "lab", "--for", "deployment/web"])
            + &kubectl.transcript(&["get", "events", "-n", "lab"])
    }) else {
        return;
    };
    assert_snapshots("events", &transcripts);
}

/// The transcript of a `kubectl events` command, its columns split on runs of spaces and the
/// LAST SEEN cells (computed by kubectl from the wall clock) replaced.
fn events_transcript(kubectl: &Client, args: &[&str]) -> String {
    let output = kubectl.run(args);
    assert!(
        output.success,
        "kubectl 1.{}: {}",
        kubectl.minor, output.stderr
    );
    let mut text = format!("$ kubectl {}\n", args.join(" "));
    for (i, line) in output.stdout.lines().enumerate() {
        let mut cells: Vec<&str> = line
            .split("  ")
            .map(str::trim)
            .filter(|cell| !cell.is_empty())
            .collect();
        if i > 0 && !cells.is_empty() {
            cells[0] = "<last seen>";
        }
        text.push_str(&cells.join(" | "));
        text.push('\n');
    }
    text
}

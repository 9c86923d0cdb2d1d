//! Step 3 with the real kubectl (1.33 and 1.27): `create deployment`, `rollout status`,
//! `set image`, `rollout history`, `rollout undo` (client-side since 1.27: kubectl reads the
//! ReplicaSets and patches the Deployment's template back), `scale`, `rollout pause` and
//! `resume`, against lab-02 with the controllers and the fake kubelet. Where that kubectl is
//! not installed the test says "not run".

use std::sync::Arc;
use std::time::Duration;

use labkit::FakeClock;

use crate::support::ok;

use super::live::{Env, pass_the_deadline, start, start_without_controllers, web};

fn image(env: &Env) -> String {
    let d = env.get("web");
    d.spec
        .and_then(|spec| spec.template.spec)
        .and_then(|pod| pod.containers.first().and_then(|c| c.image.clone()))
        .unwrap_or_default()
}

/// The whole rollout life cycle with one kubectl version.
fn rollout_life_cycle(minor: u32) {
    let env = start();
    let (kubectl, _dir) = labkit::require!(env.cluster.kubectl(minor));
    let run = |args: &[&str]| kubectl.run(args);
    let timeout = crate::support::kubectl_timeout(60);
    let status = ["rollout", "status", "deployment/web", &timeout];

    let created = run(&[
        "create",
        "deployment",
        "web",
        "--image=busybox",
        "--replicas=2",
        "--",
        "httpd",
        "-f",
        "-p",
        "80",
    ]);
    assert_eq!(ok(&created), "deployment.apps/web created\n");
    assert!(ok(&run(&status)).ends_with("deployment \"web\" successfully rolled out\n"));
    assert_eq!(env.pod_images(), ["busybox", "busybox"]);

    let set = run(&["set", "image", "deployment/web", "busybox=busybox:1.36"]);
    assert_eq!(ok(&set), "deployment.apps/web image updated\n");
    assert!(ok(&run(&status)).ends_with("deployment \"web\" successfully rolled out\n"));
    env.wait_complete("web");
    assert_eq!(env.pod_images(), ["busybox:1.36", "busybox:1.36"]);

    let history = run(&["rollout", "history", "deployment/web"]);
    let lines: Vec<&str> = ok(&history).lines().collect();
    assert_eq!(lines[0], "deployment.apps/web ", "{history:?}");
    assert!(
        lines[1].starts_with("REVISION") && lines[1].contains("CHANGE-CAUSE"),
        "{history:?}"
    );
    assert!(
        lines[2].starts_with("1 ") && lines[3].starts_with("2 "),
        "{history:?}"
    );
    let revision = run(&["rollout", "history", "deployment/web", "--revision=2"]);
    assert!(ok(&revision).contains("busybox:1.36"), "{revision:?}");
    assert!(ok(&revision).contains("pod-template-hash="), "{revision:?}");

    let undo = run(&["rollout", "undo", "deployment/web"]);
    assert_eq!(ok(&undo), "deployment.apps/web rolled back\n");
    assert_eq!(image(&env), "busybox");
    assert!(ok(&run(&status)).ends_with("deployment \"web\" successfully rolled out\n"));
    env.wait_complete("web");
    assert_eq!(env.pod_images(), ["busybox", "busybox"]);
    // Revision 1 came back as revision 3.
    let history = run(&["rollout", "history", "deployment/web"]);
    let revisions: Vec<&str> = ok(&history)
        .lines()
        .skip(2)
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(revisions, ["2", "3"], "{history:?}");
    let d = env.get("web");
    let annotations = d.metadata.annotations.unwrap_or_default();
    assert_eq!(
        annotations
            .get("deployment.kubernetes.io/revision")
            .map(String::as_str),
        Some("3")
    );

    let scaled = run(&["scale", "deployment/web", "--replicas=4"]);
    assert_eq!(ok(&scaled), "deployment.apps/web scaled\n");
    assert!(ok(&run(&status)).ends_with("deployment \"web\" successfully rolled out\n"));
    env.wait_complete("web");
    assert_eq!(env.pod_images(), ["busybox"; 4]);

    assert_eq!(
        ok(&run(&["rollout", "pause", "deployment/web"])),
        "deployment.apps/web paused\n"
    );
    let refused = run(&["rollout", "undo", "deployment/web"]);
    assert_eq!(refused.code, Some(1));
    assert!(
        refused
            .stderr
            .contains("you cannot rollback a paused deployment"),
        "{refused:?}"
    );
    assert_eq!(
        ok(&run(&["rollout", "resume", "deployment/web"])),
        "deployment.apps/web resumed\n"
    );
    assert!(ok(&run(&status)).ends_with("deployment \"web\" successfully rolled out\n"));
}

#[test]
fn step3_kubectl_1_33_rollout_status_history_undo_scale_pause_resume() {
    rollout_life_cycle(33);
}

#[test]
fn step3_kubectl_1_27_rollout_status_history_undo_scale_pause_resume() {
    rollout_life_cycle(27);
}

#[test]
fn step3_kubectl_rollout_status_fails_after_the_progress_deadline() {
    let env = start_without_controllers();
    let (kubectl, _dir) = labkit::require!(env.cluster.kubectl(33));
    env.kubelet.pause();
    let clock = FakeClock::default();
    env.cluster
        .start_controllers_with_clock(&["deployment", "replicaset"], Arc::new(clock.clone()));
    let mut d = web("web", 2, "busybox:never-ready");
    if let Some(spec) = d.spec.as_mut() {
        spec.progress_deadline_seconds = Some(30);
    }
    env.create(&d);
    let waiting = kubectl.run(["rollout", "status", "deployment/web", "--watch=false"]);
    assert!(
        ok(&waiting).starts_with("Waiting for deployment "),
        "{waiting:?}"
    );
    env.cluster.wait_for("2 updated replicas", || {
        let api = env.deployments.clone();
        async move {
            let status = api.get("web").await.ok()?.status?;
            (status.updated_replicas == Some(2)).then_some(())
        }
    });
    pass_the_deadline(&env, &clock, "web", Duration::from_secs(30));
    let failed = kubectl.run(["rollout", "status", "deployment/web", "--timeout=10s"]);
    assert_eq!(failed.code, Some(1), "{failed:?}");
    assert!(
        failed
            .stderr
            .contains("error: deployment \"web\" exceeded its progress deadline"),
        "{failed:?}"
    );
}

fn manifest(image: &str, cause: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    kubernetes.io/change-cause: {cause}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: {image}
"
    )
}

#[test]
fn step3_kubectl_apply_rolls_out_and_history_shows_each_change_cause() {
    let env = start();
    let (kubectl, _kubeconfig) = labkit::require!(env.cluster.kubectl(33));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("web.yaml");
    let timeout = crate::support::kubectl_timeout(60);
    let status = ["rollout", "status", "deployment/web", &timeout];
    std::fs::write(&file, manifest("nginx:1.25", "first")).expect("write the manifest");
    let file = file.to_str().expect("a UTF-8 path").to_owned();
    assert_eq!(
        ok(&kubectl.run(["apply", "-f", &file])),
        "deployment.apps/web created\n"
    );
    assert!(ok(&kubectl.run(status)).ends_with("successfully rolled out\n"));
    std::fs::write(&file, manifest("nginx:1.26", "second")).expect("write the manifest");
    assert_eq!(
        ok(&kubectl.run(["apply", "-f", &file])),
        "deployment.apps/web configured\n"
    );
    assert!(ok(&kubectl.run(status)).ends_with("successfully rolled out\n"));
    env.wait_complete("web");
    assert_eq!(env.pod_images(), ["nginx:1.26", "nginx:1.26"]);

    let history = kubectl.run(["rollout", "history", "deployment/web"]);
    let rows: Vec<Vec<&str>> = ok(&history)
        .lines()
        .skip(2)
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        [vec!["1", "first"], vec!["2", "second"]],
        "{history:?}"
    );
    // kubectl's own bookkeeping stays on the Deployment.
    for rs in env.replica_sets().values() {
        let annotations = rs.metadata.annotations.clone().unwrap_or_default();
        assert!(
            !annotations.contains_key("kubectl.kubernetes.io/last-applied-configuration"),
            "{annotations:?}"
        );
    }
}

//! Step 4 with the real kubectl (1.33 and 1.27): `rollout status`, `rollout history` and
//! `rollout undo` of a DaemonSet, against lab-02 with the DaemonSet controller and the fake
//! kubelet. kubectl reads the DaemonSet's ControllerRevisions for the history, and undoes by
//! patching one revision's data onto the DaemonSet. Where that kubectl is not installed the
//! test says "not run".

use super::rolling::start;
use crate::support::ok;

const MANIFEST: &str = "apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: agent
        image: agent:1
";

/// The revision numbers `kubectl rollout history` lists.
fn history_numbers(output: &str) -> Vec<String> {
    output
        .lines()
        .skip(2)
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// The whole life cycle with one kubectl version.
fn rollout_life_cycle(minor: u32) {
    let env = start();
    let (kubectl, _kubeconfig) = labkit::require!(env.cluster.kubectl(minor));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("agent.yaml");
    std::fs::write(&file, MANIFEST).expect("write the manifest");
    let file = file.to_str().expect("a UTF-8 path").to_owned();
    let timeout = crate::support::kubectl_timeout(60);
    let status = ["rollout", "status", "ds/agent", &timeout];
    let rolled_out = "daemon set \"agent\" successfully rolled out\n";

    assert_eq!(
        ok(&kubectl.run(["apply", "-f", &file])),
        "daemonset.apps/agent created\n"
    );
    assert!(ok(&kubectl.run(status)).ends_with(rolled_out));

    // A paused kubelet: the new pod is not ready, and kubectl says how far the rollout is.
    env.kubelet.pause();
    let set = kubectl.run(["set", "image", "ds/agent", "agent=agent:2"]);
    assert_eq!(ok(&set), "daemonset.apps/agent image updated\n");
    let waiting = labkit::poll_until(
        std::time::Duration::from_secs(30),
        "kubectl to see one pod updated",
        || {
            let out = kubectl.run(["rollout", "status", "ds/agent", "--watch=false"]);
            out.stdout
                .contains("1 out of 3 new pods have been updated")
                .then_some(out)
        },
    );
    assert_eq!(
        ok(&waiting),
        "Waiting for daemon set \"agent\" rollout to finish: 1 out of 3 new pods have been updated...\n"
    );
    env.kubelet.resume();
    assert!(ok(&kubectl.run(status)).ends_with(rolled_out));

    let history = kubectl.run(["rollout", "history", "ds/agent"]);
    let text = ok(&history);
    assert!(
        text.starts_with("daemonset.apps/agent \nREVISION  CHANGE-CAUSE\n"),
        "{text:?}"
    );
    assert_eq!(history_numbers(text), ["1", "2"], "{text:?}");
    let revision = kubectl.run(["rollout", "history", "ds/agent", "--revision=2"]);
    assert!(ok(&revision).contains("agent:2"), "{revision:?}");

    assert_eq!(
        ok(&kubectl.run(["rollout", "undo", "ds/agent"])),
        "daemonset.apps/agent rolled back\n"
    );
    assert!(ok(&kubectl.run(status)).ends_with(rolled_out));
    // Revision 1 came back as revision 3: the same template is not recorded twice.
    let history = kubectl.run(["rollout", "history", "ds/agent"]);
    assert_eq!(history_numbers(ok(&history)), ["2", "3"], "{history:?}");
    let revisions = env.revisions();
    assert_eq!(revisions.len(), 2, "{revisions:?}");
    let images: Vec<String> = env
        .pods_by_node()
        .values()
        .flatten()
        .map(|(image, _, _)| image.clone())
        .collect();
    assert_eq!(images, ["agent:1", "agent:1", "agent:1"]);

    // OnDelete: nothing rolls out by itself, and kubectl says it will not wait for it.
    let on_delete = r#"{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":null}}}"#;
    assert_eq!(
        ok(&kubectl.run(["patch", "ds/agent", "-p", on_delete])),
        "daemonset.apps/agent patched\n"
    );
    let refused = kubectl.run(["rollout", "status", "ds/agent", "--watch=false"]);
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("rollout status is only available for RollingUpdate strategy type"),
        "{refused:?}"
    );
}

#[test]
fn step4_daemonset_kubectl_1_33_rollout_status_history_and_undo() {
    rollout_life_cycle(33);
}

#[test]
fn step4_daemonset_kubectl_1_27_rollout_status_history_and_undo() {
    rollout_life_cycle(27);
}

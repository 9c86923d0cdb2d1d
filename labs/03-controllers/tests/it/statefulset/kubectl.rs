//! Step 4 with the real kubectl (1.33 and 1.27) on a StatefulSet: `apply`, `rollout status`
//! (kubectl's StatefulSet status viewer), `set image`, `rollout history` (the
//! ControllerRevisions), `rollout undo` (a strategic merge patch of a revision's data) and
//! `scale`, against lab-02 with the StatefulSet controller and the fake kubelet. Where that
//! kubectl is not installed the test says "not run".

use crate::support::ok;

use super::live::{Env, image, on_node, start, start_hollow, web};

fn images(env: &Env) -> Vec<String> {
    env.pods().values().map(|p| image(p).to_owned()).collect()
}

/// The revision numbers `kubectl rollout history` lists.
fn revisions(history: &str) -> Vec<&str> {
    history
        .lines()
        .skip(2)
        .filter_map(|line| line.split_whitespace().next())
        .collect()
}

/// The life cycle with one kubectl version, the pods run by the fake kubelet or, with
/// `hollow`, by hollow nodes.
fn life_cycle(minor: u32, hollow: bool) {
    let (env, nodes, manifest) = if hollow {
        let (env, nodes) = start_hollow();
        (
            env,
            Some(nodes),
            on_node(web(3, "nginx:1.25"), "hollow-node-1"),
        )
    } else {
        (start(true), None, web(3, "nginx:1.25"))
    };
    let (kubectl, _kubeconfig) = labkit::require!(env.cluster.kubectl(minor));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("web.json");
    std::fs::write(&file, manifest.to_string()).expect("write the manifest");
    let file = file.to_str().expect("a UTF-8 path").to_owned();
    let timeout = crate::support::kubectl_timeout(60);
    let status = ["rollout", "status", "statefulset/web", &timeout];
    let complete =
        |n: usize| format!("partitioned roll out complete: {n} new pods have been updated...\n");

    assert_eq!(
        ok(&kubectl.run(["apply", "-f", &file])),
        "statefulset.apps/web created\n"
    );
    let out = kubectl.run(status);
    assert!(ok(&out).ends_with(&complete(3)), "{out:?}");
    assert_eq!(images(&env), ["nginx:1.25"; 3]);

    let set = kubectl.run(["set", "image", "statefulset/web", "nginx=nginx:1.26"]);
    assert_eq!(ok(&set), "statefulset.apps/web image updated\n");
    let out = kubectl.run(status);
    assert!(ok(&out).ends_with(&complete(3)), "{out:?}");
    env.wait_rolled_out();
    assert_eq!(images(&env), ["nginx:1.26"; 3]);

    let history = kubectl.run(["rollout", "history", "statefulset/web"]);
    let text = ok(&history);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "statefulset.apps/web ", "{history:?}");
    assert!(
        lines[1].starts_with("REVISION") && lines[1].contains("CHANGE-CAUSE"),
        "{history:?}"
    );
    assert_eq!(revisions(text), ["1", "2"], "{history:?}");
    let revision = kubectl.run(["rollout", "history", "statefulset/web", "--revision=2"]);
    assert!(ok(&revision).contains("nginx:1.26"), "{revision:?}");

    let undo = kubectl.run(["rollout", "undo", "statefulset/web"]);
    assert_eq!(ok(&undo), "statefulset.apps/web rolled back\n");
    let out = kubectl.run(status);
    assert!(ok(&out).ends_with(&complete(3)), "{out:?}");
    env.wait_rolled_out();
    assert_eq!(images(&env), ["nginx:1.25"; 3]);
    // Revision 1 came back as revision 3.
    let history = kubectl.run(["rollout", "history", "statefulset/web"]);
    assert_eq!(revisions(ok(&history)), ["2", "3"], "{history:?}");

    let scaled = kubectl.run(["scale", "statefulset/web", "--replicas=1"]);
    assert_eq!(ok(&scaled), "statefulset.apps/web scaled\n");
    // The first status after the scale may still count the pods about to go.
    let out = kubectl.run(status);
    assert!(
        ok(&out).contains("partitioned roll out complete: "),
        "{out:?}"
    );
    env.wait_pods(&["web-0"]);
    assert_eq!(
        env.claim_names(),
        ["data-web-0", "data-web-1", "data-web-2"]
    );
    if let Some(nodes) = nodes {
        env.cluster.block_on(nodes.stop());
    }
}

#[test]
fn step4_statefulset_kubectl_1_33_rollout_status_history_undo_scale_on_hollow_nodes() {
    life_cycle(33, true);
}

#[test]
fn step4_statefulset_kubectl_1_27_rollout_status_history_undo_scale() {
    life_cycle(27, false);
}

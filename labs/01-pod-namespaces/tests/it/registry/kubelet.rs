//! Step 7 tests of a Pod's images as the kubelet gets them: `imagePullPolicy` per container,
//! `ErrImagePull` then `ImagePullBackOff` in the status while pulls fail.

use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1 as corev1;
use lab_01::image::policy::PullBackOff;
use lab_01::image::{PullOptions, PullPolicy, Store};
use lab_01::pod::{ensure_images, image_pulls, parse_manifest, pending_status};

/// An image on a registry port nobody listens on: every pull fails at once, offline.
fn unreachable_image() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}/team/app:1.0")
}

fn pod(image: &str) -> corev1::Pod {
    let yaml = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n  \
         - {{name: app, image: \"{image}\"}}\n  - {{name: local, image: busybox, imagePullPolicy: Never}}\n"
    );
    parse_manifest(&yaml).unwrap().pod
}

/// (container, reason) of every waiting container in `status`.
fn reasons(status: &corev1::PodStatus) -> Vec<(String, String)> {
    status
        .container_statuses
        .iter()
        .flatten()
        .map(|c| {
            let waiting = c.state.clone().unwrap().waiting.unwrap();
            (c.name.clone(), waiting.reason.unwrap())
        })
        .collect()
}

#[test]
fn step7_pod_images_get_their_pull_policies() {
    let pulls = image_pulls(&pod("registry.local/app:1.0")).unwrap();
    let policies: Vec<_> = pulls
        .iter()
        .map(|p| (p.container.as_str(), p.policy))
        .collect();
    assert_eq!(
        policies,
        [
            ("app", PullPolicy::IfNotPresent),
            ("local", PullPolicy::Never)
        ]
    );
    let bad = parse_manifest(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: busybox, imagePullPolicy: Sometimes}]}",
    )
    .unwrap();
    let error = image_pulls(&bad.pod).unwrap_err().to_string();
    assert!(
        error.starts_with("container a: imagePullPolicy:"),
        "{error}"
    );
}

#[test]
fn step7_failed_pulls_are_err_image_pull_then_image_pull_back_off() {
    let temp = tempfile::tempdir().unwrap();
    let store = Store::open_or_create(temp.path()).unwrap();
    let image = unreachable_image();
    let pulls = image_pulls(&pod(&image)).unwrap();
    let mut backoff = PullBackOff::default();
    let start = Instant::now();
    let mut round = |at: Duration| {
        let waits = ensure_images(
            &store,
            &pulls,
            &PullOptions::default(),
            &mut backoff,
            start + at,
            &mut |_| {},
        );
        pending_status(&pulls, &waits)
    };
    let expect = |app: &str| {
        vec![
            ("app".to_owned(), app.to_owned()),
            ("local".to_owned(), "ErrImageNeverPull".to_owned()),
        ]
    };
    let first = round(Duration::ZERO);
    assert_eq!(first.phase.as_deref(), Some("Pending"));
    assert_eq!(reasons(&first), expect("ErrImagePull"));
    // Within 10 s of the failure: no new attempt, the kubelet's back-off message.
    let waiting = round(Duration::from_secs(5));
    assert_eq!(reasons(&waiting), expect("ImagePullBackOff"));
    let app = &waiting.container_statuses.as_ref().unwrap()[0];
    let message = app.state.clone().unwrap().waiting.unwrap().message.unwrap();
    assert_eq!(message, format!("Back-off pulling image \"{image}\""));
    // After 10 s it tries again and fails again; the next wait is 20 s.
    assert_eq!(
        reasons(&round(Duration::from_secs(10))),
        expect("ErrImagePull")
    );
    assert_eq!(
        reasons(&round(Duration::from_secs(29))),
        expect("ImagePullBackOff")
    );
    assert_eq!(
        reasons(&round(Duration::from_secs(30))),
        expect("ErrImagePull")
    );
}

#[test]
fn step7_lab01_run_reports_a_failed_pull_in_the_pod_status() {
    let home = tempfile::tempdir().unwrap();
    let image = unreachable_image();
    let file = home.path().join("pod.yaml");
    std::fs::write(
        &file,
        format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec: {{containers: [{{name: app, image: \"{image}\"}}]}}\n"),
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_lab-01"))
        .args(["run", file.to_str().unwrap(), "--json", "--timeout", "1s"])
        .env("KUBELAB_HOME", home.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("container app: ErrImagePull: failed to reach the registry"),
        "{stderr}"
    );
    let status: corev1::PodStatus = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(status.phase.as_deref(), Some("Pending"));
    let app = &status.container_statuses.unwrap()[0];
    let waiting = app.state.clone().unwrap().waiting.unwrap();
    assert_eq!(waiting.reason.as_deref(), Some("ImagePullBackOff"));
    assert_eq!(
        waiting.message,
        Some(format!("Back-off pulling image \"{image}\""))
    );
}

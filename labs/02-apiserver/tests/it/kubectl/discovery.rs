//! Discovery as kubectl sees it: `api-resources` and the server's version.

use super::{assert_snapshots, per_version};

#[test]
fn step5_kubectl_api_resources_lists_the_registry() {
    let Some(transcripts) = per_version(|_, kubectl| kubectl.transcript(&["api-resources"])) else {
        return;
    };
    assert_snapshots("api_resources", &transcripts);
}

#[test]
fn step5_kubectl_api_resources_wide_shows_verbs_and_categories() {
    let Some(transcripts) = per_version(|_, kubectl| {
        kubectl.transcript(&["api-resources", "-o", "wide", "--api-group=apps"])
    }) else {
        return;
    };
    assert_snapshots("api_resources_wide", &transcripts);
}

#[test]
fn step5_kubectl_version_reports_the_server_as_1_33() {
    let Some(transcripts) = per_version(|_, kubectl| {
        let output = kubectl.run(&["version", "-o", "json"]);
        assert!(
            output.success,
            "kubectl 1.{}: {}",
            kubectl.minor, output.stderr
        );
        let version: serde_json::Value =
            serde_json::from_str(&output.stdout).expect("kubectl version -o json prints JSON");
        format!(
            "{} {} {}",
            version["serverVersion"]["major"],
            version["serverVersion"]["minor"],
            version["serverVersion"]["gitVersion"]
        )
    }) else {
        return;
    };
    for (minor, text) in transcripts {
        assert_eq!(text, "\"1\" \"33\" \"v1.33.0-lab\"", "kubectl 1.{minor}");
    }
}

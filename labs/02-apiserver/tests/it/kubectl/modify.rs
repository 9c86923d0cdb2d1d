//! Changing objects: describe, label, annotate, patch (three formats), scale, edit, explain.

use std::os::unix::fs::PermissionsExt;

use super::apply::seed;
use super::{assert_snapshots, assert_snapshots_by, per_version, transcript};

/// The deployment's fields these tests change, one line.
const FIELDS: &str = "jsonpath={.metadata.labels} {.metadata.annotations.note} {.spec.replicas} {.metadata.generation} {.spec.template.spec.containers[0].image}{\"\\n\"}";

#[test]
fn step5_kubectl_describe_reads_the_object_and_its_events() {
    let Some(transcripts) = per_version(|cluster, kubectl| {
        seed(cluster, kubectl);
        kubectl.transcript(&["describe", "deploy", "web", "-n", "lab"])
            + &kubectl.transcript(&["describe", "rs", "cache", "-n", "lab"])
    }) else {
        return;
    };
    // kubectl 1.30 added the Node-Selectors and Tolerations lines.
    assert_snapshots_by("describe", &transcripts, &[30]);
}

#[test]
fn step5_kubectl_label_and_annotate_send_merge_patches() {
    let Some(transcripts) = per_version(|cluster, kubectl| {
        seed(cluster, kubectl);
        [
            &["label", "deploy", "web", "-n", "lab", "tier=frontend"][..],
            &["label", "deploy", "web", "-n", "lab", "tier=backend"],
            &[
                "label",
                "deploy",
                "web",
                "-n",
                "lab",
                "tier=backend",
                "--overwrite",
            ],
            &["annotate", "deploy", "web", "-n", "lab", "note=hello"],
            &["label", "deploy", "web", "-n", "lab", "tier-"],
            &["get", "deploy", "web", "-n", "lab", "-o", FIELDS],
        ]
        .iter()
        .map(|args| kubectl.transcript(args))
        .collect::<String>()
    }) else {
        return;
    };
    // kubectl 1.27 says "annotate", later versions "annotated".
    assert_snapshots_by("label_annotate", &transcripts, &[28]);
}

#[test]
fn step5_kubectl_patch_in_the_three_formats() {
    let Some(transcripts) = per_version(|cluster, kubectl| {
        seed(cluster, kubectl);
        [
            // Strategic (the default): the container is merged by name, ports survive.
            &["patch", "deploy", "web", "-n", "lab", "-p",
              r#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}}"#][..],
            &["patch", "deploy", "web", "-n", "lab", "--type=merge", "-p", r#"{"spec":{"replicas":3}}"#],
            &["patch", "deploy", "web", "-n", "lab", "--type=json", "-p",
              r#"[{"op":"replace","path":"/spec/replicas","value":4}]"#],
            // A failing JSON patch test operation: nothing changes.
            &["patch", "deploy", "web", "-n", "lab", "--type=json", "-p",
              r#"[{"op":"test","path":"/spec/replicas","value":9}]"#],
            // Unknown fields are refused (kubectl sends fieldValidation=Strict only for
            // apply/edit/create -f, so a patch with one is an error from the round trip).
            &["patch", "deploy", "web", "-n", "lab", "--type=merge", "-p", r#"{"spec":{"replicas":"many"}}"#],
            &["get", "deploy", "web", "-n", "lab", "-o",
              "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort}{\"\\n\"}"],
        ]
        .iter()
        .map(|args| kubectl.transcript(args))
        .collect::<String>()
    }) else {
        return;
    };
    assert_snapshots("patch", &transcripts);
}

#[test]
fn step5_kubectl_scale_goes_through_the_scale_subresource() {
    let Some(transcripts) = per_version(|cluster, kubectl| {
        seed(cluster, kubectl);
        [
            &["scale", "deploy", "web", "-n", "lab", "--replicas=5"][..],
            &["scale", "rs", "cache", "-n", "lab", "--replicas=0"],
            &[
                "scale",
                "deploy",
                "web",
                "-n",
                "lab",
                "--replicas=3",
                "--current-replicas=4",
            ],
            &["get", "deploy,rs", "-n", "lab"],
            &["get", "deploy", "web", "-n", "lab", "-o", FIELDS],
        ]
        .iter()
        .map(|args| kubectl.transcript(args))
        .collect::<String>()
    }) else {
        return;
    };
    assert_snapshots("scale", &transcripts);
}

#[test]
fn step5_kubectl_edit_sends_the_edited_fields() {
    let Some(transcripts) = per_version(|cluster, kubectl| {
        seed(cluster, kubectl);
        // The "editor" rewrites the file kubectl gives it: two replicas become seven.
        let editor = cluster.file(
            "editor.sh",
            "#!/bin/sh\nsed -i 's/^  replicas: 2$/  replicas: 7/' \"$1\"\n",
        );
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755))
            .expect("an executable editor");
        let args = ["edit", "deploy", "web", "-n", "lab"];
        let edited = kubectl.run_with_env(&args, &[("EDITOR", &editor)]);
        transcript(&args, &edited)
            + &kubectl.transcript(&["get", "deploy", "web", "-n", "lab", "-o", FIELDS])
    }) else {
        return;
    };
    assert_snapshots("edit", &transcripts);
}

#[test]
fn step5_kubectl_explain_reads_the_openapi_documents() {
    let Some(transcripts) =
        per_version(|_, kubectl| kubectl.transcript(&["explain", "deployment.spec.strategy"]))
    else {
        return;
    };
    // kubectl 1.30 added an empty line after the description.
    assert_snapshots_by("explain", &transcripts, &[30]);
}

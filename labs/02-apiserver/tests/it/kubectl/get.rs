//! `kubectl get`: server-side Tables (columns, wide columns, the row objects kubectl reads for
//! `-A`, `--show-labels` and `--sort-by`), selectors, chunking, and the objects themselves.

use super::apply::seed;
use super::{assert_snapshots, per_version};

/// Runs each `kubectl get` of `commands` on the seeded cluster; one snapshot for them all.
fn gets(snapshot: &str, commands: &[&[&str]]) {
    let Some(transcripts) = per_version(|cluster, kubectl| {
        seed(cluster, kubectl);
        commands
            .iter()
            .map(|args| kubectl.transcript(args))
            .collect::<Vec<_>>()
            .join("\n")
    }) else {
        return;
    };
    assert_snapshots(snapshot, &transcripts);
}

#[test]
fn step5_kubectl_get_prints_the_server_side_table() {
    gets(
        "get_table",
        &[
            &["get", "deployments", "-n", "lab"],
            &["get", "deploy,rs", "-n", "lab"],
            &["get", "deploy", "web", "-n", "lab"],
            &["get", "namespaces"],
        ],
    );
}

#[test]
fn step5_kubectl_get_wide_shows_the_priority_one_columns() {
    gets(
        "get_wide",
        &[&["get", "deploy,rs", "-n", "lab", "-o", "wide"]],
    );
}

#[test]
fn step5_kubectl_get_all_namespaces_reads_the_row_objects() {
    gets(
        "get_all_namespaces",
        &[
            &["get", "deploy,rs", "-A"],
            &["get", "rs", "-n", "lab", "--show-labels"],
            &["get", "rs", "-n", "lab", "-L", "tier"],
        ],
    );
}

#[test]
fn step5_kubectl_get_sorts_by_a_field_of_the_full_objects() {
    gets(
        "get_sort_by",
        &[
            &["get", "ns", "--sort-by=.metadata.name"],
            &["get", "ns", "--sort-by=.metadata.name", "-o", "name"],
        ],
    );
}

#[test]
fn step5_kubectl_get_filters_with_label_and_field_selectors() {
    gets(
        "get_selectors",
        &[
            &["get", "deploy,rs", "-n", "lab", "-l", "app=web"],
            &["get", "rs", "-n", "lab", "-l", "tier in (backend,frontend)"],
            &["get", "deploy", "-n", "lab", "-l", "app=nothing"],
            &["get", "ns", "--field-selector", "metadata.name=lab"],
            &[
                "get",
                "deploy",
                "-A",
                "--field-selector",
                "metadata.namespace!=lab",
            ],
        ],
    );
}

#[test]
fn step5_kubectl_get_in_chunks_follows_continue() {
    gets("get_chunks", &[&["get", "namespaces", "--chunk-size=2"]]);
}

#[test]
fn step5_kubectl_get_prints_objects_as_yaml_json_and_names() {
    gets(
        "get_objects",
        &[
            &["get", "deploy", "web", "-n", "lab", "-o", "yaml"],
            &["get", "rs", "cache", "-n", "lab", "-o", "json"],
            &["get", "deploy,rs", "-n", "lab", "-o", "name"],
        ],
    );
}

#[test]
fn step5_kubectl_get_a_missing_object_is_not_found() {
    gets(
        "get_missing",
        &[&["get", "deploy", "nope", "-n", "lab"], &["get", "widgets"]],
    );
}

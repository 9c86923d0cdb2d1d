//! The simulator over the example scenarios in `examples/`: reviewed snapshots of the
//! `--explain` output (they need the filters and the scores, so they grade step 3), and its
//! one-line errors for bad scenario files.

use std::path::Path;

use lab_04::simulate::{Options, render_json, render_text, simulate};

fn explain(example: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(example);
    let text = std::fs::read_to_string(&path).expect("example scenario");
    let simulation = simulate(
        &text,
        &Options {
            seed: 0,
            ..Options::default()
        },
    )
    .expect("a valid scenario");
    render_text(&simulation, true)
}

macro_rules! explain_snapshot {
    ($test:ident, $file:literal) => {
        #[test]
        fn $test() {
            insta::assert_snapshot!(stringify!($test), explain($file));
        }
    };
}

explain_snapshot!(
    step3_explain_app_and_log_collector,
    "app-and-log-collector.yaml"
);
explain_snapshot!(
    step3_explain_filter_node_unschedulable,
    "filters/node-unschedulable.yaml"
);
explain_snapshot!(
    step3_explain_filter_node_resources_fit,
    "filters/node-resources-fit.yaml"
);
explain_snapshot!(
    step3_explain_app_and_log_collector_as_two_pods,
    "app-and-log-collector-as-two-pods.yaml"
);
explain_snapshot!(step3_explain_filter_node_ports, "filters/node-ports.yaml");
explain_snapshot!(
    step3_explain_filter_node_affinity,
    "filters/node-affinity.yaml"
);
explain_snapshot!(
    step3_explain_filter_taint_toleration,
    "filters/taint-toleration.yaml"
);
explain_snapshot!(
    step3_explain_filter_inter_pod_affinity,
    "filters/inter-pod-affinity.yaml"
);
explain_snapshot!(
    step3_explain_filter_topology_spread,
    "filters/topology-spread.yaml"
);
explain_snapshot!(
    step3_explain_score_node_resources,
    "scores/node-resources.yaml"
);
explain_snapshot!(
    step3_explain_score_image_locality,
    "scores/image-locality.yaml"
);
explain_snapshot!(
    step3_explain_score_node_affinity,
    "scores/node-affinity-preferred.yaml"
);
explain_snapshot!(
    step3_explain_score_taint_toleration,
    "scores/taint-prefer-no-schedule.yaml"
);
explain_snapshot!(
    step3_explain_score_inter_pod_affinity,
    "scores/inter-pod-affinity-preferred.yaml"
);
explain_snapshot!(
    step3_explain_score_topology_spread,
    "scores/topology-spread-schedule-anyway.yaml"
);

#[test]
fn step3_simulate_places_the_seed_example_on_node_b() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/app-and-log-collector.yaml");
    let text = std::fs::read_to_string(path).expect("example");
    let simulation = simulate(&text, &Options::default()).expect("valid");
    let first = render_text(&simulation, false);
    assert_eq!(
        first.lines().next(),
        Some("default/app-with-log-collector -> node-b")
    );
    let json = render_json(&simulation, false);
    assert_eq!(json[0]["node"], "node-b");
}

#[test]
fn step3_simulate_is_reproducible_for_a_seed() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/filters/topology-spread.yaml");
    let text = std::fs::read_to_string(path).expect("example");
    let run = |seed| {
        render_text(
            &simulate(
                &text,
                &Options {
                    seed,
                    ..Options::default()
                },
            )
            .expect("valid"),
            true,
        )
    };
    assert_eq!(run(5), run(5));
}

fn error_of(yaml: &str) -> String {
    simulate(yaml, &Options::default())
        .expect_err("a bad scenario")
        .to_string()
}

#[test]
fn simulate_errors_name_the_document_and_field() {
    let node = "apiVersion: v1\nkind: Node\nmetadata: {name: n}\nstatus: {allocatable: {cpu: \"1\", memory: 1Gi, pods: \"10\"}}\n";
    assert_eq!(
        error_of(&format!(
            "{node}---\napiVersion: v1\nkind: Service\nmetadata: {{name: s}}\n"
        )),
        "document 2: kind: expected Node, Pod or PriorityClass, found \"Service\""
    );
    assert_eq!(
        error_of(&format!(
            "{node}---\napiVersion: apps/v1\nkind: Pod\nmetadata: {{name: s}}\n"
        )),
        "document 2: apiVersion: expected v1, found \"apps/v1\""
    );
    assert_eq!(
        error_of(&format!(
            "{node}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers: [{{name: c, resources: {{requests: {{cpu: lots}}}}}}]\n"
        )),
        "document 2: spec.containers[0].resources.requests.cpu: \"lots\" is not a quantity \
         (expected a number with an optional suffix: 500m, 1.5, 2Gi, 1e3)"
    );
    assert!(
        error_of(&node.replace("cpu: \"1\"", "cpu: 1x"))
            .starts_with("document 1: status.allocatable.cpu:"),
    );
    assert!(
        error_of("apiVersion: v1\nkind: Pod\nmetadata: {}\n")
            .starts_with("document 1: metadata.name")
    );
    assert!(error_of(&format!("{node}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec: {{nodeName: m, containers: []}}\n"))
        .starts_with("document 2: spec.nodeName:"));
    assert!(
        error_of("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: 3}\n")
            .starts_with("document 1: Pod: ")
    );
}

#[test]
fn step5_explain_preemption_minimal_victims() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/preemption/minimal-victims.yaml");
    let text = std::fs::read_to_string(&path).expect("example scenario");
    let options = Options {
        seed: 0,
        preemption: true,
    };
    let simulation = simulate(&text, &options).expect("a valid scenario");
    insta::assert_snapshot!(
        "step5_explain_preemption_minimal_victims",
        render_text(&simulation, true)
    );
    insta::assert_snapshot!(
        "step5_json_preemption_minimal_victims",
        serde_json::to_string_pretty(&render_json(&simulation, false)).expect("JSON")
    );
}

//! Step 3: the score plugins, normalisation, weights, how many nodes are looked at, and the
//! seeded tie-break.

use lab_04::framework::{
    NodeScores, Profile, Rng, SchedulingState, ScorePlugin, num_feasible_nodes_to_find,
    schedule_one, select_host,
};
use lab_04::plugins::{
    image_locality, node_resources, normalize::default_normalize_score, taint_toleration,
};
use lab_04::snapshot::Snapshot;

use crate::support::{plain_node, pod_info, scenario};

fn snapshot_of(nodes: &[(&str, &str, &str)]) -> Snapshot {
    let mut snapshot = Snapshot::new();
    for (name, cpu, memory) in nodes {
        snapshot
            .add_node(plain_node(name, cpu, memory, ""))
            .expect("node");
    }
    snapshot
}

const REQUESTING: &str = "metadata: {name: p}\nspec:\n  containers: [{name: c, image: x, resources: {requests: {cpu: \"1\", memory: 2Gi}}}]";

#[test]
fn step3_least_allocated_scores_the_free_share_after_placing_the_pod() {
    let snapshot = snapshot_of(&[("n", "4", "8Gi")]);
    let node = snapshot.node("n").expect("n");
    // cpu (4000 - 1000) * 100 / 4000 = 75; memory (8 - 2) * 100 / 8 = 75.
    assert_eq!(
        node_resources::least_allocated(&pod_info(REQUESTING), node),
        75
    );
    // A pod with no requests counts as 100m and 200Mi: cpu 97, memory 97 (rounded down).
    let empty = pod_info("metadata: {name: e}\nspec: {containers: [{name: c, image: x}]}");
    assert_eq!(node_resources::least_allocated(&empty, node), 97);
}

#[test]
fn step3_least_allocated_is_zero_when_a_resource_is_overcommitted() {
    let snapshot = snapshot_of(&[("n", "500m", "8Gi")]);
    // cpu: 1000 > 500 -> 0; memory 75: (0 + 75) / 2 = 37.
    assert_eq!(
        node_resources::least_allocated(&pod_info(REQUESTING), snapshot.node("n").expect("n")),
        37
    );
}

#[test]
fn step3_balanced_allocation_prefers_cpu_and_memory_in_proportion() {
    let snapshot = snapshot_of(&[("even", "4", "8Gi"), ("odd", "2", "8Gi")]);
    let pod = pod_info(REQUESTING);
    // even: 1/4 and 2/8, no difference: 100. odd: 1/2 and 2/8: std 0.125 -> 87.
    assert_eq!(
        node_resources::balanced_allocation(&pod, snapshot.node("even").expect("even")),
        100
    );
    assert_eq!(
        node_resources::balanced_allocation(&pod, snapshot.node("odd").expect("odd")),
        87
    );
}

#[test]
fn step3_default_normalize_score_scales_to_the_best_node() {
    let mut scores = [0, 30, 60];
    default_normalize_score(&mut scores, false);
    assert_eq!(scores, [0, 50, 100]);
    let mut reversed = [0, 1, 2];
    default_normalize_score(&mut reversed, true);
    assert_eq!(reversed, [100, 50, 0]);
    let mut zeros = [0, 0];
    default_normalize_score(&mut zeros, true);
    assert_eq!(zeros, [100, 100]);
    let mut zeros = [0, 0];
    default_normalize_score(&mut zeros, false);
    assert_eq!(zeros, [0, 0]);
}

/// The per-plugin scores of one pending pod, by node and plugin.
fn scores_of(yaml: &str) -> Vec<NodeScores> {
    let (snapshot, pending) = scenario(yaml);
    let mut state = SchedulingState::new(0);
    schedule_one(&snapshot, &pending[0], &Profile::default(), &mut state)
        .expect("schedulable")
        .scores
}

fn plugin(scores: &[NodeScores], node: &str, plugin: ScorePlugin) -> Option<i64> {
    let node = scores.iter().find(|s| s.node == node)?;
    node.plugins
        .iter()
        .find(|p| p.plugin == plugin)
        .map(|p| p.score)
}

const THREE_NODES: &str = r#"
apiVersion: v1
kind: Node
metadata: {name: a-1, labels: {kubernetes.io/hostname: a-1, topology.kubernetes.io/zone: a, disk: ssd}}
spec: {taints: [{key: spot, effect: PreferNoSchedule}, {key: old, effect: PreferNoSchedule}]}
status: {allocatable: {cpu: "4", memory: 8Gi, pods: "110"}}
---
apiVersion: v1
kind: Node
metadata: {name: a-2, labels: {kubernetes.io/hostname: a-2, topology.kubernetes.io/zone: a}}
spec: {taints: [{key: spot, effect: PreferNoSchedule}]}
status: {allocatable: {cpu: "4", memory: 8Gi, pods: "110"}}
---
apiVersion: v1
kind: Node
metadata: {name: b-1, labels: {kubernetes.io/hostname: b-1, topology.kubernetes.io/zone: b}}
status: {allocatable: {cpu: "4", memory: 8Gi, pods: "110"}}
"#;

fn pending(spec: &str) -> String {
    format!(
        "{THREE_NODES}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p, labels: {{app: web}}}}\nspec:\n{spec}\n  containers: [{{name: c, image: x}}]\n"
    )
}

#[test]
fn step3_taint_toleration_scores_fewer_prefer_no_schedule_taints_higher() {
    let scores = scores_of(&pending("  schedulerName: default-scheduler"));
    assert_eq!(
        plugin(&scores, "a-1", ScorePlugin::TaintToleration),
        Some(0)
    );
    assert_eq!(
        plugin(&scores, "a-2", ScorePlugin::TaintToleration),
        Some(50)
    );
    assert_eq!(
        plugin(&scores, "b-1", ScorePlugin::TaintToleration),
        Some(100)
    );
    let (snapshot, pods) = scenario(&pending("  tolerations: [{key: spot, operator: Exists}]"));
    let raw: Vec<i64> = snapshot
        .nodes()
        .iter()
        .map(|n| taint_toleration::score(&pods[0], n))
        .collect();
    assert_eq!(raw, [1, 0, 0]);
}

#[test]
fn step3_node_affinity_scores_preferred_terms_by_weight() {
    let spec = "  affinity:\n    nodeAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - {weight: 30, preference: {matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [a]}]}}\n      - {weight: 60, preference: {matchExpressions: [{key: disk, operator: Exists}]}}";
    let scores = scores_of(&pending(spec));
    assert_eq!(plugin(&scores, "a-1", ScorePlugin::NodeAffinity), Some(100));
    assert_eq!(plugin(&scores, "a-2", ScorePlugin::NodeAffinity), Some(33));
    assert_eq!(plugin(&scores, "b-1", ScorePlugin::NodeAffinity), Some(0));
    // Without preferred terms the plugin is skipped.
    let plain = scores_of(&pending("  schedulerName: default-scheduler"));
    assert_eq!(plugin(&plain, "a-1", ScorePlugin::NodeAffinity), None);
}

#[test]
fn step3_image_locality_prefers_nodes_with_big_images_few_nodes_have() {
    let yaml = r#"
apiVersion: v1
kind: Node
metadata: {name: has}
status:
  allocatable: {cpu: "1", memory: 1Gi, pods: "10"}
  images: [{names: ["example.com/big:1"], sizeBytes: 524288000}]
---
apiVersion: v1
kind: Node
metadata: {name: hasnt}
status: {allocatable: {cpu: "1", memory: 1Gi, pods: "10"}}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {containers: [{name: c, image: "example.com/big:1"}]}
"#;
    let (snapshot, pods) = scenario(yaml);
    let score =
        |n: &str| image_locality::score(&snapshot, &pods[0], snapshot.node(n).expect("node"));
    // 500 MiB on 1 node of 2 -> 250 MiB; (250 - 23) * 100 / (1000 - 23) = 23.
    assert_eq!(score("has"), 23);
    assert_eq!(score("hasnt"), 0);
}

#[test]
fn step3_inter_pod_affinity_scores_preferred_terms_min_to_max() {
    let backend = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: backend, labels: {app: backend}}\nspec: {nodeName: a-1, containers: [{name: c, image: x}]}\n";
    let spec = "  affinity:\n    podAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 100\n        podAffinityTerm: {labelSelector: {matchLabels: {app: backend}}, topologyKey: topology.kubernetes.io/zone}\n    podAntiAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 50\n        podAffinityTerm: {labelSelector: {matchLabels: {app: backend}}, topologyKey: kubernetes.io/hostname}";
    let scores = scores_of(&format!("{}{backend}", pending(spec)));
    // Raw: a-1 100 - 50 = 50, a-2 100, b-1 0 -> 50, 100, 0.
    assert_eq!(
        plugin(&scores, "a-1", ScorePlugin::InterPodAffinity),
        Some(50)
    );
    assert_eq!(
        plugin(&scores, "a-2", ScorePlugin::InterPodAffinity),
        Some(100)
    );
    assert_eq!(
        plugin(&scores, "b-1", ScorePlugin::InterPodAffinity),
        Some(0)
    );
}

#[test]
fn step3_topology_spread_schedule_anyway_prefers_the_emptier_domain() {
    let web = |name: &str, node: &str| {
        format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, labels: {{app: web}}}}\nspec: {{nodeName: {node}, containers: [{{name: c, image: x}}]}}\n"
        )
    };
    let spec = "  topologySpreadConstraints:\n  - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: web}}}";
    let yaml = format!("{}{}{}", pending(spec), web("w0", "a-1"), web("w1", "a-2"));
    let scores = scores_of(&yaml);
    // Two zones: weight ln(4); raw a = round(2 * 1.386) = 3, b = 0; 100 * (3 + 0 - s) / 3.
    assert_eq!(
        plugin(&scores, "a-1", ScorePlugin::PodTopologySpread),
        Some(0)
    );
    assert_eq!(
        plugin(&scores, "b-1", ScorePlugin::PodTopologySpread),
        Some(100)
    );
}

#[test]
fn step3_topology_spread_applies_system_defaults_to_replicaset_pods() {
    let owned = "metadata: {name: x, labels: {app: api}, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api, uid: u, controller: true}]}";
    let api = |name: &str, node: &str| {
        format!(
            "---\napiVersion: v1\nkind: Pod\n{}\nspec: {{nodeName: {node}, containers: [{{name: c, image: x}}]}}\n",
            owned.replace("name: x", &format!("name: {name}"))
        )
    };
    let yaml = format!(
        "{THREE_NODES}{}{}---\napiVersion: v1\nkind: Pod\n{owned}\nspec: {{containers: [{{name: c, image: x}}]}}\n",
        api("r0", "a-1"),
        api("r1", "a-1")
    );
    let scores = scores_of(&yaml);
    let a1 = plugin(&scores, "a-1", ScorePlugin::PodTopologySpread).expect("scored");
    let b1 = plugin(&scores, "b-1", ScorePlugin::PodTopologySpread).expect("scored");
    assert!(a1 < b1, "a-1 runs two replicas already: {a1} vs {b1}");
    // A pod with no owner gets no default constraints: the plugin is skipped.
    let plain = scores_of(&pending("  schedulerName: default-scheduler"));
    assert_eq!(plugin(&plain, "a-1", ScorePlugin::PodTopologySpread), None);
}

#[test]
fn step3_scores_are_weighted_and_summed() {
    let scores = scores_of(&pending("  schedulerName: default-scheduler"));
    for node in &scores {
        let sum: i64 = node.plugins.iter().map(|p| p.score * p.weight).sum();
        assert_eq!(node.total, sum);
    }
    let weights: Vec<(ScorePlugin, i64)> = Profile::default().scores;
    assert_eq!(weights[0], (ScorePlugin::TaintToleration, 3));
    // b-1 has no soft taints: it wins on TaintToleration's weight of 3.
    let best = scores.iter().max_by_key(|s| s.total).expect("scores");
    assert_eq!(best.node, "b-1");
}

#[test]
fn step3_num_feasible_nodes_to_find_follows_the_adaptive_formula() {
    assert_eq!(num_feasible_nodes_to_find(0, 3), 3);
    assert_eq!(num_feasible_nodes_to_find(0, 99), 99);
    assert_eq!(num_feasible_nodes_to_find(0, 100), 100);
    // 1000 nodes: 50 - 8 = 42% -> 420.
    assert_eq!(num_feasible_nodes_to_find(0, 1000), 420);
    // 5000 nodes: 50 - 40 = 10% -> 500.
    assert_eq!(num_feasible_nodes_to_find(0, 5000), 500);
    // 6000 nodes: 50 - 48 = 2%, raised to 5% -> 300.
    assert_eq!(num_feasible_nodes_to_find(0, 6000), 300);
    // 150 nodes at 10% would be 15: never fewer than 100.
    assert_eq!(num_feasible_nodes_to_find(10, 150), 100);
    assert_eq!(num_feasible_nodes_to_find(100, 5000), 5000);
}

#[test]
fn step3_percentage_of_nodes_to_score_stops_the_search_and_rotates() {
    let mut snapshot = Snapshot::new();
    for i in 0..1000 {
        snapshot
            .add_node(plain_node(&format!("n{i:04}"), "4", "8Gi", ""))
            .expect("node");
    }
    let pod = pod_info(REQUESTING);
    let mut state = SchedulingState::new(1);
    let result = schedule_one(&snapshot, &pod, &Profile::default(), &mut state).expect("fits");
    assert_eq!(result.evaluated_nodes, 420);
    assert_eq!(result.feasible_nodes, 420);
    assert_eq!(state.next_start_node_index, 420);
    let again = schedule_one(&snapshot, &pod, &Profile::default(), &mut state).expect("fits");
    let first_scored = &again.scores[0].node;
    assert_eq!(
        first_scored, "n0420",
        "the next cycle starts where the last one stopped"
    );
}

fn tied(n: usize) -> Vec<NodeScores> {
    (0..n)
        .map(|i| NodeScores {
            node: format!("n{i}"),
            plugins: Vec::new(),
            total: 100,
        })
        .collect()
}

#[test]
fn step3_select_host_takes_the_highest_total() {
    let mut scores = tied(4);
    scores[2].total = 101;
    assert_eq!(select_host(&scores, &mut Rng::new(7)), Some(2));
    assert_eq!(select_host(&[], &mut Rng::new(7)), None);
}

#[test]
fn step3_ties_are_broken_by_the_seed_reproducibly() {
    let scores = tied(4);
    let picks = |seed| {
        let mut rng = Rng::new(seed);
        (0..20)
            .map(|_| select_host(&scores, &mut rng))
            .collect::<Vec<_>>()
    };
    assert_eq!(picks(42), picks(42), "the same seed picks the same nodes");
    let mut seen = [false; 4];
    for pick in picks(42).into_iter().flatten() {
        seen[pick] = true;
    }
    assert_eq!(
        seen,
        [true; 4],
        "every tied node gets picked sometimes: {:?}",
        picks(42)
    );
}

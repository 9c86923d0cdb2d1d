//! Step 2: the filters that look at labels: NodeAffinity with nodeSelector, InterPodAffinity
//! and PodTopologySpread.

use crate::support::{filter_all, reasons, scenario};

const ZONES: &str = r#"
apiVersion: v1
kind: Node
metadata:
  name: a-1
  labels: {kubernetes.io/hostname: a-1, topology.kubernetes.io/zone: a, disk: ssd, cores: "8"}
status: {allocatable: {cpu: "8", memory: 16Gi, pods: "110"}}
---
apiVersion: v1
kind: Node
metadata:
  name: a-2
  labels: {kubernetes.io/hostname: a-2, topology.kubernetes.io/zone: a, cores: "4"}
status: {allocatable: {cpu: "4", memory: 16Gi, pods: "110"}}
---
apiVersion: v1
kind: Node
metadata:
  name: b-1
  labels: {kubernetes.io/hostname: b-1, topology.kubernetes.io/zone: b, disk: hdd, cores: "16"}
status: {allocatable: {cpu: "16", memory: 16Gi, pods: "110"}}
"#;

/// The nodes a pod (its `spec` given as YAML, indented by two) may go to.
fn feasible(extra_docs: &str, pod_spec: &str) -> Vec<String> {
    let yaml = format!(
        "{ZONES}{extra_docs}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p, labels: {{app: web}}}}\nspec:\n{pod_spec}\n  containers: [{{name: c, image: x}}]\n"
    );
    let (snapshot, pending) = scenario(&yaml);
    filter_all(&snapshot, &pending[0]).unwrap_or_default()
}

fn required(expressions: &str) -> String {
    format!(
        "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n{expressions}"
    )
}

#[test]
fn step2_node_selector_needs_every_label() {
    assert_eq!(feasible("", "  nodeSelector: {disk: ssd}"), ["a-1"]);
    assert_eq!(
        feasible(
            "",
            "  nodeSelector: {topology.kubernetes.io/zone: a, cores: \"4\"}"
        ),
        ["a-2"]
    );
    assert!(feasible("", "  nodeSelector: {disk: nvme}").is_empty());
}

#[test]
fn step2_node_affinity_supports_every_operator() {
    let cases = [
        (
            "{key: disk, operator: In, values: [ssd, hdd]}",
            vec!["a-1", "b-1"],
        ),
        (
            "{key: disk, operator: NotIn, values: [ssd]}",
            vec!["a-2", "b-1"],
        ),
        ("{key: disk, operator: Exists}", vec!["a-1", "b-1"]),
        ("{key: disk, operator: DoesNotExist}", vec!["a-2"]),
        (
            "{key: cores, operator: Gt, values: [\"4\"]}",
            vec!["a-1", "b-1"],
        ),
        ("{key: cores, operator: Lt, values: [\"8\"]}", vec!["a-2"]),
        // Gt needs exactly one integer.
        ("{key: cores, operator: Gt, values: [\"4\", \"5\"]}", vec![]),
        ("{key: cores, operator: Gt, values: [four]}", vec![]),
        ("{key: disk, operator: Gt, values: [\"1\"]}", vec![]),
        ("{key: disk, operator: Bogus, values: [ssd]}", vec![]),
    ];
    for (expression, want) in cases {
        let spec = required(&format!("        - matchExpressions: [{expression}]"));
        assert_eq!(feasible("", &spec), want, "{expression}");
    }
}

#[test]
fn step2_node_affinity_terms_are_ored_and_requirements_anded() {
    let spec = required(
        "        - matchExpressions:\n          - {key: topology.kubernetes.io/zone, operator: In, values: [a]}\n          - {key: disk, operator: DoesNotExist}\n        - matchFields:\n          - {key: metadata.name, operator: In, values: [b-1]}",
    );
    assert_eq!(feasible("", &spec), ["a-2", "b-1"]);
    // A term without requirements matches nothing.
    assert!(feasible("", &required("        - {}")).is_empty());
}

#[test]
fn step2_node_affinity_reports_the_real_reason() {
    let yaml = format!(
        "{ZONES}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  nodeSelector: {{disk: ssd}}\n  containers: [{{name: c, image: x}}]\n"
    );
    let (snapshot, pending) = scenario(&yaml);
    assert_eq!(
        reasons(&snapshot, &pending[0], "b-1"),
        ["node(s) didn't match Pod's node affinity/selector"]
    );
}

const CACHE_ON_A1: &str = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: cache, labels: {app: cache}}\nspec: {nodeName: a-1, containers: [{name: c, image: x}]}\n";

fn pod_affinity(kind: &str, labels: &str, key: &str) -> String {
    format!(
        "  affinity:\n    {kind}:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector: {{matchLabels: {labels}}}\n        topologyKey: {key}"
    )
}

#[test]
fn step2_inter_pod_affinity_requires_a_matching_pod_in_the_domain() {
    let zone = pod_affinity("podAffinity", "{app: cache}", "topology.kubernetes.io/zone");
    assert_eq!(feasible(CACHE_ON_A1, &zone), ["a-1", "a-2"]);
    let host = pod_affinity("podAffinity", "{app: cache}", "kubernetes.io/hostname");
    assert_eq!(feasible(CACHE_ON_A1, &host), ["a-1"]);
    // No cache anywhere and the pod is not a cache itself: nowhere.
    assert!(feasible("", &zone).is_empty());
}

#[test]
fn step2_inter_pod_affinity_lets_the_first_pod_of_a_group_start() {
    // The pod matches its own term and no such pod runs yet: any node will do.
    let own = pod_affinity("podAffinity", "{app: web}", "topology.kubernetes.io/zone");
    assert_eq!(feasible("", &own), ["a-1", "a-2", "b-1"]);
}

#[test]
fn step2_inter_pod_affinity_looks_only_in_the_terms_namespaces() {
    let other_ns = CACHE_ON_A1.replace("name: cache,", "name: cache, namespace: other,");
    let zone = pod_affinity("podAffinity", "{app: cache}", "topology.kubernetes.io/zone");
    assert!(
        feasible(&other_ns, &zone).is_empty(),
        "the term looks in the pod's namespace"
    );
    let listed = format!("{zone}\n        namespaces: [other]");
    assert_eq!(feasible(&other_ns, &listed), ["a-1", "a-2"]);
    let all = format!("{zone}\n        namespaceSelector: {{}}");
    assert_eq!(feasible(&other_ns, &all), ["a-1", "a-2"]);
}

#[test]
fn step2_inter_pod_anti_affinity_keeps_the_pod_out_of_the_domain() {
    let zone = pod_affinity(
        "podAntiAffinity",
        "{app: cache}",
        "topology.kubernetes.io/zone",
    );
    assert_eq!(feasible(CACHE_ON_A1, &zone), ["b-1"]);
    let yaml = format!(
        "{ZONES}{CACHE_ON_A1}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n{zone}\n  containers: [{{name: c, image: x}}]\n"
    );
    let (snapshot, pending) = scenario(&yaml);
    assert_eq!(
        reasons(&snapshot, &pending[0], "a-2"),
        ["node(s) didn't match pod anti-affinity rules"]
    );
}

#[test]
fn step2_inter_pod_affinity_reports_unmet_affinity() {
    let host = pod_affinity("podAffinity", "{app: cache}", "kubernetes.io/hostname");
    let yaml = format!(
        "{ZONES}{CACHE_ON_A1}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n{host}\n  containers: [{{name: c, image: x}}]\n"
    );
    let (snapshot, pending) = scenario(&yaml);
    assert_eq!(
        reasons(&snapshot, &pending[0], "b-1"),
        ["node(s) didn't match pod affinity rules"]
    );
}

#[test]
fn step2_existing_pods_anti_affinity_keeps_the_incoming_pod_out() {
    // A running pod on b-1 refuses `app: web` pods in its zone; the incoming pod has no
    // affinity of its own.
    let loner = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: loner}\nspec:\n  nodeName: b-1\n  affinity:\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector: {matchLabels: {app: web}}\n        topologyKey: topology.kubernetes.io/zone\n  containers: [{name: c, image: x}]\n";
    assert_eq!(
        feasible(loner, "  schedulerName: default-scheduler"),
        ["a-1", "a-2"]
    );
    let yaml = format!(
        "{ZONES}{loner}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p, labels: {{app: web}}}}\nspec: {{containers: [{{name: c, image: x}}]}}\n"
    );
    let (snapshot, pending) = scenario(&yaml);
    assert_eq!(
        reasons(&snapshot, &pending[0], "b-1"),
        ["node(s) didn't satisfy existing pods anti-affinity rules"]
    );
}

fn running(name: &str, node: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, labels: {{app: web}}}}\nspec: {{nodeName: {node}, containers: [{{name: c, image: x}}]}}\n"
    )
}

fn spread(max_skew: u32, key: &str, extra: &str) -> String {
    format!(
        "  topologySpreadConstraints:\n  - maxSkew: {max_skew}\n    topologyKey: {key}\n    whenUnsatisfiable: DoNotSchedule\n    labelSelector: {{matchLabels: {{app: web}}}}{extra}"
    )
}

#[test]
fn step2_topology_spread_keeps_skew_within_max_skew() {
    let two_in_a = format!("{}{}", running("w0", "a-1"), running("w1", "a-2"));
    let zone = spread(1, "topology.kubernetes.io/zone", "");
    assert_eq!(feasible(&two_in_a, &zone), ["b-1"]);
    // maxSkew 2: zone a has 2, b 0; 2 + 1 - 0 = 3 > 2, still only b.
    assert_eq!(
        feasible(&two_in_a, &spread(2, "topology.kubernetes.io/zone", "")),
        ["b-1"]
    );
    assert_eq!(
        feasible(&two_in_a, &spread(3, "topology.kubernetes.io/zone", "")),
        ["a-1", "a-2", "b-1"]
    );
    // Per node: a-1 and a-2 have one each, b-1 none.
    assert_eq!(
        feasible(&two_in_a, &spread(1, "kubernetes.io/hostname", "")),
        ["b-1"]
    );
}

#[test]
fn step2_topology_spread_min_domains_counts_missing_domains_as_empty() {
    let one_each = format!("{}{}", running("w0", "a-1"), running("w1", "b-1"));
    let zone = spread(1, "topology.kubernetes.io/zone", "");
    assert_eq!(feasible(&one_each, &zone), ["a-1", "a-2", "b-1"]);
    // Three domains wanted, two exist: the minimum is taken as 0, so 1 + 1 - 0 > 1 everywhere.
    let three = spread(1, "topology.kubernetes.io/zone", "\n    minDomains: 3");
    assert!(feasible(&one_each, &three).is_empty());
}

#[test]
fn step2_topology_spread_honours_node_affinity_when_counting_domains() {
    // The pod may only go to zone a, so zone b (empty) is not a domain: a's count is the
    // minimum and the pod fits there.
    let two_in_a = format!("{}{}", running("w0", "a-1"), running("w1", "a-2"));
    let spec = format!(
        "{}\n  nodeSelector: {{topology.kubernetes.io/zone: a}}",
        spread(1, "topology.kubernetes.io/zone", "")
    );
    assert_eq!(feasible(&two_in_a, &spec), ["a-1", "a-2"]);
    let ignore = format!(
        "{}\n  nodeSelector: {{topology.kubernetes.io/zone: a}}",
        spread(
            1,
            "topology.kubernetes.io/zone",
            "\n    nodeAffinityPolicy: Ignore"
        )
    );
    assert!(feasible(&two_in_a, &ignore).is_empty());
}

#[test]
fn step2_topology_spread_rejects_nodes_without_the_key() {
    let yaml = format!(
        "{ZONES}---\napiVersion: v1\nkind: Node\nmetadata: {{name: bare}}\nstatus: {{allocatable: {{cpu: \"1\", memory: 1Gi, pods: \"10\"}}}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p, labels: {{app: web}}}}\nspec:\n{}\n  containers: [{{name: c, image: x}}]\n",
        spread(1, "topology.kubernetes.io/zone", "")
    );
    let (snapshot, pending) = scenario(&yaml);
    assert_eq!(
        reasons(&snapshot, &pending[0], "bare"),
        ["node(s) didn't match pod topology spread constraints (missing required label)"]
    );
    let two_in_a = format!("{yaml}{}{}", running("w0", "a-1"), running("w1", "a-2"));
    let (snapshot, pending) = scenario(&two_in_a);
    assert_eq!(
        reasons(&snapshot, &pending[0], "a-1"),
        ["node(s) didn't match pod topology spread constraints"]
    );
}

#[test]
fn topology_spread_cache_agrees_with_a_full_recount() {
    use lab_04::plugins::topology_spread::{
        CountsCache, count_domains, count_domains_cached, pre_filter, pre_filter_cached,
    };
    let spec = spread(1, "topology.kubernetes.io/zone", "");
    let mut yaml = ZONES.to_string();
    for i in 0..6 {
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, labels: {{app: web}}}}\nspec:\n{spec}\n  containers: [{{name: c, image: x}}]\n"
        ));
    }
    let (mut snapshot, pending) = scenario(&yaml);
    let mut cache = CountsCache::default();
    let mut loose = CountsCache::default();
    let nodes = ["a-1", "b-1", "a-2", "b-1", "a-1", "a-2"];
    for (pod, node) in pending.iter().zip(nodes) {
        assert_eq!(
            pre_filter_cached(&snapshot, pod, &mut cache),
            pre_filter(&snapshot, pod)
        );
        // Without requiring every key (the system defaults' way), nodes lacking it count too.
        let constraints = &pod.spread_constraints;
        assert_eq!(
            count_domains_cached(&snapshot, pod, constraints, false, &mut loose),
            count_domains(&snapshot, pod, constraints, false)
        );
        snapshot.assume(pod, node).expect("assume");
    }
    assert!(snapshot.remove_pod("default/p1"));
    assert_eq!(
        pre_filter_cached(&snapshot, &pending[0], &mut cache),
        pre_filter(&snapshot, &pending[0])
    );
    let counts = pre_filter(&snapshot, &pending[0])
        .expect("constraints")
        .counts;
    assert_eq!(counts[0].get("a"), Some(&4));
    assert_eq!(counts[0].get("b"), Some(&1));
}

#[test]
fn topology_spread_cache_keeps_the_counts_of_interleaved_workloads() {
    use lab_04::plugins::topology_spread::{CountsCache, count_domains, count_domains_cached};
    // Two workloads whose pods alternate, as when many Deployments roll out at once: each
    // set of counts is caught up from the journal, and must agree with a recount.
    let mut yaml = ZONES.to_string();
    for i in 0..8 {
        let app = if i % 2 == 0 { "web" } else { "db" };
        let spec = spread(1, "topology.kubernetes.io/zone", "")
            .replace("app: web", &format!("app: {app}"));
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, labels: {{app: {app}}}}}\nspec:\n{spec}\n  containers: [{{name: c, image: x}}]\n"
        ));
    }
    let (mut snapshot, pending) = scenario(&yaml);
    let mut cache = CountsCache::default();
    let nodes = ["a-1", "b-1", "a-2", "a-1", "b-1", "a-2", "a-1", "b-1"];
    for (pod, node) in pending.iter().zip(nodes) {
        let constraints = &pod.spread_constraints;
        assert_eq!(
            count_domains_cached(&snapshot, pod, constraints, true, &mut cache),
            count_domains(&snapshot, pod, constraints, true),
            "{}",
            pod.key
        );
        snapshot.assume(pod, node).expect("assume");
    }
    let web = &pending[0];
    let counts = count_domains_cached(&snapshot, web, &web.spread_constraints, true, &mut cache);
    // web went to a-1, a-2, b-1, a-1: zone a has 3, zone b 1.
    assert_eq!(counts[0].get("a"), Some(&3));
    assert_eq!(counts[0].get("b"), Some(&1));
}

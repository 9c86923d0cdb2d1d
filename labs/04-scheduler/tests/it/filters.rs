//! Step 2: the simple filters (NodeUnschedulable, NodeName, NodeResourcesFit, NodePorts,
//! TaintToleration) and the aggregated "0/N nodes are available" message.

use lab_04::framework::{FitError, Rejection};

use crate::support::{filter_all, reasons, scenario};

const NODES: &str = r#"
apiVersion: v1
kind: Node
metadata: {name: cordoned}
spec: {unschedulable: true}
status: {allocatable: {cpu: "4", memory: 8Gi, pods: "110"}}
---
apiVersion: v1
kind: Node
metadata: {name: small}
status: {allocatable: {cpu: "1", memory: 1Gi, ephemeral-storage: 1Gi, pods: "1"}}
---
apiVersion: v1
kind: Node
metadata: {name: gpu}
spec:
  taints:
  - {key: nvidia.com/gpu, value: present, effect: NoSchedule}
  - {key: flaky, effect: PreferNoSchedule}
status: {allocatable: {cpu: "8", memory: 32Gi, pods: "110", example.com/gpu: "2"}}
"#;

fn with_pending(pod: &str) -> (lab_04::snapshot::Snapshot, lab_04::snapshot::PodInfo) {
    let (snapshot, mut pending) =
        scenario(&format!("{NODES}---\napiVersion: v1\nkind: Pod\n{pod}"));
    (snapshot, pending.remove(0))
}

#[test]
fn step2_node_unschedulable_rejects_a_cordoned_node() {
    let (snapshot, pod) =
        with_pending("metadata: {name: p}\nspec: {containers: [{name: c, image: x}]}");
    assert_eq!(
        reasons(&snapshot, &pod, "cordoned"),
        ["node(s) were unschedulable"]
    );
}

#[test]
fn step2_node_unschedulable_admits_a_pod_tolerating_the_unschedulable_taint() {
    let (snapshot, pod) = with_pending(
        "metadata: {name: p}\nspec:\n  tolerations: [{key: node.kubernetes.io/unschedulable, operator: Exists}]\n  containers: [{name: c, image: x}]",
    );
    assert!(reasons(&snapshot, &pod, "cordoned").is_empty());
}

#[test]
fn step2_node_name_rejects_every_other_node() {
    let (snapshot, mut pending) = scenario(NODES);
    assert!(pending.is_empty());
    let pod = crate::support::pod_info(
        "metadata: {name: p}\nspec: {nodeName: small, containers: [{name: c, image: x}]}",
    );
    pending.push(pod);
    let pod = &pending[0];
    assert_eq!(
        reasons(&snapshot, pod, "gpu"),
        ["node(s) didn't match the requested node name"]
    );
    assert!(reasons(&snapshot, pod, "small").is_empty());
}

#[test]
fn step2_node_resources_fit_rejects_insufficient_memory() {
    let (snapshot, pod) = with_pending(
        "metadata: {name: p}\nspec:\n  containers: [{name: c, image: x, resources: {requests: {memory: 2Gi}}}]",
    );
    assert_eq!(reasons(&snapshot, &pod, "small"), ["Insufficient memory"]);
}

#[test]
fn step2_node_resources_fit_lists_every_missing_resource() {
    let (snapshot, pod) = with_pending(
        "metadata: {name: p}\nspec:\n  containers: [{name: c, image: x, resources: {requests: {cpu: \"2\", memory: 2Gi, ephemeral-storage: 2Gi, example.com/gpu: \"1\"}}}]",
    );
    assert_eq!(
        reasons(&snapshot, &pod, "small"),
        [
            "Insufficient cpu",
            "Insufficient memory",
            "Insufficient ephemeral-storage",
            "Insufficient example.com/gpu"
        ]
    );
}

#[test]
fn step2_node_resources_fit_counts_pods_and_extended_resources() {
    let yaml = format!(
        "{NODES}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: running}}\nspec: {{nodeName: small, containers: [{{name: c, image: x}}]}}\n\
         ---\napiVersion: v1\nkind: Pod\nmetadata: {{name: gpus}}\nspec:\n  nodeName: gpu\n  tolerations: [{{operator: Exists}}]\n  containers: [{{name: c, image: x, resources: {{limits: {{example.com/gpu: \"2\"}}}}}}]\n\
         ---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  tolerations: [{{operator: Exists}}]\n  containers: [{{name: c, image: x, resources: {{limits: {{example.com/gpu: \"1\"}}}}}}]"
    );
    let (snapshot, pending) = scenario(&yaml);
    let pod = &pending[0];
    assert_eq!(
        reasons(&snapshot, pod, "small"),
        ["Too many pods", "Insufficient example.com/gpu"]
    );
    assert_eq!(
        reasons(&snapshot, pod, "gpu"),
        ["Insufficient example.com/gpu"]
    );
}

#[test]
fn step2_node_resources_fit_admits_a_pod_that_fits_exactly() {
    let (snapshot, pod) = with_pending(
        "metadata: {name: p}\nspec:\n  containers: [{name: c, image: x, resources: {requests: {cpu: \"1\", memory: 1Gi}}}]",
    );
    assert!(reasons(&snapshot, &pod, "small").is_empty());
}

#[test]
fn step2_taint_toleration_rejects_an_untolerated_no_schedule_taint() {
    let (snapshot, pod) =
        with_pending("metadata: {name: p}\nspec: {containers: [{name: c, image: x}]}");
    assert_eq!(
        reasons(&snapshot, &pod, "gpu"),
        ["node(s) had untolerated taint {nvidia.com/gpu: present}"]
    );
}

#[test]
fn step2_taint_toleration_matches_key_value_and_effect() {
    for (toleration, tolerated) in [
        ("{key: nvidia.com/gpu, operator: Exists}", true),
        ("{key: nvidia.com/gpu, value: present}", true),
        (
            "{key: nvidia.com/gpu, operator: Equal, value: present, effect: NoSchedule}",
            true,
        ),
        ("{operator: Exists}", true),
        ("{key: nvidia.com/gpu, value: absent}", false),
        (
            "{key: nvidia.com/gpu, operator: Exists, effect: NoExecute}",
            false,
        ),
        ("{key: other, operator: Exists}", false),
    ] {
        let (snapshot, pod) = with_pending(&format!(
            "metadata: {{name: p}}\nspec:\n  tolerations: [{toleration}]\n  containers: [{{name: c, image: x}}]"
        ));
        assert_eq!(
            reasons(&snapshot, &pod, "gpu").is_empty(),
            tolerated,
            "toleration {toleration}"
        );
    }
}

#[test]
fn step2_taint_toleration_rejects_no_execute_and_ignores_prefer_no_schedule() {
    let yaml = r#"
apiVersion: v1
kind: Node
metadata: {name: evicting}
spec: {taints: [{key: node.kubernetes.io/not-ready, effect: NoExecute}]}
status: {allocatable: {cpu: "1", memory: 1Gi, pods: "10"}}
---
apiVersion: v1
kind: Node
metadata: {name: soft}
spec: {taints: [{key: spot, value: "yes", effect: PreferNoSchedule}]}
status: {allocatable: {cpu: "1", memory: 1Gi, pods: "10"}}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {containers: [{name: c, image: x}]}
"#;
    let (snapshot, pending) = scenario(yaml);
    assert_eq!(
        reasons(&snapshot, &pending[0], "evicting"),
        ["node(s) had untolerated taint {node.kubernetes.io/not-ready: }"]
    );
    assert!(reasons(&snapshot, &pending[0], "soft").is_empty());
}

#[test]
fn step2_node_ports_rejects_a_host_port_in_use() {
    let yaml = r#"
apiVersion: v1
kind: Node
metadata: {name: n}
status: {allocatable: {cpu: "1", memory: 1Gi, pods: "10"}}
---
apiVersion: v1
kind: Pod
metadata: {name: running}
spec:
  nodeName: n
  containers: [{name: c, image: x, ports: [{containerPort: 80, hostPort: 8080, hostIP: 10.0.0.1}]}]
"#;
    let cases = [
        ("hostPort: 8080", false),
        ("hostPort: 8080, hostIP: 10.0.0.1", false),
        ("hostPort: 8080, hostIP: 10.0.0.2", true),
        ("hostPort: 8080, protocol: UDP", true),
        ("hostPort: 8081", true),
        ("hostPort: 0", true),
    ];
    for (port, fits) in cases {
        let (snapshot, pending) = scenario(&format!(
            "{yaml}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers: [{{name: c, image: x, ports: [{{containerPort: 80, {port}}}]}}]"
        ));
        let got = reasons(&snapshot, &pending[0], "n");
        if fits {
            assert!(got.is_empty(), "{port}: {got:?}");
        } else {
            assert_eq!(
                got,
                ["node(s) didn't have free ports for the requested pod ports"],
                "{port}"
            );
        }
    }
}

#[test]
fn step2_filters_stop_at_the_first_plugin_that_says_no() {
    // The cordoned node has room, but NodeUnschedulable runs first and is the only reason.
    let (snapshot, pod) = with_pending(
        "metadata: {name: p}\nspec:\n  containers: [{name: c, image: x, resources: {requests: {memory: 64Gi}}}]",
    );
    let err = filter_all(&snapshot, &pod).expect_err("fits nowhere");
    let plugins: Vec<&str> = err.rejected.iter().map(|(_, r)| r.plugin).collect();
    assert_eq!(
        plugins,
        ["NodeUnschedulable", "NodeResourcesFit", "TaintToleration"]
    );
}

#[test]
fn step2_fit_error_message_counts_and_sorts_reasons() {
    let (snapshot, pod) = with_pending(
        "metadata: {name: p}\nspec:\n  containers: [{name: c, image: x, resources: {requests: {memory: 2Gi}}}]",
    );
    let err = filter_all(&snapshot, &pod).expect_err("fits nowhere");
    assert_eq!(
        err.to_string(),
        "0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint \
         {nvidia.com/gpu: present}, 1 node(s) were unschedulable."
    );
}

#[test]
fn step2_fit_error_message_matches_the_real_scheduler() {
    let taint = |node: &str| {
        (
            node.to_string(),
            Rejection::unresolvable(
                "TaintToleration",
                "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",
            ),
        )
    };
    let err = FitError {
        pod: "default/p".into(),
        num_all_nodes: 3,
        rejected: vec![
            taint("cp-1"),
            (
                "worker".into(),
                Rejection::unschedulable("NodeResourcesFit", "Insufficient memory"),
            ),
            taint("cp-2"),
        ],
        post_filter_message: None,
    };
    assert_eq!(
        err.to_string(),
        "0/3 nodes are available: 1 Insufficient memory, 2 node(s) had untolerated taint \
         {node-role.kubernetes.io/control-plane: }."
    );
}

#[test]
fn step2_fit_error_message_sorts_counts_as_text_and_counts_every_reason() {
    let mut rejected = Vec::new();
    for i in 0..10 {
        rejected.push((
            format!("b{i}"),
            Rejection::unschedulable("NodePorts", "b reason"),
        ));
    }
    for i in 0..2 {
        rejected.push((
            format!("a{i}"),
            Rejection {
                plugin: "NodeResourcesFit",
                unresolvable: false,
                reasons: vec!["Insufficient cpu".into(), "Insufficient memory".into()],
            },
        ));
    }
    let err = FitError {
        pod: "default/p".into(),
        num_all_nodes: 12,
        rejected,
        post_filter_message: None,
    };
    // "10 b reason" sorts before "2 Insufficient cpu": upstream sorts the strings.
    assert_eq!(
        err.to_string(),
        "0/12 nodes are available: 10 b reason, 2 Insufficient cpu, 2 Insufficient memory."
    );
    let none = FitError {
        pod: "default/p".into(),
        num_all_nodes: 0,
        rejected: Vec::new(),
        post_filter_message: None,
    };
    assert_eq!(none.to_string(), "no nodes available to schedule pods");
}

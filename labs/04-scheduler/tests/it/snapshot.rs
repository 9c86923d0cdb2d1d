//! Step 1: quantities, a pod's effective requests, and the snapshot kept up to date.

use lab_04::quantity::{QuantityError, parse_quantity};
use lab_04::snapshot::{
    DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, PodError, PodInfo, Snapshot, SnapshotError,
};

use crate::support::{plain_node, pod, pod_info};

fn milli(text: &str) -> i64 {
    parse_quantity(text).expect(text).milli_value().expect(text)
}

fn value(text: &str) -> i64 {
    parse_quantity(text).expect(text).value().expect(text)
}

#[test]
fn step1_quantity_reads_cpu_in_millicores() {
    assert_eq!(milli("500m"), 500);
    assert_eq!(milli("1"), 1000);
    assert_eq!(milli("2"), 2000);
    assert_eq!(milli("0.1"), 100);
    assert_eq!(milli("1.5"), 1500);
    assert_eq!(milli("+250m"), 250);
    // Rounded up, as Quantity.MilliValue() does: a sliver of a core is still a millicore.
    assert_eq!(milli("0.0001"), 1);
    assert_eq!(milli("100u"), 1);
    assert_eq!(milli("2e-3"), 2);
}

#[test]
fn step1_quantity_reads_memory_with_every_suffix() {
    assert_eq!(value("128974848"), 128_974_848);
    assert_eq!(value("129e6"), 129_000_000);
    assert_eq!(value("129E6"), 129_000_000);
    assert_eq!(value("129M"), 129_000_000);
    assert_eq!(value("123Mi"), 123 * 1024 * 1024);
    assert_eq!(value("1k"), 1000);
    assert_eq!(value("1Ki"), 1024);
    assert_eq!(value("1G"), 1_000_000_000);
    assert_eq!(value("1.25G"), 1_250_000_000);
    assert_eq!(value("2Gi"), 2 * 1024 * 1024 * 1024);
    assert_eq!(value("1Ti"), 1024_i64.pow(4));
    assert_eq!(value("1E"), 1_000_000_000_000_000_000);
    assert_eq!(value("0.5Gi"), 512 * 1024 * 1024);
    // `m` on memory means thousandths of a byte: rounded up to whole bytes.
    assert_eq!(value("1500m"), 2);
    assert_eq!(value("1m"), 1);
}

#[test]
fn step1_quantity_rejects_what_is_not_a_quantity() {
    for bad in [
        "", "abc", "1.2.3", "1Gb", "1gi", "1e", "Mi", ".", "1 Gi", "--1",
    ] {
        assert!(
            matches!(parse_quantity(bad), Err(QuantityError::Malformed(_))),
            "{bad:?} should be malformed, got {:?}",
            parse_quantity(bad)
        );
    }
    assert!(matches!(
        parse_quantity("-1"),
        Err(QuantityError::Negative(_))
    ));
    assert!(matches!(
        parse_quantity("1e30"),
        Err(QuantityError::TooLarge(_))
    ));
}

const INIT_POD: &str = r#"
metadata: {name: p, namespace: ns}
spec:
  initContainers:
  - {name: migrate, image: x, resources: {requests: {cpu: "2", memory: 100Mi}}}
  - {name: warm, image: x, resources: {requests: {cpu: 100m, memory: 1Gi}}}
  containers:
  - {name: app, image: x, resources: {requests: {cpu: 500m, memory: 256Mi}}}
  - {name: side, image: x, resources: {requests: {cpu: 250m, memory: 256Mi, example.com/gpu: "1"}}}
"#;

#[test]
fn step1_pod_requests_sum_containers_and_take_the_largest_init_container() {
    let info = pod_info(INIT_POD);
    // cpu: containers 750m, the first init container alone 2 cores -> 2000m.
    assert_eq!(info.requests.milli_cpu, 2000);
    // memory: containers 512Mi, the second init container 1Gi -> 1Gi.
    assert_eq!(info.requests.memory, 1024 * 1024 * 1024);
    assert_eq!(info.requests.scalar("example.com/gpu"), 1);
    assert_eq!(info.key, "ns/p");
}

#[test]
fn step1_pod_requests_add_overhead_and_sidecars() {
    let info = pod_info(
        r#"
metadata: {name: p}
spec:
  overhead: {cpu: 100m, memory: 10Mi}
  initContainers:
  - {name: sidecar, image: x, restartPolicy: Always, resources: {requests: {cpu: 200m, memory: 64Mi}}}
  - {name: init, image: x, resources: {requests: {cpu: "1", memory: 64Mi}}}
  containers:
  - {name: app, image: x, resources: {requests: {cpu: 300m, memory: 128Mi}}}
"#,
    );
    // Running: app + sidecar = 500m; the init container runs beside the sidecar: 1200m.
    // Then the overhead: 1300m.
    assert_eq!(info.requests.milli_cpu, 1300);
    // Memory: app + sidecar = 192Mi beats init + sidecar = 128Mi; plus 10Mi.
    assert_eq!(info.requests.memory, 202 * 1024 * 1024);
    assert_eq!(info.key, "default/p");
}

#[test]
fn step1_pod_requests_default_to_limits() {
    let info = pod_info(
        "metadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: x, resources: {limits: {cpu: 250m, memory: 1Gi}}}",
    );
    assert_eq!(info.requests.milli_cpu, 250);
    assert_eq!(info.requests.memory, 1024 * 1024 * 1024);
}

#[test]
fn step1_scoring_requests_default_to_100m_and_200mi() {
    let info = pod_info(
        r#"
metadata: {name: p}
spec:
  containers:
  - {name: nothing, image: x}
  - {name: cpu-only, image: x, resources: {requests: {cpu: 300m}}}
"#,
    );
    assert_eq!(info.requests.milli_cpu, 300);
    assert_eq!(info.requests.memory, 0);
    assert_eq!(info.non_zero.milli_cpu, DEFAULT_MILLI_CPU_REQUEST + 300);
    assert_eq!(info.non_zero.memory, 2 * DEFAULT_MEMORY_REQUEST);
}

#[test]
fn step1_bad_quantity_is_a_typed_error_naming_the_field() {
    let err = PodInfo::new(pod(
        "metadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: x, resources: {requests: {memory: 1GB}}}",
    ))
    .expect_err("1GB is not a quantity");
    assert!(matches!(err, PodError::Resource(_)), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("spec.containers[0].resources.requests.memory: \"1GB\""),
        "{err}"
    );
}

fn two_nodes() -> Snapshot {
    let mut snapshot = Snapshot::new();
    snapshot
        .add_node(plain_node("n1", "4", "8Gi", ""))
        .expect("n1");
    snapshot
        .add_node(plain_node("n2", "2", "4Gi", ""))
        .expect("n2");
    snapshot
}

const RUNNING: &str = r#"
metadata: {name: web, namespace: shop}
spec:
  nodeName: n1
  containers:
  - name: c
    image: nginx
    resources: {requests: {cpu: 500m, memory: 1Gi}}
    ports: [{containerPort: 80, hostPort: 8080}]
"#;

#[test]
fn step1_snapshot_add_pod_accounts_requests_ports_and_pods() {
    let mut snapshot = two_nodes();
    snapshot.add_pod(pod(RUNNING)).expect("add");
    let n1 = snapshot.node("n1").expect("n1");
    assert_eq!(n1.allocatable.milli_cpu, 4000);
    assert_eq!(n1.allowed_pods, 110);
    assert_eq!(n1.requested.milli_cpu, 500);
    assert_eq!(n1.requested.memory, 1024 * 1024 * 1024);
    assert_eq!(n1.non_zero_requested.milli_cpu, 500);
    assert_eq!(n1.pods.len(), 1);
    assert_eq!(n1.used_ports.len(), 1);
    assert_eq!(n1.used_ports[0].port, 8080);
    assert_eq!(n1.used_ports[0].ip, "0.0.0.0");
    assert_eq!(n1.used_ports[0].protocol, "TCP");
    assert_eq!(snapshot.node_of_pod("shop/web"), Some("n1"));
    assert!(snapshot.node("n2").expect("n2").pods.is_empty());
}

#[test]
fn step1_snapshot_remove_pod_undoes_add_pod() {
    let mut snapshot = two_nodes();
    snapshot.add_pod(pod(RUNNING)).expect("add");
    assert!(snapshot.remove_pod("shop/web"));
    let n1 = snapshot.node("n1").expect("n1");
    assert_eq!(n1.requested.milli_cpu, 0);
    assert_eq!(n1.requested.memory, 0);
    assert_eq!(n1.non_zero_requested.milli_cpu, 0);
    assert!(n1.pods.is_empty());
    assert!(n1.used_ports.is_empty());
    assert!(
        !snapshot.remove_pod("shop/web"),
        "a second removal finds nothing"
    );
}

#[test]
fn step1_snapshot_update_pod_moves_its_requests() {
    let mut snapshot = two_nodes();
    snapshot.add_pod(pod(RUNNING)).expect("add");
    snapshot
        .add_pod(pod(&RUNNING.replace("nodeName: n1", "nodeName: n2")))
        .expect("update");
    assert_eq!(snapshot.node("n1").expect("n1").requested.milli_cpu, 0);
    assert_eq!(snapshot.node("n2").expect("n2").requested.milli_cpu, 500);
}

#[test]
fn step1_snapshot_assume_places_a_pending_pod() {
    let mut snapshot = two_nodes();
    let pending = pod_info(
        "metadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: x, resources: {requests: {cpu: \"1\"}}}",
    );
    snapshot.assume(&pending, "n2").expect("assume");
    let n2 = snapshot.node("n2").expect("n2");
    assert_eq!(n2.requested.milli_cpu, 1000);
    assert_eq!(n2.pods[0].node_name(), Some("n2"));
    assert_eq!(snapshot.node_of_pod("default/p"), Some("n2"));
    assert!(matches!(
        snapshot.assume(&pending, "n9"),
        Err(SnapshotError::NoSuchNode(_))
    ));
}

#[test]
fn step1_snapshot_rejects_pods_it_cannot_place() {
    let mut snapshot = two_nodes();
    let unbound = pod("metadata: {name: p}\nspec:\n  containers: [{name: c, image: x}]");
    assert!(matches!(
        snapshot.add_pod(unbound),
        Err(SnapshotError::NotBound(_))
    ));
    let elsewhere =
        pod("metadata: {name: p}\nspec:\n  nodeName: gone\n  containers: [{name: c, image: x}]");
    assert!(matches!(
        snapshot.add_pod(elsewhere),
        Err(SnapshotError::UnknownNode { .. })
    ));
}

#[test]
fn step1_snapshot_node_update_keeps_pods_and_removal_drops_them() {
    let mut snapshot = two_nodes();
    snapshot.add_pod(pod(RUNNING)).expect("add");
    snapshot
        .update_node(plain_node("n1", "8", "16Gi", ", disk: ssd"))
        .expect("update");
    let n1 = snapshot.node("n1").expect("n1");
    assert_eq!(n1.allocatable.milli_cpu, 8000);
    assert_eq!(n1.labels().get("disk").map(String::as_str), Some("ssd"));
    assert_eq!(n1.requested.milli_cpu, 500, "the pod is still there");
    snapshot.remove_node("n1").expect("remove");
    assert!(snapshot.node("n1").is_none());
    assert_eq!(snapshot.node_of_pod("shop/web"), None);
    assert_eq!(snapshot.nodes().len(), 1);
    assert_eq!(snapshot.nodes()[0].name, "n2");
    assert!(
        snapshot.node("n2").is_some(),
        "the index follows the removal"
    );
}

#[test]
fn step1_snapshot_knows_images_and_how_many_nodes_have_them() {
    let mut snapshot = Snapshot::new();
    let with_image = |name: &str| {
        crate::support::node(&format!(
            "metadata: {{name: {name}}}\nstatus:\n  allocatable: {{cpu: \"1\", memory: 1Gi, pods: \"10\"}}\n  images:\n  - {{names: [nginx, \"nginx@sha256:abc\"], sizeBytes: 50000000}}"
        ))
    };
    snapshot.add_node(with_image("a")).expect("a");
    snapshot.add_node(with_image("b")).expect("b");
    assert_eq!(
        snapshot.node("a").expect("a").images.get("nginx:latest"),
        Some(&50_000_000)
    );
    assert_eq!(snapshot.nodes_with_image("nginx:latest"), 2);
    snapshot.remove_node("a").expect("remove");
    assert_eq!(snapshot.nodes_with_image("nginx:latest"), 1);
}

#[test]
fn step1_bad_allocatable_is_a_typed_error() {
    let mut snapshot = Snapshot::new();
    let err = snapshot
        .add_node(plain_node("n", "four", "8Gi", ""))
        .expect_err("four is not a quantity");
    assert!(
        err.to_string().starts_with("status.allocatable.cpu:"),
        "{err}"
    );
}

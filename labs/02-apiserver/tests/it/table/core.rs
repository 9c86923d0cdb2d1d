//! Printers of the core kinds and of Ingress, EndpointSlice and Lease.

use serde_json::{Value, json};

use super::{ago, meta, print_one};

fn service(spec: Value, status: Value) -> Value {
    let mut service =
        json!({ "apiVersion": "v1", "kind": "Service", "metadata": meta("web", 3600) });
    service["spec"] = spec;
    service["status"] = status;
    service
}

#[test]
fn step5_service_columns_and_cluster_ip() {
    let (headers, cells) = print_one(
        "",
        "services",
        service(
            json!({ "type": "ClusterIP", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                "ports": [{ "port": 80, "protocol": "TCP", "targetPort": 8080 }],
                "selector": { "app": "web", "tier": "front" } }),
            json!({}),
        ),
    );
    assert_eq!(
        headers,
        "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE | SELECTOR"
    );
    assert_eq!(
        cells,
        vec![
            json!("web"),
            json!("ClusterIP"),
            json!("10.96.0.10"),
            json!("<none>"),
            json!("80/TCP"),
            json!("60m"),
            json!("app=web,tier=front")
        ]
    );
}

#[test]
fn step5_service_ports_and_external_ips() {
    // (spec, status, EXTERNAL-IP, PORT(S))
    let cases = [
        (
            json!({ "type": "NodePort", "clusterIPs": ["10.96.0.11"],
                 "ports": [{ "port": 80, "protocol": "TCP", "nodePort": 30080 },
                           { "port": 53, "protocol": "UDP", "nodePort": 30053 }] }),
            json!({}),
            "<none>",
            "80:30080/TCP,53:30053/UDP",
        ),
        (
            json!({ "type": "ClusterIP", "clusterIPs": ["10.96.0.12"], "externalIPs": ["192.0.2.1", "192.0.2.2"],
                 "ports": [{ "port": 443, "protocol": "TCP" }] }),
            json!({}),
            "192.0.2.1,192.0.2.2",
            "443/TCP",
        ),
        (
            json!({ "type": "LoadBalancer", "clusterIPs": ["10.96.0.13"],
                 "ports": [{ "port": 80, "protocol": "TCP", "nodePort": 31000 }] }),
            json!({}),
            "<pending>",
            "80:31000/TCP",
        ),
        (
            json!({ "type": "LoadBalancer", "clusterIPs": ["10.96.0.13"], "externalIPs": ["192.0.2.9"],
                 "ports": [{ "port": 80, "protocol": "TCP", "nodePort": 31000 }] }),
            json!({ "loadBalancer": { "ingress": [{ "ip": "203.0.113.7" }, { "hostname": "lb.example.com" }] } }),
            "203.0.113.7,lb.example.com,192.0.2.9",
            "80:31000/TCP",
        ),
        (
            json!({ "type": "ExternalName", "externalName": "db.example.com" }),
            json!({}),
            "db.example.com",
            "<none>",
        ),
    ];
    for (spec, status, external, ports) in cases {
        let (_, cells) = print_one("", "services", service(spec.clone(), status));
        assert_eq!(
            (cells[3].clone(), cells[4].clone()),
            (json!(external), json!(ports)),
            "{spec}"
        );
    }
    // A headless service's cluster IP is the word None; one without any is <none>.
    let (_, cells) = print_one(
        "",
        "services",
        service(
            json!({ "type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"] }),
            json!({}),
        ),
    );
    assert_eq!(cells[2], "None");
    // An object with only the older single-IP field.
    let (_, cells) = print_one(
        "",
        "services",
        service(
            json!({ "type": "ClusterIP", "clusterIP": "10.96.0.20" }),
            json!({}),
        ),
    );
    assert_eq!(cells[2], "10.96.0.20");
    let (_, cells) = print_one(
        "",
        "services",
        service(
            json!({ "type": "ExternalName", "externalName": "x" }),
            json!({}),
        ),
    );
    assert_eq!(cells[2], "<none>");
    assert_eq!(cells[6], "<none>", "no selector");
}

#[test]
fn step5_endpoints_list_three_then_count_the_rest() {
    let endpoints = json!({ "metadata": meta("web", 30), "subsets": [
        { "addresses": [{ "ip": "10.244.1.2" }, { "ip": "10.244.2.3" }], "ports": [{ "port": 8080 }, { "port": 9090 }] },
    ] });
    let (headers, cells) = print_one("", "endpoints", endpoints);
    assert_eq!(headers, "NAME ENDPOINTS AGE");
    assert_eq!(
        cells,
        vec![
            json!("web"),
            json!("10.244.1.2:8080,10.244.2.3:8080,10.244.1.2:9090 + 1 more..."),
            json!("30s")
        ]
    );
    let (_, cells) = print_one("", "endpoints", json!({ "metadata": meta("none", 30) }));
    assert_eq!(cells[1], "<none>");
    let headless =
        json!({ "metadata": meta("h", 30), "subsets": [{ "addresses": [{ "ip": "fd00::1" }] }] });
    assert_eq!(print_one("", "endpoints", headless).1[1], "fd00::1");
}

#[test]
fn step5_namespace_configmap_secret_serviceaccount() {
    let (headers, cells) = print_one(
        "",
        "namespaces",
        json!({ "metadata": meta("lab", 86400 * 3), "status": { "phase": "Active" } }),
    );
    assert_eq!(headers, "NAME STATUS AGE");
    assert_eq!(cells, vec![json!("lab"), json!("Active"), json!("3d")]);

    let (headers, cells) = print_one(
        "",
        "configmaps",
        json!({ "metadata": meta("cfg", 5),
        "data": { "a": "1", "b": "2" }, "binaryData": { "c": "AA==" } }),
    );
    assert_eq!(headers, "NAME DATA AGE");
    assert_eq!(cells, vec![json!("cfg"), json!(3), json!("5s")]);

    let (headers, cells) = print_one(
        "",
        "secrets",
        json!({ "metadata": meta("tls", 5),
        "type": "kubernetes.io/tls", "data": { "tls.crt": "AA==", "tls.key": "AA==" } }),
    );
    assert_eq!(headers, "NAME TYPE DATA AGE");
    assert_eq!(
        cells,
        vec![
            json!("tls"),
            json!("kubernetes.io/tls"),
            json!(2),
            json!("5s")
        ]
    );

    let (headers, cells) = print_one(
        "",
        "serviceaccounts",
        json!({ "metadata": meta("default", 5) }),
    );
    assert_eq!(headers, "NAME SECRETS AGE");
    assert_eq!(cells, vec![json!("default"), json!(0), json!("5s")]);
}

fn node(labels: Value, conditions: Value, unschedulable: bool) -> Value {
    let mut metadata = meta("k8snode1", 86400 * 20);
    metadata["labels"] = labels;
    let mut node = json!({ "metadata": metadata, "spec": { "unschedulable": unschedulable },
            "status": {
                        "addresses": [{ "type": "InternalIP", "address": "10.0.0.11" }, { "type": "Hostname", "address": "k8snode1" }],
                        "nodeInfo": { "kubeletVersion": "v1.33.0", "osImage": "CentOS Stream 9", "kernelVersion": "5.14.0",
                                      "containerRuntimeVersion": "lab://0.1.0", "architecture": "amd64", "bootID": "",
                                      "kubeProxyVersion": "", "machineID": "", "operatingSystem": "linux", "systemUUID": "" } } });
    node["status"]["conditions"] = conditions;
    node
}

#[test]
fn step5_node_columns_status_and_roles() {
    let ready = json!([{ "type": "MemoryPressure", "status": "False" }, { "type": "Ready", "status": "True" }]);
    let (headers, cells) = print_one(
        "",
        "nodes",
        node(
            json!({ "node-role.kubernetes.io/control-plane": "" }),
            ready.clone(),
            false,
        ),
    );
    assert_eq!(
        headers,
        "NAME STATUS ROLES AGE VERSION | INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME"
    );
    assert_eq!(
        cells,
        vec![
            json!("k8snode1"),
            json!("Ready"),
            json!("control-plane"),
            json!("20d"),
            json!("v1.33.0"),
            json!("10.0.0.11"),
            json!("<none>"),
            json!("CentOS Stream 9"),
            json!("5.14.0"),
            json!("lab://0.1.0")
        ]
    );

    let not_ready = json!([{ "type": "Ready", "status": "Unknown" }]);
    let labels = json!({ "node-role.kubernetes.io/worker": "", "kubernetes.io/role": "gpu", "node-role.kubernetes.io/": "" });
    let (_, cells) = print_one("", "nodes", node(labels, not_ready, true));
    assert_eq!(
        (&cells[1], &cells[2]),
        (&json!("NotReady,SchedulingDisabled"), &json!("gpu,worker"))
    );

    let (_, cells) = print_one("", "nodes", node(json!({}), json!([]), false));
    assert_eq!(
        (&cells[1], &cells[2]),
        (&json!("Unknown"), &json!("<none>"))
    );
}

#[test]
fn step5_event_columns() {
    let event = json!({ "metadata": meta("web-1.17a", 600),
        "involvedObject": { "kind": "Pod", "name": "web-1", "namespace": "default", "fieldPath": "spec.containers{app}" },
        "reason": "BackOff", "message": "Back-off restarting failed container\n", "type": "Warning",
        "firstTimestamp": ago(600), "lastTimestamp": ago(30), "count": 7,
        "source": { "component": "kubelet", "host": "k8snode1" } });
    let (headers, cells) = print_one("", "events", event);
    assert_eq!(
        headers,
        "LAST SEEN TYPE REASON OBJECT MESSAGE | SUBOBJECT SOURCE FIRST SEEN COUNT NAME"
    );
    assert_eq!(
        cells,
        vec![
            json!("30s"),
            json!("Warning"),
            json!("BackOff"),
            json!("pod/web-1"),
            json!("spec.containers{app}"),
            json!("kubelet, k8snode1"),
            json!("Back-off restarting failed container"),
            json!("10m"),
            json!(7),
            json!("web-1.17a")
        ]
    );

    // An event written the new way: eventTime, reporting controller, no count.
    let event = json!({ "metadata": meta("d.1", 60), "involvedObject": { "kind": "Deployment", "name": "web" },
        "reason": "ScalingReplicaSet", "message": "Scaled up", "type": "Normal",
        "eventTime": "2026-01-01T11:59:00.000000Z", "reportingComponent": "deployment-controller", "reportingInstance": "" });
    let (_, cells) = print_one("", "events", event);
    assert_eq!(cells[0], "60s");
    assert_eq!(cells[3], "deployment/web");
    assert_eq!(cells[5], "deployment-controller");
    assert_eq!(cells[7], "60s");
    assert_eq!(cells[8], 1);
}

#[test]
fn step5_persistent_volume_claims() {
    let pending = json!({ "metadata": meta("data", 60),
        "spec": { "accessModes": ["ReadWriteOnce"], "resources": { "requests": { "storage": "1Gi" } }, "storageClassName": "local" },
        "status": { "phase": "Pending" } });
    let (headers, cells) = print_one("", "persistentvolumeclaims", pending);
    assert_eq!(
        headers,
        "NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE | VOLUMEMODE"
    );
    assert_eq!(
        cells,
        vec![
            json!("data"),
            json!("Pending"),
            json!(""),
            json!(""),
            json!(""),
            json!("local"),
            json!("<unset>"),
            json!("60s"),
            json!("<unset>")
        ]
    );
    let bound = json!({ "metadata": meta("data", 60),
        "spec": { "volumeName": "pv-1", "volumeMode": "Filesystem", "storageClassName": "local" },
        "status": { "phase": "Bound", "accessModes": ["ReadWriteMany", "ReadWriteOnce"], "capacity": { "storage": "2Gi" } } });
    let (_, cells) = print_one("", "persistentvolumeclaims", bound);
    assert_eq!(
        &cells[1..5],
        &[
            json!("Bound"),
            json!("pv-1"),
            json!("2Gi"),
            json!("RWO,RWX")
        ]
    );
    assert_eq!(cells[8], "Filesystem");
}

#[test]
fn step5_ingress_endpointslice_lease() {
    let ingress = json!({ "metadata": meta("web", 120), "spec": { "ingressClassName": "lab",
        "rules": [{ "host": "a.example.com" }, { "host": "b.example.com" }, {}, { "host": "d.example.com" }, { "host": "e.example.com" }],
        "tls": [{ "hosts": ["a.example.com"] }] },
        "status": { "loadBalancer": { "ingress": [{ "ip": "10.0.0.12" }, { "ip": "10.0.0.11" }] } } });
    let (headers, cells) = print_one("networking.k8s.io", "ingresses", ingress);
    assert_eq!(headers, "NAME CLASS HOSTS ADDRESS PORTS AGE");
    assert_eq!(
        cells,
        vec![
            json!("web"),
            json!("lab"),
            json!("a.example.com,b.example.com,d.example.com + 2 more..."),
            json!("10.0.0.11,10.0.0.12"),
            json!("80, 443"),
            json!("2m")
        ]
    );
    let (_, cells) = print_one(
        "networking.k8s.io",
        "ingresses",
        json!({ "metadata": meta("x", 1), "spec": {} }),
    );
    assert_eq!(
        &cells[1..5],
        &[json!("<none>"), json!("*"), json!(""), json!("80")]
    );

    let slice = json!({ "metadata": meta("web-abc", 10), "addressType": "IPv4",
        "ports": [{ "port": 80 }, { "name": "metrics" }, {}, { "port": 9000 }],
        "endpoints": [{ "addresses": ["10.244.1.2"] }, { "addresses": ["10.244.2.3"] }] });
    let (headers, cells) = print_one("discovery.k8s.io", "endpointslices", slice);
    assert_eq!(headers, "NAME ADDRESSTYPE PORTS ENDPOINTS AGE");
    assert_eq!(
        cells,
        vec![
            json!("web-abc"),
            json!("IPv4"),
            json!("80,metrics,* + 1 more..."),
            json!("10.244.1.2,10.244.2.3"),
            json!("10s")
        ]
    );
    let empty = json!({ "metadata": meta("e", 10), "addressType": "IPv4", "endpoints": [] });
    assert_eq!(
        &print_one("discovery.k8s.io", "endpointslices", empty).1[2..4],
        &[json!("<unset>"), json!("<unset>")]
    );

    let lease = json!({ "metadata": meta("kube-scheduler", 7200), "spec": { "holderIdentity": "k8smaster_1234" } });
    let (headers, cells) = print_one("coordination.k8s.io", "leases", lease);
    assert_eq!(headers, "NAME HOLDER AGE");
    assert_eq!(
        cells,
        vec![
            json!("kube-scheduler"),
            json!("k8smaster_1234"),
            json!("120m")
        ]
    );
}

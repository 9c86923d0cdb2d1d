//! Step 1, as root: nodes and pods as network namespaces, wired by `PodNetwork`.
//!
//! Each test builds its own namespaces (see `support`), so tests run in parallel and leave
//! nothing behind. Without root they report "not run".

#![cfg(target_os = "linux")]

use std::net::Ipv4Addr;

use lab_05::Error;
use lab_05::netns::Netns;
use lab_05::routes::{PeerRoute, ROUTE_PROTOCOL};
use rtnetlink::{LinkUnspec, LinkVeth, RouteMessageBuilder};

use crate::support::{
    Route, TestNetns, connect_error, failed, ip_forward, link, links, node, routes, tcp_exchange,
    two_nodes,
};

fn ip(text: &str) -> Ipv4Addr {
    text.parse().unwrap()
}

#[test]
fn step1_pods_on_different_nodes_reach_each_other_by_pod_ip() {
    labkit::require!(labkit::root());
    let (one, two) = two_nodes();
    let pods: Vec<TestNetns> = ["pod-a1", "pod-a2", "pod-b1", "pod-b2"]
        .into_iter()
        .map(TestNetns::create)
        .collect();
    let [a1, a2, b1, b2] = [0, 1, 2, 3].map(|pod| pods[pod].open());
    let a1_ip = one.network.attach(&a1, "default/a1").unwrap();
    let a2_ip = one.network.attach(&a2, "default/a2").unwrap();
    let b1_ip = two.network.attach(&b1, "default/b1").unwrap();
    let b2_ip = two.network.attach(&b2, "default/b2").unwrap();
    assert_eq!(
        [a1_ip, a2_ip, b1_ip, b2_ip],
        [
            ip("10.244.1.2"),
            ip("10.244.1.3"),
            ip("10.244.2.2"),
            ip("10.244.2.3")
        ]
    );

    // Across nodes, both ways: pod -> bridge -> node 1 -> uplink -> node 2 -> bridge -> pod.
    assert_eq!(
        tcp_exchange(&a1, &b1, b1_ip).unwrap(),
        "hello from 10.244.2.2"
    );
    assert_eq!(
        tcp_exchange(&b2, &a2, a2_ip).unwrap(),
        "hello from 10.244.1.3"
    );
    // On one node: through the bridge only.
    assert_eq!(
        tcp_exchange(&a1, &a2, a2_ip).unwrap(),
        "hello from 10.244.1.3"
    );
    assert_eq!(
        tcp_exchange(&b2, &b1, b1_ip).unwrap(),
        "hello from 10.244.2.2"
    );
}

#[test]
fn step1_setup_node_makes_the_bridge_with_the_gateway_and_turns_forwarding_on() {
    labkit::require!(labkit::root());
    let node = node("node", "10.244.1.0/24", ip("192.168.77.1"));
    let netns = node.netns.open();
    let bridge = link(&netns, "cni0").expect("no bridge cni0 in the node");
    assert!(bridge.up, "cni0 is down");
    assert_eq!(bridge.ipv4, [(ip("10.244.1.1"), 24)]);
    assert_eq!(ip_forward(&netns), "1");
    // Again: nothing changes, nothing fails.
    node.network.setup_node().unwrap();
    assert_eq!(link(&netns, "cni0"), Some(bridge));
}

#[test]
fn step1_attach_gives_the_pod_eth0_its_address_and_a_default_route() {
    labkit::require!(labkit::root());
    let node = node("node", "10.244.1.0/24", ip("192.168.77.1"));
    let pod = TestNetns::create("pod");
    let pod_netns = pod.open();
    let address = node.network.attach(&pod_netns, "default/web-0").unwrap();
    assert_eq!(address, ip("10.244.1.2"));

    let eth0 = link(&pod_netns, "eth0").expect("no eth0 in the pod");
    assert!(eth0.up, "eth0 is down");
    assert_eq!(eth0.ipv4, [(address, 24)]);
    assert!(link(&pod_netns, "lo").is_some_and(|lo| lo.up), "lo is down");
    assert!(
        routes(&pod_netns).contains(&Route {
            destination: "0.0.0.0/0".into(),
            gateway: Some(ip("10.244.1.1")),
            protocol: 4, // "static", what `ip route add` makes
        }),
        "{:?}",
        routes(&pod_netns)
    );
    // On the node: the host end, up, plugged into cni0; the peer is not left on the node.
    let node_links = links(&node.netns.open());
    let bridge = node_links.iter().find(|link| link.name == "cni0").unwrap();
    let veths: Vec<_> = node_links
        .iter()
        .filter(|link| link.name.starts_with("veth") || link.name.starts_with("vpod"))
        .collect();
    assert_eq!(veths.len(), 1, "{veths:?}");
    assert!(
        veths[0].up && veths[0].controller == Some(bridge.index),
        "{veths:?}"
    );
    assert!(veths[0].name.len() <= 15);
}

#[test]
fn step1_attach_twice_changes_nothing_and_detach_cleans_up() {
    labkit::require!(labkit::root());
    let node = node("node", "10.244.1.0/24", ip("192.168.77.1"));
    let node_netns = node.netns.open();
    let pod = TestNetns::create("pod");
    let pod_netns = pod.open();
    let first = node.network.attach(&pod_netns, "default/web-0").unwrap();
    let before = (links(&node_netns), links(&pod_netns));
    assert_eq!(
        node.network.attach(&pod_netns, "default/web-0").unwrap(),
        first
    );
    assert_eq!((links(&node_netns), links(&pod_netns)), before);

    node.network.detach("default/web-0").unwrap();
    let names =
        |netns: &Netns| -> Vec<String> { links(netns).into_iter().map(|l| l.name).collect() };
    assert_eq!(names(&node_netns), ["cni0", "lo"]);
    assert_eq!(names(&pod_netns), ["lo"], "eth0 goes with its host end");
    assert!(node.network.ipam().allocations().unwrap().is_empty());
    let error = connect_error(&pod_netns, ip("10.244.1.1"));
    assert_eq!(
        error.raw_os_error(),
        Some(nix::libc::ENETUNREACH),
        "{error}"
    );
    node.network.detach("default/web-0").unwrap(); // twice is fine

    // The pod can come back; round robin gives it the next address.
    assert_eq!(
        node.network.attach(&pod_netns, "default/web-0").unwrap(),
        ip("10.244.1.3")
    );
}

#[test]
fn step1_a_failed_attach_leaves_nothing_behind() {
    labkit::require!(labkit::root());
    let node = node("node", "10.244.1.0/24", ip("192.168.77.1"));
    let pod = TestNetns::create("pod");
    let pod_netns = pod.open();
    // Someone else's eth0 is in the way (a veth pair of its own, with `other` as its far
    // end): renaming our peer to eth0 must fail.
    pod_netns
        .netlink(|handle| async move {
            handle
                .link()
                .add(LinkVeth::new("eth0", "other").build())
                .execute()
                .await
                .map_err(failed("create a foreign eth0"))
        })
        .unwrap();
    let error = node
        .network
        .attach(&pod_netns, "default/web-0")
        .unwrap_err();
    assert!(matches!(error, Error::Netlink { .. }), "{error}");

    let node_names: Vec<String> = links(&node.netns.open())
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(node_names, ["cni0", "lo"], "the veth pair was left behind");
    let pod_names: Vec<String> = links(&pod_netns).into_iter().map(|l| l.name).collect();
    assert_eq!(
        pod_names,
        ["eth0", "lo", "other"],
        "only the pod's own links stay"
    );
    assert!(
        node.network.ipam().allocations().unwrap().is_empty(),
        "address kept"
    );
}

#[test]
fn step1_attach_before_setup_node_names_the_missing_bridge() {
    labkit::require!(labkit::root());
    let netns = TestNetns::create("node");
    let state = tempfile::tempdir().unwrap();
    let config = lab_05::PodNetworkConfig::new("10.244.1.0/24".parse().unwrap(), state.path());
    let network = lab_05::PodNetwork::new(netns.open(), config).unwrap();
    let pod = TestNetns::create("pod");
    let error = network.attach(&pod.open(), "default/web-0").unwrap_err();
    assert_eq!(
        error.to_string(),
        "no interface cni0 in the node's namespace (call setup_node first)"
    );
    assert!(network.ipam().allocations().unwrap().is_empty());
}

#[test]
fn step1_route_reconcile_adds_removes_stale_and_keeps_foreign_routes() {
    labkit::require!(labkit::root());
    let node = node("node", "10.244.1.0/24", ip("192.168.77.1"));
    let netns = node.netns.open();
    // The node's own network (a veth pair with both ends up stands in for its NIC) and a
    // route someone else made, with `ip route add`'s protocol, "static".
    netns
        .netlink(|handle| async move {
            handle
                .link()
                .add(LinkVeth::new("uplink", "uplink-peer").up().build())
                .execute()
                .await
                .map_err(failed("create uplink"))?;
            let peer = crate::support::index(&handle, "uplink-peer").await?;
            handle
                .link()
                .set(LinkUnspec::new_with_index(peer).up().build())
                .execute()
                .await
                .map_err(failed("set uplink-peer up"))?;
            let uplink = crate::support::index(&handle, "uplink").await?;
            handle
                .address()
                .add(uplink, ip("192.168.77.1").into(), 24)
                .execute()
                .await
                .map_err(failed("address uplink"))?;
            let foreign = RouteMessageBuilder::<Ipv4Addr>::new()
                .destination_prefix(ip("10.99.0.0"), 24)
                .gateway(ip("192.168.77.99"))
                .build();
            handle
                .route()
                .add(foreign)
                .execute()
                .await
                .map_err(failed("add a foreign route"))
        })
        .unwrap();
    let peer = |cidr: &str, via: &str| PeerRoute {
        pod_cidr: cidr.parse().unwrap(),
        node_ip: ip(via),
    };
    let ours = |destination: &str, via: &str| Route {
        destination: destination.into(),
        gateway: Some(ip(via)),
        protocol: ROUTE_PROTOCOL,
    };
    let foreign = Route {
        destination: "10.99.0.0/24".into(),
        gateway: Some(ip("192.168.77.99")),
        protocol: 4,
    };
    // Sorted as text: 10.244... before 10.99...
    let with_gateway = |netns: &Netns| -> Vec<Route> {
        routes(netns)
            .into_iter()
            .filter(|route| route.gateway.is_some())
            .collect()
    };

    let plan = node
        .network
        .reconcile_routes(&[
            peer("10.244.2.0/24", "192.168.77.2"),
            peer("10.244.3.0/24", "192.168.77.3"),
        ])
        .unwrap();
    assert_eq!(plan.add.len(), 2);
    assert_eq!(
        with_gateway(&netns),
        [
            ours("10.244.2.0/24", "192.168.77.2"),
            ours("10.244.3.0/24", "192.168.77.3"),
            foreign.clone(),
        ]
    );
    // In sync: nothing to do.
    assert!(
        node.network
            .reconcile_routes(&[
                peer("10.244.3.0/24", "192.168.77.3"),
                peer("10.244.2.0/24", "192.168.77.2")
            ])
            .unwrap()
            .is_empty()
    );

    // Node 3 left, node 2 moved, and the node's own range is skipped.
    let plan = node
        .network
        .reconcile_routes(&[
            peer("10.244.2.0/24", "192.168.77.22"),
            peer("10.244.1.0/24", "192.168.77.1"),
        ])
        .unwrap();
    assert_eq!(plan.remove.len(), 2);
    assert_eq!(plan.add, [peer("10.244.2.0/24", "192.168.77.22")]);
    assert_eq!(
        with_gateway(&netns),
        [ours("10.244.2.0/24", "192.168.77.22"), foreign.clone()]
    );

    // No peers at all: every route of ours goes, the foreign one stays.
    node.network.reconcile_routes(&[]).unwrap();
    assert_eq!(with_gateway(&netns), [foreign]);
}

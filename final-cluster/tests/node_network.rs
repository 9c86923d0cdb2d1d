//! The node network, for real: a "host" namespace made for the test, three nodes plugged into
//! its bridge, and TCP between them and from the host. Needs root (it says "not run" without).
//!
//! Everything is named `fcnet-<pid>-...` and deleted at the end, also when an assertion fails:
//! the guard below downs every node and deletes the host namespace when dropped.

#![cfg(target_os = "linux")]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use final_cluster::node_network::{NodeNetwork, NodeNetworkConfig};
use lab_05::netns::Netns;

const NODES: [&str; 3] = ["k8smaster", "k8snode1", "k8snode2"];

/// The test's world; dropping it removes the nodes and the host namespace.
struct World {
    host_name: String,
    network: NodeNetwork,
    _state: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let pid = std::process::id();
        let host_name = format!("fcnet-{pid}-host");
        let host = Netns::create_named(&host_name).expect("create the host namespace");
        let state = tempfile::tempdir().unwrap();
        let mut config = NodeNetworkConfig::new(state.path());
        config.netns_prefix = format!("fcnet-{pid}-");
        let network = NodeNetwork::new(host, config).expect("open the node network");
        World {
            host_name,
            network,
            _state: state,
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        for node in NODES {
            if let Err(error) = self.network.down(node) {
                eprintln!("cleanup: node {node}: {error}");
            }
        }
        if let Err(error) = Netns::delete_named(&self.host_name) {
            eprintln!("cleanup: {}: {error}", self.host_name);
        }
    }
}

/// Sends a line from a socket opened in `from` to a listener opened in `to` at `address`.
fn exchange(from: &Netns, to: &Netns, address: Ipv4Addr) -> String {
    let listener = to
        .run(|| TcpListener::bind((address, 0)))
        .unwrap()
        .expect("listen inside the target namespace");
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut line = String::new();
        stream.read_to_string(&mut line).unwrap();
        line
    });
    from.run(|| {
        let mut stream =
            TcpStream::connect_timeout(&SocketAddr::from((address, port)), Duration::from_secs(5))
                .expect("connect across the node network");
        stream.write_all(b"hello over the bridge").unwrap();
    })
    .unwrap();
    server.join().unwrap()
}

#[test]
fn three_nodes_reach_each_other_and_the_host_reaches_them() {
    labkit::require!(labkit::root());
    let world = World::new();
    let nodes: Vec<_> = NODES
        .iter()
        .map(|name| world.network.up(name).expect("bring a node up"))
        .collect();
    let addresses: Vec<Ipv4Addr> = nodes.iter().map(|node| node.address).collect();
    assert_eq!(
        addresses,
        ["10.240.0.2", "10.240.0.3", "10.240.0.4"].map(|a| a.parse::<Ipv4Addr>().unwrap()),
        "addresses in order from .2"
    );
    // Up again: same address, nothing changes.
    assert_eq!(world.network.up("k8snode1").unwrap().address, addresses[1]);

    let host = Netns::named(&world.host_name).unwrap();
    for (i, from) in nodes.iter().enumerate() {
        let to = &nodes[(i + 1) % nodes.len()];
        assert_eq!(
            exchange(&from.netns, &to.netns, to.address),
            "hello over the bridge"
        );
    }
    // The host (kubectl's side) reaches a node, and a node reaches the host's gateway address.
    assert_eq!(
        exchange(&host, &nodes[0].netns, nodes[0].address),
        "hello over the bridge"
    );
    assert_eq!(
        exchange(&nodes[2].netns, &host, world.network.gateway()),
        "hello over the bridge"
    );

    // Down: the node's namespace is gone and its address released. Like host-local, the
    // allocator goes round robin, so the node comes back with the next address, reachable.
    world.network.down("k8snode2").unwrap();
    assert!(Netns::named(&format!("fcnet-{}-k8snode2", std::process::id())).is_err());
    let again = world.network.up("k8snode2").unwrap();
    assert_eq!(again.address, "10.240.0.5".parse::<Ipv4Addr>().unwrap());
    assert_eq!(
        exchange(&nodes[0].netns, &again.netns, again.address),
        "hello over the bridge"
    );
    drop(nodes);
    drop(again);
    world.network.teardown().unwrap();
}

#[test]
fn bad_node_names_are_refused() {
    let state = tempfile::tempdir().unwrap();
    let network = match Netns::open("/proc/self/ns/net") {
        Ok(host) => NodeNetwork::new(host, NodeNetworkConfig::new(state.path())).unwrap(),
        Err(error) => panic!("open our own namespace: {error}"),
    };
    for bad in ["", "Node1", "a/b", "../x", "a_b"] {
        let error = network.up(bad).unwrap_err().to_string();
        assert!(error.contains("not a valid name"), "{bad}: {error}");
    }
}

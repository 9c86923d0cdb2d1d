//! A two-node pod network to look at and poke: the same pieces as the tests, left standing
//! until you press Enter.
//!
//! ```console
//! cargo build -p lab-05 --example two_nodes
//! sudo target/debug/examples/two_nodes
//! ```
//!
//! It makes five network namespaces named `lab05-demo-*` (two nodes joined by a cable, one pod
//! on each, and nothing on your own network), prints what to try, and deletes them all when you
//! press Enter (or at the next start, if it was killed).

#[cfg(target_os = "linux")]
fn main() -> anyhow::Result<()> {
    demo::main()
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("the demo needs Linux network namespaces (run it in the Vagrant VMs)");
}

/// Everything, on Linux.
#[cfg(target_os = "linux")]
mod demo {
    use std::net::Ipv4Addr;

    use anyhow::{Context, Result};
    use lab_05::netns::Netns;
    use lab_05::routes::PeerRoute;
    use lab_05::uplink::{self, NodeEnd};
    use lab_05::{PodNetwork, PodNetworkConfig};

    const NAMES: [&str; 4] = [
        "lab05-demo-node1",
        "lab05-demo-node2",
        "lab05-demo-pod-a",
        "lab05-demo-pod-b",
    ];

    /// Deletes the demo's namespaces when dropped: on Enter, on an error, on a panic.
    struct Cleanup;

    impl Drop for Cleanup {
        fn drop(&mut self) {
            for name in NAMES {
                if let Err(error) = Netns::delete_named(name) {
                    eprintln!("deleting {name}: {error}");
                }
            }
        }
    }

    pub(crate) fn main() -> Result<()> {
        // Leftovers of a demo that was killed go first.
        drop(Cleanup);
        let _cleanup = Cleanup;
        let create = |name: &str| {
            Netns::create_named(name).with_context(|| format!("creating {name} (run as root)"))
        };
        let [node1, node2, pod_a, pod_b] = NAMES.map(create);
        let (node1, node2, pod_a, pod_b) = (node1?, node2?, pod_a?, pod_b?);
        let state = tempfile::tempdir()?;

        let addresses = [
            Ipv4Addr::new(192, 168, 77, 1),
            Ipv4Addr::new(192, 168, 77, 2),
        ];
        uplink::connect_nodes(
            "eth0",
            24,
            NodeEnd {
                netns: &node1,
                address: addresses[0],
            },
            NodeEnd {
                netns: &node2,
                address: addresses[1],
            },
        )?;
        let network = |node: Netns, cidr: &str, dir: &str| -> Result<PodNetwork> {
            let config = PodNetworkConfig::new(cidr.parse()?, state.path().join(dir));
            let network = PodNetwork::new(node, config)?;
            network.setup_node()?;
            Ok(network)
        };
        let one = network(node1, "10.244.1.0/24", "node1")?;
        let two = network(node2, "10.244.2.0/24", "node2")?;
        one.reconcile_routes(&[PeerRoute {
            pod_cidr: two.pod_cidr(),
            node_ip: addresses[1],
        }])?;
        two.reconcile_routes(&[PeerRoute {
            pod_cidr: one.pod_cidr(),
            node_ip: addresses[0],
        }])?;
        let a = one.attach(&pod_a, "default/pod-a")?;
        let b = two.attach(&pod_b, "default/pod-b")?;

        let ipam_dir = state.path().join("node1");
        let lines = [
            format!(
                "node lab05-demo-node1  192.168.77.1  pods 10.244.1.0/24:  lab05-demo-pod-a  {a}"
            ),
            format!(
                "node lab05-demo-node2  192.168.77.2  pods 10.244.2.0/24:  lab05-demo-pod-b  {b}"
            ),
            String::new(),
            "Try, in another terminal (as root):".to_owned(),
            format!("  ip netns exec lab05-demo-pod-a busybox ping -c3 {b}       # across nodes"),
            format!("  ip netns exec lab05-demo-pod-a busybox traceroute -n {b}  # the hops"),
            "  ip -n lab05-demo-node1 route                     # 'proto 75': our host-gw route"
                .to_owned(),
            "  ip -n lab05-demo-node1 -d link show master cni0  # the pod's veth on the bridge"
                .to_owned(),
            "  ip -n lab05-demo-pod-a addr show eth0            # the pod's side".to_owned(),
            format!("  ls {}    # the IPAM files", ipam_dir.display()),
            String::new(),
            "Press Enter to delete it all.".to_owned(),
        ];
        println!("{}", lines.join("\n"));
        std::io::stdin().read_line(&mut String::new())?;
        one.detach("default/pod-a")?;
        two.detach("default/pod-b")?;
        Ok(())
    }
}

//! Test fixtures for the pod network: network namespaces that delete themselves, "nodes" with
//! a link between them, and probes (links, addresses, routes, a TCP exchange).
//!
//! Every namespace is named `lab05-<what>-<pid>-<n>`, so tests running in parallel never share
//! one, and `ip netns list | grep lab05` after a run shows anything left behind (nothing
//! should be: [`TestNetns`] deletes its namespace when dropped, also when the test panics, and
//! deleting a namespace deletes every interface in it and the far end of each veth pair).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::TryStreamExt;
use lab_05::ipam::PodCidr;
use lab_05::netns::Netns;
use lab_05::routes::PeerRoute;
use lab_05::uplink::{self, NodeEnd};
use lab_05::{Error, PodNetwork, PodNetworkConfig};
use rtnetlink::packet_route::address::AddressAttribute;
use rtnetlink::packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use rtnetlink::packet_route::route::{RouteAddress, RouteAttribute, RouteHeader};
use rtnetlink::{Handle, RouteMessageBuilder};

/// A named network namespace that is deleted when dropped.
pub(crate) struct TestNetns {
    name: String,
}

impl TestNetns {
    /// Creates `lab05-<tag>-<pid>-<n>`.
    pub(crate) fn create(tag: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "lab05-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        Netns::create_named(&name).unwrap_or_else(|error| panic!("create {name}: {error}"));
        Self { name }
    }

    /// Opens the namespace (a new descriptor each time).
    pub(crate) fn open(&self) -> Netns {
        Netns::named(&self.name).unwrap_or_else(|error| panic!("open {}: {error}", self.name))
    }
}

impl Drop for TestNetns {
    fn drop(&mut self) {
        if let Err(error) = Netns::delete_named(&self.name) {
            eprintln!("cleanup: deleting network namespace {}: {error}", self.name);
        }
    }
}

/// A "node": its namespace, its pod network (bridge set up) and its address on the node
/// network (when linked to another node).
pub(crate) struct TestNode {
    pub(crate) network: PodNetwork,
    pub(crate) netns: TestNetns,
    pub(crate) ip: Ipv4Addr,
    _state: tempfile::TempDir,
}

/// A node with pod range `cidr`, its bridge set up, not yet linked to anything.
pub(crate) fn node(tag: &str, cidr: &str, ip: Ipv4Addr) -> TestNode {
    let netns = TestNetns::create(tag);
    let state = tempfile::tempdir().unwrap();
    let pod_cidr: PodCidr = cidr.parse().unwrap();
    let network =
        PodNetwork::new(netns.open(), PodNetworkConfig::new(pod_cidr, state.path())).unwrap();
    network.setup_node().unwrap();
    TestNode {
        network,
        netns,
        ip,
        _state: state,
    }
}

/// Two nodes, 10.244.1.0/24 on 192.168.77.1 and 10.244.2.0/24 on 192.168.77.2, joined by a
/// veth pair (`uplink` on both sides: a cable between two machines), with host-gw routes to
/// each other's pods.
pub(crate) fn two_nodes() -> (TestNode, TestNode) {
    let one = node("node1", "10.244.1.0/24", Ipv4Addr::new(192, 168, 77, 1));
    let two = node("node2", "10.244.2.0/24", Ipv4Addr::new(192, 168, 77, 2));
    connect_nodes(&one, &two);
    for (node, peer) in [(&one, &two), (&two, &one)] {
        let route = PeerRoute {
            pod_cidr: peer.network.pod_cidr(),
            node_ip: peer.ip,
        };
        node.network.reconcile_routes(&[route]).unwrap();
    }
    (one, two)
}

/// The node network: a veth pair `uplink` between the two nodes, addressed in 192.168.77.0/24.
fn connect_nodes(one: &TestNode, two: &TestNode) {
    let (one_netns, two_netns) = (one.netns.open(), two.netns.open());
    uplink::connect_nodes(
        "uplink",
        24,
        NodeEnd {
            netns: &one_netns,
            address: one.ip,
        },
        NodeEnd {
            netns: &two_netns,
            address: two.ip,
        },
    )
    .unwrap();
}

/// Wraps an rtnetlink error of a fixture step.
pub(crate) fn failed(what: &str) -> impl FnOnce(rtnetlink::Error) -> Error {
    let what = what.to_owned();
    move |source| Error::Netlink { what, source }
}

/// The index of link `name` (it must exist).
pub(crate) async fn index(handle: &Handle, name: &str) -> Result<u32, Error> {
    let link = handle
        .link()
        .get()
        .match_name(name)
        .execute()
        .try_next()
        .await
        .map_err(failed(&format!("look up {name}")))?;
    Ok(link.map_or(0, |link| link.header.index))
}

/// What a test wants to know about a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    pub(crate) name: String,
    pub(crate) index: u32,
    pub(crate) up: bool,
    /// The index of the bridge it is plugged into.
    pub(crate) controller: Option<u32>,
    pub(crate) ipv4: Vec<(Ipv4Addr, u8)>,
}

/// Every link of a namespace with its IPv4 addresses, by name.
pub(crate) fn links(netns: &Netns) -> Vec<Link> {
    netns
        .netlink(|handle| async move {
            let messages: Vec<LinkMessage> = handle
                .link()
                .get()
                .execute()
                .try_collect()
                .await
                .map_err(failed("list links"))?;
            let mut links = Vec::new();
            for message in messages {
                let index = message.header.index;
                let addresses: Vec<_> = handle
                    .address()
                    .get()
                    .set_link_index_filter(index)
                    .execute()
                    .try_collect()
                    .await
                    .map_err(failed("list addresses"))?;
                let ipv4 = addresses
                    .iter()
                    .flat_map(|address| {
                        address
                            .attributes
                            .iter()
                            .filter_map(|attribute| match attribute {
                                AddressAttribute::Address(std::net::IpAddr::V4(ip)) => {
                                    Some((*ip, address.header.prefix_len))
                                }
                                _ => None,
                            })
                    })
                    .collect();
                links.push(Link {
                    name: message
                        .attributes
                        .iter()
                        .find_map(|a| match a {
                            LinkAttribute::IfName(name) => Some(name.clone()),
                            _ => None,
                        })
                        .unwrap_or_default(),
                    index,
                    up: message.header.flags.contains(LinkFlags::Up),
                    controller: message.attributes.iter().find_map(|a| match a {
                        LinkAttribute::Controller(index) => Some(*index),
                        _ => None,
                    }),
                    ipv4,
                });
            }
            links.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(links)
        })
        .unwrap()
}

/// The link `name` of `netns`, if there is one.
pub(crate) fn link(netns: &Netns, name: &str) -> Option<Link> {
    links(netns).into_iter().find(|link| link.name == name)
}

/// One route of the main table: "dst/len", the gateway, the protocol number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Route {
    pub(crate) destination: String,
    pub(crate) gateway: Option<Ipv4Addr>,
    pub(crate) protocol: u8,
}

/// The IPv4 routes of the main table, sorted.
pub(crate) fn routes(netns: &Netns) -> Vec<Route> {
    netns
        .netlink(|handle| async move {
            let messages: Vec<_> = handle
                .route()
                .get(RouteMessageBuilder::<Ipv4Addr>::new().build())
                .execute()
                .try_collect()
                .await
                .map_err(failed("list routes"))?;
            let mut routes: Vec<Route> = messages
                .iter()
                .filter(|route| route.header.table == RouteHeader::RT_TABLE_MAIN)
                .map(|route| {
                    let mut destination = Ipv4Addr::UNSPECIFIED;
                    let mut gateway = None;
                    for attribute in &route.attributes {
                        match attribute {
                            RouteAttribute::Destination(RouteAddress::Inet(ip)) => {
                                destination = *ip;
                            }
                            RouteAttribute::Gateway(RouteAddress::Inet(ip)) => gateway = Some(*ip),
                            _ => {}
                        }
                    }
                    Route {
                        destination: format!(
                            "{destination}/{}",
                            route.header.destination_prefix_length
                        ),
                        gateway,
                        protocol: u8::from(route.header.protocol),
                    }
                })
                .collect();
            routes.sort();
            Ok(routes)
        })
        .unwrap()
}

/// Reads `/proc/sys/net/ipv4/ip_forward` as seen from inside `netns`.
pub(crate) fn ip_forward(netns: &Netns) -> String {
    netns
        .run(|| std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward"))
        .unwrap()
        .unwrap()
        .trim()
        .to_owned()
}

/// Listens on `address` inside `to`, connects from inside `from`, and returns what the
/// listener said: "hello from <address>". An error means `from` cannot reach `address`.
pub(crate) fn tcp_exchange(from: &Netns, to: &Netns, address: Ipv4Addr) -> std::io::Result<String> {
    // The listening socket belongs to `to`'s namespace because it is created there; accepting
    // on it from this process's other threads is fine.
    let listener = to.run(|| TcpListener::bind((address, 0))).unwrap()?;
    let port = listener.local_addr()?.port();
    listener.set_nonblocking(true)?;
    let server = std::thread::spawn(move || {
        let mut stream = labkit::poll_until(Duration::from_secs(10), "a connection", || {
            match listener.accept() {
                Ok((stream, _)) => Some(Ok(stream)),
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => None,
                Err(error) => Some(Err(error)),
            }
        })?;
        stream.write_all(format!("hello from {address}").as_bytes())
    });
    let target = SocketAddr::from((address, port));
    let reply = from
        .run(|| {
            let mut stream = TcpStream::connect_timeout(&target, Duration::from_secs(5))?;
            let mut reply = String::new();
            stream.read_to_string(&mut reply)?;
            Ok::<_, std::io::Error>(reply)
        })
        .unwrap()?;
    server.join().unwrap()?;
    Ok(reply)
}

/// Connects from inside `from` to `address` (any port) and returns the error: used where
/// `from` must have no route at all (its `eth0` is gone), so the kernel refuses at once.
pub(crate) fn connect_error(from: &Netns, address: Ipv4Addr) -> std::io::Error {
    from.run(|| {
        TcpStream::connect_timeout(&SocketAddr::from((address, 80)), Duration::from_secs(5))
    })
    .unwrap()
    .expect_err("connected, but the pod was detached")
}

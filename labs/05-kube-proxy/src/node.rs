//! The node side of the pod network: the bridge every pod of the node plugs into, and IP
//! forwarding, so the node routes packets between its pods and the other nodes.
//!
//! ```text
//!        node k8snode1 (its own network namespace)
//!   ┌───────────────────────────────────────────────────────┐
//!   │  cni0 (bridge) 10.244.1.1/24   ip_forward = 1         │
//!   │    ├── veth1a2b3c4d ──────── eth0 10.244.1.2 (pod A)  │
//!   │    └── veth5e6f7a8b ──────── eth0 10.244.1.3 (pod B)  │
//!   │  eth0 192.168.77.11 ── to the other nodes             │
//!   └───────────────────────────────────────────────────────┘
//! ```
//!
//! A bridge is a virtual Ethernet switch: frames from one port go out of the port that leads
//! to their destination MAC. Giving the bridge an address (the range's gateway, `.1`) also
//! makes it the node's own interface on the pod subnet: pods send everything not on their
//! subnet to it, and the node routes it on.

use std::net::Ipv4Addr;

use rtnetlink::{Handle, LinkBridge, LinkUnspec};

use crate::Error;
use crate::ipam::PodCidr;
use crate::netlink::{exists_ok, failed, link_index, require_link};

/// The bridge name the CNI `bridge` plugin uses by default (and Flannel, and kubenet).
pub const DEFAULT_BRIDGE: &str = "cni0";

/// Where the kernel's IPv4 forwarding switch is, in the namespace of the reading thread.
pub const IP_FORWARD: &str = "/proc/sys/net/ipv4/ip_forward";

/// Creates the bridge `name` if missing, with the range's gateway address, and sets it up.
/// Returns its interface index. Safe to call again: what exists is kept.
pub(crate) async fn ensure_bridge(
    handle: &Handle,
    name: &str,
    cidr: PodCidr,
) -> Result<u32, Error> {
    if link_index(handle, name).await?.is_none() {
        let bridge = LinkBridge::new(name)
            .address(gateway_mac(cidr.gateway()).to_vec())
            .build();
        exists_ok(
            handle
                .link()
                .add(bridge)
                .execute()
                .await
                .map_err(failed(format!("create bridge {name}"))),
        )?;
    }
    let index = require_link(handle, name, "node's namespace", "").await?;
    exists_ok(
        handle
            .address()
            .add(index, cidr.gateway().into(), cidr.prefix_len())
            .execute()
            .await
            .map_err(failed(format!("add {} to {name}", cidr.gateway()))),
    )?;
    handle
        .link()
        .set(LinkUnspec::new_with_index(index).up().build())
        .execute()
        .await
        .map_err(failed(format!("set {name} up")))?;
    Ok(index)
}

/// The bridge's MAC address: `0a:58` and then the gateway's four bytes, the convention of
/// OVN-Kubernetes and the CNI plugins' "0a:58" prefix (a locally administered address).
///
/// Why set one at all: a bridge created without an address takes the lowest MAC of its ports
/// and changes it when ports come and go, so a pod that cached the gateway's MAC would send to
/// an address the bridge no longer owns. An address set by hand never changes.
pub fn gateway_mac(gateway: Ipv4Addr) -> [u8; 6] {
    let [a, b, c, d] = gateway.octets();
    [0x0a, 0x58, a, b, c, d]
}

/// Switches IPv4 forwarding on in the namespace of the calling thread (run it through
/// [`crate::netns::Netns::run`]). Without it the node drops every packet that is not for itself,
/// so pods could reach the node but nothing beyond it.
pub(crate) fn enable_ip_forward() -> Result<(), Error> {
    let sysctl = |source| Error::Sysctl {
        path: IP_FORWARD.to_owned(),
        source,
    };
    let current = std::fs::read_to_string(IP_FORWARD).map_err(sysctl)?;
    if current.trim() != "1" {
        std::fs::write(IP_FORWARD, "1").map_err(sysctl)?;
        tracing::info!("enabled IPv4 forwarding");
    }
    Ok(())
}

//! The pod side of the pod network: a veth pair from the node's bridge into the pod.
//!
//! A veth pair is a virtual Ethernet cable: two interfaces, and a frame sent into one comes out
//! of the other. One end stays on the node, plugged into the bridge; the other is moved into
//! the pod's network namespace, renamed `eth0`, and given the pod's address:
//!
//! ```text
//!  node namespace                          pod namespace
//!  cni0 ── veth1a2b3c4d  ═══ veth pair ═══  eth0 10.244.1.2/24
//!                                           default via 10.244.1.1
//! ```
//!
//! Attaching is two phases, each on a thread inside the namespace it changes (see
//! [`crate::netns`]):
//!
//! 1. On the node (`plug_into_bridge`): create the pair, the host end on the bridge and up,
//!    then move the peer into the pod's namespace.
//! 2. In the pod (`configure_pod_side`): rename the peer `eth0`, give it the address, bring
//!    `lo` and `eth0` up, and route everything else through the gateway.
//!
//! If anything fails half-way, deleting the host end undoes it all: the kernel deletes both
//! ends of a veth pair together, wherever the other end is.

use std::net::Ipv4Addr;
use std::os::fd::RawFd;

use rtnetlink::{Handle, LinkUnspec, LinkVeth, RouteMessageBuilder};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::ipam::PodCidr;
use crate::netlink::{failed, has_address, link_index, require_link};

/// The name of the pod's interface, as every Kubernetes network plugin names it.
pub const POD_INTERFACE: &str = "eth0";

/// The two names of a pod's veth pair, derived from the pod key so that `detach` can find the
/// host end again from the key alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VethNames {
    /// The end on the node's bridge: `veth` and 8 hex digits (12 characters).
    pub host: String,
    /// The other end's name until it is renamed `eth0` inside the pod: `vpod` and the same
    /// digits. It only exists for a moment, in the node's namespace.
    pub peer: String,
}

impl VethNames {
    /// The names for `pod_key` (such as `default/web-0`): the first 32 bits of its SHA-256.
    ///
    /// Interface names have at most 15 characters, too few for a pod's name, so a hash it is
    /// (the CNI bridge plugin uses random names and keeps a record instead).
    pub fn for_pod(pod_key: &str) -> Self {
        let digest = Sha256::digest(pod_key.as_bytes());
        let suffix: String = digest[..4]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Self {
            host: format!("veth{suffix}"),
            peer: format!("vpod{suffix}"),
        }
    }
}

// ANCHOR: plug_into_bridge
/// Phase 1, in the node's namespace: creates the veth pair `names`, puts the host end on the
/// bridge (`bridge_index`) and up, and moves the peer into the pod's namespace (`pod_netns`, a
/// descriptor of its namespace file).
pub(crate) async fn plug_into_bridge(
    handle: &Handle,
    bridge_index: u32,
    names: &VethNames,
    pod_netns: RawFd,
) -> Result<(), Error> {
    // BEGIN SOLUTION step-1: add a veth pair (LinkVeth::new(host, peer)); set the host end's controller to the bridge and up; set the peer's namespace with setns_by_fd(pod_netns)
    handle
        .link()
        .add(LinkVeth::new(&names.host, &names.peer).build())
        .execute()
        .await
        .map_err(failed(format!(
            "create veth {} / {}",
            names.host, names.peer
        )))?;
    let host = require_link(handle, &names.host, "node's namespace", "").await?;
    // "controller" is the netlink name of what `ip link set ... master cni0` sets.
    handle
        .link()
        .set(
            LinkUnspec::new_with_index(host)
                .controller(bridge_index)
                .up()
                .build(),
        )
        .execute()
        .await
        .map_err(failed(format!("plug {} into the bridge", names.host)))?;
    let peer = require_link(handle, &names.peer, "node's namespace", "").await?;
    handle
        .link()
        .set(
            LinkUnspec::new_with_index(peer)
                .setns_by_fd(pod_netns)
                .build(),
        )
        .execute()
        .await
        .map_err(failed(format!("move {} into the pod", names.peer)))?;
    Ok(())
    // END SOLUTION
}
// ANCHOR_END: plug_into_bridge

// ANCHOR: configure_pod_side
/// Phase 2, in the pod's namespace: renames the arrived `peer` to `eth0`, gives it `address`
/// with the range's prefix, brings `lo` and `eth0` up, and adds the default route via the
/// range's gateway.
pub(crate) async fn configure_pod_side(
    handle: &Handle,
    peer: &str,
    address: Ipv4Addr,
    cidr: PodCidr,
) -> Result<(), Error> {
    // BEGIN SOLUTION step-1: set lo up; rename the peer to eth0 (it is still down, so the kernel allows it); add address/prefix; set eth0 up; add the route 0.0.0.0/0 via the gateway
    let lo = require_link(handle, "lo", "pod's namespace", "").await?;
    handle
        .link()
        .set(LinkUnspec::new_with_index(lo).up().build())
        .execute()
        .await
        .map_err(failed("set lo up"))?;
    let index = require_link(handle, peer, "pod's namespace", "").await?;
    // A link can only be renamed while it is down, which the new peer still is.
    handle
        .link()
        .set(
            LinkUnspec::new_with_index(index)
                .name(POD_INTERFACE)
                .build(),
        )
        .execute()
        .await
        .map_err(failed(format!("rename {peer} to {POD_INTERFACE}")))?;
    handle
        .address()
        .add(index, address.into(), cidr.prefix_len())
        .execute()
        .await
        .map_err(failed(format!(
            "add {address}/{} to {POD_INTERFACE}",
            cidr.prefix_len()
        )))?;
    handle
        .link()
        .set(LinkUnspec::new_with_index(index).up().build())
        .execute()
        .await
        .map_err(failed(format!("set {POD_INTERFACE} up")))?;
    // Adding the address made the kernel add "10.244.1.0/24 dev eth0" by itself; everything
    // else goes to the gateway, the node's bridge.
    let default_route = RouteMessageBuilder::<Ipv4Addr>::new()
        .destination_prefix(Ipv4Addr::UNSPECIFIED, 0)
        .gateway(cidr.gateway())
        .output_interface(index)
        .build();
    handle
        .route()
        .add(default_route)
        .execute()
        .await
        .map_err(failed(format!(
            "add the default route via {}",
            cidr.gateway()
        )))?;
    Ok(())
    // END SOLUTION
}
// ANCHOR_END: configure_pod_side

/// Whether the pod's namespace already has `eth0` with `address` (attach ran before).
pub(crate) async fn pod_side_ready(
    handle: &Handle,
    address: Ipv4Addr,
    cidr: PodCidr,
) -> Result<bool, Error> {
    match link_index(handle, POD_INTERFACE).await? {
        Some(index) => has_address(handle, index, address, cidr.prefix_len()).await,
        None => Ok(false),
    }
}

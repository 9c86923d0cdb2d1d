//! Routes between nodes, Flannel's "host-gw" way: to reach another node's pods, send the
//! packet to that node.
//!
//! Each node knows its own pods (they are on its bridge). For every other node it needs one
//! route, "that node's podCIDR via that node's address":
//!
//! ```text
//! on k8snode1:   10.244.2.0/24 via 192.168.77.12   (k8snode2's pods)
//!                10.244.0.0/24 via 192.168.77.10   (k8smaster's pods)
//! ```
//!
//! This only works when the nodes share a network segment (the next hop must be directly
//! reachable); an *overlay* such as VXLAN (step 2) wraps pod packets in packets between node
//! addresses instead, and works across any network, for some bytes of header per packet.
//!
//! The routes are *reconciled*, like everything in Kubernetes: given the desired set (from the
//! Node objects), add what is missing and remove what is stale. A node's routing table also
//! holds routes we did not make (the kernel's, the administrator's), so ours carry a mark: the
//! route's *protocol* field, which the kernel stores but never interprets. `ip route` shows it
//! as `proto 75`; we only ever list and delete routes with that mark.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use crate::ipam::PodCidr;

/// The route protocol number that marks routes as ours: 75 is `K` in ASCII and unused in
/// `/etc/iproute2/rt_protos` (Calico, for comparison, marks its routes with 80).
pub const ROUTE_PROTOCOL: u8 = 75;

/// One route to another node's pods: its podCIDR, via its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerRoute {
    /// The other node's `spec.podCIDR`.
    pub pod_cidr: PodCidr,
    /// The other node's address (its `InternalIP`), the next hop.
    pub node_ip: Ipv4Addr,
}

/// What a reconcile changes: routes to remove, then routes to add, each in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoutePlan {
    /// Routes we own that are not wanted any more (or point to an old next hop).
    pub remove: Vec<PeerRoute>,
    /// Wanted routes that are missing.
    pub add: Vec<PeerRoute>,
}

impl RoutePlan {
    /// Whether the table is already as desired.
    pub fn is_empty(&self) -> bool {
        self.remove.is_empty() && self.add.is_empty()
    }
}

// ANCHOR: plan_routes
/// Compares the routes we own now (`current`) with the `desired` ones: every current route that
/// is not desired is removed, every desired route that is not current is added. A podCIDR
/// whose next hop changed appears in both lists (removed first, so the add does not clash).
/// Both lists are sorted, so the plan is deterministic.
pub fn plan_routes(current: &[PeerRoute], desired: &[PeerRoute]) -> RoutePlan {
    // BEGIN SOLUTION step-1: remove = current minus desired, add = desired minus current, both sorted and without duplicates
    let current: BTreeSet<PeerRoute> = current.iter().copied().collect();
    let desired: BTreeSet<PeerRoute> = desired.iter().copied().collect();
    RoutePlan {
        remove: current.difference(&desired).copied().collect(),
        add: desired.difference(&current).copied().collect(),
    }
    // END SOLUTION
}
// ANCHOR_END: plan_routes

#[cfg(target_os = "linux")]
pub(crate) use kernel::reconcile;

/// The netlink half: list our routes, apply a plan.
#[cfg(target_os = "linux")]
mod kernel {
    use std::net::Ipv4Addr;

    use futures_util::TryStreamExt;
    use rtnetlink::packet_route::route::{
        RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol,
    };
    use rtnetlink::{Handle, RouteMessageBuilder};

    use super::{PeerRoute, ROUTE_PROTOCOL, RoutePlan, plan_routes};
    use crate::Error;
    use crate::ipam::PodCidr;
    use crate::netlink::failed;

    /// Makes the main routing table's routes marked [`ROUTE_PROTOCOL`] equal `desired`.
    /// Returns what it changed.
    pub(crate) async fn reconcile(
        handle: &Handle,
        desired: &[PeerRoute],
    ) -> Result<RoutePlan, Error> {
        let plan = plan_routes(&owned_routes(handle).await?, desired);
        for route in &plan.remove {
            handle
                .route()
                .del(message(route))
                .execute()
                .await
                .map_err(failed(format!("delete route {route:?}")))?;
            tracing::info!(cidr = %route.pod_cidr, via = %route.node_ip, "removed stale route");
        }
        for route in &plan.add {
            handle
                .route()
                .add(message(route))
                .execute()
                .await
                .map_err(failed(format!(
                    "add route {} via {}",
                    route.pod_cidr, route.node_ip
                )))?;
            tracing::info!(cidr = %route.pod_cidr, via = %route.node_ip, "added route");
        }
        Ok(plan)
    }

    /// The routes of the main table that carry our mark. Routes of other protocols (the
    /// kernel's, `ip route add`'s "static", a routing daemon's) are never returned, so never
    /// removed.
    async fn owned_routes(handle: &Handle) -> Result<Vec<PeerRoute>, Error> {
        let mut routes = handle
            .route()
            .get(RouteMessageBuilder::<Ipv4Addr>::new().build())
            .execute();
        let mut owned = Vec::new();
        while let Some(route) = routes.try_next().await.map_err(failed("list routes"))? {
            if route.header.table != RouteHeader::RT_TABLE_MAIN
                || u8::from(route.header.protocol) != ROUTE_PROTOCOL
            {
                continue;
            }
            if let Some(peer) = peer_route(&route) {
                owned.push(peer);
            }
        }
        Ok(owned)
    }

    /// Reads a dumped route back as a [`PeerRoute`] (None for shapes we never make).
    fn peer_route(route: &RouteMessage) -> Option<PeerRoute> {
        let mut destination = None;
        let mut gateway = None;
        for attribute in &route.attributes {
            match attribute {
                RouteAttribute::Destination(RouteAddress::Inet(address)) => {
                    destination = Some(*address);
                }
                RouteAttribute::Gateway(RouteAddress::Inet(address)) => gateway = Some(*address),
                _ => {}
            }
        }
        let pod_cidr = PodCidr::new(destination?, route.header.destination_prefix_length).ok()?;
        Some(PeerRoute {
            pod_cidr,
            node_ip: gateway?,
        })
    }

    /// The route message for `route`, with our mark. Used to add and to delete: the kernel
    /// deletes only a route whose protocol matches, one more guard for foreign routes.
    fn message(route: &PeerRoute) -> RouteMessage {
        RouteMessageBuilder::<Ipv4Addr>::new()
            .destination_prefix(route.pod_cidr.network(), route.pod_cidr.prefix_len())
            .gateway(route.node_ip)
            .protocol(RouteProtocol::from(ROUTE_PROTOCOL))
            .build()
    }
}

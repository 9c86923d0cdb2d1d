//! A cable between two node namespaces: the "node network" of the tests and the demo.
//!
//! A real node reaches the others through its network card. Nodes made of network namespaces on
//! one machine need a stand-in: a veth pair with one end in each node, both named `name` (as if
//! each machine had an `eth0`), addressed in one subnet. The final cluster's launcher joins
//! three or more nodes through a bridge instead; two nodes need only the cable.

use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;

use rtnetlink::{Handle, LinkUnspec, LinkVeth};

use crate::Error;
use crate::netlink::{check_link_name, failed, require_link};
use crate::netns::Netns;

/// One end of the cable: the node's namespace and its address on the node network.
#[derive(Debug, Clone, Copy)]
pub struct NodeEnd<'a> {
    /// The node's namespace.
    pub netns: &'a Netns,
    /// The node's address (its `InternalIP`).
    pub address: Ipv4Addr,
}

/// Joins two node namespaces with a veth pair called `name` on both sides, each end with its
/// node's address and `prefix_len`, up (with `lo`).
pub fn connect_nodes(
    name: &str,
    prefix_len: u8,
    one: NodeEnd<'_>,
    two: NodeEnd<'_>,
) -> Result<(), Error> {
    check_link_name(name)?;
    // The far end needs a name that is free in the first namespace until it moves.
    let far = format!("{}-far", name.chars().take(11).collect::<String>());
    let far = far.as_str();
    let two_fd = two.netns.as_raw_fd();
    one.netns.netlink(|handle| async move {
        handle
            .link()
            .add(LinkVeth::new(name, far).build())
            .execute()
            .await
            .map_err(failed(format!("create veth {name} / {far}")))?;
        let far_index = require_link(&handle, far, "node's namespace", "").await?;
        handle
            .link()
            .set(
                LinkUnspec::new_with_index(far_index)
                    .setns_by_fd(two_fd)
                    .build(),
            )
            .execute()
            .await
            .map_err(failed(format!("move {far} to the other node")))?;
        address_and_up(&handle, name, one.address, prefix_len).await
    })?;
    two.netns.netlink(|handle| async move {
        let index = require_link(&handle, far, "node's namespace", "").await?;
        handle
            .link()
            .set(LinkUnspec::new_with_index(index).name(name).build())
            .execute()
            .await
            .map_err(failed(format!("rename {far} to {name}")))?;
        address_and_up(&handle, name, two.address, prefix_len).await
    })
}

async fn address_and_up(
    handle: &Handle,
    name: &str,
    address: Ipv4Addr,
    prefix_len: u8,
) -> Result<(), Error> {
    let index = require_link(handle, name, "node's namespace", "").await?;
    handle
        .address()
        .add(index, address.into(), prefix_len)
        .execute()
        .await
        .map_err(failed(format!("add {address}/{prefix_len} to {name}")))?;
    for (link, what) in [
        (index, name),
        (
            require_link(handle, "lo", "node's namespace", "").await?,
            "lo",
        ),
    ] {
        handle
            .link()
            .set(LinkUnspec::new_with_index(link).up().build())
            .execute()
            .await
            .map_err(failed(format!("set {what} up")))?;
    }
    Ok(())
}

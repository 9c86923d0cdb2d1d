//! Bringing a network interface up through rtnetlink, the way `ip link set lo up` does.
//!
//! A new network namespace has one interface, `lo`, and it is *down*: nothing, not even
//! `127.0.0.1`, works until someone sets it up. The kernel's interface for network
//! configuration is not a system call per operation but a socket: an `AF_NETLINK` socket of
//! protocol `NETLINK_ROUTE` ("rtnetlink", see `rtnetlink(7)`), to which a program sends
//! requests as binary messages and from which it reads the answers. `ip` from iproute2 is such
//! a program; so is this file, with the message types of the `netlink-packet-route` crate and
//! the socket of `netlink-sys`, used synchronously (one request, one answer, no async runtime).
//!
//! The request is one `RTM_SETLINK` message:
//!
//! ```text
//! nlmsghdr   { type: RTM_SETLINK, flags: NLM_F_REQUEST|NLM_F_ACK, seq: 1 }
//! ifinfomsg  { index: 0, flags: IFF_UP, change: IFF_UP }    "set the UP bit, leave the rest"
//! attribute  IFLA_IFNAME = "lo"                             index 0: find it by name
//! ```
//!
//! and because of `NLM_F_ACK` the kernel always answers with an `NLMSG_ERROR` message whose
//! code is 0 (an acknowledgement) or a negative errno.

use std::io;

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use netlink_sys::protocols::NETLINK_ROUTE;
use netlink_sys::{Socket, SocketAddr};

// ANCHOR: set_link_up
/// Sets the interface `name` of the caller's network namespace up.
pub fn set_link_up(name: &str) -> io::Result<()> {
    // The socket belongs to the network namespace of the thread that creates it, so this
    // must run after `unshare(CLONE_NEWNET)`, in the same thread.
    let mut socket = Socket::new(NETLINK_ROUTE)?;
    socket.bind_auto()?;
    // Port 0 is the kernel.
    socket.connect(&SocketAddr::new(0, 0))?;

    let mut link = LinkMessage::default();
    link.header.flags = LinkFlags::Up;
    link.header.change_mask = LinkFlags::Up;
    link.attributes.push(LinkAttribute::IfName(name.to_owned()));
    let mut request = NetlinkMessage::new(
        NetlinkHeader::default(),
        NetlinkPayload::from(RouteNetlinkMessage::SetLink(link)),
    );
    request.header.flags = NLM_F_REQUEST | NLM_F_ACK;
    request.header.sequence_number = 1;
    // `finalize` fills in the header's length and message type from the payload.
    request.finalize();
    let mut bytes = vec![0; request.buffer_len()];
    request.serialize(&mut bytes);
    socket.send(&bytes, 0)?;

    let (answer, _from) = socket.recv_from_full()?;
    let answer = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&answer)
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error.to_string()))?;
    match answer.payload {
        // No code: the acknowledgement we asked for.
        NetlinkPayload::Error(error) => match error.code {
            None => Ok(()),
            // The kernel sends `-errno`.
            Some(code) => Err(io::Error::from_raw_os_error(-code.get())),
        },
        other => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("unexpected rtnetlink answer: {other:?}"),
        )),
    }
}
// ANCHOR_END: set_link_up

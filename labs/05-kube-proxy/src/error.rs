//! The one error type of the pod network: what failed, and in which namespace.

use std::io;

use crate::ipam::IpamError;

/// What can go wrong while setting up a node's or a pod's network.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The address manager failed (range exhausted, state directory unreadable, ...).
    #[error(transparent)]
    Ipam(#[from] IpamError),
    /// A network namespace could not be opened, entered, created or deleted.
    #[error("network namespace {netns}: {what}: {source}")]
    Netns {
        /// The namespace's path or name.
        netns: String,
        /// The operation, such as "setns" or "bind mount".
        what: &'static str,
        /// The system's answer.
        #[source]
        source: io::Error,
    },
    /// The kernel refused a netlink request.
    #[cfg(target_os = "linux")]
    #[error("netlink: {what}: {source}")]
    Netlink {
        /// The request, such as "create veth veth1a2b3c4d".
        what: String,
        /// The kernel's (or the library's) answer.
        #[source]
        source: rtnetlink::Error,
    },
    /// A kernel setting under `/proc/sys` could not be read or written.
    #[error("sysctl {path}: {source}")]
    Sysctl {
        /// The file, such as `/proc/sys/net/ipv4/ip_forward`.
        path: String,
        /// The system's answer.
        #[source]
        source: io::Error,
    },
    /// An interface that should exist does not (the bridge before `setup_node`, say).
    #[error("no interface {name} in the {place}{hint}")]
    MissingLink {
        /// The interface name.
        name: String,
        /// "node's namespace" or "pod's namespace".
        place: &'static str,
        /// What to do about it, or empty.
        hint: &'static str,
    },
    /// Interface names are at most 15 bytes (`IFNAMSIZ` is 16 with the final NUL).
    #[error("invalid interface name {0:?}: 1 to 15 characters, no '/' or whitespace")]
    InvalidLinkName(String),
}

impl Error {
    /// The errno the kernel answered a netlink request with, if that is what this is.
    #[cfg(target_os = "linux")]
    pub fn netlink_errno(&self) -> Option<i32> {
        match self {
            Error::Netlink {
                source: rtnetlink::Error::NetlinkError(message),
                ..
            } => Some(message.raw_code().abs()),
            _ => None,
        }
    }
}

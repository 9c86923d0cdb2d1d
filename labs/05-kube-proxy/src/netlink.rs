//! Small rtnetlink helpers shared by the node and pod sides: find a link, check an address,
//! and tell "already there" / "not there" answers from real failures.
//!
//! The kernel answers a refused request with a negative errno. Two of them are not failures
//! for code that must be idempotent: `EEXIST` ("File exists") when creating what exists, and
//! `ENODEV` ("No such device") when looking up or deleting a link that is gone.

use std::net::{IpAddr, Ipv4Addr};

use futures_util::TryStreamExt;
use rtnetlink::Handle;
use rtnetlink::packet_route::address::AddressAttribute;

use crate::Error;

/// `EEXIST`: the object exists already.
pub(crate) const EEXIST: i32 = nix::errno::Errno::EEXIST as i32;
/// `ENODEV`: no such interface.
pub(crate) const ENODEV: i32 = nix::errno::Errno::ENODEV as i32;

/// Wraps an rtnetlink error with the request it answered.
pub(crate) fn failed(what: impl Into<String>) -> impl FnOnce(rtnetlink::Error) -> Error {
    let what = what.into();
    move |source| Error::Netlink { what, source }
}

/// Turns an `EEXIST` answer into success: for requests that create what may exist already.
pub(crate) fn exists_ok(result: Result<(), Error>) -> Result<(), Error> {
    match result {
        Err(error) if error.netlink_errno() == Some(EEXIST) => Ok(()),
        other => other,
    }
}

/// The index of the interface `name` in the handle's namespace, or `None` if there is none.
pub(crate) async fn link_index(handle: &Handle, name: &str) -> Result<Option<u32>, Error> {
    let answer = handle
        .link()
        .get()
        .match_name(name)
        .execute()
        .try_next()
        .await
        .map_err(failed(format!("look up link {name}")));
    match answer {
        Ok(link) => Ok(link.map(|link| link.header.index)),
        Err(error) if error.netlink_errno() == Some(ENODEV) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Like [`link_index`], but a missing link is an error naming where it was looked for.
pub(crate) async fn require_link(
    handle: &Handle,
    name: &str,
    place: &'static str,
    hint: &'static str,
) -> Result<u32, Error> {
    link_index(handle, name)
        .await?
        .ok_or_else(|| Error::MissingLink {
            name: name.to_owned(),
            place,
            hint,
        })
}

/// Deletes the interface `name` if it exists (deleting one end of a veth pair deletes both).
pub(crate) async fn remove_link(handle: &Handle, name: &str) -> Result<bool, Error> {
    let Some(index) = link_index(handle, name).await? else {
        return Ok(false);
    };
    match handle
        .link()
        .del(index)
        .execute()
        .await
        .map_err(failed(format!("delete link {name}")))
    {
        Ok(()) => Ok(true),
        // Gone between the lookup and the delete: the pod's namespace was just destroyed, say.
        Err(error) if error.netlink_errno() == Some(ENODEV) => Ok(false),
        Err(error) => Err(error),
    }
}

/// Whether the interface `index` has the IPv4 address `address` with `prefix_len`.
pub(crate) async fn has_address(
    handle: &Handle,
    index: u32,
    address: Ipv4Addr,
    prefix_len: u8,
) -> Result<bool, Error> {
    let mut addresses = handle
        .address()
        .get()
        .set_link_index_filter(index)
        .execute();
    while let Some(message) = addresses
        .try_next()
        .await
        .map_err(failed(format!("list addresses of link {index}")))?
    {
        let matches = message.header.prefix_len == prefix_len
            && message.attributes.iter().any(|attribute| {
                matches!(attribute, AddressAttribute::Address(IpAddr::V4(found)) if *found == address)
            });
        if matches {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Checks an interface name: 1 to 15 bytes (the kernel's `IFNAMSIZ` is 16 with the NUL), no
/// `/`, no whitespace.
pub(crate) fn check_link_name(name: &str) -> Result<(), Error> {
    let valid = (1..=15).contains(&name.len())
        && !name.contains('/')
        && !name.chars().any(char::is_whitespace);
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidLinkName(name.to_owned()))
    }
}

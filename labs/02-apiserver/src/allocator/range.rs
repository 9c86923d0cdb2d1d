//! Step 6: the ranges Service addresses come from: a CIDR of cluster IPs, a span of node ports.
//!
//! Both are turned into the same thing, a numbered set of slots (`0..size`), so that one
//! bitmap allocator serves both: slot `n` of `10.96.0.0/12` is the address `10.96.0.0 + n`,
//! slot `n` of `30000-32767` is the port `30000 + n`.

use std::fmt;
use std::net::Ipv4Addr;

use super::Error;

/// The default `--service-cluster-ip-range` of kube-apiserver.
pub const DEFAULT_SERVICE_CIDR: &str = "10.96.0.0/12";
/// The default `--service-node-port-range`.
pub const DEFAULT_NODE_PORTS: &str = "30000-32767";

/// An IPv4 CIDR such as `10.96.0.0/12`, whose usable addresses are the slots.
///
/// Like kube-apiserver, the first address (the network address) and, for ranges bigger than a
/// /31, the last one (broadcast) are never handed out; slot 0 is the address after the network
/// address, and `kubernetes.default` gets slot 0 (`10.96.0.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: Ipv4Addr,
    prefix: u8,
}

impl IpRange {
    /// Parses `a.b.c.d/n`. IPv6 service ranges are not supported by this lab.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::BadRange {
            range: text.to_owned(),
            reason: why.to_owned(),
        };
        let (address, prefix) = text
            .split_once('/')
            .ok_or_else(|| bad("expected a CIDR such as 10.96.0.0/12"))?;
        let address: Ipv4Addr = address
            .parse()
            .map_err(|_| bad("not an IPv4 address (IPv6 service ranges are not supported)"))?;
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| bad("the prefix length is not a number"))?;
        // At least 4 addresses, at most 2^20 slots (a /12, as upstream's maximum for IPv4).
        if !(12..=30).contains(&prefix) {
            return Err(bad("the prefix length must be between 12 and 30"));
        }
        let mask = u32::MAX << (32 - prefix);
        if u32::from(address) & !mask != 0 {
            return Err(bad(
                "the address has host bits set; use the network address",
            ));
        }
        Ok(Self {
            network: address,
            prefix,
        })
    }

    /// How many addresses can be handed out: all but the network and broadcast addresses.
    pub fn size(&self) -> u32 {
        (1u32 << (32 - self.prefix)) - 2
    }

    /// The address of slot `offset`.
    pub fn address(&self, offset: u32) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) + 1 + offset)
    }

    /// The slot of `address`, or `None` when it is not a usable address of the range.
    pub fn offset(&self, address: Ipv4Addr) -> Option<u32> {
        let value = u32::from(address);
        let first = u32::from(self.network) + 1;
        (value >= first && value - first < self.size()).then(|| value - first)
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// A span of ports such as `30000-32767`, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    base: u16,
    size: u32,
}

impl PortRange {
    /// Parses `first-last`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::BadRange {
            range: text.to_owned(),
            reason: why.to_owned(),
        };
        let (first, last) = text
            .split_once('-')
            .ok_or_else(|| bad("expected first-last, such as 30000-32767"))?;
        let first: u16 = first
            .trim()
            .parse()
            .map_err(|_| bad("the first port is not a port"))?;
        let last: u16 = last
            .trim()
            .parse()
            .map_err(|_| bad("the last port is not a port"))?;
        if first == 0 || last < first {
            return Err(bad("expected 1 <= first <= last <= 65535"));
        }
        Ok(Self {
            base: first,
            size: u32::from(last - first) + 1,
        })
    }

    /// How many ports the range holds.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// The port of slot `offset`.
    pub fn port(&self, offset: u32) -> u16 {
        // `offset < size <= 65535 - base + 1`, so this fits.
        self.base + offset as u16
    }

    /// The slot of `port`, or `None` outside the range.
    pub fn offset(&self, port: u16) -> Option<u32> {
        let offset = u32::from(port.checked_sub(self.base)?);
        (offset < self.size).then_some(offset)
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.base, self.port(self.size - 1))
    }
}

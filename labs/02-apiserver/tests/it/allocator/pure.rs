//! Step 6, the pure parts: ranges as slots, and the bitmap.

use std::net::Ipv4Addr;

use lab_02::allocator::{Bitmap, DEFAULT_NODE_PORTS, DEFAULT_SERVICE_CIDR, IpRange, PortRange};

#[test]
fn step6_the_default_service_range_has_the_kubernetes_address_first() {
    let range = IpRange::parse(DEFAULT_SERVICE_CIDR).unwrap();
    // 2^20 addresses minus the network and broadcast addresses.
    assert_eq!(range.size(), (1 << 20) - 2);
    assert_eq!(range.address(0), Ipv4Addr::new(10, 96, 0, 1));
    assert_eq!(
        range.address(range.size() - 1),
        Ipv4Addr::new(10, 111, 255, 254)
    );
    assert_eq!(range.offset(Ipv4Addr::new(10, 96, 0, 10)), Some(9));
    assert_eq!(
        range.offset(Ipv4Addr::new(10, 96, 0, 0)),
        None,
        "the network address"
    );
    assert_eq!(
        range.offset(Ipv4Addr::new(10, 111, 255, 255)),
        None,
        "the broadcast address"
    );
    assert_eq!(range.offset(Ipv4Addr::new(10, 112, 0, 1)), None, "outside");
    assert_eq!(range.to_string(), "10.96.0.0/12");
}

#[test]
fn step6_bad_ranges_say_what_is_wrong() {
    for (text, expected) in [
        ("10.96.0.0", "expected a CIDR"),
        ("10.96.0.1/12", "host bits"),
        ("10.96.0.0/8", "between 12 and 30"),
        ("fd00::/108", "IPv6"),
    ] {
        let error = IpRange::parse(text).unwrap_err().to_string();
        assert!(error.contains(expected), "{text}: {error}");
    }
    for text in ["30000", "0-10", "32767-30000", "a-b"] {
        assert!(PortRange::parse(text).is_err(), "{text}");
    }
}

#[test]
fn step6_node_ports_are_slots_of_their_span() {
    let ports = PortRange::parse(DEFAULT_NODE_PORTS).unwrap();
    assert_eq!(ports.size(), 2768);
    assert_eq!((ports.port(0), ports.port(2767)), (30000, 32767));
    assert_eq!(ports.offset(30080), Some(80));
    assert_eq!(ports.offset(80), None);
    assert_eq!(ports.offset(32768), None);
    assert_eq!(ports.to_string(), "30000-32767");
}

#[test]
fn step6_next_free_scans_from_a_start_and_wraps_around() {
    let mut bitmap = Bitmap::new(10);
    assert_eq!(bitmap.next_free(0), Some(0));
    assert_eq!(bitmap.next_free(7), Some(7));
    assert!(bitmap.set(7) && bitmap.set(8) && bitmap.set(9));
    assert!(!bitmap.set(7), "taken twice");
    assert_eq!(bitmap.next_free(7), Some(0), "wraps around past the end");
    for n in 0..7 {
        bitmap.set(n);
    }
    assert_eq!(bitmap.next_free(3), None, "full");
    bitmap.clear(4);
    assert_eq!(bitmap.next_free(5), Some(4));
    assert_eq!(bitmap.count(), 9);
    assert_eq!(Bitmap::new(0).next_free(0), None);
}

#[test]
fn step6_a_bitmap_round_trips_through_its_bytes() {
    let mut bitmap = Bitmap::new(20);
    for n in [0, 5, 19] {
        bitmap.set(n);
    }
    let again = Bitmap::from_bytes(20, bitmap.as_bytes());
    assert_eq!(again, bitmap);
    // A range that grew keeps what was taken; the new slots are free.
    let grown = Bitmap::from_bytes(40, bitmap.as_bytes());
    assert!(grown.is_set(19) && !grown.is_set(39));
}

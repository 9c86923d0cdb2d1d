//! Step 1, without privileges: the node's pod range and the host-local style allocator.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::sync::Arc;

use lab_05::ipam::{Allocator, CidrError, IpamError, PodCidr, candidates};

fn cidr(text: &str) -> PodCidr {
    text.parse().unwrap()
}

fn allocator(range: &str) -> (tempfile::TempDir, Allocator) {
    let dir = tempfile::tempdir().unwrap();
    let allocator = Allocator::open(cidr(range), dir.path().join("pods")).unwrap();
    (dir, allocator)
}

#[test]
fn step1_pod_cidr_names_its_gateway_and_pod_range() {
    let range = cidr("10.244.1.0/24");
    assert_eq!(range.to_string(), "10.244.1.0/24");
    assert_eq!(range.gateway(), Ipv4Addr::new(10, 244, 1, 1));
    assert_eq!(range.first_pod_address(), Ipv4Addr::new(10, 244, 1, 2));
    assert_eq!(range.last_pod_address(), Ipv4Addr::new(10, 244, 1, 254));
    assert_eq!(range.broadcast(), Ipv4Addr::new(10, 244, 1, 255));
    assert!(!range.is_pod_address(range.gateway()));
    assert!(!range.is_pod_address(range.broadcast()));
    assert!(range.contains(Ipv4Addr::new(10, 244, 1, 255)));
    assert!(!range.contains(Ipv4Addr::new(10, 244, 2, 1)));
}

#[test]
fn step1_pod_cidr_rejects_host_bits_and_ranges_without_room() {
    assert!(matches!(
        "10.244.1.7/24".parse::<PodCidr>(),
        Err(CidrError::HostBitsSet { network, .. }) if network == "10.244.1.0/24"
    ));
    assert!(matches!(
        "10.244.1.0/31".parse::<PodCidr>(),
        Err(CidrError::TooSmall { .. })
    ));
    for bad in [
        "10.244.1.0",
        "10.244.1/24",
        "10.244.1.0/33",
        "fd00::/64",
        "",
    ] {
        assert!(bad.parse::<PodCidr>().is_err(), "{bad:?} parsed");
    }
}

#[test]
fn step1_candidates_start_after_the_last_address_and_wrap_around() {
    let range = cidr("10.244.1.0/29"); // pods .2 to .6
    let order = |last| -> Vec<u8> {
        candidates(range, last)
            .map(|address| address.octets()[3])
            .collect()
    };
    assert_eq!(order(None), [2, 3, 4, 5, 6]);
    assert_eq!(order(Some(Ipv4Addr::new(10, 244, 1, 4))), [5, 6, 2, 3, 4]);
    assert_eq!(order(Some(Ipv4Addr::new(10, 244, 1, 6))), [2, 3, 4, 5, 6]);
    // A last address outside the range (the range changed) starts from the beginning.
    assert_eq!(order(Some(Ipv4Addr::new(10, 9, 9, 9))), [2, 3, 4, 5, 6]);
}

#[test]
fn step1_allocate_hands_out_addresses_from_dot_two() {
    let (_dir, ipam) = allocator("10.244.1.0/24");
    assert_eq!(
        ipam.allocate("default/a").unwrap(),
        Ipv4Addr::new(10, 244, 1, 2)
    );
    assert_eq!(
        ipam.allocate("default/b").unwrap(),
        Ipv4Addr::new(10, 244, 1, 3)
    );
    let allocations = ipam.allocations().unwrap();
    assert_eq!(
        allocations.into_iter().collect::<Vec<_>>(),
        [
            (Ipv4Addr::new(10, 244, 1, 2), "default/a".to_owned()),
            (Ipv4Addr::new(10, 244, 1, 3), "default/b".to_owned()),
        ]
    );
    // One file per address, holding its owner, as host-local keeps them.
    let file = ipam.dir().join("10.244.1.2");
    assert_eq!(std::fs::read_to_string(file).unwrap().trim(), "default/a");
}

#[test]
fn step1_allocate_twice_for_one_pod_returns_the_same_address() {
    let (_dir, ipam) = allocator("10.244.1.0/24");
    let first = ipam.allocate("default/web-0").unwrap();
    ipam.allocate("default/other").unwrap();
    assert_eq!(ipam.allocate("default/web-0").unwrap(), first);
    assert_eq!(ipam.allocations().unwrap().len(), 2);
}

#[test]
fn step1_allocations_survive_a_restart() {
    let (dir, ipam) = allocator("10.244.1.0/24");
    let web = ipam.allocate("default/web-0").unwrap();
    drop(ipam);
    let restarted = Allocator::open(cidr("10.244.1.0/24"), dir.path().join("pods")).unwrap();
    assert_eq!(restarted.lookup("default/web-0").unwrap(), Some(web));
    assert_eq!(restarted.allocate("default/web-0").unwrap(), web);
    assert_ne!(restarted.allocate("default/web-1").unwrap(), web);
}

#[test]
fn step1_release_frees_by_owner_and_the_next_pod_gets_a_fresh_address() {
    let (_dir, ipam) = allocator("10.244.1.0/24");
    let a = ipam.allocate("default/a").unwrap();
    ipam.allocate("default/b").unwrap();
    assert_eq!(ipam.release("default/a").unwrap(), Some(a));
    assert_eq!(
        ipam.release("default/a").unwrap(),
        None,
        "releasing twice is fine"
    );
    assert_eq!(ipam.lookup("default/a").unwrap(), None);
    // Round robin: the released .2 is not handed out again at once.
    assert_eq!(
        ipam.allocate("default/c").unwrap(),
        Ipv4Addr::new(10, 244, 1, 4)
    );
}

#[test]
fn step1_a_full_range_is_an_exhausted_error() {
    let (_dir, ipam) = allocator("10.244.1.0/29"); // five pod addresses
    for pod in 0..5 {
        ipam.allocate(&format!("default/pod-{pod}")).unwrap();
    }
    let error = ipam.allocate("default/one-too-many").unwrap_err();
    assert!(matches!(error, IpamError::Exhausted { .. }), "{error}");
    assert_eq!(
        error.to_string(),
        "no free address left in 10.244.1.0/29 (every pod address is allocated)"
    );
    // Freeing one makes room again, and the pod that was refused gets it.
    ipam.release("default/pod-3").unwrap();
    assert_eq!(
        ipam.allocate("default/one-too-many").unwrap(),
        Ipv4Addr::new(10, 244, 1, 5)
    );
}

#[test]
fn step1_two_allocators_on_one_directory_never_share_an_address() {
    let dir = tempfile::tempdir().unwrap();
    let range = cidr("10.244.1.0/26"); // 61 pod addresses, 60 pods
    let allocators: Vec<Arc<Allocator>> = (0..2)
        .map(|_| Arc::new(Allocator::open(range, dir.path()).unwrap()))
        .collect();
    let threads: Vec<_> = (0..4)
        .map(|thread| {
            let ipam = Arc::clone(&allocators[thread % 2]);
            std::thread::spawn(move || {
                (0..15)
                    .map(|pod| ipam.allocate(&format!("t{thread}/pod-{pod}")).unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let handed_out: Vec<Ipv4Addr> = threads
        .into_iter()
        .flat_map(|thread| thread.join().unwrap())
        .collect();
    let distinct: BTreeSet<Ipv4Addr> = handed_out.iter().copied().collect();
    assert_eq!(distinct.len(), 60, "an address was handed out twice");
    assert_eq!(allocators[0].allocations().unwrap().len(), 60);
}

#[test]
fn step1_a_pod_key_must_be_one_line() {
    let (_dir, ipam) = allocator("10.244.1.0/24");
    for bad in ["", "  ", "default/a\nb"] {
        assert!(matches!(
            ipam.allocate(bad),
            Err(IpamError::InvalidOwner(_))
        ));
    }
}

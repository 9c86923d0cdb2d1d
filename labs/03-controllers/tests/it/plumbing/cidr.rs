//! Step 5: the CIDR set node IPAM allocates from.

use lab_03::nodeipam::cidr::{Cidr, CidrError, CidrSet, DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_MASK};

fn set(cluster: &str, mask: u8) -> CidrSet {
    CidrSet::new(cluster.parse().expect("a CIDR"), mask).expect("a CIDR set")
}

#[test]
fn step5_cidr_parse_clears_host_bits_and_refuses_garbage() {
    let cidr: Cidr = "10.244.7.9/16".parse().expect("a CIDR");
    assert_eq!(cidr.to_string(), "10.244.0.0/16");
    assert_eq!(DEFAULT_CLUSTER_CIDR.to_string(), "10.244.0.0/16");
    assert!("10.244.0.0".parse::<Cidr>().is_err());
    assert!("10.244.0.0/33".parse::<Cidr>().is_err());
    assert!(
        CidrSet::new(DEFAULT_CLUSTER_CIDR, 16).is_err(),
        "a node block must be smaller"
    );
}

#[test]
fn step5_cidr_set_hands_out_consecutive_node_blocks() {
    let mut blocks = CidrSet::new(DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_MASK).expect("a set");
    assert_eq!(blocks.max_blocks(), 256);
    let first: Vec<String> = (0..3)
        .map(|_| blocks.allocate_next().expect("a block").to_string())
        .collect();
    assert_eq!(first, ["10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24"]);
    assert_eq!(blocks.used(), 3);
}

#[test]
fn step5_cidr_set_skips_occupied_blocks_and_does_not_reuse_a_freed_one_at_once() {
    let mut blocks = set("10.244.0.0/16", 24);
    blocks.occupy("10.244.0.0/24").expect("in range");
    blocks.occupy("10.244.1.0/24").expect("in range");
    assert_eq!(
        blocks.allocate_next().expect("a block").to_string(),
        "10.244.2.0/24"
    );
    blocks.release("10.244.1.0/24").expect("in range");
    // Round robin from after the last one handed out, as upstream.
    assert_eq!(
        blocks.allocate_next().expect("a block").to_string(),
        "10.244.3.0/24"
    );
}

#[test]
fn step5_cidr_set_full_range_is_an_error_until_a_block_is_freed() {
    let mut blocks = set("10.250.0.0/23", 24);
    assert_eq!(
        blocks.allocate_next().expect("a block").to_string(),
        "10.250.0.0/24"
    );
    assert_eq!(
        blocks.allocate_next().expect("a block").to_string(),
        "10.250.1.0/24"
    );
    assert_eq!(blocks.allocate_next(), Err(CidrError::Full));
    blocks.release("10.250.0.0/24").expect("in range");
    assert_eq!(
        blocks.allocate_next().expect("a block").to_string(),
        "10.250.0.0/24"
    );
}

#[test]
fn step5_cidr_set_refuses_blocks_outside_the_cluster_cidr() {
    let mut blocks = set("10.244.0.0/16", 24);
    assert!(matches!(
        blocks.occupy("10.99.0.0/24"),
        Err(CidrError::OutOfRange { .. })
    ));
    assert!(matches!(
        blocks.occupy("10.244.0.0/25"),
        Err(CidrError::OutOfRange { .. })
    ));
    assert_eq!(blocks.used(), 0);
}

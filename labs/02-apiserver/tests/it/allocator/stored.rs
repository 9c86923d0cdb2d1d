//! Step 6 on both stores: allocations persist, are never handed out twice, and survive
//! concurrent allocators (as several API servers sharing one etcd would be).

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::sync::Arc;

use lab_02::allocator::{ClusterIps, Error, IpRange, NodePorts, PortRange};
use lab_02::store::Store;

async fn ips_are_allocated_once_and_remembered<S: Store>(store: S) {
    let range = IpRange::parse("10.96.0.0/24").unwrap();
    let ips = ClusterIps::new(store.clone(), range);
    let kubernetes = ips
        .allocate(Some(ips.kubernetes_service_ip()))
        .await
        .unwrap();
    assert_eq!(kubernetes, Ipv4Addr::new(10, 96, 0, 1));
    let first = ips.allocate(None).await.unwrap();
    let second = ips.allocate(None).await.unwrap();
    assert!(first != kubernetes && second != first && second != kubernetes);
    let taken = ips.allocate(Some(first)).await.unwrap_err();
    assert!(matches!(taken, Error::AlreadyAllocated { .. }), "{taken}");
    assert_eq!(taken.to_string(), "provided IP is already allocated");
    let outside = ips
        .allocate(Some(Ipv4Addr::new(10, 97, 0, 1)))
        .await
        .unwrap_err();
    assert_eq!(
        outside.to_string(),
        "provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/24"
    );
    // A "restarted server": a new allocator on the same store knows what is taken.
    let restarted = ClusterIps::new(store, range);
    for ip in [kubernetes, first, second] {
        assert!(restarted.is_allocated(ip).await.unwrap(), "{ip}");
    }
    let third = restarted.allocate(None).await.unwrap();
    assert!(![kubernetes, first, second].contains(&third));
    restarted.release(first).await.unwrap();
    assert!(!ips.is_allocated(first).await.unwrap());
    ips.allocate(Some(first)).await.unwrap();
}

async fn concurrent_allocators_never_hand_out_the_same_port<S: Store>(store: S) {
    let range = PortRange::parse("30000-30099").unwrap();
    // Eight "servers", each allocating ten ports at the same time as the others.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let ports = Arc::new(NodePorts::new(store.clone(), range));
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            for _ in 0..10 {
                mine.push(ports.allocate(None).await.unwrap());
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let distinct: BTreeSet<u16> = all.iter().copied().collect();
    assert_eq!(distinct.len(), 80, "no port twice: {all:?}");
    assert!(distinct.iter().all(|port| (30000..30100).contains(port)));
}

async fn a_full_range_says_so<S: Store>(store: S) {
    let ports = NodePorts::new(store, PortRange::parse("30000-30002").unwrap());
    for _ in 0..3 {
        ports.allocate(None).await.unwrap();
    }
    let full = ports.allocate(None).await.unwrap_err();
    assert!(matches!(full, Error::Full { .. }), "{full}");
    ports.release(30001).await.unwrap();
    assert_eq!(ports.allocate(None).await.unwrap(), 30001);
}

/// Runs each behaviour on the embedded store and on a real etcd.
macro_rules! on_both_stores {
    ($($name:ident => $behaviour:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$behaviour(lab_02::store::mem::MemStore::default()).await;
                }
            )*
        }
        mod etcd {
            $(
                #[tokio::test]
                async fn $name() {
                    let etcd = labkit::require!(labkit::Etcd::start());
                    let config = lab_02::store::etcd::EtcdConfig::new(vec![etcd.endpoint()]);
                    let store = lab_02::store::etcd::EtcdStore::connect(config).await.unwrap();
                    super::$behaviour(lab_02::store::Backend::Etcd(store)).await;
                }
            )*
        }
    };
}

on_both_stores!(
    step6_cluster_ips_are_allocated_once_and_remembered => ips_are_allocated_once_and_remembered,
    step6_concurrent_allocators_never_hand_out_the_same_port => concurrent_allocators_never_hand_out_the_same_port,
    step6_a_full_range_says_so => a_full_range_says_so,
);

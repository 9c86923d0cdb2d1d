//! Steps 2 and 3 on real etcd: the same REST behaviour when the objects live in etcd.

use lab_02::store::Backend;
use lab_02::store::etcd::{EtcdConfig, EtcdStore};

use super::Api;

/// Starts etcd (or reports "not run: needs etcd" and returns) and builds an `Api` on it.
macro_rules! etcd_api {
    () => {{
        let etcd = labkit::require!(labkit::Etcd::start());
        let store = EtcdStore::connect(EtcdConfig::new(vec![etcd.endpoint()]))
            .await
            .expect("failed to connect to the test etcd");
        (etcd, Api::on(Backend::Etcd(store)).await)
    }};
}

#[tokio::test]
async fn step2_etcd_finalizers_keep_a_deleted_object_until_the_last_is_removed() {
    let (_etcd, api) = etcd_api!();
    super::finalizers::finalizers_hold_the_object_until_removed(api).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn step2_etcd_concurrent_read_modify_write_clients_lose_no_update() {
    let (_etcd, api) = etcd_api!();
    super::concurrency::no_update_is_lost(api).await;
}

#[tokio::test]
async fn step3_etcd_limit_and_continue_page_through_one_snapshot() {
    let (_etcd, api) = etcd_api!();
    super::paging::pages_fit_together_at_one_revision(api).await;
}

#[tokio::test]
async fn step3_etcd_a_continue_token_older_than_the_compaction_is_410_expired() {
    let (_etcd, api) = etcd_api!();
    super::paging::an_expired_continue_token_is_gone(api).await;
}

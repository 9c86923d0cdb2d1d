//! Step 1 on real etcd: the whole contract against an etcd that labkit starts for each test on
//! a free loopback port, through [`Backend::Etcd`], plus failing fast when etcd is not there.

use std::net::TcpListener;
use std::time::Duration;

use lab_02::store::etcd::{EtcdConfig, EtcdStore};
use lab_02::store::{Error, Store};

/// Starts etcd (or reports "not run: needs etcd" and returns) and connects to it. The etcd
/// value is the guard: dropping it stops the server.
macro_rules! etcd_store {
    () => {{
        let etcd = labkit::require!(labkit::Etcd::start());
        let config = lab_02::store::etcd::EtcdConfig::new(vec![etcd.endpoint()]);
        let store = lab_02::store::etcd::EtcdStore::connect(config)
            .await
            .expect("failed to connect to the test etcd");
        (etcd, lab_02::store::Backend::Etcd(store))
    }};
}

contract_tests!(etcd_store);

/// Short timeouts, so a test of failure takes seconds.
fn impatient(endpoint: String) -> EtcdConfig {
    EtcdConfig {
        connect_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_secs(1),
        ..EtcdConfig::new(vec![endpoint])
    }
}

/// How long a failing request may take at most, timeouts included: well above the 1.5 s the
/// timeouts add up to, well below "hangs".
const FAIL_FAST: Duration = Duration::from_secs(20);

#[tokio::test]
async fn step1_an_unreachable_etcd_is_unavailable_not_a_hang() {
    // A loopback port nobody listens on: bind it, then let it go.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port();
    let connecting = EtcdStore::connect(impatient(format!("http://127.0.0.1:{port}")));
    let result = tokio::time::timeout(FAIL_FAST, connecting)
        .await
        .expect("connect hung instead of failing");
    let error = result.unwrap_err();
    assert!(matches!(error, Error::Unavailable { .. }), "{error}");
}

#[tokio::test]
async fn step1_an_etcd_that_never_answers_is_unavailable_not_a_hang() {
    // A listener that is never accepted from: the kernel completes the TCP handshake, and then
    // nothing ever answers, like an etcd that is paused or cut off.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let connecting = EtcdStore::connect(impatient(endpoint));
    let result = tokio::time::timeout(FAIL_FAST, connecting)
        .await
        .expect("connect hung instead of failing");
    let error = result.unwrap_err();
    assert!(matches!(error, Error::Unavailable { .. }), "{error}");
    drop(silent);
}

#[tokio::test]
async fn step1_requests_fail_fast_once_etcd_is_gone() {
    let etcd = labkit::require!(labkit::Etcd::start());
    let store = EtcdStore::connect(impatient(etcd.endpoint()))
        .await
        .unwrap();
    store
        .create("/registry/pods/default/web", "v1".into())
        .await
        .unwrap();
    let mut watch = store.watch("/registry/pods/", 0).await.unwrap();
    drop(etcd);
    let read = tokio::time::timeout(FAIL_FAST, store.get("/registry/pods/default/web"))
        .await
        .expect("a read hung instead of failing");
    let error = read.unwrap_err();
    assert!(matches!(error, Error::Unavailable { .. }), "{error}");
    // The watch delivers what it had, then ends with an error instead of waiting forever.
    let ended = tokio::time::timeout(FAIL_FAST, async {
        loop {
            match watch.recv().await {
                Some(Ok(_)) => continue,
                other => return other,
            }
        }
    })
    .await
    .expect("the watch hung instead of ending");
    assert!(
        matches!(ended, Some(Err(Error::Unavailable { .. }))),
        "{ended:?}"
    );
}

//! Step 6 tests of making network checks from inside a network namespace, as the runtime does
//! for a Pod whose only address is its own loopback.

use std::fs::File;
use std::net::TcpListener;
use std::os::fd::AsRawFd;

use lab_01::probe::{Handler, HandlerProber, HostExecRunner, Outcome, ProbeKind, Prober};
use nix::sched::{CloneFlags, unshare};

use super::spec;

/// A new, empty network namespace, held open by the returned file (closing it removes the
/// namespace). A thread unshares into it and hands back the file, then ends: the test's own
/// threads never leave the host's namespace.
fn new_network_namespace() -> File {
    std::thread::spawn(|| {
        unshare(CloneFlags::CLONE_NEWNET).expect("unshare(CLONE_NEWNET)");
        File::open("/proc/thread-self/ns/net").unwrap()
    })
    .join()
    .unwrap()
}

#[test]
fn step6_network_checks_run_inside_the_given_network_namespace() {
    labkit::require!(labkit::root());
    // A server in the host's namespace, on its loopback.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let tcp = spec(Handler::TcpSocket {
        host: "127.0.0.1".into(),
        port,
    });

    // Joining the host's own namespace: the server is there.
    let host = HandlerProber::new(HostExecRunner).in_network_namespace("/proc/self/ns/net");
    let answer = host.check(ProbeKind::Liveness, &tcp);
    assert_eq!(answer.outcome, Outcome::Success, "{answer:?}");

    // A fresh namespace has its own loopback (down, and with no server): the same check fails,
    // which shows it really ran in there.
    let pod_netns = new_network_namespace();
    let path = format!("/proc/self/fd/{}", pod_netns.as_raw_fd());
    let pod = HandlerProber::new(HostExecRunner).in_network_namespace(path);
    let answer = pod.check(ProbeKind::Liveness, &tcp);
    assert_eq!(answer.outcome, Outcome::Failure, "{answer:?}");
    drop(pod_netns);
}

#[test]
fn step6_a_network_namespace_that_cannot_be_joined_fails_the_check() {
    let tcp = spec(Handler::TcpSocket {
        host: "127.0.0.1".into(),
        port: 80,
    });
    let gone = HandlerProber::new(HostExecRunner).in_network_namespace("/proc/no-such-pid/ns/net");
    let answer = gone.check(ProbeKind::Readiness, &tcp);
    assert_eq!(answer.outcome, Outcome::Failure);
    assert!(
        answer.detail.contains("failed to open network namespace"),
        "{answer:?}"
    );
}

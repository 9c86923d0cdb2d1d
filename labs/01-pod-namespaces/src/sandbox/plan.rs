//! The sandbox's plan: which namespaces the pause process creates, and what it sets up in them.

use crate::config::SandboxConfig;
use crate::plan::{Namespace, Op};

// ANCHOR: plan
/// The ops the pause process runs, in order, to create and set up the pod's namespaces.
///
/// It `unshare`s new network, IPC and UTS namespaces (and a PID namespace when the pod shares
/// one), names the UTS namespace after the pod, brings up `lo` in the new network namespace,
/// and, with a shared PID namespace, forks: only the child is *inside* a new PID namespace (it
/// is its PID 1), so the child is the one that pauses and reaps.
pub fn plan(config: &SandboxConfig) -> Vec<Op> {
    // BEGIN SOLUTION step-2: unshare net, ipc, uts (+pid, then fork), set the hostname, bring lo up
    let mut namespaces = vec![Namespace::Net, Namespace::Ipc, Namespace::Uts];
    if config.share_process_namespace {
        namespaces.push(Namespace::Pid);
    }
    let mut ops = vec![
        // One call for all of them: the process is in every new namespace at once.
        Op::Unshare(namespaces),
        // The UTS namespace is ours now, so this changes the pod's hostname, not the host's.
        Op::SetHostname(config.hostname.clone()),
        // The new network namespace has a `lo` that is down; containers expect 127.0.0.1.
        Op::LoopbackUp,
    ];
    if config.share_process_namespace {
        // The PID namespace exists only once a process is in it: the child of this fork is
        // its PID 1.
        ops.push(Op::Fork);
    }
    ops
    // END SOLUTION
}
// ANCHOR_END: plan

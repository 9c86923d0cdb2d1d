//! Step 5: the garbage collector's decisions, without a server.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use lab_03::garbagecollector::decide::{
    Decision, ForegroundStep, OwnerState, Propagation, decide_dependent, foreground_step,
};
use lab_03::garbagecollector::graph::{Graph, Node};

fn owner(uid: &str, block: bool) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".into(),
        kind: "ReplicaSet".into(),
        name: format!("rs-{uid}"),
        uid: uid.into(),
        controller: Some(true),
        block_owner_deletion: Some(block),
    }
}

fn node(uid: &str, owners: Vec<OwnerReference>, deleting: bool) -> Node {
    Node {
        uid: uid.into(),
        api_version: "v1".into(),
        kind: "Pod".into(),
        namespace: "default".into(),
        name: uid.into(),
        resource_version: "1".into(),
        owners,
        finalizers: Vec::new(),
        deleting,
        resource: 0,
    }
}

#[test]
fn step5_gc_deletes_in_the_background_when_every_owner_is_gone() {
    let owners = [(owner("a", true), OwnerState::Dangling)];
    assert_eq!(
        decide_dependent(&owners, false, &[]),
        Decision::Delete(Propagation::Background)
    );
    // Its own finalizers choose the policy its dependents get.
    assert_eq!(
        decide_dependent(&owners, true, &["orphan".to_owned()]),
        Decision::Delete(Propagation::Orphan)
    );
}

#[test]
fn step5_gc_keeps_a_dependent_with_a_live_owner_and_drops_its_dead_references() {
    let solid = (owner("a", true), OwnerState::Solid);
    assert_eq!(
        decide_dependent(std::slice::from_ref(&solid), false, &[]),
        Decision::Keep
    );
    let owners = [
        solid,
        (owner("b", true), OwnerState::Dangling),
        (owner("c", true), OwnerState::WaitingForDependents),
    ];
    assert_eq!(
        decide_dependent(&owners, false, &[]),
        Decision::RemoveOwners(vec!["b".into(), "c".into()])
    );
    assert_eq!(
        decide_dependent(&[], false, &[]),
        Decision::Keep,
        "no owner: not garbage"
    );
}

#[test]
fn step5_gc_deletes_in_the_foreground_under_an_owner_that_waits_for_its_dependents() {
    let owners = [(owner("a", true), OwnerState::WaitingForDependents)];
    assert_eq!(
        decide_dependent(&owners, true, &[]),
        Decision::Delete(Propagation::Foreground),
        "a dependent with dependents of its own: the whole tree goes first"
    );
    assert_eq!(
        decide_dependent(&owners, false, &[]),
        Decision::Delete(Propagation::Background)
    );
}

#[test]
fn step5_gc_foreground_owner_waits_only_for_blocking_dependents() {
    let blocking = node("p1", vec![owner("rs", true)], false);
    let being_deleted = node("p2", vec![owner("rs", true)], true);
    let not_blocking = node("p3", vec![owner("rs", false)], false);
    assert_eq!(
        foreground_step("rs", &[blocking, being_deleted, not_blocking.clone()]),
        ForegroundStep::Wait(vec!["p1".into(), "p3".into()])
    );
    assert_eq!(
        foreground_step("rs", &[not_blocking]),
        ForegroundStep::RemoveFinalizer
    );
    assert_eq!(foreground_step("rs", &[]), ForegroundStep::RemoveFinalizer);
}

#[test]
fn step5_gc_graph_indexes_dependents_by_owner_uid() {
    let mut graph = Graph::default();
    graph.upsert(node("p1", vec![owner("rs", true)], false));
    graph.upsert(node(
        "p2",
        vec![owner("rs", true), owner("other", false)],
        false,
    ));
    let mut dependents: Vec<String> = graph.dependents("rs").into_iter().map(|n| n.uid).collect();
    dependents.sort();
    assert_eq!(dependents, ["p1", "p2"]);
    // An update that drops the owner reference drops the edge.
    graph.upsert(node("p2", vec![owner("other", false)], false));
    assert_eq!(graph.dependents("rs").len(), 1);
    graph.remove("p1");
    assert!(graph.dependents("rs").is_empty());
    assert_eq!(graph.dependents("other").len(), 1);
}

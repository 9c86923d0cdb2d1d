//! The garbage collector's decisions, as pure functions of what the graph and the apiserver
//! say (upstream `attemptToDeleteItem`, `processDeletingDependentsItem`, `orphanDependents`).
//!
//! Three ways to delete an owner (`DeleteOptions.propagationPolicy`, kubectl `--cascade`):
//!
//! | policy       | the apiserver                              | the garbage collector                                     |
//! |--------------|--------------------------------------------|-----------------------------------------------------------|
//! | `Background` | deletes the owner now                      | deletes each dependent whose owners are all gone          |
//! | `Foreground` | marks it, finalizer `foregroundDeletion`   | deletes the dependents; when no dependent with            |
//! |              |                                            | `blockOwnerDeletion` is left, removes the finalizer       |
//! | `Orphan`     | marks it, finalizer `orphan`               | removes the owner's reference from every dependent, then  |
//! |              |                                            | the finalizer: the dependents stay                        |

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use super::graph::Node;

/// The finalizer of a foreground deletion.
pub const FOREGROUND: &str = "foregroundDeletion";
/// The finalizer of an orphaning deletion.
pub const ORPHAN: &str = "orphan";

// ANCHOR: decision_types
/// What became of one owner a dependent names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerState {
    /// It exists (same UID) and is not waiting for its dependents.
    Solid,
    /// It is gone, or an object of that name with another UID stands in its place.
    Dangling,
    /// It is being deleted in the foreground: it waits for its dependents to go.
    WaitingForDependents,
}

/// How a dependent is deleted (`DeleteOptions.propagationPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// Delete now; the collector deletes its dependents later.
    Background,
    /// Delete its dependents first.
    Foreground,
    /// Keep its dependents, without it as owner.
    Orphan,
}

impl Propagation {
    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Propagation::Background => "Background",
            Propagation::Foreground => "Foreground",
            Propagation::Orphan => "Orphan",
        }
    }
}

/// What to do with a dependent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// It still has a live owner and names no gone one: leave it.
    Keep,
    /// It has a live owner, but also names gone or foreground-deleting ones: drop those
    /// references (by UID) and keep it.
    RemoveOwners(Vec<String>),
    /// Delete it with this policy.
    Delete(Propagation),
}
// ANCHOR_END: decision_types

// ANCHOR: decide_dependent
/// Decides about a dependent that is not itself being deleted, given the state of each of its
/// owners (upstream `attemptToDeleteItem`):
///
/// - a solid owner keeps it alive: references to dangling or waiting owners are removed,
///   if there are any, else nothing happens;
/// - no solid owner, some owner waiting for its dependents, and it has dependents itself:
///   delete it in the foreground too, so the wait covers the whole tree;
/// - otherwise delete it, with the policy its own finalizers ask for (`orphan` ->
///   Orphan, `foregroundDeletion` -> Foreground), Background by default.
///
/// A dependent without owners is not garbage: `Keep`.
pub fn decide_dependent(
    owners: &[(OwnerReference, OwnerState)],
    has_dependents: bool,
    finalizers: &[String],
) -> Decision {
    // BEGIN SOLUTION step-5: no owners -> Keep; any Solid -> RemoveOwners(uids of the non-solid) or Keep; any Waiting and has_dependents -> Delete(Foreground); else Delete(policy from finalizers, Background by default)
    if owners.is_empty() {
        return Decision::Keep;
    }
    let is = |state: OwnerState| owners.iter().any(|(_, s)| *s == state);
    if is(OwnerState::Solid) {
        let gone: Vec<String> = owners
            .iter()
            .filter(|(_, state)| *state != OwnerState::Solid)
            .map(|(owner, _)| owner.uid.clone())
            .collect();
        return if gone.is_empty() {
            Decision::Keep
        } else {
            Decision::RemoveOwners(gone)
        };
    }
    if is(OwnerState::WaitingForDependents) && has_dependents {
        return Decision::Delete(Propagation::Foreground);
    }
    let has = |finalizer: &str| finalizers.iter().any(|f| f == finalizer);
    let policy = if has(ORPHAN) {
        Propagation::Orphan
    } else if has(FOREGROUND) {
        Propagation::Foreground
    } else {
        Propagation::Background
    };
    Decision::Delete(policy)
    // END SOLUTION
}
// ANCHOR_END: decide_dependent

/// What to do for an owner being deleted in the foreground.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForegroundStep {
    /// Dependents that block it remain: look at these dependents (the UIDs of those not yet
    /// being deleted; each is then deleted by [`decide_dependent`]).
    Wait(Vec<String>),
    /// No blocking dependent is left: remove the `foregroundDeletion` finalizer.
    RemoveFinalizer,
}

// ANCHOR: foreground_step
/// The next step of a foreground deletion of `owner_uid` (upstream
/// `processDeletingDependentsItem`): dependents whose reference to it has
/// `blockOwnerDeletion: true` block it. None left: remove the finalizer. Otherwise wait, and
/// look at every dependent not yet being deleted (blocking or not: all go).
pub fn foreground_step(owner_uid: &str, dependents: &[Node]) -> ForegroundStep {
    // BEGIN SOLUTION step-5: blocking = dependents whose reference_to(owner) has block_owner_deletion == Some(true); none -> RemoveFinalizer; else Wait(uids of dependents not deleting)
    let blocking = dependents.iter().any(|dependent| {
        dependent
            .reference_to(owner_uid)
            .is_some_and(|owner| owner.block_owner_deletion == Some(true))
    });
    if !blocking {
        return ForegroundStep::RemoveFinalizer;
    }
    ForegroundStep::Wait(
        dependents
            .iter()
            .filter(|dependent| !dependent.deleting)
            .map(|dependent| dependent.uid.clone())
            .collect(),
    )
    // END SOLUTION
}
// ANCHOR_END: foreground_step

/// The owner references left after removing those with the UIDs in `gone`.
pub fn without_owners(owners: &[OwnerReference], gone: &[String]) -> Vec<OwnerReference> {
    owners
        .iter()
        .filter(|owner| !gone.contains(&owner.uid))
        .cloned()
        .collect()
}

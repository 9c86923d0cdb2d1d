//! Lab 04: the scheduler.
//!
//! The scheduler picks a node for every pod that has none. It keeps a [`snapshot`] of the
//! nodes and the pods on them, runs the [`plugins`] of a [`framework::Profile`] over it
//! (filters: can this node run the pod?; scores: how good is it?) and chooses the best node.
//! All of that is pure: [`framework::schedule_one`] reads the snapshot and never calls the API
//! server. The [`simulate`] module runs it over a YAML file of nodes and pods. The chapter is
//! `book/src/lab-04-scheduler.md`.
//!
//! Steps: 1 the snapshot ([`quantity`], [`snapshot`]), 2 the filters, 3 the scores, 4 the
//! scheduling [`queue`] and the [`scheduler`] loop against an API server, 5 priority and
//! [`preemption`].

pub mod framework;
pub mod labels;
pub mod plugins;
pub mod preemption;
pub mod quantity;
pub mod queue;
pub mod scheduler;
pub mod simulate;
pub mod snapshot;

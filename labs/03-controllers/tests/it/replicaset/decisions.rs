//! Step 2's pure decisions: claims, the replica diff, slow start, the deletion ranking and
//! the status, with no apiserver.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetSpec};
use k8s_openapi::api::core::v1::{
    ContainerStatus, Pod, PodCondition, PodSpec, PodStatus, PodTemplateSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta, OwnerReference,
};
use lab_03::pods::to_time;
use lab_03::replicaset::decide::{
    BURST_REPLICAS, ReplicaAction, claim_pods, controller_ref, new_pod, replica_action,
    slow_start_batches,
};
use lab_03::replicaset::ranking::{POD_DELETION_COST, pods_to_delete};
use lab_03::replicaset::status::calculate_status;

/// 2024-01-01T00:00:00Z, the fake "now" of these tests.
fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_067_200)
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn replica_set(replicas: i32) -> ReplicaSet {
    ReplicaSet {
        metadata: ObjectMeta {
            name: Some("web".to_owned()),
            namespace: Some("default".to_owned()),
            uid: Some("rs-uid".to_owned()),
            generation: Some(3),
            ..ObjectMeta::default()
        },
        spec: Some(ReplicaSetSpec {
            replicas: Some(replicas),
            selector: LabelSelector {
                match_labels: Some(labels(&[("app", "web")])),
                match_expressions: Some(vec![LabelSelectorRequirement {
                    key: "track".to_owned(),
                    operator: "NotIn".to_owned(),
                    values: Some(vec!["canary".to_owned()]),
                }]),
            },
            template: Some(PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels(&[("app", "web"), ("tier", "front")])),
                    annotations: Some(labels(&[("note", "from the template")])),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![k8s_openapi::api::core::v1::Container {
                        name: "nginx".to_owned(),
                        image: Some("nginx:1.25".to_owned()),
                        ..Default::default()
                    }],
                    ..PodSpec::default()
                }),
            }),
            min_ready_seconds: None,
        }),
        status: None,
    }
}

/// A pod builder: `pod("a").owned().node("n1").running().ready_for(60)`.
#[derive(Clone)]
struct P(Pod);

fn pod(name: &str) -> P {
    P(Pod {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some("default".to_owned()),
            uid: Some(format!("uid-{name}")),
            labels: Some(labels(&[("app", "web"), ("tier", "front")])),
            creation_timestamp: Some(to_time(now() - Duration::from_secs(3600))),
            ..ObjectMeta::default()
        },
        spec: Some(PodSpec::default()),
        status: Some(PodStatus {
            phase: Some("Pending".to_owned()),
            ..PodStatus::default()
        }),
    })
}

impl P {
    fn owned(mut self) -> Self {
        self.0.metadata.owner_references = Some(vec![controller_ref(&replica_set(1))]);
        self
    }
    fn owned_by_other(mut self) -> Self {
        self.0.metadata.owner_references = Some(vec![OwnerReference {
            uid: "other-uid".to_owned(),
            controller: Some(true),
            ..controller_ref(&replica_set(1))
        }]);
        self
    }
    fn labels(mut self, pairs: &[(&str, &str)]) -> Self {
        self.0.metadata.labels = Some(labels(pairs));
        self
    }
    fn node(mut self, node: &str) -> Self {
        self.0.spec.get_or_insert_default().node_name = Some(node.to_owned());
        self
    }
    fn phase(mut self, phase: &str) -> Self {
        self.0.status.get_or_insert_default().phase = Some(phase.to_owned());
        self
    }
    fn ready_for(mut self, seconds: u64) -> Self {
        let status = self.0.status.get_or_insert_default();
        status.phase = Some("Running".to_owned());
        status.conditions = Some(vec![PodCondition {
            type_: "Ready".to_owned(),
            status: "True".to_owned(),
            last_transition_time: Some(to_time(now() - Duration::from_secs(seconds))),
            ..PodCondition::default()
        }]);
        self
    }
    fn restarts(mut self, count: i32) -> Self {
        self.0.status.get_or_insert_default().container_statuses = Some(vec![ContainerStatus {
            name: "nginx".to_owned(),
            restart_count: count,
            ..ContainerStatus::default()
        }]);
        self
    }
    fn created_ago(mut self, seconds: u64) -> Self {
        self.0.metadata.creation_timestamp = Some(to_time(now() - Duration::from_secs(seconds)));
        self
    }
    fn cost(mut self, cost: &str) -> Self {
        self.0.metadata.annotations = Some(labels(&[(POD_DELETION_COST, cost)]));
        self
    }
    fn deleting(mut self) -> Self {
        self.0.metadata.deletion_timestamp = Some(to_time(now()));
        self
    }
    fn arc(self) -> Arc<Pod> {
        Arc::new(self.0)
    }
}

fn names(pods: &[Arc<Pod>]) -> Vec<&str> {
    pods.iter()
        .map(|pod| pod.metadata.name.as_deref().unwrap_or_default())
        .collect()
}

#[test]
fn step2_claims_own_matching_adopt_orphans_release_non_matching() {
    let rs = replica_set(3);
    let pods = vec![
        pod("mine").owned().arc(),
        pod("mine-relabeled").owned().labels(&[("app", "db")]).arc(),
        pod("mine-canary")
            .owned()
            .labels(&[("app", "web"), ("track", "canary")])
            .arc(),
        pod("orphan").arc(),
        pod("orphan-other-app").labels(&[("app", "db")]).arc(),
        pod("orphan-deleting").deleting().arc(),
        pod("someone-elses").owned_by_other().arc(),
    ];
    let claims = claim_pods(&rs, &pods).expect("a valid selector");
    assert_eq!(names(&claims.owned), ["mine"]);
    assert_eq!(names(&claims.adopt), ["orphan"]);
    assert_eq!(names(&claims.release), ["mine-relabeled", "mine-canary"]);

    // A ReplicaSet being deleted neither adopts nor releases.
    let mut deleting = rs.clone();
    deleting.metadata.deletion_timestamp = Some(to_time(now()));
    let claims = claim_pods(&deleting, &pods).expect("a valid selector");
    assert_eq!(names(&claims.owned), ["mine"]);
    assert!(claims.adopt.is_empty() && claims.release.is_empty());
}

#[test]
fn step2_too_few_pods_create_the_difference_capped_at_500_per_sync() {
    let active: Vec<Arc<Pod>> = (0..2)
        .map(|i| pod(&format!("p{i}")).owned().arc())
        .collect();
    assert_eq!(
        replica_action(&replica_set(5), &active, &active, now()),
        ReplicaAction::Create(3)
    );
    assert_eq!(
        replica_action(&replica_set(2), &active, &active, now()),
        ReplicaAction::Nothing
    );
    assert_eq!(
        replica_action(&replica_set(3000), &active, &active, now()),
        ReplicaAction::Create(BURST_REPLICAS)
    );
    let mut unset = replica_set(0);
    unset.spec.as_mut().unwrap().replicas = None;
    assert_eq!(
        replica_action(&unset, &[], &[], now()),
        ReplicaAction::Create(1),
        "replicas defaults to 1"
    );
}

#[test]
fn step2_too_many_pods_delete_the_least_useful_first() {
    let active = vec![
        pod("ready-old").owned().node("n1").ready_for(7200).arc(),
        pod("pending").owned().node("n1").arc(),
        pod("unscheduled").owned().arc(),
        pod("running-not-ready")
            .owned()
            .node("n2")
            .phase("Running")
            .arc(),
        pod("ready-new").owned().node("n2").ready_for(10).arc(),
    ];
    let ReplicaAction::Delete(victims) = replica_action(&replica_set(1), &active, &active, now())
    else {
        panic!("4 pods too many must delete");
    };
    assert_eq!(
        names(&victims),
        ["unscheduled", "pending", "running-not-ready", "ready-new"]
    );
}

#[test]
fn step2_deletion_ranking_follows_upstream_rule_by_rule() {
    let order = |pods: Vec<P>| -> Vec<String> {
        let pods: Vec<Arc<Pod>> = pods.into_iter().map(P::arc).collect();
        names(&pods_to_delete(&pods, &pods, pods.len(), now()))
            .into_iter()
            .map(str::to_owned)
            .collect()
    };
    // 2. Pending < Unknown < Running.
    assert_eq!(
        order(vec![
            pod("running").node("n").phase("Running"),
            pod("unknown").node("n").phase("Unknown"),
            pod("pending").node("n"),
        ]),
        ["pending", "unknown", "running"]
    );
    // 4. Lower deletion cost first (before readiness time, after readiness).
    assert_eq!(
        order(vec![
            pod("cheap-but-old").node("a").ready_for(9000).cost("-5"),
            pod("default-cost").node("b").ready_for(10),
            pod("expensive").node("c").ready_for(10).cost("100"),
        ]),
        ["cheap-but-old", "default-cost", "expensive"]
    );
    // 5. Doubled up on a node before alone.
    assert_eq!(
        order(vec![
            pod("alone").node("n1").ready_for(10),
            pod("crowded-1").node("n2").ready_for(10),
            pod("crowded-2").node("n2").ready_for(10),
        ])[2],
        "alone"
    );
    // 6. Ready more recently first (log2 buckets: 10 s and 3 h are far apart).
    assert_eq!(
        order(vec![
            pod("ready-3h").node("a").ready_for(3 * 3600),
            pod("ready-10s").node("b").ready_for(10),
        ]),
        ["ready-10s", "ready-3h"]
    );
    // 7. More restarts first.
    assert_eq!(
        order(vec![
            pod("steady").node("a").phase("Running").restarts(0),
            pod("flappy").node("b").phase("Running").restarts(4),
        ]),
        ["flappy", "steady"]
    );
    // 8. Newer first; within one log2 bucket the UID decides.
    assert_eq!(
        order(vec![
            pod("old").node("a").created_ago(86_400),
            pod("new").node("b").created_ago(60),
        ]),
        ["new", "old"]
    );
    assert_eq!(
        order(vec![
            pod("z-uid-newer").node("a").created_ago(40),
            pod("a-uid-older").node("b").created_ago(60),
        ]),
        ["a-uid-older", "z-uid-newer"],
        "40 s and 60 s ago share a log2 bucket (2^35 to 2^36 ns): the smaller UID goes first"
    );
}

#[test]
fn step2_slow_start_batches_double_from_one() {
    assert_eq!(slow_start_batches(0), Vec::<usize>::new());
    assert_eq!(slow_start_batches(1), [1]);
    assert_eq!(slow_start_batches(3), [1, 2]);
    assert_eq!(slow_start_batches(10), [1, 2, 4, 3]);
    assert_eq!(slow_start_batches(500), [1, 2, 4, 8, 16, 32, 64, 128, 245]);
}

#[test]
fn step2_new_pods_come_from_the_template_with_a_controller_reference() {
    let pod = new_pod(&replica_set(3));
    assert_eq!(pod.metadata.generate_name.as_deref(), Some("web-"));
    assert_eq!(pod.metadata.name, None);
    assert_eq!(pod.metadata.namespace.as_deref(), Some("default"));
    assert_eq!(
        pod.metadata.labels,
        Some(labels(&[("app", "web"), ("tier", "front")]))
    );
    let owners = pod.metadata.owner_references.expect("an owner reference");
    assert_eq!(owners.len(), 1);
    let owner = &owners[0];
    assert_eq!(
        (
            owner.api_version.as_str(),
            owner.kind.as_str(),
            owner.name.as_str(),
            owner.uid.as_str()
        ),
        ("apps/v1", "ReplicaSet", "web", "rs-uid")
    );
    assert_eq!(
        (owner.controller, owner.block_owner_deletion),
        (Some(true), Some(true))
    );
    assert_eq!(
        pod.spec.expect("the template's spec").containers[0].name,
        "nginx"
    );
}

#[test]
fn step2_status_counts_replicas_labeled_ready_available_and_observes_the_generation() {
    let mut rs = replica_set(4);
    rs.spec.as_mut().unwrap().min_ready_seconds = Some(30);
    let pods = vec![
        pod("pending").owned().arc(),
        pod("ready-5s").owned().node("n").ready_for(5).arc(),
        pod("ready-60s").owned().node("n").ready_for(60).arc(),
        pod("partly-labeled")
            .owned()
            .labels(&[("app", "web")])
            .node("n")
            .ready_for(60)
            .arc(),
    ];
    let status = calculate_status(&rs, &pods, None, now());
    assert_eq!(status.replicas, 4);
    assert_eq!(status.fully_labeled_replicas, Some(3));
    assert_eq!(status.ready_replicas, Some(3));
    assert_eq!(
        status.available_replicas,
        Some(2),
        "available means ready for minReadySeconds"
    );
    assert_eq!(status.observed_generation, Some(3));
    assert_eq!(status.conditions, None);

    // A failed sync adds ReplicaFailure; a good one removes it.
    let failed = calculate_status(&rs, &pods[..1], Some("pods \"web-x\" is forbidden"), now());
    let condition = &failed
        .conditions
        .clone()
        .expect("a ReplicaFailure condition")[0];
    assert_eq!(
        (
            condition.type_.as_str(),
            condition.status.as_str(),
            condition.reason.as_deref()
        ),
        ("ReplicaFailure", "True", Some("FailedCreate"))
    );
    rs.status = Some(failed);
    assert_eq!(calculate_status(&rs, &pods, None, now()).conditions, None);
}

#[test]
fn step2_expectations_hold_a_sync_back_until_its_own_writes_are_seen_or_5_minutes_pass() {
    use lab_03::expectations::Expectations;
    let clock = labkit::FakeClock::default();
    let expectations = Expectations::new(Arc::new(clock.clone()));
    let key = "default/web";
    assert!(expectations.satisfied(key), "nothing expected yet");
    expectations.expect(key, 2, 0);
    assert!(!expectations.satisfied(key));
    expectations.creation_observed(key);
    assert!(!expectations.satisfied(key), "one of two creations seen");
    expectations.creation_observed(key);
    assert!(expectations.satisfied(key), "both creations seen");

    expectations.expect(key, 0, 1);
    assert!(!expectations.satisfied(key));
    clock.advance(Duration::from_secs(5 * 60 + 1));
    assert!(
        expectations.satisfied(key),
        "expectations older than 5 minutes are ignored"
    );
    expectations.expect(key, 0, 1);
    expectations.deletion_observed(key);
    assert!(expectations.satisfied(key));
}

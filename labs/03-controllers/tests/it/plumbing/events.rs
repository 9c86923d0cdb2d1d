//! Step 5: the shared event recorder against lab-02: one Event per distinct happening, its
//! count bumped when it happens again.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{ConfigMap, Event};
use kube::Api;
use kube::api::{ListParams, PostParams};
use lab_03::events::{EventRecorder, EventType};
use serde_json::json;

use crate::support::Cluster;

#[test]
fn step5_events_repeat_bumps_the_count_of_one_event() {
    let cluster = Cluster::start_without_stopgap();
    let maps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), "default");
    let map: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "settings"}})).expect("a ConfigMap");
    let map = cluster
        .block_on(maps.create(&PostParams::default(), &map))
        .expect("the ConfigMap is created");
    let recorder = EventRecorder::new(
        cluster.client.clone(),
        "test-controller",
        Arc::new(labkit::SystemClock),
    );
    cluster.block_on(async {
        recorder
            .record(&map, EventType::Warning, "Broken", "it broke")
            .await;
        recorder
            .record(&map, EventType::Warning, "Broken", "it broke")
            .await;
        recorder
            .record(&map, EventType::Normal, "Fixed", "it works")
            .await;
    });
    let events: Api<Event> = Api::namespaced(cluster.client.clone(), "default");
    let mut list = cluster
        .block_on(events.list(&ListParams::default()))
        .expect("events")
        .items;
    list.sort_by(|a, b| a.reason.cmp(&b.reason));
    let summary: Vec<(Option<String>, Option<String>, Option<i32>)> = list
        .iter()
        .map(|event| (event.reason.clone(), event.type_.clone(), event.count))
        .collect();
    assert_eq!(
        summary,
        [
            (Some("Broken".into()), Some("Warning".into()), Some(2)),
            (Some("Fixed".into()), Some("Normal".into()), Some(1)),
        ]
    );
    let broken = &list[0];
    assert_eq!(broken.involved_object.kind.as_deref(), Some("ConfigMap"));
    assert_eq!(broken.involved_object.uid, map.metadata.uid);
    assert_eq!(
        broken.source.as_ref().and_then(|s| s.component.as_deref()),
        Some("test-controller")
    );
    assert_eq!(broken.message.as_deref(), Some("it broke"));
}

//! Step 1: the informer, first against a scripted source (a watch that ends, a 410 Gone, on
//! cue), then against the real lab-02 apiserver.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::{DeleteParams, PostParams, WatchEvent};
use kube::core::Status;
use kube::core::TypeMeta;
use kube::core::watch::{Bookmark, BookmarkMeta};
use lab_03::informer::{Change, EventStream, Informer, InformerError, ListPage, ListWatch};

use super::support::Cluster;

fn config_map(name: &str, version: &str, data: &str) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some("default".to_owned()),
            resource_version: Some(version.to_owned()),
            ..ObjectMeta::default()
        },
        data: Some(BTreeMap::from([("v".to_owned(), data.to_owned())])),
        ..ConfigMap::default()
    }
}

fn gone(message: &str) -> Box<Status> {
    Status::failure(message, "Expired").with_code(410).boxed()
}

fn bookmark(version: &str) -> WatchEvent<ConfigMap> {
    WatchEvent::Bookmark(Bookmark {
        types: TypeMeta {
            api_version: "v1".to_owned(),
            kind: "ConfigMap".to_owned(),
        },
        metadata: BookmarkMeta {
            resource_version: version.to_owned(),
            annotations: BTreeMap::new(),
        },
    })
}

/// One scripted watch: its events, or the error its request gets.
type ScriptedWatch = Result<Vec<WatchEvent<ConfigMap>>, Box<Status>>;

/// A source that answers from a script and records what it was asked.
#[derive(Default)]
struct Script {
    lists: Mutex<VecDeque<ListPage<ConfigMap>>>,
    watches: Mutex<VecDeque<ScriptedWatch>>,
    calls: Mutex<Vec<String>>,
}

/// What the informer is given: a handle on the shared script.
struct Source(Arc<Script>);

impl ListWatch<ConfigMap> for Source {
    async fn list(&self) -> Result<ListPage<ConfigMap>, kube::Error> {
        let script = &self.0;
        script.calls.lock().unwrap().push("list".to_owned());
        let page = script.lists.lock().unwrap().pop_front();
        page.ok_or_else(|| {
            kube::Error::Api(
                Status::failure("script: no list", "")
                    .with_code(500)
                    .boxed(),
            )
        })
    }

    async fn watch(&self, version: &str) -> Result<EventStream<ConfigMap>, kube::Error> {
        self.0
            .calls
            .lock()
            .unwrap()
            .push(format!("watch {version}"));
        let next = self.0.watches.lock().unwrap().pop_front();
        match next {
            Some(Ok(events)) => Ok(futures_util::stream::iter(events.into_iter().map(Ok)).boxed()),
            Some(Err(status)) => Err(kube::Error::Api(status)),
            None => Err(kube::Error::Api(
                Status::failure("script: the end", "")
                    .with_code(500)
                    .boxed(),
            )),
        }
    }
}

/// The changes an informer reported, as short strings.
fn recorder(informer: &mut Informer<ConfigMap, Source>) -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    informer.on_change(move |change| {
        let line = match change {
            Change::Added(cm) => format!("added {}", name(cm)),
            Change::Updated { new, .. } => format!("updated {}", name(new)),
            Change::Deleted(cm) => format!("deleted {}", name(cm)),
        };
        record.lock().unwrap().push(line);
    });
    seen
}

fn name(cm: &ConfigMap) -> String {
    let meta = &cm.metadata;
    format!(
        "{}@{}",
        meta.name.as_deref().unwrap_or_default(),
        meta.resource_version.as_deref().unwrap_or_default()
    )
}

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

#[test]
fn step1_informer_lists_then_watches_from_the_list_version_and_resumes_after_a_watch_ends() {
    let script = Arc::new(Script::default());
    script.lists.lock().unwrap().push_back(ListPage {
        items: vec![config_map("a", "5", "1"), config_map("b", "7", "1")],
        resource_version: "10".to_owned(),
    });
    script.watches.lock().unwrap().extend([
        // The first watch: a change, a deletion, then the server ends it (timeout).
        Ok(vec![
            WatchEvent::Modified(config_map("a", "11", "2")),
            WatchEvent::Deleted(config_map("b", "12", "1")),
        ]),
        // The second: only a bookmark, then the end.
        Ok(vec![bookmark("20")]),
        // The third is refused: the round ends with that error.
    ]);
    let mut informer = Informer::new(Source(script.clone()));
    let seen = recorder(&mut informer);
    let cache = informer.cache();
    assert!(!cache.has_synced());

    let ended = block_on(informer.list_and_watch());
    assert!(matches!(ended, Err(InformerError::Api(_))), "{ended:?}");
    assert_eq!(
        *script.calls.lock().unwrap(),
        ["list", "watch 10", "watch 12", "watch 20"],
        "each watch must start from the last version seen (list, event or bookmark)"
    );
    assert_eq!(
        *seen.lock().unwrap(),
        ["added a@5", "added b@7", "updated a@11", "deleted b@7"]
    );
    assert!(cache.has_synced());
    let keys: Vec<String> = cache.list().iter().map(|cm| name(cm)).collect();
    assert_eq!(keys, ["a@11"]);
    assert_eq!(
        cache.get("default/a").map(|cm| name(&cm)).as_deref(),
        Some("a@11")
    );
}

#[test]
fn step1_informer_relists_on_410_gone_and_reports_what_vanished() {
    let script = Arc::new(Script::default());
    script.lists.lock().unwrap().extend([
        ListPage {
            items: vec![config_map("a", "5", "1"), config_map("b", "7", "1")],
            resource_version: "10".to_owned(),
        },
        // The relist: b was deleted and c created while we were not watching.
        ListPage {
            items: vec![config_map("a", "5", "1"), config_map("c", "30", "1")],
            resource_version: "31".to_owned(),
        },
    ]);
    script.watches.lock().unwrap().extend([
        // As an ERROR event inside the stream...
        Ok(vec![WatchEvent::Error(gone(
            "too old resource version: 10 (25)",
        ))]),
        // ...and as the answer to the watch request itself.
        Err(gone("too old resource version: 31 (40)")),
    ]);
    let mut informer = Informer::new(Source(script.clone()));
    let seen = recorder(&mut informer);
    let cache = informer.cache();

    let first = block_on(informer.list_and_watch());
    assert!(
        matches!(first, Err(InformerError::Gone(_))),
        "an ERROR 410 event: {first:?}"
    );
    let second = block_on(informer.list_and_watch());
    assert!(
        matches!(second, Err(InformerError::Gone(_))),
        "a 410 response: {second:?}"
    );
    assert_eq!(
        *script.calls.lock().unwrap(),
        ["list", "watch 10", "list", "watch 31"]
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(&seen[..2], ["added a@5", "added b@7"]);
    let mut relist = seen[2..].to_vec();
    relist.sort();
    assert_eq!(relist, ["added c@30", "deleted b@7", "updated a@5"]);
    let keys: Vec<String> = cache.list().iter().map(|cm| name(cm)).collect();
    assert_eq!(keys, ["a@5", "c@30"]);
}

#[test]
fn step1_informer_keeps_its_cache_in_step_with_the_apiserver() {
    let cluster = Cluster::start();
    let api = Api::<ConfigMap>::namespaced(cluster.client.clone(), "default");
    let create = |name: &str| {
        let cm = ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                ..ObjectMeta::default()
            },
            ..ConfigMap::default()
        };
        cluster
            .block_on(api.create(&PostParams::default(), &cm))
            .expect("create a ConfigMap");
    };
    create("before");
    let informer = Informer::new(Api::<ConfigMap>::all(cluster.client.clone()));
    let cache = informer.cache();
    cluster.runtime.spawn(informer.run(cluster.stopped()));
    cluster.wait_for("the first list in the cache", || {
        let cache = cache.clone();
        async move { (cache.has_synced() && cache.get("default/before").is_some()).then_some(()) }
    });
    create("after");
    cluster
        .block_on(api.delete("before", &DeleteParams::default()))
        .expect("delete a ConfigMap");
    cluster.wait_for("the watch's changes in the cache", || {
        let cache = cache.clone();
        async move {
            (cache.get("default/after").is_some() && cache.get("default/before").is_none())
                .then_some(())
        }
    });
    // The cache holds what the apiserver holds (the system namespaces' ConfigMaps, if any, too).
    let listed = cluster
        .block_on(Api::<ConfigMap>::all(cluster.client.clone()).list(&Default::default()))
        .expect("list");
    let mut cached: Vec<String> = cache
        .list()
        .iter()
        .map(|cm| lab_03::informer::object_key(cm.as_ref()))
        .collect();
    let mut expected: Vec<String> = listed
        .items
        .iter()
        .map(lab_03::informer::object_key)
        .collect();
    cached.sort();
    expected.sort();
    assert_eq!(cached, expected);
}

fn names(objects: &[Arc<ConfigMap>]) -> Vec<String> {
    objects.iter().map(|cm| name(cm)).collect()
}

#[test]
fn step1_cache_lists_one_namespace_in_key_order_and_keeps_its_indexes_current() {
    let informer = Informer::new(Source(Arc::new(Script::default())));
    let cache = informer.cache();
    cache.add_index("value", |cm: &ConfigMap| {
        cm.data.iter().flatten().map(|(_, v)| v.clone()).collect()
    });
    // `default-2/x` sorts before `default/a` ('-' < '/'): a namespace is a prefix with its
    // slash, not a plain prefix.
    let mut elsewhere = config_map("x", "1", "blue");
    elsewhere.metadata.namespace = Some("default-2".to_owned());
    informer.replace(vec![
        config_map("b", "1", "blue"),
        config_map("a", "1", "red"),
        elsewhere,
    ]);
    assert_eq!(names(&cache.list_namespace("default")), ["a@1", "b@1"]);
    assert_eq!(names(&cache.list_namespace("default-2")), ["x@1"]);
    assert_eq!(names(&cache.by_index("value", "blue")), ["x@1", "b@1"]);
    assert_eq!(names(&cache.by_index("value", "red")), ["a@1"]);
    assert!(cache.by_index("no such index", "red").is_empty());

    // b turns red, x goes: the index follows both.
    informer.replace(vec![
        config_map("b", "2", "red"),
        config_map("a", "1", "red"),
    ]);
    assert!(cache.by_index("value", "blue").is_empty());
    assert_eq!(names(&cache.by_index("value", "red")), ["a@1", "b@2"]);
    assert!(cache.list_namespace("default-2").is_empty());
}

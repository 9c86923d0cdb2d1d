//! Watch events: which event (if any) one store change is for one watcher, and the JSON line
//! each event is sent as.
//!
//! The store reports *writes*: a key was put, a key was deleted. A client watches *objects that
//! match its selectors*, so the same write can be a different event for different watchers. A
//! label change that makes a pod stop matching `app=web` is a MODIFIED for a watcher without a
//! selector, a DELETED for the `app=web` watcher (that object has left its view), and nothing at
//! all for an `app=db` watcher that never saw it. [`Translator::translate`] makes that decision
//! from the object before and after the write, which both backends hand over (`prev` of
//! [`store::Event`]; etcd's `prev_kv`).

use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::super::codec;
use super::super::filter::Filter;
use crate::registry::Resource;
use crate::status::Status;
use crate::store;
use crate::table::{self, IncludeObject};

/// The `type` of a watch event (`watch.EventType` upstream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventType {
    /// The object entered the watcher's view: created, or changed so that it now matches.
    Added,
    /// The object changed and matches before and after.
    Modified,
    /// The object left the watcher's view: deleted, or changed so that it no longer matches.
    Deleted,
    /// No object changed; the watcher is told how far the stream has got (`resourceVersion`).
    Bookmark,
    /// The watch cannot go on; the object is a `Status` (410 Expired when history is gone).
    Error,
}

impl EventType {
    /// The name on the wire.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
            EventType::Bookmark => "BOOKMARK",
            EventType::Error => "ERROR",
        }
    }
}

/// Turns the store's changes into one watcher's events.
#[derive(Debug, Clone)]
pub(crate) struct Translator {
    /// The watched resource (how to decode its objects).
    pub(crate) resource: &'static Resource,
    /// The watcher's label and field selectors.
    pub(crate) filter: Filter,
}

impl Translator {
    /// True when the watcher sees `object` (its selectors match).
    pub(crate) fn matches(&self, object: &Value) -> bool {
        self.filter.matches(object)
    }

    // ANCHOR: translate
    /// The event `change` is for this watcher, or `None` when it does not concern it.
    ///
    /// The rule (the watch cache's, in k8s.io/apiserver `cacheWatcher.convertToWatchEvent`):
    /// compare whether the object matched the selectors **before** the write and **after** it.
    ///
    /// | before | after | event                                                  |
    /// | ------ | ----- | ------------------------------------------------------ |
    /// | no     | yes   | ADDED, the new object                                  |
    /// | yes    | yes   | MODIFIED, the new object                               |
    /// | yes    | no    | DELETED, the **previous** object                       |
    /// | no     | no    | nothing                                                |
    ///
    /// A created object did not exist before (no match); a deleted one does not exist after. A
    /// DELETED event carries the last state the watcher could have seen, with
    /// `resourceVersion` set to the revision of the change, so a client that watches again
    /// from it does not see the same change twice.
    pub(crate) fn translate(
        &self,
        change: &store::Event,
    ) -> Result<Option<(EventType, Value)>, Status> {
        // BEGIN SOLUTION step-4: decode the object before and after the change, test the selectors on both, pick the event type
        let resource = self.resource;
        let decode = |kv: &store::KeyValue| codec::decode(resource, kv);
        // (matched before, the object before when decoded, the object after, the revision)
        let (matched_before, before, after, revision) = match change {
            store::Event::Put { kv, prev: None } => {
                (false, None, Some(decode(kv)?), kv.mod_revision)
            }
            // Without selectors every object matches, so all there is to know of the version
            // before is that it existed: no need to decode it. Informers watch this way, and
            // each watcher decodes every event, so this halves the work of most updates.
            store::Event::Put { kv, prev: Some(_) } if self.filter.is_everything() => {
                (true, None, Some(decode(kv)?), kv.mod_revision)
            }
            store::Event::Put {
                kv,
                prev: Some(prev),
            } => {
                let before = decode(prev)?;
                (
                    self.matches(&before),
                    Some(before),
                    Some(decode(kv)?),
                    kv.mod_revision,
                )
            }
            store::Event::Delete { prev, revision, .. } => {
                let before = decode(prev)?;
                (self.matches(&before), Some(before), None, *revision)
            }
        };
        let matches_after = after.as_ref().is_some_and(|object| self.matches(object));
        let event = match (matched_before, before, matches_after, after) {
            (false, _, true, Some(object)) => Some((EventType::Added, object)),
            (true, _, true, Some(object)) => Some((EventType::Modified, object)),
            (true, Some(mut last), false, _) => {
                codec::set_resource_version(&mut last, revision);
                Some((EventType::Deleted, last))
            }
            _ => None,
        };
        Ok(event)
        // END SOLUTION
    }
    // ANCHOR_END: translate
}

/// How the objects of events are written: as themselves, or as one-row Tables for `kubectl get
/// -w` (which asks with `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// The objects as they are stored.
    Object,
    /// A `meta.k8s.io/v1` Table with one row, each row carrying what `includeObject` asks.
    Table(IncludeObject),
}

/// Writes events as the lines of a watch response.
#[derive(Debug)]
pub(crate) struct Encoder {
    /// The watched resource (its kind for bookmarks, its printer for Tables).
    resource: &'static Resource,
    /// Objects or Tables.
    shape: Shape,
    /// True once a Table with `columnDefinitions` has been sent: as upstream, only the first
    /// Table of a watch carries them (kubectl prints the header once and keeps its columns).
    columns_sent: AtomicBool,
}

impl Encoder {
    /// An encoder for a watch of `resource`.
    pub(crate) fn new(resource: &'static Resource, shape: Shape) -> Self {
        Encoder {
            resource,
            shape,
            columns_sent: AtomicBool::new(false),
        }
    }

    /// One event as its line: `{"type":"ADDED","object":{...}}` and a newline. `now` is the
    /// time Table ages are computed at.
    pub(crate) fn line(
        &self,
        kind: EventType,
        object: &Value,
        now: Timestamp,
    ) -> Result<Bytes, Status> {
        let object = match (kind, self.shape) {
            (EventType::Error | EventType::Bookmark, _) | (_, Shape::Object) => object.clone(),
            (_, Shape::Table(include)) => {
                let resource = self.resource;
                let mut table = table::table(
                    resource.group,
                    resource.plural,
                    std::slice::from_ref(object),
                    include,
                    now,
                )
                .map_err(Status::internal)?;
                // The Table is at the version of its one object.
                table["metadata"] = json!({
                    "resourceVersion": codec::meta_str(object, "resourceVersion"),
                });
                if self.columns_sent.swap(true, Ordering::Relaxed) {
                    table["columnDefinitions"] = json!([]);
                }
                table
            }
        };
        // Written by hand rather than through a JSON map, which would sort `object` before
        // `type`: clients do not care, people reading `curl -N` output do.
        let line = format!("{{\"type\":\"{}\",\"object\":{object}}}\n", kind.as_str());
        Ok(Bytes::from(line))
    }

    /// The object of a BOOKMARK at `revision`: only `kind`, `apiVersion` and
    /// `metadata.resourceVersion` (KEP-956). A Table watch gets an empty Table instead, which a
    /// Table decoder reads and a printer prints as nothing.
    pub(crate) fn bookmark(&self, revision: i64) -> Value {
        let metadata = json!({"resourceVersion": revision.to_string()});
        match self.shape {
            Shape::Object => json!({
                "kind": self.resource.kind,
                "apiVersion": self.resource.api_version(),
                "metadata": metadata,
            }),
            Shape::Table(_) => json!({
                "kind": "Table",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": metadata,
                "columnDefinitions": [],
                "rows": [],
            }),
        }
    }
}

//! Watch: `GET <collection>?watch=true`, a response that stays open and streams one JSON event
//! per line as the objects change.
//!
//! Watch is how every controller, the scheduler, the kubelet and `kubectl get -w` learn about
//! changes without polling. The response is `200 OK`, chunked, and each chunk is one line:
//!
//! ```text
//! {"type":"ADDED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","resourceVersion":"12",..},..}}
//! {"type":"MODIFIED","object":{..,"metadata":{"name":"a","resourceVersion":"13",..}}}
//! {"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"20"}}}
//! ```
//!
//! What a request asks for (the query parameters of `metav1.ListOptions`):
//!
//! - `resourceVersion`: unset or `0` first sends the current objects as synthetic ADDED events
//!   (read at one revision), then every change after that revision; `N` (the version a list
//!   returned) sends only the changes after `N`. A version older than the store's compaction
//!   gets one ERROR event with a `410 Expired` Status, and the stream ends: the client lists
//!   again. `resourceVersionMatch` is refused (422), as upstream without `sendInitialEvents`.
//! - `labelSelector`, `fieldSelector`: as for a list, with the transition rule of
//!   [`events::Translator::translate`].
//! - `allowWatchBookmarks=true`: a BOOKMARK at least every [`WatchSettings::bookmark_interval`]
//!   and one shortly before `timeoutSeconds` runs out, so a client can resume from recent
//!   history even when nothing it watches changed.
//! - `timeoutSeconds=N`: the response ends cleanly after N seconds (informers then watch again).
//!   Without it the stream stays open: `kubectl get -w` exits when it ends.
//! - `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (`kubectl get -w`): each object is a
//!   one-row Table, as a list would print it (`includeObject` as for lists).
//!
//! Each request gets its own store watch (the store does the fan-out) and its own task that
//! writes the lines into a small channel, from which the response body reads. A client that
//! stops reading only fills its own channel and then its store buffer; the store then ends that
//! watch ([`crate::store::Error::WatcherTooSlow`]) and the response ends, as kube-apiserver
//! closes unresponsive watchers. Writers and other watchers never wait for it.

mod events;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use k8s_openapi::jiff::Timestamp;
use labkit::Clock;
use serde_json::Value;
use tokio::sync::{mpsc, watch as signal};
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;

use self::events::{Encoder, EventType, Shape, Translator};
use super::filter::Filter;
use super::path::Target;
use super::query::Query;
use super::{ApiState, codec};
use crate::registry::Resource;
use crate::status::{Status, StatusCause};
use crate::store::{self, ListOptions, Store, registry_prefix};
use crate::table::IncludeObject;

/// How often a watch with `allowWatchBookmarks=true` gets a BOOKMARK when nothing else
/// happens: kube-apiserver's watch cache sends one about every minute.
pub const DEFAULT_BOOKMARK_INTERVAL: Duration = Duration::from_secs(60);

/// How long before its `timeoutSeconds` end a watch gets its last BOOKMARK (upstream: 2 s), so
/// the client knows the latest version to watch again from.
const BOOKMARK_BEFORE_TIMEOUT: Duration = Duration::from_secs(2);

/// How many lines a watch response may have written but not yet sent to the client.
const LINES_IN_FLIGHT: usize = 16;

/// What the watch handler needs besides the store: the bookmark interval and the server's
/// shutdown signal.
#[derive(Debug, Clone)]
pub struct WatchSettings {
    /// The time between two BOOKMARK events ([`DEFAULT_BOOKMARK_INTERVAL`]).
    pub bookmark_interval: Duration,
    /// Ends every open watch when the server stops.
    pub shutdown: Shutdown,
}

impl Default for WatchSettings {
    fn default() -> Self {
        WatchSettings {
            bookmark_interval: DEFAULT_BOOKMARK_INTERVAL,
            shutdown: Shutdown::default(),
        }
    }
}

/// The server's "stopping" signal, shared by every watch it serves. A graceful shutdown waits
/// for the responses in flight, and a watch never finishes by itself: the server calls
/// [`Shutdown::begin`], and every watch response ends.
#[derive(Debug, Clone)]
pub struct Shutdown {
    /// `true` once the server is stopping.
    stopping: Arc<signal::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown {
            stopping: Arc::new(signal::Sender::new(false)),
        }
    }
}

impl Shutdown {
    /// Ends every open watch response, and every one opened from now on.
    pub fn begin(&self) {
        self.stopping.send_replace(true);
    }

    /// Completes once [`Shutdown::begin`] has been called.
    async fn wait(mut receiver: signal::Receiver<bool>) {
        // An error means the sender is gone, which means the server is gone: stop as well.
        let _ = receiver.wait_for(|stopping| *stopping).await;
    }
}

/// Where a watch starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// `resourceVersion` unset or `0`: the current objects first, then the changes.
    Current,
    /// `resourceVersion=N`: the changes after revision N.
    After(i64),
}

/// What a watch request asks for.
#[derive(Debug, Clone)]
struct WatchRequest {
    start: Start,
    filter: Filter,
    bookmarks: bool,
    timeout: Option<Duration>,
    shape: Shape,
}

impl WatchRequest {
    /// From the query parameters and the `Accept` header; the refusals of upstream's
    /// `ValidateListOptions` for a watch.
    fn parse(
        resource: &'static Resource,
        query: &Query,
        headers: &HeaderMap,
    ) -> Result<Self, Status> {
        let filter = Filter::from_query(resource, query)?;
        if let Some(matching) = query.non_empty("resourceVersionMatch") {
            return Err(invalid_options(
                matching,
                "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
            ));
        }
        let start = match query.non_empty("resourceVersion") {
            None | Some("0") => Start::Current,
            Some(text) => match text.parse::<i64>() {
                Ok(revision) if revision > 0 => Start::After(revision),
                _ => {
                    return Err(Status::bad_request(format!(
                        "invalid resourceVersion \"{text}\": not a number"
                    )));
                }
            },
        };
        let timeout = match query.non_empty("timeoutSeconds") {
            None => None,
            Some(text) => match text.parse::<i64>() {
                Ok(seconds) if seconds > 0 => u64::try_from(seconds).ok().map(Duration::from_secs),
                Ok(_) => None,
                Err(_) => {
                    return Err(Status::bad_request(format!(
                        "invalid timeoutSeconds \"{text}\": not a number"
                    )));
                }
            },
        };
        let shape = if asks_for_table(headers) {
            let include = IncludeObject::from_query(query.get("includeObject"))
                .map_err(|error| Status::bad_request(error.to_string()))?;
            Shape::Table(include)
        } else {
            Shape::Object
        };
        Ok(WatchRequest {
            start,
            filter,
            bookmarks: query.flag("allowWatchBookmarks"),
            timeout,
            shape,
        })
    }
}

/// The 422 of a forbidden `ListOptions` combination, worded as upstream.
fn invalid_options(value: &str, why: &str) -> Status {
    let cause = StatusCause {
        reason: "FieldValueForbidden".into(),
        message: format!("Forbidden: {why}"),
        field: "resourceVersionMatch".into(),
    };
    let mut status = Status::bad_request(String::new());
    status.code = 422;
    status.reason = "Invalid";
    status.message =
        format!("ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: {why}");
    status.details = Some(Box::new(crate::status::StatusDetails {
        group: "meta.k8s.io".into(),
        kind: "ListOptions".into(),
        causes: vec![cause],
        ..Default::default()
    }));
    tracing::debug!(value, "resourceVersionMatch refused for a watch");
    status
}

/// True when the `Accept` header asks for `meta.k8s.io` Tables (`as=Table;g=meta.k8s.io`).
fn asks_for_table(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|media_type| {
            let params: Vec<&str> = media_type.split(';').map(str::trim).collect();
            params.contains(&"as=Table") && params.contains(&"g=meta.k8s.io")
        })
}

/// `GET <collection>?watch=true`: answers 200 at once, then streams events until the client
/// goes away, `timeoutSeconds` runs out, the store ends the watch or the server stops.
pub(crate) async fn watch(
    state: &ApiState,
    target: &Target,
    query: &Query,
    headers: &HeaderMap,
) -> Result<Response, Status> {
    let resource = target.resource;
    let request = WatchRequest::parse(resource, query, headers)?;
    let namespace = target.namespace.as_deref().filter(|_| resource.namespaced);
    let prefix = registry_prefix(resource.storage_name(), namespace);
    let translator = Translator {
        resource,
        filter: request.filter.clone(),
    };
    let opening = open(state, &prefix, request.start, &translator).await?;
    let (sender, receiver) = mpsc::channel(LINES_IN_FLIGHT);
    let stream = EventStream {
        translator,
        encoder: Encoder {
            resource,
            shape: request.shape,
        },
        clock: state.clock.clone(),
        outbox: Outbox {
            sender,
            deadline: request.timeout.map(|timeout| Instant::now() + timeout),
            stopping: state.watch.shutdown.stopping.subscribe(),
        },
        bookmark_interval: request.bookmarks.then_some(state.watch.bookmark_interval),
    };
    tokio::spawn(stream.run(opening));
    let mut response = Body::from_stream(ReceiverStream::new(receiver)).into_response();
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache, private"));
    Ok(response)
}

/// How a watch begins: the objects to replay as ADDED, the store watch that follows, and the
/// revision the stream is at; or, when the history is gone, the one ERROR to send.
#[derive(Debug)]
enum Opening {
    /// The watch can be served.
    Stream {
        /// Synthetic ADDED events (the current objects), for a watch without a version.
        initial: Vec<Value>,
        /// Every change after `revision`.
        changes: store::Watch,
        /// The revision `initial` was read at, or the one the client asked for.
        revision: i64,
    },
    /// The version asked for was compacted away: a 410 Expired, sent as an ERROR event.
    Expired(Status),
}

/// The 410 of a watch from a compacted version: `too old resource version: 5 (9)`, the second
/// number being the oldest version a watch can still start from.
fn too_old(requested: i64, compacted_revision: i64) -> Status {
    Status::expired(format!(
        "too old resource version: {requested} ({})",
        compacted_revision - 1
    ))
}

// ANCHOR: open
/// Starts the watch of `prefix` as `start` says.
///
/// - [`Start::Current`]: list the prefix (at the latest revision), keep the objects the
///   selectors match, and watch from **the list's revision**: the list and the watch then fit
///   together exactly, with no change missed or seen twice.
/// - [`Start::After`]`(n)`: watch from `n`, nothing to replay.
///
/// A watch the store refuses because its revision was compacted is not an HTTP error: it is an
/// [`Opening::Expired`], sent as the stream's one ERROR event (clients read errors of a watch
/// from the stream). Other store errors are HTTP errors.
async fn open(
    state: &ApiState,
    prefix: &str,
    start: Start,
    translator: &Translator,
) -> Result<Opening, Status> {
    // BEGIN SOLUTION step-4: list then watch from the list's revision, or watch from the given one; Compacted becomes Expired
    let resource = translator.resource;
    let (initial, from) = match start {
        Start::Current => {
            let listed = state
                .store
                .list(prefix, ListOptions::default())
                .await
                .map_err(|error| Status::from_store(error, resource, ""))?;
            let mut initial = Vec::new();
            for kv in &listed.items {
                let object = codec::decode(resource, kv)?;
                if translator.matches(&object) {
                    initial.push(object);
                }
            }
            (initial, listed.revision)
        }
        Start::After(revision) => (Vec::new(), revision),
    };
    match state.store.watch(prefix, from).await {
        Ok(changes) => Ok(Opening::Stream {
            initial,
            changes,
            revision: from,
        }),
        Err(store::Error::Compacted {
            requested,
            compacted_revision,
        }) => Ok(Opening::Expired(too_old(requested, compacted_revision))),
        Err(error) => Err(Status::from_store(error, resource, "")),
    }
    // END SOLUTION
}
// ANCHOR_END: open

// ANCHOR: next_bookmark
/// When the next BOOKMARK is due, `now` being the time of the last one (or of the start).
///
/// Every `interval`, and at the latest [`BOOKMARK_BEFORE_TIMEOUT`] before the `deadline` of a
/// watch with `timeoutSeconds`, so the client learns the latest version just before the stream
/// ends. `None` once that last bookmark is past: none is due any more.
fn next_bookmark(now: Instant, interval: Duration, deadline: Option<Instant>) -> Option<Instant> {
    // BEGIN SOLUTION step-4: now + interval, or just before the deadline if that comes first; None when even that is past
    let heartbeat = now + interval;
    let Some(deadline) = deadline else {
        return Some(heartbeat);
    };
    let before_timeout = deadline.checked_sub(BOOKMARK_BEFORE_TIMEOUT)?;
    if before_timeout <= now {
        return None;
    }
    Some(heartbeat.min(before_timeout))
    // END SOLUTION
}
// ANCHOR_END: next_bookmark

/// Where a watch's lines go: the channel the response body reads, given up when the client
/// has gone, the deadline has passed or the server is stopping.
struct Outbox {
    sender: mpsc::Sender<Result<Bytes, Infallible>>,
    deadline: Option<Instant>,
    stopping: signal::Receiver<bool>,
}

impl Outbox {
    /// Sends one line, waiting while the client is slow; false when the stream must end.
    async fn send(&self, line: Bytes) -> bool {
        tokio::select! {
            sent = self.sender.send(Ok(line)) => sent.is_ok(),
            () = sleep_until(self.deadline) => false,
            () = Shutdown::wait(self.stopping.clone()) => false,
        }
    }
}

/// Sleeps until `at`, or forever when there is no `at`.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// One watch response, from its opening to its end (a task of its own).
struct EventStream {
    translator: Translator,
    encoder: Encoder,
    clock: Arc<dyn Clock>,
    outbox: Outbox,
    /// `Some` when the client allowed bookmarks.
    bookmark_interval: Option<Duration>,
}

impl EventStream {
    /// The time Table ages are computed at.
    fn now(&self) -> Timestamp {
        let seconds = self
            .clock
            .wall()
            .duration_since(std::time::SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        i64::try_from(seconds)
            .ok()
            .and_then(|seconds| Timestamp::from_second(seconds).ok())
            .unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// Encodes and sends one event; false when the stream must end.
    async fn send(&self, kind: EventType, object: &Value) -> bool {
        match self.encoder.line(kind, object, self.now()) {
            Ok(line) => self.outbox.send(line).await,
            Err(status) => {
                tracing::warn!(message = status.message, "watch event could not be encoded");
                let error = self
                    .encoder
                    .line(EventType::Error, &status.to_json(), self.now());
                if let Ok(line) = error {
                    self.outbox.send(line).await;
                }
                false
            }
        }
    }

    /// Streams until the end; dropping `self` then closes the response and the store watch.
    async fn run(self, opening: Opening) {
        let (initial, mut changes, mut revision) = match opening {
            Opening::Stream {
                initial,
                changes,
                revision,
            } => (initial, changes, revision),
            Opening::Expired(status) => {
                self.send(EventType::Error, &status.to_json()).await;
                return;
            }
        };
        for object in &initial {
            if !self.send(EventType::Added, object).await {
                return;
            }
        }
        let deadline = self.outbox.deadline;
        let interval = self.bookmark_interval;
        let mut bookmark_at =
            interval.and_then(|interval| next_bookmark(Instant::now(), interval, deadline));
        loop {
            tokio::select! {
                () = sleep_until(deadline) => return,
                () = Shutdown::wait(self.outbox.stopping.clone()) => return,
                () = self.outbox.sender.closed() => return,
                () = sleep_until(bookmark_at) => {
                    let bookmark = self.encoder.bookmark(revision);
                    if !self.send(EventType::Bookmark, &bookmark).await {
                        return;
                    }
                    bookmark_at = interval
                        .and_then(|interval| next_bookmark(Instant::now(), interval, deadline));
                }
                change = changes.recv() => {
                    let change = match change {
                        None => return,
                        Some(Ok(change)) => change,
                        Some(Err(error)) => return self.end_with(error).await,
                    };
                    // Every change moves the stream on, even one this watcher does not see:
                    // a bookmark then lets the client resume after it.
                    revision = change.revision();
                    let event = match self.translator.translate(&change) {
                        Ok(event) => event,
                        Err(status) => {
                            self.send(EventType::Error, &status.to_json()).await;
                            return;
                        }
                    };
                    if let Some((kind, object)) = event
                        && !self.send(kind, &object).await
                    {
                        return;
                    }
                }
            }
        }
    }

    /// The store ended the watch: a slow watcher's response just ends (the client watches
    /// again from the last version it saw); lost history is an ERROR 410; anything else an
    /// ERROR with the store's status.
    async fn end_with(&self, error: store::Error) {
        let status = match error {
            store::Error::WatcherTooSlow { buffer } => {
                tracing::debug!(buffer, "closing a watch that fell behind");
                return;
            }
            store::Error::Compacted {
                requested,
                compacted_revision,
            } => too_old(requested, compacted_revision),
            other => Status::from_store(other, self.translator.resource, ""),
        };
        self.send(EventType::Error, &status.to_json()).await;
    }
}

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
//!   again. `resourceVersionMatch` and `sendInitialEvents` are refused (422), as by a server
//!   without the WatchList feature.
//! - `labelSelector`, `fieldSelector`: as for a list, with the transition rule of
//!   [`events::Translator::translate`].
//! - `allowWatchBookmarks=true`: a BOOKMARK at least every [`WatchSettings::bookmark_interval`]
//!   and one shortly before `timeoutSeconds` runs out, so a client can resume from recent
//!   history even when nothing it watches changed.
//! - `timeoutSeconds=N`: the response ends cleanly after N seconds (informers then watch again).
//!   Without it the stream stays open: `kubectl get -w` exits when it ends.
//! - `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (`kubectl get -w`): each object is a
//!   one-row Table, as a list would print it (`includeObject` as for lists); only the first
//!   one carries `columnDefinitions`, as upstream.
//!
//! Each request gets its own store watch (the store does the fan-out) and its own task that
//! writes the lines into a small channel, from which the response body reads. A client that
//! stops reading only fills its own channel and then its store buffer; the store then ends that
//! watch ([`crate::store::Error::WatcherTooSlow`]) and the response ends, as kube-apiserver
//! closes unresponsive watchers. Writers and other watchers never wait for it.

mod events;
mod request;
mod stream;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::sync::{mpsc, watch as signal};
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;

use self::events::{Encoder, Translator};
use self::request::{Start, WatchRequest};
use self::stream::{EventStream, Outbox};
use super::path::Target;
use super::query::Query;
use super::{ApiState, codec};
use crate::status::Status;
use crate::store::{self, ListOptions, Store, registry_prefix};

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
        encoder: Encoder::new(resource, request.shape),
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

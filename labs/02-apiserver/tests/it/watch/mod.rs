//! Step 4 tests: watch over HTTP, driven in-process through the axum `Router`.
//!
//! `WatchApi` is a router over a fresh store (system namespaces created, a `FakeClock`); its
//! `watch` opens a watch and returns a [`Events`] that reads the streaming body one line at a
//! time, each read bounded by a deadline (a test that waits for an event that never comes fails
//! instead of hanging). Tests of bookmarks and timeouts run on tokio's paused clock, which jumps
//! to the next timer whenever everything is idle: a 60 s bookmark interval takes no real time.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use lab_02::rest::ApiState;
use lab_02::store::Backend;
use labkit::FakeClock;
use serde_json::{Value, json};
use tower::ServiceExt;

mod basics;
mod bookmarks;
mod etcd;
mod fanout;
mod selectors;

/// The collection URL of configmaps in `default`.
pub(crate) const CONFIGMAPS: &str = "/api/v1/namespaces/default/configmaps";

/// `kubectl get -w`'s Accept header.
pub(crate) const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

/// A router over a store, with the system namespaces created.
#[derive(Clone)]
pub(crate) struct WatchApi {
    router: Router,
    pub(crate) state: ApiState,
}

impl WatchApi {
    /// On a fresh embedded store.
    pub(crate) async fn embedded() -> WatchApi {
        WatchApi::on(Backend::default()).await
    }

    /// On `store`.
    pub(crate) async fn on(store: Backend) -> WatchApi {
        let state = ApiState {
            clock: Arc::new(FakeClock::default()),
            ..ApiState::new(store)
        };
        lab_02::server::bootstrap(&state).await.unwrap();
        WatchApi {
            router: lab_02::server::router(state.clone()),
            state,
        }
    }

    /// A request with an optional JSON body; the code and the JSON answer.
    pub(crate) async fn call(&self, method: &str, uri: &str, body: Option<&Value>) -> (u16, Value) {
        let request = Request::builder().method(method).uri(uri);
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let code = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (code, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// Creates `object` in `collection`; returns it as stored.
    pub(crate) async fn create(&self, collection: &str, object: &Value) -> Value {
        let (code, body) = self.call("POST", collection, Some(object)).await;
        assert_eq!(code, 201, "create failed: {body}");
        body
    }

    /// Replaces `object` (named by its metadata) in `collection`; returns it as stored.
    pub(crate) async fn update(&self, collection: &str, object: &Value) -> Value {
        let name = object["metadata"]["name"].as_str().unwrap();
        let (code, body) = self
            .call("PUT", &format!("{collection}/{name}"), Some(object))
            .await;
        assert_eq!(code, 200, "update failed: {body}");
        body
    }

    /// Deletes `name` from `collection`.
    pub(crate) async fn delete(&self, collection: &str, name: &str) {
        let (code, body) = self
            .call("DELETE", &format!("{collection}/{name}"), None)
            .await;
        assert_eq!(code, 200, "delete failed: {body}");
    }

    /// Lists `collection`; returns the list's `resourceVersion`.
    pub(crate) async fn list_version(&self, collection: &str) -> String {
        let (code, body) = self.call("GET", collection, None).await;
        assert_eq!(code, 200, "list failed: {body}");
        body["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Opens a watch (`uri` carries `watch=true` and the rest of the query).
    pub(crate) async fn watch(&self, uri: &str) -> Events {
        self.watch_accepting(uri, "application/json").await
    }

    /// Opens a watch with an `Accept` header.
    pub(crate) async fn watch_accepting(&self, uri: &str, accept: &str) -> Events {
        let request = Request::builder()
            .method("GET")
            .uri(uri)
            .header("accept", accept)
            .body(Body::empty())
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        Events {
            code: response.status().as_u16(),
            content_type: response
                .headers()
                .get("content-type")
                .map(|value| value.to_str().unwrap().to_string())
                .unwrap_or_default(),
            body: response.into_body(),
            pending: Vec::new(),
            deadline: Duration::from_secs(10),
        }
    }
}

/// The streaming body of a watch response, read one event line at a time.
pub(crate) struct Events {
    /// The HTTP code.
    pub(crate) code: u16,
    /// The `Content-Type` header.
    pub(crate) content_type: String,
    body: Body,
    /// Bytes read but not yet a whole line.
    pending: Vec<u8>,
    /// How long one read may wait (on the paused clock, virtual time).
    pub(crate) deadline: Duration,
}

impl Events {
    /// The next event, or `None` when the response has ended. Panics after the deadline.
    pub(crate) async fn next(&mut self) -> Option<Value> {
        let deadline = self.deadline;
        tokio::time::timeout(deadline, self.read_line())
            .await
            .unwrap_or_else(|_| panic!("no watch event and no end within {deadline:?}"))
    }

    /// The next event; panics when the response ended instead.
    pub(crate) async fn event(&mut self) -> Value {
        match self.next().await {
            Some(event) => event,
            None => panic!("the watch ended, an event was expected"),
        }
    }

    /// The next event, checked to be of `kind`, for the object `name`; returns its object.
    pub(crate) async fn expect(&mut self, kind: &str, name: &str) -> Value {
        let event = self.event().await;
        assert_eq!(event["type"], kind, "unexpected event: {event}");
        assert_eq!(
            event["object"]["metadata"]["name"], name,
            "unexpected event: {event}"
        );
        event["object"].clone()
    }

    /// Asserts that the response ends (after no further event).
    pub(crate) async fn expect_end(&mut self) {
        if let Some(event) = self.next().await {
            panic!("the watch should have ended, got {event}");
        }
    }

    async fn read_line(&mut self) -> Option<Value> {
        loop {
            if let Some(at) = self.pending.iter().position(|byte| *byte == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=at).collect();
                let text = std::str::from_utf8(&line[..at]).expect("event lines are UTF-8");
                return Some(
                    serde_json::from_str(text).unwrap_or_else(|error| {
                        panic!("not a JSON event line ({error}): {text:?}")
                    }),
                );
            }
            match self.body.frame().await {
                None => {
                    assert!(
                        self.pending.is_empty(),
                        "the stream ended inside a line: {:?}",
                        String::from_utf8_lossy(&self.pending)
                    );
                    return None;
                }
                Some(frame) => {
                    let frame = frame.expect("the watch body failed");
                    if let Ok(data) = frame.into_data() {
                        self.pending.extend_from_slice(&data);
                    }
                }
            }
        }
    }
}

/// A ConfigMap named `name` with `labels`.
pub(crate) fn configmap(name: &str, labels: Value) -> Value {
    let mut object = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name},
        "data": {"key": "value"}
    });
    object["metadata"]["labels"] = labels;
    object
}

/// `metadata.resourceVersion` of an object, as a number.
pub(crate) fn version(object: &Value) -> i64 {
    object["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("no resourceVersion in {object}"))
}

//! Steps 2 and 3 tests: the REST layer, driven in-process through the axum `Router` (no
//! socket: `tower::ServiceExt::oneshot`), on the embedded store and, for a few, on real etcd.
//!
//! `Api` is the harness: a router over a fresh store with the system namespaces and a
//! `FakeClock` (so timestamps are known), and one method per request shape.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use lab_02::rest::ApiState;
use lab_02::store::Backend;
use labkit::FakeClock;
use serde_json::{Value, json};
use tower::ServiceExt;

mod concurrency;
mod crud;
mod errors;
mod etcd;
mod finalizers;
mod lifecycle;
mod paging;
mod server;
mod services;
mod update;
mod wiring;

/// The fake clock's start, as objects show it.
pub(crate) const START: &str = "2024-01-01T00:00:00Z";

/// A router over a store, with the system namespaces created.
#[derive(Clone)]
pub(crate) struct Api {
    router: Router,
    pub(crate) store: Backend,
    pub(crate) clock: FakeClock,
}

/// One answer: the HTTP code, the JSON body and the `Warning` headers.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) code: u16,
    pub(crate) body: Value,
    pub(crate) warnings: Vec<String>,
}

impl Reply {
    /// Asserts a `Status` answer with this code and reason, and returns its message.
    #[track_caller]
    pub(crate) fn status(&self, code: u16, reason: &str) -> &str {
        assert_eq!(self.code, code, "unexpected answer: {}", self.body);
        assert_eq!(self.body["kind"], "Status", "{}", self.body);
        assert_eq!(self.body["apiVersion"], "v1", "{}", self.body);
        assert_eq!(self.body["status"], "Failure", "{}", self.body);
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert_eq!(self.body["reason"], reason, "{}", self.body);
        self.body["message"].as_str().unwrap_or("")
    }

    /// Asserts a success code and returns the body.
    #[track_caller]
    pub(crate) fn ok(&self, code: u16) -> &Value {
        assert_eq!(self.code, code, "unexpected answer: {}", self.body);
        &self.body
    }

    /// `metadata.resourceVersion` of the body.
    pub(crate) fn rv(&self) -> String {
        self.body["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

impl Api {
    /// On a fresh embedded store.
    pub(crate) async fn embedded() -> Api {
        Api::on(Backend::default()).await
    }

    /// On `store`.
    pub(crate) async fn on(store: Backend) -> Api {
        let clock = FakeClock::default();
        let state = ApiState::new(store.clone()).with_clock(Arc::new(clock.clone()));
        lab_02::server::bootstrap(&state).await.unwrap();
        Api {
            router: lab_02::server::router(state),
            store,
            clock,
        }
    }

    /// Any request with raw body bytes.
    pub(crate) async fn raw(
        &self,
        method: &str,
        uri: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        if !content_type.is_empty() {
            request = request.header("content-type", content_type);
        }
        let request = request.body(Body::from(body)).unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let code = response.status().as_u16();
        let warnings = response
            .headers()
            .get_all("warning")
            .iter()
            .map(|value| value.to_str().unwrap().to_string())
            .collect();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Reply {
            code,
            body,
            warnings,
        }
    }

    /// A request with an optional JSON body.
    pub(crate) async fn call(&self, method: &str, uri: &str, body: Option<&Value>) -> Reply {
        match body {
            Some(body) => {
                self.raw(
                    method,
                    uri,
                    "application/json",
                    body.to_string().into_bytes(),
                )
                .await
            }
            None => self.raw(method, uri, "", Vec::new()).await,
        }
    }

    pub(crate) async fn get(&self, uri: &str) -> Reply {
        self.call("GET", uri, None).await
    }

    pub(crate) async fn post(&self, uri: &str, body: &Value) -> Reply {
        self.call("POST", uri, Some(body)).await
    }

    pub(crate) async fn put(&self, uri: &str, body: &Value) -> Reply {
        self.call("PUT", uri, Some(body)).await
    }

    pub(crate) async fn delete(&self, uri: &str) -> Reply {
        self.call("DELETE", uri, None).await
    }
}

/// The collection URL of deployments in `default`.
pub(crate) const DEPLOYMENTS: &str = "/apis/apps/v1/namespaces/default/deployments";
/// The collection URL of configmaps in `default`.
pub(crate) const CONFIGMAPS: &str = "/api/v1/namespaces/default/configmaps";

/// A small Deployment named `name`.
pub(crate) fn deployment(name: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]}
            }
        }
    })
}

/// A ConfigMap named `name` with one key.
pub(crate) fn configmap(name: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name},
        "data": {"key": "value"}
    })
}

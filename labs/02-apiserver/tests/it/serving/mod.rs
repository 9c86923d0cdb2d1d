//! Step 5 in-process: what the server answers to the requests kubectl makes, without kubectl
//! (the `kubectl` module runs the real thing). Discovery, `/version`, OpenAPI routes, Table
//! negotiation, PATCH, and the `scale` and `binding` subresources.

mod discovery;
mod patch;
mod subresources;
mod tables;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use lab_02::rest::ApiState;
use lab_02::store::Backend;
use labkit::FakeClock;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The Accept header `kubectl get` sends.
pub(crate) const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

/// A router over a fresh embedded store with the system namespaces.
pub(crate) async fn router() -> Router {
    let state = ApiState::new(Backend::default()).with_clock(Arc::new(FakeClock::default()));
    lab_02::server::bootstrap(&state).await.unwrap();
    lab_02::server::router(state)
}

/// An answer: code, `Content-Type`, all headers, the body as JSON (or a JSON string of the
/// text when it is not JSON) and the raw bytes.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) code: u16,
    pub(crate) content_type: String,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: Value,
    pub(crate) bytes: Vec<u8>,
}

/// One request: `headers` as `(name, value)` pairs, `body` as text.
pub(crate) async fn send(
    router: &Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Body::from(body.to_string())).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let code = response.status().as_u16();
    let headers = response.headers().clone();
    let content_type = headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Answer {
        code,
        content_type,
        headers,
        body,
        bytes,
    }
}

/// `GET uri` with an `Accept` header.
pub(crate) async fn get(router: &Router, uri: &str, accept: &str) -> Answer {
    send(router, "GET", uri, &[("accept", accept)], "").await
}

/// `POST uri` of a JSON object; asserts 201.
pub(crate) async fn create(router: &Router, uri: &str, object: &Value) -> Value {
    let answer = send(
        router,
        "POST",
        uri,
        &[("content-type", "application/json")],
        &object.to_string(),
    )
    .await;
    assert_eq!(answer.code, 201, "{}", answer.body);
    answer.body
}

/// `PATCH uri` with a body of `content_type`.
pub(crate) async fn patch(router: &Router, uri: &str, content_type: &str, body: &str) -> Answer {
    send(
        router,
        "PATCH",
        uri,
        &[("content-type", content_type)],
        body,
    )
    .await
}

/// The collection URL of deployments in `default`.
pub(crate) const DEPLOYMENTS: &str = "/apis/apps/v1/namespaces/default/deployments";

/// A Deployment `name` with `replicas` and one container.
pub(crate) fn deployment(name: &str, replicas: i64) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}
            }
        }
    })
}

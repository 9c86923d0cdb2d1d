//! Step 7: `pods/log` and `pods/exec`, the subresources the API server does not answer itself.
//!
//! A container's output and its processes live on one node, in the kubelet's hands; nothing
//! about them is in the store. So for these two subresources the API server is a proxy: it
//! finds where the container runs and passes the request on to that node's kubelet.
//!
//! ```text
//! kubectl ──GET /api/v1/namespaces/default/pods/web/log?follow=true──▶ apiserver
//!            1. the Pod "web"          -> spec.nodeName = node-1, container "app"
//!            2. the Node "node-1"      -> status.addresses InternalIP 10.0.0.11,
//!                                         status.daemonEndpoints.kubeletEndpoint.Port 10250
//!            3. GET http://10.0.0.11:10250/containerLogs/default/web/app?follow=true
//! kubectl ◀──────────── the kubelet's bytes, passed through as they arrive ─────────────┘
//! ```
//!
//! - `kubelet`: steps 1 and 2, [`locate`]: the pod, its container ([`default_container`]), its
//!   node, and the kubelet's address ([`kubelet_address`]).
//! - `log`: `pods/log`, a plain-text (and, with `follow`, endless) HTTP response, streamed.
//! - `exec`: `pods/exec`, a WebSocket whose binary messages carry a channel byte; the API
//!   server accepts kubectl's WebSocket, opens one to the kubelet, and relays messages.
//! - `client`: the HTTP and WebSocket connections to the kubelet, with timeouts.
//!
//! Our kubelet serves plain HTTP (no TLS, no client certificates yet): the real kube-apiserver
//! talks HTTPS to port 10250 and authenticates with `--kubelet-client-certificate`.

mod client;
mod exec;
mod kubelet;
mod log;

use axum::http::Method;
use axum::http::request::Parts;
use axum::response::Response;
use percent_encoding::percent_decode_str;

use crate::rest::{ApiState, Target};
use crate::status::Status;

pub use exec::{EXEC_PROTOCOLS, ExecOptions, spdy_refusal};
pub use kubelet::{
    ContainerLocation, DEFAULT_CONTAINER_ANNOTATION, DEFAULT_KUBELET_PORT, KubeletAddress,
    container_names, default_container, kubelet_address, locate,
};
pub use log::LogOptions;

/// Answers a request for `pods/<name>/log` or `pods/<name>/exec` (the REST dispatch hands these
/// two subresources here, before its verb table: `exec` is `GET` for a WebSocket and `POST`
/// for SPDY, and neither is stored).
pub(crate) async fn serve(
    state: &ApiState,
    target: &Target,
    parts: Parts,
) -> Result<Response, Status> {
    let resource = target.resource;
    let (Some(namespace), Some(pod), Some(subresource)) =
        (&target.namespace, &target.name, target.subresource)
    else {
        return Err(Status::no_such_path());
    };
    let params = Params::parse(parts.uri.query().unwrap_or(""));
    match subresource.name {
        "log" if parts.method == Method::GET => log::proxy(state, namespace, pod, &params).await,
        "log" => Err(Status::method_not_allowed(resource, &verb(&parts.method))),
        "exec" if parts.method == Method::GET || parts.method == Method::POST => {
            exec::serve(state, namespace, pod, &params, parts).await
        }
        "exec" => Err(Status::method_not_allowed(resource, &verb(&parts.method))),
        _ => Err(Status::no_such_path()),
    }
}

/// The verb word of a method, for the 405 message.
fn verb(method: &Method) -> String {
    match *method {
        Method::POST => "create".to_string(),
        Method::PUT => "update".to_string(),
        Method::PATCH => "patch".to_string(),
        Method::DELETE => "delete".to_string(),
        _ => method.as_str().to_lowercase(),
    }
}

/// The query parameters of a request, every value kept: exec repeats `command` once per
/// argument (`?command=ls&command=-l`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Splits a raw query string on `&` and `=`, decoding `+` and `%XX` as Go's
    /// `url.ParseQuery` does.
    pub fn parse(raw: &str) -> Self {
        let decode = |text: &str| {
            percent_decode_str(&text.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        let pairs = raw
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| match pair.split_once('=') {
                Some((name, value)) => (decode(name), decode(value)),
                None => (decode(pair), String::new()),
            })
            .collect();
        Params { pairs }
    }

    /// The first non-empty value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.all(name).find(|value| !value.is_empty())
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + use<'a> {
        let name = name.to_string();
        self.pairs
            .iter()
            .filter(move |(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    /// True when `name` is `true` (or `1`, `t`, ...), as Go's `strconv.ParseBool` reads it.
    pub fn flag(&self, name: &str) -> bool {
        matches!(
            self.get(name),
            Some("true" | "1" | "True" | "TRUE" | "t" | "T")
        )
    }

    /// The integer value of `name`, if given; 400 when it is not a number.
    pub fn integer(&self, name: &str) -> Result<Option<i64>, Status> {
        let Some(text) = self.get(name) else {
            return Ok(None);
        };
        text.parse().map(Some).map_err(|_| {
            Status::bad_request(format!(
                "invalid value for {name}: \"{text}\" is not an integer"
            ))
        })
    }
}

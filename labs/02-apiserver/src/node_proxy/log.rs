//! `pods/log`: the kubelet's `/containerLogs/<namespace>/<pod>/<container>`, streamed through.

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::kubelet::{ContainerLocation, locate, unreachable};
use super::{Params, client};
use crate::rest::ApiState;
use crate::status::Status;

/// The most of a kubelet's error body we put in a message.
const MAX_ERROR_BODY: usize = 1024;

/// The options of `pods/log` (`core/v1` `PodLogOptions`), from the query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogOptions {
    /// `container`: which container (defaulted when absent).
    pub container: Option<String>,
    /// `follow`: keep the stream open and send new lines as the container writes them.
    pub follow: bool,
    /// `previous`: the logs of the previous, terminated, instance of the container.
    pub previous: bool,
    /// `timestamps`: prefix each line with its RFC 3339 time.
    pub timestamps: bool,
    /// `sinceSeconds`: only lines newer than this many seconds.
    pub since_seconds: Option<i64>,
    /// `sinceTime`: only lines newer than this RFC 3339 time.
    pub since_time: Option<String>,
    /// `tailLines`: only the last N lines.
    pub tail_lines: Option<i64>,
    /// `limitBytes`: stop after this many bytes.
    pub limit_bytes: Option<i64>,
}

impl LogOptions {
    /// Reads and checks the options; 400 with upstream's words when one is out of range.
    pub fn from_params(params: &Params) -> Result<Self, Status> {
        let options = LogOptions {
            container: params.get("container").map(str::to_string),
            follow: params.flag("follow"),
            previous: params.flag("previous"),
            timestamps: params.flag("timestamps"),
            since_seconds: params.integer("sinceSeconds")?,
            since_time: params.get("sinceTime").map(str::to_string),
            tail_lines: params.integer("tailLines")?,
            limit_bytes: params.integer("limitBytes")?,
        };
        let refuse = |field: &str, value: i64, rule: &str| {
            Err(Status::bad_request(format!(
                "{field}: Invalid value: {value}: {rule}"
            )))
        };
        if let Some(lines) = options.tail_lines.filter(|lines| *lines < 0) {
            return refuse("tailLines", lines, "must be greater than or equal to 0");
        }
        if let Some(seconds) = options.since_seconds.filter(|seconds| *seconds < 1) {
            return refuse("sinceSeconds", seconds, "must be greater than 0");
        }
        if let Some(bytes) = options.limit_bytes.filter(|bytes| *bytes < 1) {
            return refuse("limitBytes", bytes, "must be greater than 0");
        }
        if options.since_seconds.is_some() && options.since_time.is_some() {
            return Err(Status::bad_request(
                "sinceSeconds: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified",
            ));
        }
        Ok(options)
    }

    /// The kubelet's query string for these options (without `container`, which is in the
    /// path), in the order kube-apiserver writes them; empty when there is none.
    pub fn kubelet_query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        for (name, on) in [
            ("follow", self.follow),
            ("previous", self.previous),
            ("timestamps", self.timestamps),
        ] {
            if on {
                pairs.push((name, "true".to_string()));
            }
        }
        if let Some(seconds) = self.since_seconds {
            pairs.push(("sinceSeconds", seconds.to_string()));
        }
        if let Some(time) = &self.since_time {
            pairs.push(("sinceTime", time.clone()));
        }
        if let Some(lines) = self.tail_lines {
            pairs.push(("tailLines", lines.to_string()));
        }
        if let Some(bytes) = self.limit_bytes {
            pairs.push(("limitBytes", bytes.to_string()));
        }
        let encoded: Vec<String> = pairs
            .iter()
            .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, NON_ALPHANUMERIC)))
            .collect();
        encoded.join("&")
    }
}

/// The kubelet's path and query for the logs of `location`'s container.
pub(crate) fn kubelet_path(location: &ContainerLocation, options: &LogOptions) -> String {
    let segment = |text: &str| utf8_percent_encode(text, NON_ALPHANUMERIC).to_string();
    let mut path = format!(
        "/containerLogs/{}/{}/{}",
        segment(&location.namespace),
        segment(&location.pod),
        segment(&location.container)
    );
    let query = options.kubelet_query();
    if !query.is_empty() {
        path.push('?');
        path.push_str(&query);
    }
    path
}

/// `GET .../pods/<name>/log`: asks the kubelet and streams its answer back as `text/plain`,
/// each chunk passed on as it arrives (so `kubectl logs -f` prints lines as they are written).
pub(crate) async fn proxy(
    state: &ApiState,
    namespace: &str,
    pod: &str,
    params: &Params,
) -> Result<Response, Status> {
    let options = LogOptions::from_params(params)?;
    let location = locate(state, namespace, pod, options.container.as_deref()).await?;
    let path = kubelet_path(&location, &options);
    tracing::debug!(node = %location.node, kubelet = %location.kubelet, %path, "proxying logs");
    let answer = client::get(&location.kubelet, &path).await?;
    let code = answer.status();
    if !code.is_success() {
        return Err(kubelet_refusal(code, answer.into_body(), &location).await);
    }
    // `Body::new` wraps the kubelet's body without reading it: hyper writes each chunk to
    // kubectl (chunked transfer encoding) as soon as the kubelet sends it.
    let mut response = Body::new(answer.into_body()).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(response)
}

/// A kubelet's non-2xx answer, as a `Status` with its code and (the start of) its text.
async fn kubelet_refusal(
    code: StatusCode,
    body: hyper::body::Incoming,
    location: &ContainerLocation,
) -> Status {
    let text = match body.collect().await {
        Ok(collected) => {
            let bytes = collected.to_bytes();
            let end = bytes.len().min(MAX_ERROR_BODY);
            String::from_utf8_lossy(&bytes[..end]).trim().to_string()
        }
        Err(_) => String::new(),
    };
    let message = if text.is_empty() {
        format!(
            "the kubelet of node {} answered {code} for the logs of container {} of pod {}",
            location.node, location.container, location.pod
        )
    } else {
        text
    };
    let reason = match code.as_u16() {
        400 => "BadRequest",
        404 => "NotFound",
        _ => "",
    };
    Status {
        code: code.as_u16(),
        reason,
        ..unreachable(message)
    }
}

//! A request to the API server that failed, with what it was for: what a controller's sync
//! returns when a write or a read fails (its work queue then retries the key with back-off).
//!
//! Every controller reports the same way: `updating the status of default/web: <the client's
//! error>`, so a log line says what was being done as well as what went wrong.

/// A failed request and what it was for.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {source}")]
pub struct RequestError {
    what: String,
    #[source]
    source: kube::Error,
}

impl RequestError {
    /// What the request was for.
    pub fn what(&self) -> &str {
        &self.what
    }

    /// The client's error.
    pub fn source_error(&self) -> &kube::Error {
        &self.source
    }
}

/// Wraps a client error with what the request was for:
/// `api.replace_status(..).await.map_err(request_failed(format!("updating {key}")))?`.
pub fn request_failed(what: impl Into<String>) -> impl FnOnce(kube::Error) -> RequestError {
    let what = what.into();
    move |source| RequestError { what, source }
}

/// Whether a request failed with this HTTP status code (404 Not Found, 409 Conflict, ...).
pub fn has_code(error: &kube::Error, code: u16) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == code)
}

/// Whether a request failed because the object does not exist (404).
pub fn is_not_found(error: &kube::Error) -> bool {
    has_code(error, 404)
}

/// PATCHes the `status` of the object `name` at `api`'s URL, as `Api::patch_status` does, but
/// does not decode the object the server answers with. A status writer (the kubelet, the
/// ReplicaSet and Deployment controllers) never reads it, and decoding it into its Rust type
/// is the larger part of what a status write costs the client.
pub async fn patch_status<K, P>(
    client: &kube::Client,
    api: &kube::Api<K>,
    name: &str,
    patch: &kube::api::Patch<P>,
) -> Result<(), kube::Error>
where
    K: kube::Resource,
    P: serde::Serialize + std::fmt::Debug,
{
    let request = kube::core::Request::new(api.resource_url())
        .patch_subresource("status", name, &kube::api::PatchParams::default(), patch)
        .map_err(kube::Error::BuildRequest)?;
    client.request_text(request).await.map(drop)
}

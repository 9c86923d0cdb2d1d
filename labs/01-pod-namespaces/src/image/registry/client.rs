//! The HTTP side of a pull: GET manifests and blobs from one registry, with token auth and
//! redirects, over hyper (HTTP/1.1, rustls for HTTPS).
//!
//! Two endpoints of the distribution API are all a pull needs:
//!
//! - `GET /v2/<name>/manifests/<tag or digest>` with an `Accept` header listing the manifest
//!   formats we read; the answer's `Content-Type` says which one came back;
//! - `GET /v2/<name>/blobs/<digest>`, which Docker Hub answers with a redirect to a CDN.
//!
//! Errors come back as JSON, `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest
//! unknown"}]}`; we keep the messages, since they are what a user must read.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode, header};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use oci_spec::image::Descriptor;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use crate::image::incoming::IncomingBlob;
use crate::image::layout::{MAX_JSON_SIZE, OciDir, hex};
use crate::image::registry::auth::{parse_challenge, parse_token, token_url};
use crate::image::registry::{Progress, PullOptions};
use crate::image::{Error, ImageRef, Result};

/// The manifest formats we can read, OCI first. Without this header a registry may answer
/// with the ancient Docker "schema 1" format.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
    application/vnd.oci.image.manifest.v1+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.docker.distribution.manifest.v2+json";
/// How long to wait for a connection and a response's headers.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a blob download may stall between two chunks.
const STALL_TIMEOUT: Duration = Duration::from_secs(60);
/// Redirects followed per request (Docker Hub uses one, to its CDN).
const MAX_REDIRECTS: usize = 5;
/// The most of an error body we read.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// A manifest (or index) as fetched: its bytes, exactly, and what they are.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The media type, from `Content-Type` (or the document's own `mediaType`).
    pub media_type: String,
    /// The bytes as the registry sent them: the digest is over these, so they are stored as is.
    pub bytes: Vec<u8>,
    /// `sha256:<hex>` of the bytes.
    pub digest: String,
}

/// A client for one image's repository on one registry.
#[derive(Debug)]
pub struct RegistryClient {
    http: HttpClient<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    /// `http://host:port` or `https://host`, what `/v2/...` paths are appended to.
    base: String,
    /// The image, for error messages and the repository path.
    image: ImageRef,
    /// The bearer token, once a challenge asked for one.
    token: Option<String>,
}

impl RegistryClient {
    /// A client for `image`'s registry: plain HTTP for localhost and the insecure registries,
    /// HTTPS (verified against the Mozilla roots) otherwise.
    pub fn new(image: &ImageRef, options: &PullOptions) -> Result<Self> {
        let base = options.base_url(image.registry());
        // The crypto provider is named, not left to rustls' crate features: if another crate
        // of the workspace enables a second provider, rustls could no longer choose by itself.
        let https = HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(|error| unreachable(&base, error))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            http: HttpClient::builder(TokioExecutor::new()).build(https),
            base,
            image: image.clone(),
            token: None,
        })
    }

    /// `GET /v2/<name>/manifests/<reference>`: a manifest or an index, checked against
    /// `reference` when that is a digest.
    pub async fn manifest(&mut self, reference: &str) -> Result<Fetched> {
        let url = format!(
            "{}/v2/{}/manifests/{reference}",
            self.base,
            self.image.repository()
        );
        let response = self.get(&url, Some(MANIFEST_ACCEPT)).await?;
        let response = self.check_status(response, &url).await?;
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(|value| value.split(';').next().unwrap_or(value).trim().to_owned());
        let bytes = Limited::new(response.into_body(), MAX_JSON_SIZE as usize)
            .collect()
            .await
            .map_err(|error| unreachable(&url, &*error))?
            .to_bytes()
            .to_vec();
        let digest = format!("sha256:{}", hex(&Sha256::digest(&bytes)));
        // Asked by digest: the registry must return exactly that content.
        if reference.starts_with("sha256:") && digest != reference {
            return Err(Error::BadDownload {
                digest: reference.to_owned(),
                reason: format!("the registry's manifest hashes to {digest}"),
            });
        }
        let media_type = match content_type {
            Some(media_type) if media_type != "application/json" => media_type,
            // A registry that says only "JSON": the document names its own type.
            _ => document_media_type(&bytes).unwrap_or_default(),
        };
        Ok(Fetched {
            media_type,
            bytes,
            digest,
        })
    }

    /// `GET /v2/<name>/blobs/<digest>`, streamed into `layout` through an [`IncomingBlob`]
    /// (verified before it is stored), reporting progress as chunks arrive.
    pub async fn blob(
        &mut self,
        layout: &OciDir,
        descriptor: &Descriptor,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<()> {
        let digest = descriptor.digest().to_string();
        let url = format!(
            "{}/v2/{}/blobs/{digest}",
            self.base,
            self.image.repository()
        );
        let response = self.get(&url, None).await?;
        let mut body = self.check_status(response, &url).await?.into_body();
        let mut incoming = IncomingBlob::new(layout, descriptor)?;
        loop {
            let frame = tokio::time::timeout(STALL_TIMEOUT, body.frame())
                .await
                .map_err(|_| unreachable(&url, "the download stalled"))?;
            let Some(frame) = frame else { break };
            let frame = frame.map_err(|error| unreachable(&url, &error))?;
            // Frames are data or trailers; only data is the blob. Writing to a file blocks the
            // thread, which is fine: this runtime runs nothing else.
            if let Ok(data) = frame.into_data() {
                incoming.write(&data)?;
                progress(Progress::Downloading {
                    digest: &digest,
                    done: incoming.received(),
                    total: descriptor.size(),
                });
            }
        }
        incoming.finish()
    }

    // ANCHOR: get
    /// GETs `url`, following redirects and answering one bearer challenge with a token.
    async fn get(&mut self, url: &str, accept: Option<&str>) -> Result<Response<Incoming>> {
        let mut url = url.to_owned();
        let mut challenged = false;
        for _ in 0..=MAX_REDIRECTS {
            // The token is for this registry only: never send it to a CDN we are redirected to.
            let ours = url.starts_with(&self.base);
            let mut request = Request::get(url.as_str());
            if let Some(accept) = accept {
                request = request.header(header::ACCEPT, accept);
            }
            if let (true, Some(token)) = (ours, &self.token) {
                request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
            }
            let response = self.send(request, &url).await?;
            let status = response.status();
            if status.is_redirection() {
                let location = header_str(&response, header::LOCATION)
                    .ok_or_else(|| unreachable(&url, "a redirect without a Location"))?;
                // A relative Location is on the same server.
                url = if location.starts_with('/') {
                    format!("{}{location}", self.base)
                } else {
                    location
                };
                continue;
            }
            if status == StatusCode::UNAUTHORIZED && ours && !challenged {
                let challenge = header_str(&response, header::WWW_AUTHENTICATE)
                    .and_then(|value| parse_challenge(&value));
                // No Bearer challenge (Basic auth, say): let the 401 through as the answer.
                let Some(challenge) = challenge else {
                    return Ok(response);
                };
                challenged = true;
                self.token = Some(
                    self.fetch_token(&token_url(&challenge, &self.image.repository()))
                        .await?,
                );
                continue;
            }
            return Ok(response);
        }
        Err(unreachable(&url, "too many redirects"))
    }
    // ANCHOR_END: get

    /// Asks the token server for an anonymous token.
    async fn fetch_token(&self, url: &str) -> Result<String> {
        tracing::debug!(%url, "asking for a registry token");
        let response = self.send(Request::get(url), url).await?;
        let response = self.check_status(response, url).await?;
        let body = Limited::new(response.into_body(), MAX_ERROR_BODY)
            .collect()
            .await
            .map_err(|error| unreachable(url, &*error))?
            .to_bytes();
        parse_token(&body).ok_or_else(|| unreachable(url, "the token server sent no token"))
    }

    /// Sends one request, with a timeout on getting the response's headers.
    async fn send(
        &self,
        request: hyper::http::request::Builder,
        url: &str,
    ) -> Result<Response<Incoming>> {
        let request = request
            .body(Empty::new())
            .map_err(|error| unreachable(url, &error))?;
        tokio::time::timeout(RESPONSE_TIMEOUT, self.http.request(request))
            .await
            .map_err(|_| unreachable(url, "no answer in time"))?
            // hyper's own message ("client error (Connect)") says little; its causes say
            // "Connection refused" or which certificate was wrong.
            .map_err(|error| unreachable(url, crate::error::chain(&error)))
    }

    /// Passes a 2xx response through; turns anything else into the error the kubelet reports.
    async fn check_status(
        &self,
        response: Response<Incoming>,
        url: &str,
    ) -> Result<Response<Incoming>> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = Limited::new(response.into_body(), MAX_ERROR_BODY)
            .collect()
            .await
            .map(|collected| collected.to_bytes())
            .unwrap_or_default();
        let message = registry_message(&body)
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_lowercase());
        tracing::debug!(%url, %status, %message, "the registry refused");
        let image = self.image.qualified();
        Err(match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::PullAccessDenied {
                image,
                message: format!("server message: {message}"),
            },
            _ => Error::Registry {
                image,
                status: status.as_u16(),
                message,
            },
        })
    }
}

/// The distribution API's error body.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    errors: Vec<ErrorEntry>,
}

/// One entry of an error body.
#[derive(Debug, Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// The registry's error messages, joined (`manifest unknown`), or its codes when it gave no
/// message.
fn registry_message(body: &[u8]) -> Option<String> {
    let parsed: ErrorBody = serde_json::from_slice(body).ok()?;
    let messages: Vec<String> = parsed
        .errors
        .into_iter()
        .map(|entry| {
            if entry.message.is_empty() {
                entry.code.to_lowercase().replace('_', " ")
            } else {
                entry.message
            }
        })
        .collect();
    (!messages.is_empty()).then(|| messages.join("; "))
}

/// The `mediaType` a manifest or index names itself with, if any.
fn document_media_type(bytes: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Typed {
        #[serde(rename = "mediaType")]
        media_type: Option<String>,
        manifests: Option<serde_json::Value>,
    }
    let typed: Typed = serde_json::from_slice(bytes).ok()?;
    typed.media_type.or_else(|| {
        // No type at all: an index has `manifests`, a manifest does not.
        Some(if typed.manifests.is_some() {
            "application/vnd.oci.image.index.v1+json".to_owned()
        } else {
            "application/vnd.oci.image.manifest.v1+json".to_owned()
        })
    })
}

/// A header's value as a string, if it is one.
fn header_str(response: &Response<Incoming>, name: header::HeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// An [`Error::Unreachable`] for `url`.
fn unreachable(url: &str, reason: impl std::fmt::Display) -> Error {
    Error::Unreachable {
        url: url.to_owned(),
        reason: reason.to_string(),
    }
}

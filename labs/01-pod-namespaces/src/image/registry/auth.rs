//! Registry authentication: the anonymous bearer-token dance Docker Hub asks for.
//!
//! A registry that wants a token answers the first request with `401 Unauthorized` and a
//! challenge saying where to get one (the Docker "token authentication specification"):
//!
//! ```text
//! GET /v2/library/busybox/manifests/latest            -> 401
//! WWW-Authenticate: Bearer realm="https://auth.docker.io/token",
//!                   service="registry.docker.io",scope="repository:library/busybox:pull"
//! GET https://auth.docker.io/token?service=registry.docker.io&scope=repository:library/busybox:pull
//!                                                     -> 200 {"token": "eyJ..."}
//! GET /v2/library/busybox/manifests/latest
//! Authorization: Bearer eyJ...                        -> 200, the manifest
//! ```
//!
//! Without credentials the token server still hands out tokens for public repositories: that is
//! an anonymous pull. A registry without authentication (a local `docker-registry`) never sends
//! the challenge, so none of this happens.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

/// A `WWW-Authenticate: Bearer ...` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The token server's URL.
    pub realm: String,
    /// The name of the registry service the token is for.
    pub service: Option<String>,
    /// The access asked for, such as `repository:library/busybox:pull`.
    pub scope: Option<String>,
}

// ANCHOR: parse_challenge
/// Parses a `WWW-Authenticate` header holding a Bearer challenge:
/// `Bearer realm="...",service="...",scope="..."`. Other schemes (`Basic`) and a challenge
/// without a realm give `None`.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    // BEGIN SOLUTION step-1: check the `Bearer ` scheme (any case), then read key="value" pairs separated by commas (values may hold commas), keep realm, service and scope
    let (scheme, params) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut challenge = Challenge {
        realm: String::new(),
        service: None,
        scope: None,
    };
    // Not a plain split on `,`: a scope can list several actions, `scope="repo:x:pull,push"`,
    // so the commas inside quotes belong to the value.
    let mut rest = params.trim();
    while !rest.is_empty() {
        let (key, after_key) = rest.split_once('=')?;
        let (value, after_value) = match after_key.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"')?;
                (&quoted[..end], &quoted[end + 1..])
            }
            None => after_key.split_at(after_key.find(',').unwrap_or(after_key.len())),
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "realm" => challenge.realm = value.to_owned(),
            "service" => challenge.service = Some(value.to_owned()),
            "scope" => challenge.scope = Some(value.to_owned()),
            // `error="insufficient_scope"` and future parameters: not needed to ask for a token.
            _ => {}
        }
        rest = after_value.trim_start_matches([',', ' ']);
    }
    (!challenge.realm.is_empty()).then_some(challenge)
    // END SOLUTION
}
// ANCHOR_END: parse_challenge

/// What query values must escape: everything but letters and digits and the few characters
/// that are safe in a query (`:` and `/` keep scopes readable in logs).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b':')
    .remove(b'/');

/// The URL to ask the token server for pull access to `repository`: the realm with the
/// challenge's service and scope (or a pull scope for `repository`, when the challenge names
/// none, as on the `/v2/` ping).
pub fn token_url(challenge: &Challenge, repository: &str) -> String {
    let scope = challenge
        .scope
        .clone()
        .unwrap_or_else(|| format!("repository:{repository}:pull"));
    let mut query = vec![("scope", scope)];
    if let Some(service) = &challenge.service {
        query.insert(0, ("service", service.clone()));
    }
    let query: Vec<String> = query
        .iter()
        .map(|(key, value)| format!("{key}={}", utf8_percent_encode(value, QUERY_VALUE)))
        .collect();
    let separator = if challenge.realm.contains('?') {
        '&'
    } else {
        '?'
    };
    format!("{}{separator}{}", challenge.realm, query.join("&"))
}

/// The token server's answer: Docker's `token`, or OAuth2's `access_token` (same value).
#[derive(Debug, Deserialize)]
struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
}

/// Reads the token out of the token server's JSON answer.
pub fn parse_token(body: &[u8]) -> Option<String> {
    let response: TokenResponse = serde_json::from_slice(body).ok()?;
    response
        .token
        .or(response.access_token)
        .filter(|token| !token.is_empty())
}

//! Paging: `?limit=` and `?continue=`, and which revision a list reads at.
//!
//! A client lists a big collection a page at a time: `?limit=500` returns at most 500 objects
//! and, when more remain, `metadata.continue`, an opaque token to send back as `?continue=` for
//! the next page. Every page of one listing is read **at the same revision** (the first
//! page's), so the pages fit together as one consistent snapshot even while objects change.
//!
//! The token is what kube-apiserver puts in it: base64 (URL alphabet, no padding) of
//! `{"v":"meta.k8s.io/v1","rv":<revision>,"start":"<last key>\u0000"}`, the key relative to the
//! listed prefix, with a NUL appended: the smallest key after the last one returned. When that
//! revision has been compacted away the snapshot is gone: the server answers 410 Expired with a
//! token (`rv: -1`) that continues at the latest revision, for clients that accept an
//! inconsistent rest of the list.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ApiState;
use super::codec;
use super::filter::Filter;
use super::query::Query;
use crate::registry::Resource;
use crate::status::Status;
use crate::store::{self, ListOptions, Store, registry_prefix};

/// The message of a 410 for a continue token whose revision was compacted.
pub(crate) const CONTINUE_EXPIRED: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/// The version tag inside every token.
const TOKEN_VERSION: &str = "meta.k8s.io/v1";

/// The decoded `continue` token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContinueToken {
    /// The revision the listing reads at; -1 means "the latest" (after a 410).
    pub(crate) revision: i64,
    /// The last key returned, relative to the listed prefix.
    pub(crate) last_key: String,
}

/// The token's JSON, field names as kube-apiserver writes them.
#[derive(Serialize, Deserialize)]
struct TokenJson {
    v: String,
    rv: i64,
    start: String,
}

impl ContinueToken {
    /// The opaque string for `metadata.continue`.
    pub(crate) fn encode(&self) -> String {
        let json = TokenJson {
            v: TOKEN_VERSION.to_string(),
            rv: self.revision,
            start: format!("{}\u{0}", self.last_key),
        };
        // Serializing a struct of strings and a number cannot fail.
        let bytes = serde_json::to_vec(&json).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(bytes)
    }

    // ANCHOR: decode_token
    /// Reads a token back; a token this server did not make is a 400 BadRequest
    /// (`continue key is not valid: ...`). The key must stay inside the listed prefix: no
    /// leading `/`, no `.` or `..` segment.
    pub(crate) fn decode(token: &str) -> Result<Self, Status> {
        // BEGIN SOLUTION step-3: base64 -> JSON -> check version, revision and key
        let invalid = |why: &str| Status::bad_request(format!("continue key is not valid: {why}"));
        let bytes = URL_SAFE_NO_PAD
            .decode(token.trim_end_matches('='))
            .map_err(|_| invalid("not base64"))?;
        let json: TokenJson =
            serde_json::from_slice(&bytes).map_err(|_| invalid("not a continue token"))?;
        if json.v != TOKEN_VERSION {
            return Err(invalid(&format!(
                "server does not recognize this encoded key version {}",
                json.v
            )));
        }
        if json.rv == 0 || json.rv < -1 {
            return Err(invalid(
                "incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
            ));
        }
        let last_key = json
            .start
            .strip_suffix('\u{0}')
            .unwrap_or(&json.start)
            .to_string();
        let escapes = last_key.is_empty()
            || last_key.starts_with('/')
            || last_key
                .split('/')
                .any(|segment| segment == "." || segment == "..");
        if escapes {
            return Err(invalid("the start key is not a key of this list"));
        }
        Ok(ContinueToken {
            revision: json.rv,
            last_key,
        })
        // END SOLUTION
    }
    // ANCHOR_END: decode_token
}

/// Which revision a list reads at (`?resourceVersion=` and `?resourceVersionMatch=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadAt {
    /// The latest revision (`resourceVersion` unset or `0`).
    Latest,
    /// Anything at least this new; we read the latest, after checking the store has got there.
    NotOlderThan(i64),
    /// Exactly this revision (`resourceVersionMatch=Exact`): 410 once compacted.
    Exact(i64),
}

/// What a list request asks for.
#[derive(Debug, Clone)]
pub(crate) struct ListRequest {
    /// At most this many objects (`None`: all).
    pub(crate) limit: Option<usize>,
    /// Where the previous page ended.
    pub(crate) continue_token: Option<ContinueToken>,
    /// The revision to read at (for a first page).
    pub(crate) read_at: ReadAt,
}

impl ListRequest {
    /// From `limit`, `continue`, `resourceVersion` and `resourceVersionMatch`, refusing the
    /// combinations kube-apiserver refuses.
    pub(crate) fn from_query(query: &Query) -> Result<Self, Status> {
        let limit = match query.non_empty("limit") {
            None => None,
            Some(text) => match text.parse::<i64>() {
                Ok(0) => None,
                Ok(n) if n > 0 => usize::try_from(n).ok(),
                _ => return Err(Status::bad_request(format!("invalid limit \"{text}\""))),
            },
        };
        let version = query.non_empty("resourceVersion");
        let matching = query.non_empty("resourceVersionMatch");
        let continue_token = query
            .non_empty("continue")
            .map(ContinueToken::decode)
            .transpose()?;
        if continue_token.is_some() && version.is_some_and(|v| v != "0") {
            return Err(Status::bad_request(
                "specifying resource version is not allowed when using continue",
            ));
        }
        let parsed = version
            .map(|text| {
                text.parse::<i64>().map_err(|_| {
                    Status::bad_request(format!("invalid resourceVersion \"{text}\": not a number"))
                })
            })
            .transpose()?;
        let read_at = match (parsed, matching) {
            (None, Some(_)) => {
                return Err(Status::bad_request(
                    "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
                ));
            }
            (None | Some(0), None | Some("NotOlderThan")) => ReadAt::Latest,
            (Some(0), Some("Exact")) => {
                return Err(Status::bad_request(
                    "resourceVersionMatch: Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
                ));
            }
            (Some(n), None | Some("NotOlderThan")) => ReadAt::NotOlderThan(n),
            (Some(n), Some("Exact")) => ReadAt::Exact(n),
            (_, Some(other)) => {
                return Err(Status::bad_request(format!(
                    "resourceVersionMatch: Unsupported value: \"{other}\": supported values: \"Exact\", \"NotOlderThan\""
                )));
            }
        };
        Ok(ListRequest {
            limit,
            continue_token,
            read_at,
        })
    }
}

/// One page of a list.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    /// The objects kept by the filter, in key order, with their `resourceVersion`s.
    pub(crate) items: Vec<Value>,
    /// The revision the page was read at: the list's `metadata.resourceVersion`.
    pub(crate) revision: i64,
    /// `metadata.continue`, when more objects remain.
    pub(crate) continue_token: Option<String>,
}

/// Reads the objects of `resource` (in `namespace`, or all) that `filter` keeps: everything
/// in one read when the request has neither `limit` nor `continue`, else one page.
pub(crate) async fn read_list(
    state: &ApiState,
    resource: &Resource,
    namespace: Option<&str>,
    request: &ListRequest,
    filter: &Filter,
) -> Result<Page, Status> {
    let prefix = registry_prefix(resource.storage_name(), namespace);
    if request.limit.is_some() || request.continue_token.is_some() {
        return read_page(state, resource, &prefix, request, filter).await;
    }
    let revision = match request.read_at {
        ReadAt::Exact(revision) => Some(revision),
        ReadAt::Latest | ReadAt::NotOlderThan(_) => None,
    };
    let options = ListOptions {
        revision,
        ..ListOptions::default()
    };
    let listed = state
        .store
        .list(&prefix, options)
        .await
        .map_err(|error| Status::from_store(error, resource, ""))?;
    let mut items = Vec::new();
    for kv in &listed.items {
        let object = codec::decode(resource, kv)?;
        if filter.matches(&object) {
            items.push(object);
        }
    }
    Ok(Page {
        items,
        revision: listed.revision,
        continue_token: None,
    })
}

// ANCHOR: read_page
/// Reads one page under `prefix`: at most `request.limit` objects that `filter` keeps, at
/// one revision (the continue token's, or the one `request.read_at` picks for a first page).
///
/// The store is asked for pages of the remaining size; objects the filter drops do not
/// count, so reading goes on (at the same revision, after the last key seen) until the page is
/// full or the keys run out. When it stops early, the token holds that revision and the last
/// key read (relative to the prefix). A token whose revision was compacted is a 410 Expired
/// carrying a token that continues at the latest revision.
async fn read_page(
    state: &ApiState,
    resource: &Resource,
    prefix: &str,
    request: &ListRequest,
    filter: &Filter,
) -> Result<Page, Status> {
    // BEGIN SOLUTION step-3: pages at one revision, filtered, with a continue token
    let (mut revision, mut start_after) = match &request.continue_token {
        Some(token) => (
            Some(token.revision).filter(|revision| *revision > 0),
            Some(format!("{prefix}{}", token.last_key)),
        ),
        None => match request.read_at {
            ReadAt::Exact(revision) => (Some(revision), None),
            ReadAt::Latest | ReadAt::NotOlderThan(_) => (None, None),
        },
    };
    let mut items = Vec::new();
    loop {
        let options = ListOptions {
            revision,
            start_after: start_after.clone(),
            limit: request.limit.map(|limit| limit - items.len()),
        };
        let listed = match state.store.list(prefix, options).await {
            Ok(listed) => listed,
            Err(error @ store::Error::Compacted { .. }) => {
                let Some(token) = &request.continue_token else {
                    return Err(Status::from_store(error, resource, ""));
                };
                let mut status = Status::expired(CONTINUE_EXPIRED);
                let latest = ContinueToken {
                    revision: -1,
                    last_key: token.last_key.clone(),
                };
                status.continue_token = Some(latest.encode());
                return Err(status);
            }
            Err(error) => return Err(Status::from_store(error, resource, "")),
        };
        revision = Some(listed.revision);
        for kv in &listed.items {
            let object = codec::decode(resource, kv)?;
            if filter.matches(&object) {
                items.push(object);
            }
        }
        let Some(last) = listed.items.last().filter(|_| listed.more) else {
            return Ok(Page {
                items,
                revision: listed.revision,
                continue_token: None,
            });
        };
        if request.limit.is_some_and(|limit| items.len() >= limit) {
            let token = ContinueToken {
                revision: listed.revision,
                last_key: last
                    .key
                    .strip_prefix(prefix)
                    .unwrap_or(&last.key)
                    .to_string(),
            };
            return Ok(Page {
                items,
                revision: listed.revision,
                continue_token: Some(token.encode()),
            });
        }
        start_after = Some(last.key.clone());
    }
    // END SOLUTION
}
// ANCHOR_END: read_page

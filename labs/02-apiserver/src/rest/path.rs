//! Parsing a resource URL into what it names: resource, namespace, object, subresource.

use percent_encoding::percent_decode_str;

use crate::registry::{self, Resource, Subresource};
use crate::status::Status;

/// What a resource URL names.
#[derive(Debug, Clone)]
pub struct Target {
    /// The resource (from the registry).
    pub resource: &'static Resource,
    /// The namespace segment, for namespaced resources (`None`: all namespaces, or a
    /// cluster-scoped resource).
    pub namespace: Option<String>,
    /// The object's name (`None`: the collection).
    pub name: Option<String>,
    /// The subresource (`status`, `scale`, ...), when the URL goes below the object.
    pub subresource: Option<&'static Subresource>,
}

/// Parses `/api/<version>/...` or `/apis/<group>/<version>/...`.
///
/// The segments after the version are one of
/// `<plural>[/<name>[/<subresource>]]` or
/// `namespaces/<ns>/<plural>[/<name>[/<subresource>]]` when `<plural>` is namespaced.
/// (`/api/v1/namespaces/x/status` is thus the `status` of namespace `x`: `status` is no
/// resource.) Each segment is percent-decoded, so a name with `%2F` arrives as one containing
/// `/` and the name checks refuse it.
pub(crate) fn parse(path: &str) -> Result<Target, Status> {
    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(|segment| percent_decode_str(segment).decode_utf8_lossy().into_owned())
        .collect();
    let (group, version, rest) = match segments.as_slice() {
        [api, version, rest @ ..] if api == "api" => ("", version.as_str(), rest),
        [apis, group, version, rest @ ..] if apis == "apis" => {
            (group.as_str(), version.as_str(), rest)
        }
        _ => return Err(Status::no_such_path()),
    };
    let namespaced = match rest {
        [namespaces, namespace, plural, tail @ ..] if namespaces == "namespaces" => {
            registry::lookup(group, version, plural)
                .filter(|resource| resource.namespaced)
                .map(|resource| (resource, Some(namespace.clone()), tail))
        }
        _ => None,
    };
    let (resource, namespace, tail) = match namespaced {
        Some(found) => found,
        None => {
            let [plural, tail @ ..] = rest else {
                return Err(Status::no_such_path());
            };
            let resource =
                registry::lookup(group, version, plural).ok_or_else(Status::no_such_path)?;
            // A namespaced resource is only reachable without a namespace as a collection.
            if resource.namespaced && !tail.is_empty() {
                return Err(Status::no_such_path());
            }
            (resource, None, tail)
        }
    };
    let (name, subresource) = match tail {
        [] => (None, None),
        [name] => (Some(name.clone()), None),
        [name, sub] => {
            let sub = resource.subresource(sub).ok_or_else(Status::no_such_path)?;
            (Some(name.clone()), Some(sub))
        }
        _ => return Err(Status::no_such_path()),
    };
    // A decoded segment that is empty, `.`, `..` or contains `/` can name no stored object
    // (create refuses such names), and must not become part of a key.
    let unusable = |segment: &str| {
        segment.is_empty() || segment == "." || segment == ".." || segment.contains('/')
    };
    if namespace.as_deref().is_some_and(unusable) || name.as_deref().is_some_and(unusable) {
        return Err(Status::no_such_path());
    }
    Ok(Target {
        resource,
        namespace,
        name,
        subresource,
    })
}

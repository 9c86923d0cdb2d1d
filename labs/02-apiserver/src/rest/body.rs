//! Reading a request body into an object: size limit, JSON or YAML, the kind check, and
//! unknown fields.

use axum::body::Body;
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http_body_util::LengthLimitError;
use serde_json::{Map, Value};

use super::query::Query;
use crate::protobuf;
use crate::registry::Resource;
use crate::status::{MAX_REQUEST_BYTES, Status};

/// A request's body with the headers that say how to read it.
pub(crate) struct RequestBody {
    content_type: String,
    content_length: Option<usize>,
    body: Body,
}

/// An object read from a body, with the warnings for the client (unknown fields under
/// `fieldValidation=Warn`).
pub(crate) struct Decoded {
    /// The object, with `apiVersion` and `kind` filled in and unknown fields dropped.
    pub(crate) object: Value,
    /// Texts for `Warning` headers.
    pub(crate) warnings: Vec<String>,
}

impl RequestBody {
    /// Keeps what is needed of the headers.
    pub(crate) fn new(headers: &HeaderMap, body: Body) -> Self {
        let header = |name| headers.get(name).and_then(|value| value.to_str().ok());
        RequestBody {
            content_type: header(CONTENT_TYPE).unwrap_or("").to_string(),
            content_length: header(CONTENT_LENGTH).and_then(|length| length.parse().ok()),
            body,
        }
    }

    /// The `Content-Type` header as sent (`""` when there is none).
    pub(crate) fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The raw bytes, refusing more than [`MAX_REQUEST_BYTES`] with 413.
    pub(crate) async fn bytes(self) -> Result<bytes::Bytes, Status> {
        if self
            .content_length
            .is_some_and(|length| length > MAX_REQUEST_BYTES)
        {
            return Err(Status::too_large());
        }
        match axum::body::to_bytes(self.body, MAX_REQUEST_BYTES).await {
            Ok(bytes) => Ok(bytes),
            Err(error) => {
                let inner = error.into_inner();
                if inner.downcast_ref::<LengthLimitError>().is_some() {
                    Err(Status::too_large())
                } else {
                    Err(Status::bad_request(format!(
                        "failed to read the request body: {inner}"
                    )))
                }
            }
        }
    }

    /// Parses the body as JSON or YAML (by `Content-Type`) into a JSON value; `None` for an
    /// empty body.
    pub(crate) async fn value(self) -> Result<Option<Value>, Status> {
        let media_type = self
            .content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let bytes = self.bytes().await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let value = match media_type.as_str() {
            "" | "application/json" | "*/*" => serde_json::from_slice(&bytes).map_err(|error| {
                Status::bad_request(format!(
                    "couldn't get version/kind; json parse error: {error}"
                ))
            })?,
            "application/yaml" | "application/x-yaml" | "text/yaml" => {
                serde_yaml::from_slice(&bytes).map_err(|error| {
                    Status::bad_request(format!("error converting YAML to JSON: {error}"))
                })?
            }
            // kubectl 1.32+ sends typed creates as protobuf (step 5); the rest of the server only
            // ever sees the JSON object it stands for.
            protobuf::CONTENT_TYPE => protobuf::decode(&bytes).map_err(|error| match error {
                protobuf::ProtobufError::UnsupportedKind { .. } => {
                    Status::unsupported_media_type(protobuf::CONTENT_TYPE)
                }
                other => Status::bad_request(other.to_string()),
            })?,
            other => return Err(Status::unsupported_media_type(other)),
        };
        Ok(Some(value))
    }

    /// Reads one object of `resource` (the body of a create or an update).
    ///
    /// - `apiVersion` and `kind` may be left out (they default to the URL's); if present they
    ///   must be the URL's, or 400.
    /// - The object goes through its Rust type (`Resource::round_trip`): a wrong type
    ///   (`"replicas": "three"`) is a 400, and a field the type does not know is an unknown
    ///   field, handled by `?fieldValidation=`: `Strict` refuses the request (400), `Warn` (the
    ///   default) answers with a `Warning` header per field, `Ignore` drops them silently.
    ///   Either way they are not stored.
    pub(crate) async fn object(
        self,
        resource: &Resource,
        query: &Query,
    ) -> Result<Decoded, Status> {
        let Some(object) = self.value().await? else {
            return Err(Status::bad_request(
                "the body of the request must be an object",
            ));
        };
        typed_object(resource, query, object)
    }
}

/// Checks an object of `resource` read from a body, or made by a PATCH, as
/// [`RequestBody::object`] describes: type fields, the kind's Rust type, unknown fields under
/// `?fieldValidation=`.
pub(crate) fn typed_object(
    resource: &Resource,
    query: &Query,
    object: Value,
) -> Result<Decoded, Status> {
    let validation = query.non_empty("fieldValidation").unwrap_or("Warn");
    if !matches!(validation, "Strict" | "Warn" | "Ignore") {
        return Err(Status::bad_request(format!(
            "fieldValidation parameter unsupported: {validation}. Must be one of \"Ignore\", \"Warn\", or \"Strict\""
        )));
    }
    let Value::Object(mut object) = object else {
        return Err(Status::bad_request(
            "the body of the request must be an object",
        ));
    };
    check_type_field(&mut object, "apiVersion", &resource.api_version())?;
    check_type_field(&mut object, "kind", resource.kind)?;
    let original = Value::Object(object);
    let typed = (resource.round_trip)(&original).map_err(|error| {
        Status::bad_request(format!(
            "{kind} in version \"{version}\" cannot be handled as a {kind}: {error}",
            kind = resource.kind,
            version = resource.version,
        ))
    })?;
    let mut unknown = Vec::new();
    unknown_fields(&original, &typed, &mut Vec::new(), &mut unknown);
    let messages: Vec<String> = unknown
        .iter()
        .map(|field| format!("unknown field \"{field}\""))
        .collect();
    let warnings = match validation {
        "Strict" if !messages.is_empty() => {
            return Err(Status::bad_request(format!(
                "strict decoding error: {}",
                messages.join(", ")
            )));
        }
        "Warn" => messages,
        _ => Vec::new(),
    };
    Ok(Decoded {
        object: typed,
        warnings,
    })
}

/// `apiVersion` or `kind` of a body: filled in when missing, refused when different.
fn check_type_field(
    object: &mut Map<String, Value>,
    field: &str,
    expected: &str,
) -> Result<(), Status> {
    match object.get(field) {
        None | Some(Value::Null) => {
            object.insert(field.to_string(), Value::String(expected.to_string()));
            Ok(())
        }
        Some(Value::String(found)) if found == expected => Ok(()),
        Some(Value::String(found)) if field == "apiVersion" => Err(Status::bad_request(format!(
            "the API version in the data ({found}) does not match the expected API version ({expected})"
        ))),
        Some(found) => Err(Status::bad_request(format!(
            "the {field} in the data ({}) does not match the expected {field} ({expected})",
            found.as_str().unwrap_or("not a string")
        ))),
    }
}

/// The paths (`spec.foo`, `spec.containers[0].bar`) of fields in `original` that did not
/// survive the round trip through the kind's type. `path` is where `original` is, as the
/// steps to it: a path is spelled out only for a field that is reported, since nearly all are
/// known.
fn unknown_fields<'a>(
    original: &'a Value,
    typed: &Value,
    path: &mut Vec<Step<'a>>,
    out: &mut Vec<String>,
) {
    match (original, typed) {
        (Value::Object(original), Value::Object(typed)) => {
            for (key, value) in original {
                path.push(Step::Field(key));
                match typed.get(key) {
                    Some(kept) => unknown_fields(value, kept, path, out),
                    // A null is "not set", which the type drops too.
                    None if !value.is_null() => out.push(spell(path)),
                    None => {}
                }
                path.pop();
            }
        }
        (Value::Array(original), Value::Array(typed)) => {
            for (index, (value, kept)) in original.iter().zip(typed).enumerate() {
                path.push(Step::Index(index));
                unknown_fields(value, kept, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// One step of a path into an object: a field, or an index into a list.
enum Step<'a> {
    Field(&'a str),
    Index(usize),
}

/// `spec.containers[0].bar`.
fn spell(path: &[Step<'_>]) -> String {
    let mut spelled = String::new();
    for step in path {
        match step {
            Step::Field(field) if spelled.is_empty() => spelled.push_str(field),
            Step::Field(field) => {
                spelled.push('.');
                spelled.push_str(field);
            }
            Step::Index(index) => spelled.push_str(&format!("[{index}]")),
        }
    }
    spelled
}

//! The messages whose JSON is not an object of their fields.
//!
//! A handful of apimachinery types have their own `MarshalJSON` in Go, so their JSON looks
//! nothing like their protobuf message:
//!
//! | message (`k8s.io.apimachinery.pkg...`) | protobuf fields | JSON |
//! |---|---|---|
//! | `apis.meta.v1.Time` | `seconds`, `nanos` | `"2024-01-02T03:04:05Z"` (whole seconds), `null` when zero |
//! | `apis.meta.v1.MicroTime` | `seconds`, `nanos` | `"2024-01-02T03:04:05.123456Z"`, `null` when zero |
//! | `apis.meta.v1.Duration` | `duration` (nanoseconds) | Go's duration text: `"1h0m0s"`, `"1.5s"` |
//! | `util.intstr.IntOrString` | `type`, `intVal`, `strVal` | `8080` or `"http"` |
//! | `api.resource.Quantity` | `string` | `"500m"` |
//! | `runtime.RawExtension`, `apis.meta.v1.FieldsV1` | `raw` / `Raw` (JSON bytes) | that JSON, embedded |
//!
//! A zero `Time` is written by Go as an *empty* message (its `Marshal` returns no bytes), so an
//! empty message means "unset" (`null`, as `"creationTimestamp": null` in kubectl's JSON), while
//! `{seconds: 0}` is the Unix epoch.

use k8s_openapi::jiff::Timestamp;
use prost_reflect::{DynamicMessage, ReflectMessage, Value as ProtoValue};
use serde_json::Value;

use super::json::TranscodeError;

const TIME: &str = "k8s.io.apimachinery.pkg.apis.meta.v1.Time";
const MICRO_TIME: &str = "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime";
const DURATION: &str = "k8s.io.apimachinery.pkg.apis.meta.v1.Duration";
const INT_OR_STRING: &str = "k8s.io.apimachinery.pkg.util.intstr.IntOrString";
const QUANTITY: &str = "k8s.io.apimachinery.pkg.api.resource.Quantity";
const RAW_EXTENSION: &str = "k8s.io.apimachinery.pkg.runtime.RawExtension";
const FIELDS_V1: &str = "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1";

/// `intstr.Type` value that means "the string form" (`intstr.String`); 0 is `intstr.Int`.
const INTSTR_STRING: i64 = 1;

// ANCHOR: to_json
/// The JSON of `message` if it is one of the special types, `None` for an ordinary message.
pub(crate) fn to_json(message: &DynamicMessage) -> Result<Option<Value>, TranscodeError> {
    // BEGIN SOLUTION step-5: match the message's full name: Time -> null if no field is set, else RFC 3339 of the seconds; MicroTime -> the same with 6 fraction digits; Duration -> go_duration; IntOrString -> strVal when type is 1, else intVal; Quantity -> its string; RawExtension/FieldsV1 -> the raw bytes parsed as JSON (null when empty); anything else -> None
    let json = match message.descriptor().full_name() {
        TIME | MICRO_TIME if is_empty(message) => Value::Null,
        TIME => Value::String(rfc3339(int(message, "seconds"), None)?),
        MICRO_TIME => {
            let nanos = int(message, "nanos");
            Value::String(rfc3339(int(message, "seconds"), Some(nanos))?)
        }
        DURATION => Value::String(go_duration(int(message, "duration"))),
        INT_OR_STRING if int(message, "type") == INTSTR_STRING => {
            Value::String(string(message, "strVal"))
        }
        INT_OR_STRING => Value::from(int(message, "intVal")),
        QUANTITY => Value::String(string(message, "string")),
        RAW_EXTENSION => embedded_json(message, "raw")?,
        FIELDS_V1 => embedded_json(message, "Raw")?,
        _ => return Ok(None),
    };
    Ok(Some(json))
    // END SOLUTION
}
// ANCHOR_END: to_json

/// Whether the message had no field at all on the wire.
fn is_empty(message: &DynamicMessage) -> bool {
    message.fields().next().is_none()
}

/// An integer field (0 when absent), widened to `i64`.
fn int(message: &DynamicMessage, field: &str) -> i64 {
    match message.get_field_by_name(field).as_deref() {
        Some(ProtoValue::I64(n)) => *n,
        Some(ProtoValue::I32(n)) => i64::from(*n),
        _ => 0,
    }
}

/// A string field ("" when absent).
fn string(message: &DynamicMessage, field: &str) -> String {
    match message.get_field_by_name(field).as_deref() {
        Some(ProtoValue::String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// The JSON carried in a bytes field; `null` when there is none (Go: `Raw == nil`).
fn embedded_json(message: &DynamicMessage, field: &str) -> Result<Value, TranscodeError> {
    let raw = match message.get_field_by_name(field).as_deref() {
        Some(ProtoValue::Bytes(raw)) if !raw.is_empty() => raw.clone(),
        _ => return Ok(Value::Null),
    };
    serde_json::from_slice(&raw).map_err(|e| {
        TranscodeError(format!(
            "{}.{field} is not JSON: {e}",
            message.descriptor().name()
        ))
    })
}

/// RFC 3339 in UTC, as Go's `metav1.Time` (whole seconds) and `metav1.MicroTime` (always six
/// fraction digits) write it.
pub(crate) fn rfc3339(seconds: i64, nanos: Option<i64>) -> Result<String, TranscodeError> {
    let out_of_range = || TranscodeError(format!("timestamp {seconds}s is out of range"));
    let whole = Timestamp::from_second(seconds).map_err(|_| out_of_range())?;
    let text = whole.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    Ok(match nanos {
        None => format!("{text}Z"),
        Some(nanos @ 0..=999_999_999) => format!("{text}.{:06}Z", nanos / 1000),
        Some(nanos) => return Err(TranscodeError(format!("nanos {nanos} is out of range"))),
    })
}

/// Go's `time.Duration.String()`: `"0s"`, `"1.5µs"`, `"300ms"`, `"1m30s"`, `"1h0m0s"`.
///
/// Under a second the largest unit that keeps a whole part is used (ns, µs, ms) with the rest
/// as a fraction; from a second up it is hours, minutes and (fractional) seconds, the hours
/// and minutes only when there are any, but always the minutes once there are hours.
pub(crate) fn go_duration(nanos: i64) -> String {
    const SECOND: u64 = 1_000_000_000;
    if nanos == 0 {
        return "0s".into();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let total = nanos.unsigned_abs();
    if total < SECOND {
        let (scale, unit) = match total {
            0..1_000 => (1, "ns"),
            1_000..1_000_000 => (1_000, "µs"),
            _ => (1_000_000, "ms"),
        };
        return format!("{sign}{}{unit}", decimal(total, scale));
    }
    let seconds = decimal(total % (60 * SECOND), SECOND);
    let minutes = total / (60 * SECOND);
    match (minutes / 60, minutes % 60) {
        (0, 0) => format!("{sign}{seconds}s"),
        (0, m) => format!("{sign}{m}m{seconds}s"),
        (h, m) => format!("{sign}{h}h{m}m{seconds}s"),
    }
}

/// `value / scale` in decimal, without trailing zeros in the fraction (`1500, 1000` -> `1.5`).
fn decimal(value: u64, scale: u64) -> String {
    let whole = value / scale;
    let fraction = value % scale;
    if fraction == 0 {
        return whole.to_string();
    }
    let digits = scale.ilog10() as usize;
    let fraction = format!("{fraction:0digits$}");
    format!("{whole}.{}", fraction.trim_end_matches('0'))
}

//! Unit tests of the protobuf helpers: the descriptor set, the Go facts tables, Go's
//! duration and time text.

use prost_reflect::{DynamicMessage, Value as ProtoValue};
use serde_json::{Value, json};

use super::special::{self, go_duration, rfc3339};
use super::{go_facts, pool};

/// A message of the descriptor set with these fields set.
fn message(name: &str, fields: &[(&str, ProtoValue)]) -> DynamicMessage {
    let descriptor = pool().get_message_by_name(name).expect("a known message");
    let mut message = DynamicMessage::new(descriptor);
    for (field, value) in fields {
        message.set_field_by_name(field, value.clone());
    }
    message
}

fn special_json(name: &str, fields: &[(&str, ProtoValue)]) -> Option<Value> {
    special::to_json(&message(name, fields)).expect("valid")
}

#[test]
fn the_descriptor_set_has_the_kubectl_create_kinds() {
    for name in [
        "k8s.io.api.core.v1.Namespace",
        "k8s.io.api.apps.v1.Deployment",
        "k8s.io.api.batch.v1.CronJob",
        "k8s.io.api.networking.v1.Ingress",
        "k8s.io.apimachinery.pkg.runtime.Unknown",
    ] {
        assert!(pool().get_message_by_name(name).is_some(), "{name}");
    }
}

#[test]
fn every_go_fact_names_a_real_field() {
    let check = |message: &str, field: &str| {
        let descriptor = pool()
            .get_message_by_name(message)
            .unwrap_or_else(|| panic!("no message {message}"));
        assert!(
            descriptor.get_field_by_name(field).is_some(),
            "{message} has no field {field}"
        );
    };
    for (message, field) in go_facts::INLINE.iter().chain(go_facts::EMPTY_STRING_KEPT) {
        check(message, field);
    }
    for (message, fields) in go_facts::ZERO_OMITTED {
        for field in *fields {
            check(message, field);
        }
    }
}

#[test]
fn durations_read_as_go_writes_them() {
    let s = 1_000_000_000;
    for (nanos, text) in [
        (0, "0s"),
        (1, "1ns"),
        (1_500, "1.5µs"),
        (300_000_000, "300ms"),
        (s, "1s"),
        (1_500_000_000, "1.5s"),
        (90 * s, "1m30s"),
        (3600 * s, "1h0m0s"),
        (-(61 * s + 500_000_000), "-1m1.5s"),
        (72 * 3600 * s + 3 * s, "72h0m3s"),
    ] {
        assert_eq!(go_duration(nanos), text, "{nanos}ns");
    }
}

#[test]
fn times_are_utc_rfc3339_with_go_precision() {
    assert_eq!(
        rfc3339(1_704_164_645, None).unwrap(),
        "2024-01-02T03:04:05Z"
    );
    assert_eq!(
        rfc3339(1_704_164_645, Some(123_456_789)).unwrap(),
        "2024-01-02T03:04:05.123456Z"
    );
    assert_eq!(rfc3339(0, Some(0)).unwrap(), "1970-01-01T00:00:00.000000Z");
    assert!(rfc3339(i64::MAX, None).is_err());
    assert!(rfc3339(0, Some(-1)).is_err());
}

#[test]
fn special_types_have_their_go_json() {
    let meta = "k8s.io.apimachinery.pkg.apis.meta.v1";
    assert_eq!(
        special_json(
            &format!("{meta}.Duration"),
            &[("duration", ProtoValue::I64(90_000_000_000))]
        ),
        Some(json!("1m30s"))
    );
    assert_eq!(
        special_json(&format!("{meta}.Time"), &[]),
        Some(Value::Null)
    );
    assert_eq!(
        special_json(&format!("{meta}.Time"), &[("seconds", ProtoValue::I64(0))]),
        Some(json!("1970-01-01T00:00:00Z"))
    );
    let int_or_string = "k8s.io.apimachinery.pkg.util.intstr.IntOrString";
    assert_eq!(
        special_json(
            int_or_string,
            &[
                ("type", ProtoValue::I64(0)),
                ("intVal", ProtoValue::I32(25))
            ]
        ),
        Some(json!(25))
    );
    assert_eq!(
        special_json(
            int_or_string,
            &[
                ("type", ProtoValue::I64(1)),
                ("strVal", ProtoValue::String("25%".into()))
            ]
        ),
        Some(json!("25%"))
    );
    assert_eq!(special_json(&format!("{meta}.ObjectMeta"), &[]), None);
}

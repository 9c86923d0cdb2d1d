//! The 422 message: how causes read, alone and together.

use lab_02::validation::{Cause, CauseType, invalid_message};

fn cause(reason: CauseType, field: &str, message: &str) -> Cause {
    Cause {
        reason,
        field: field.to_string(),
        message: message.to_string(),
    }
}

#[test]
fn step2_invalid_message_one_cause_names_kind_group_and_field() {
    let causes = [cause(
        CauseType::FieldValueInvalid,
        "spec.replicas",
        "Invalid value: -1: must be greater than or equal to 0",
    )];
    assert_eq!(
        invalid_message("Deployment", "apps", "web", &causes),
        "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
    );
}

#[test]
fn step2_invalid_message_core_group_has_no_suffix() {
    let causes = [cause(
        CauseType::FieldValueRequired,
        "spec.containers[0].image",
        "Required value",
    )];
    assert_eq!(
        invalid_message("Pod", "", "web", &causes),
        "Pod \"web\" is invalid: spec.containers[0].image: Required value"
    );
}

#[test]
fn step2_invalid_message_several_causes_in_brackets_without_repeats() {
    let causes = [
        cause(
            CauseType::FieldValueRequired,
            "spec.selector",
            "Required value",
        ),
        cause(
            CauseType::FieldValueInvalid,
            "spec.replicas",
            "Invalid value: -1: must be greater than or equal to 0",
        ),
        cause(
            CauseType::FieldValueRequired,
            "spec.selector",
            "Required value",
        ),
    ];
    assert_eq!(
        invalid_message("Deployment", "apps", "web", &causes),
        "Deployment.apps \"web\" is invalid: [spec.selector: Required value, spec.replicas: Invalid value: -1: must be greater than or equal to 0]"
    );
}

#[test]
fn step2_cause_types_have_their_wire_names() {
    let all = [
        (CauseType::FieldValueRequired, "FieldValueRequired"),
        (CauseType::FieldValueInvalid, "FieldValueInvalid"),
        (CauseType::FieldValueNotSupported, "FieldValueNotSupported"),
        (CauseType::FieldValueDuplicate, "FieldValueDuplicate"),
        (CauseType::FieldValueTooLong, "FieldValueTooLong"),
        (CauseType::FieldValueTooMany, "FieldValueTooMany"),
        (CauseType::FieldValueForbidden, "FieldValueForbidden"),
        (CauseType::FieldValueTypeInvalid, "FieldValueTypeInvalid"),
        (CauseType::FieldValueNotFound, "FieldValueNotFound"),
    ];
    for (reason, wire) in all {
        assert_eq!(reason.as_str(), wire);
    }
}

#[test]
fn step2_cause_becomes_a_status_cause() {
    let cause = cause(
        CauseType::FieldValueDuplicate,
        "spec.containers[1].name",
        "Duplicate value: \"web\"",
    );
    assert_eq!(
        cause.to_status_cause(),
        serde_json::json!({
            "reason": "FieldValueDuplicate",
            "message": "Duplicate value: \"web\"",
            "field": "spec.containers[1].name"
        })
    );
}

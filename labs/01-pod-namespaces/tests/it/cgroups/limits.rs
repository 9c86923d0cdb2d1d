//! Step 4 tests of the conversion: the kubelet's formulas on many inputs, and the refusals.

use lab_01::cgroups::limits::{cpu_limits, memory_limit};
use lab_01::cgroups::{CgroupLimits, Error};

use super::{chain, resources, snapshot};

/// One row of the table: the resources as written, then what they become (or the error).
fn row(pairs: &[(&str, &str)]) -> String {
    let input = if pairs.is_empty() {
        "(none)".to_owned()
    } else {
        pairs
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let output = match CgroupLimits::from_resources(&resources(pairs)) {
        Ok(limits) => format!(
            "shares={} weight={} quota={} period={} memory={}",
            limits.cpu_shares,
            limits.cpu_weight,
            limits
                .cpu_quota_us
                .map_or_else(|| "none".to_owned(), |q| q.to_string()),
            limits.cpu_period_us,
            limits
                .memory_limit_bytes
                .map_or_else(|| "none".to_owned(), |m| m.to_string()),
        ),
        Err(error) => format!("error: {}", chain(&error)),
    };
    format!("{input:<48} -> {output}")
}

#[test]
fn step4_resources_become_cgroup_values_by_the_kubelet_formulas() {
    let cases: &[&[(&str, &str)]] = &[
        // BestEffort: no resources at all, the minimum weight and no limits.
        &[],
        &[("requests.cpu", "100m")],
        &[("requests.cpu", "250m"), ("limits.cpu", "500m")],
        // A limit alone: the request defaults to it.
        &[("limits.cpu", "500m")],
        &[("requests.cpu", "1"), ("limits.cpu", "2")],
        &[("requests.cpu", "2"), ("limits.cpu", "2")],
        &[("requests.cpu", "0.5")],
        &[("requests.cpu", "1m")],
        &[("requests.cpu", "0.0001")],
        &[("limits.cpu", "5m")],
        &[("limits.cpu", "10m")],
        &[("limits.cpu", "1.5")],
        &[("requests.cpu", "100")],
        &[("requests.cpu", "300")],
        &[("limits.cpu", "0")],
        &[("limits.memory", "64Mi")],
        &[("limits.memory", "1G")],
        &[("limits.memory", "128974848")],
        &[("limits.memory", "129e6")],
        &[("limits.memory", "123Mi")],
        &[("limits.memory", "1.5Gi")],
        &[("limits.memory", "0.5Ki")],
        &[("limits.memory", "0")],
        &[("requests.memory", "64Mi")],
        &[("requests.memory", "64Mi"), ("limits.memory", "64Mi")],
        &[
            ("requests.cpu", "250m"),
            ("requests.memory", "64Mi"),
            ("limits.cpu", "1"),
            ("limits.memory", "128Mi"),
        ],
        // Not cgroup knobs here: ignored.
        &[
            ("limits.nvidia.com/gpu", "1"),
            ("requests.ephemeral-storage", "1Gi"),
        ],
        // Refused, with the field named.
        &[("requests.cpu", "2"), ("limits.cpu", "1")],
        &[("requests.memory", "128Mi"), ("limits.memory", "64Mi")],
        &[("limits.memory", "64Mb")],
        &[("limits.memory", "1K")],
        &[("requests.cpu", "1 cpu")],
        &[("requests.cpu", "-1")],
        &[("limits.memory", "")],
        &[("limits.cpu", "m")],
        &[("limits.memory", "8Ei")],
    ];
    let table: Vec<String> = cases.iter().map(|pairs| row(pairs)).collect();
    snapshot!(table.join("\n"));
}

#[test]
fn step4_cpu_request_becomes_shares_and_limit_becomes_quota() {
    let cpu = cpu_limits(Some("250m"), Some("500m")).unwrap();
    assert_eq!(cpu.shares, 256, "250m * 1024 / 1000");
    assert_eq!(cpu.weight, 10, "1 + (256 - 2) * 9999 / 262142");
    assert_eq!(cpu.quota_us, Some(50_000), "500m of a 100 ms period");
    assert_eq!(cpu.period_us, 100_000);

    let limit_only = cpu_limits(None, Some("2")).unwrap();
    assert_eq!(
        (limit_only.shares, limit_only.quota_us),
        (2048, Some(200_000)),
        "the request defaults to the limit"
    );

    let best_effort = cpu_limits(None, None).unwrap();
    assert_eq!(
        (best_effort.shares, best_effort.weight, best_effort.quota_us),
        (2, 1, None)
    );
    assert_eq!(cpu_limits(None, Some("1m")).unwrap().quota_us, Some(1000));
    assert_eq!(cpu_limits(Some("1000"), None).unwrap().shares, 262_144);
    assert_eq!(cpu_limits(Some("1000"), None).unwrap().weight, 10_000);
}

#[test]
fn step4_memory_limit_becomes_bytes() {
    assert_eq!(memory_limit(None, Some("64Mi")).unwrap(), Some(64 << 20));
    assert_eq!(memory_limit(None, Some("1G")).unwrap(), Some(1_000_000_000));
    assert_eq!(
        memory_limit(Some("100M"), Some("129e6")).unwrap(),
        Some(129_000_000)
    );
    assert_eq!(memory_limit(Some("64Mi"), None).unwrap(), None);
    assert_eq!(memory_limit(None, Some("0")).unwrap(), None);
    assert_eq!(memory_limit(None, None).unwrap(), None);
}

#[test]
fn step4_bad_quantities_are_refused_with_the_field_named() {
    let error = memory_limit(None, Some("64Mb")).unwrap_err();
    assert!(
        matches!(&error, Error::InvalidQuantity { field, .. } if field == "resources.limits.memory"),
        "{error:?}"
    );
    assert!(error.is_bad_input());
    let error = memory_limit(Some("1Gi"), Some("64Mi")).unwrap_err();
    assert!(
        matches!(
            error,
            Error::RequestAboveLimit {
                resource: "memory",
                ..
            }
        ),
        "{error:?}"
    );
    let error = cpu_limits(Some("two"), None).unwrap_err();
    assert!(
        matches!(&error, Error::InvalidQuantity { field, .. } if field == "resources.requests.cpu"),
        "{error:?}"
    );
    let error = cpu_limits(Some("2"), Some("1500m")).unwrap_err();
    assert!(
        matches!(
            error,
            Error::RequestAboveLimit {
                resource: "cpu",
                ..
            }
        ),
        "{error:?}"
    );
}

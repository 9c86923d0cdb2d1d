//! `networking.k8s.io/v1` validation: Ingress rules (hosts, absolute paths with a path type, a
//! backend per path) and TLS secret names.

use serde_json::Value;

use super::names;
use super::{Bad, Causes, arr_at, child, index, str_at};

/// An Ingress (`ValidateIngressSpec`).
pub(crate) fn validate_ingress(object: &Value, causes: &mut Causes) {
    let spec = object.get("spec").unwrap_or(&Value::Null);
    let rules = arr_at(spec, "rules");
    if rules.is_empty() && spec.get("defaultBackend").is_none() {
        causes.invalid(
            "spec".to_string(),
            Bad::Go("null".to_string()),
            "either `defaultBackend` or `rules` must be specified",
        );
    }
    if let Some(backend) = spec.get("defaultBackend") {
        validate_backend(backend, "spec.defaultBackend", causes);
    }
    for (i, rule) in rules.iter().enumerate() {
        let rule_path = index("spec.rules", i);
        if let Some(host) = str_at(rule, "host").filter(|h| !h.is_empty()) {
            // A wildcard host is `*.` and a subdomain.
            let checked = host.strip_prefix("*.").unwrap_or(host);
            causes.invalid_each(
                &child(&rule_path, "host"),
                host,
                names::is_dns1123_subdomain(checked),
            );
        }
        let Some(http) = rule.get("http") else {
            continue;
        };
        let paths_path = child(&child(&rule_path, "http"), "paths");
        let paths = arr_at(http, "paths");
        if paths.is_empty() {
            causes.required(paths_path.clone(), "");
        }
        for (j, path) in paths.iter().enumerate() {
            let at = index(&paths_path, j);
            let types = ["Exact", "ImplementationSpecific", "Prefix"];
            match str_at(path, "pathType") {
                None | Some("") => {
                    causes.required(child(&at, "pathType"), "pathType must be specified");
                }
                Some(t) if !types.contains(&t) => {
                    causes.not_supported(child(&at, "pathType"), Bad::str(t), &types);
                }
                Some(_) => {}
            }
            if let Some(p) = str_at(path, "path")
                && !p.starts_with('/')
            {
                causes.invalid(child(&at, "path"), Bad::str(p), "must be an absolute path");
            }
            match path.get("backend") {
                Some(backend) => validate_backend(backend, &child(&at, "backend"), causes),
                None => causes.required(child(&at, "backend"), ""),
            }
        }
    }
    for (i, tls) in arr_at(spec, "tls").iter().enumerate() {
        if let Some(secret) = str_at(tls, "secretName").filter(|s| !s.is_empty()) {
            let at = child(&index("spec.tls", i), "secretName");
            causes.invalid_each(&at, secret, names::is_dns1123_subdomain(secret));
        }
    }
}

/// A backend: a Service with a name and a port number or name.
fn validate_backend(backend: &Value, path: &str, causes: &mut Causes) {
    let Some(service) = backend.get("service") else {
        if backend.get("resource").is_none() {
            causes.invalid(
                path.to_string(),
                Bad::Go(backend.to_string()),
                "one backend type must be specified",
            );
        }
        return;
    };
    let service_path = child(path, "service");
    let name = str_at(service, "name").unwrap_or("");
    if name.is_empty() {
        causes.required(child(&service_path, "name"), "");
    } else {
        causes.invalid_each(
            &child(&service_path, "name"),
            name,
            names::is_dns1035_label(name),
        );
    }
    let port = service.get("port").unwrap_or(&Value::Null);
    let number = port.get("number").and_then(Value::as_i64);
    let port_name = str_at(port, "name").filter(|n| !n.is_empty());
    let port_path = child(&service_path, "port");
    match (number, port_name) {
        (None, None) => causes.required(port_path, "port name or number is required"),
        (Some(_), Some(_)) => causes.invalid(
            port_path,
            Bad::Go(port.to_string()),
            "cannot set both port name & port number",
        ),
        (Some(n), None) => {
            for msg in names::is_valid_port_num(n) {
                causes.invalid(child(&port_path, "number"), Bad::Int(n), &msg);
            }
        }
        (None, Some(n)) => {
            causes.invalid_each(&child(&port_path, "name"), n, names::is_valid_port_name(n));
        }
    }
}

//! Step 7: reading what `lab-01 run` is given: a YAML file with one Pod, and optionally the
//! ConfigMaps and Secrets its volumes name, as `---`-separated documents (the way
//! `kubectl apply -f` files are written).

use std::time::Duration;

use k8s_openapi::api::core::v1 as corev1;
use serde::Deserialize as _;

use crate::error::{Error, Result};
use crate::volume::VolumeSources;

/// A Pod and the objects its volumes refer to.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The Pod.
    pub pod: corev1::Pod,
    /// The ConfigMaps and Secrets of the same file.
    pub sources: VolumeSources,
}

/// Parses the YAML text of a manifest file. Each document needs `apiVersion: v1` and a
/// `kind` of Pod (exactly one), ConfigMap or Secret.
pub fn parse_manifest(text: &str) -> Result<Manifest> {
    let mut pod = None;
    let mut sources = VolumeSources::default();
    for (index, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let where_ = format!("document {}", index + 1);
        let value = serde_yaml::Value::deserialize(document)
            .map_err(|error| Error::invalid(&where_, format!("not valid YAML: {error}")))?;
        if value.is_null() {
            continue; // an empty document, as after a trailing `---`
        }
        let field = |name: &str| {
            value
                .get(name)
                .and_then(serde_yaml::Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let (api_version, kind) = (field("apiVersion"), field("kind"));
        if api_version != "v1" {
            return Err(Error::invalid(
                format!("{where_}: apiVersion"),
                format!("`{api_version}` is not supported; Pods, ConfigMaps and Secrets are `v1`"),
            ));
        }
        // serde_yaml names the field and line of a wrong type ("spec.containers[0].ports:
        // invalid type: string, expected a sequence").
        let typed = |what: &str, error: serde_yaml::Error| {
            Error::invalid(format!("{where_} ({what})"), error.to_string())
        };
        match kind.as_str() {
            "Pod" => {
                if pod.is_some() {
                    return Err(Error::invalid(
                        &where_,
                        "a second Pod; put one Pod per file",
                    ));
                }
                pod = Some(
                    serde_yaml::from_value::<corev1::Pod>(value).map_err(|e| typed("Pod", e))?,
                );
            }
            "ConfigMap" => {
                let map: corev1::ConfigMap =
                    serde_yaml::from_value(value).map_err(|e| typed("ConfigMap", e))?;
                sources
                    .config_maps
                    .insert(map.metadata.name.clone().unwrap_or_default(), map);
            }
            "Secret" => {
                let secret: corev1::Secret =
                    serde_yaml::from_value(value).map_err(|e| typed("Secret", e))?;
                sources
                    .secrets
                    .insert(secret.metadata.name.clone().unwrap_or_default(), secret);
            }
            other => {
                return Err(Error::invalid(
                    format!("{where_}: kind"),
                    format!(
                        "`{other}` is not something `lab-01 run` runs; give a Pod (and its ConfigMaps or Secrets)"
                    ),
                ));
            }
        }
    }
    let pod = pod.ok_or_else(|| {
        Error::invalid(
            "kind",
            "the file has no Pod; add a document with `kind: Pod`",
        )
    })?;
    Ok(Manifest { pod, sources })
}

/// Parses a duration as written on the command line: `500ms`, `30s`, `2m`, `1h`, or a plain
/// number of seconds.
pub fn parse_duration(text: &str) -> std::result::Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; write e.g. 30s, 2m or 500ms"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(number)),
        "" | "s" => Ok(Duration::from_secs(number)),
        "m" => Ok(Duration::from_secs(number * 60)),
        "h" => Ok(Duration::from_secs(number * 3600)),
        _ => Err(format!(
            "`{text}` has an unknown unit `{unit}`; use ms, s, m or h"
        )),
    }
}

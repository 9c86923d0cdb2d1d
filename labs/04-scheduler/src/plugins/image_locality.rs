//! ImageLocality: prefer nodes that already have the pod's images, so it starts sooner. An
//! image counts for its size, scaled down by how few nodes have it (an image on every node is
//! no reason to prefer any of them), between a floor of 23 MB and a ceiling of 1000 MB per
//! container.

use super::MAX_NODE_SCORE;
use crate::snapshot::{NodeInfo, PodInfo, Snapshot, normalized_image_name};

const MB: i64 = 1024 * 1024;
/// Below this, images are too small to matter.
const MIN_THRESHOLD: i64 = 23 * MB;
/// Per container, above this it makes no difference.
const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

/// The score, already 0-100.
pub fn score(snapshot: &Snapshot, pod: &PodInfo, node: &NodeInfo) -> i64 {
    let Some(spec) = pod.pod.spec.as_ref() else {
        return 0;
    };
    let total_nodes = snapshot.nodes().len().max(1) as f64;
    let containers: Vec<_> = spec
        .init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
        .collect();
    let mut sum: i64 = 0;
    for container in &containers {
        let Some(image) = container.image.as_deref() else {
            continue;
        };
        let name = normalized_image_name(image);
        if let Some(size) = node.images.get(&name) {
            let spread = snapshot.nodes_with_image(&name) as f64 / total_nodes;
            sum += (*size as f64 * spread) as i64;
        }
    }
    let max_threshold = MAX_CONTAINER_THRESHOLD * containers.len() as i64;
    let clamped = sum.clamp(MIN_THRESHOLD, max_threshold.max(MIN_THRESHOLD));
    if max_threshold <= MIN_THRESHOLD {
        return 0;
    }
    MAX_NODE_SCORE * (clamped - MIN_THRESHOLD) / (max_threshold - MIN_THRESHOLD)
}

//! The simulator's output: one line per pending pod, with `--explain` each node's verdict and
//! scores, or the same as JSON.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{Decision, Outcome, Simulation};
use crate::framework::{NodeScores, Rejection, ScheduleResult};
use crate::queue::pod_priority;

/// What one node made of one pod.
enum Verdict<'a> {
    Rejected(&'a Rejection),
    Scored(&'a NodeScores),
    /// Feasible, but alone: not scored.
    Feasible,
    /// Not looked at (percentageOfNodesToScore stopped the search earlier).
    NotEvaluated,
}

fn verdict<'a>(
    node: &str,
    rejected: &'a [(String, Rejection)],
    result: Option<&'a ScheduleResult>,
) -> Verdict<'a> {
    if let Some((_, r)) = rejected.iter().find(|(n, _)| n == node) {
        return Verdict::Rejected(r);
    }
    let Some(result) = result else {
        return Verdict::NotEvaluated;
    };
    if let Some(scores) = result.scores.iter().find(|s| s.node == node) {
        return Verdict::Scored(scores);
    }
    if result.node == node && result.scores.is_empty() {
        return Verdict::Feasible;
    }
    Verdict::NotEvaluated
}

fn parts(outcome: &Outcome) -> (&[(String, Rejection)], Option<&ScheduleResult>) {
    match &outcome.decision {
        Decision::Scheduled(r) => (&r.rejected, Some(r)),
        Decision::Unschedulable(f) | Decision::Preempted { fit: f, .. } => (&f.rejected, None),
        Decision::NotOurs(_) => (&[], None),
    }
}

/// The text output. Without `explain`: `ns/pod -> node`, or `ns/pod: 0/N nodes are available:
/// ...`. With it, each node's verdict follows, in file order.
pub fn render_text(simulation: &Simulation, explain: bool) -> String {
    let mut out = String::new();
    let width = simulation.nodes.iter().map(String::len).max().unwrap_or(0);
    for outcome in &simulation.outcomes {
        let _ = match &outcome.decision {
            Decision::Scheduled(r) => writeln!(out, "{} -> {}", outcome.pod, r.node),
            Decision::Unschedulable(f) => writeln!(out, "{}: {f}", outcome.pod),
            Decision::Preempted { preemption: p, .. } => writeln!(
                out,
                "{} -> {} (preempting {})",
                outcome.pod,
                p.nominated_node_name,
                p.victims.join(", ")
            ),
            Decision::NotOurs(name) => {
                writeln!(out, "{}: skipped, schedulerName is {name:?}", outcome.pod)
            }
        };
        if !explain || matches!(outcome.decision, Decision::NotOurs(_)) {
            continue;
        }
        let (rejected, result) = parts(outcome);
        for node in &simulation.nodes {
            let text = match verdict(node, rejected, result) {
                Verdict::Rejected(r) => {
                    format!("rejected by {}: {}", r.plugin, r.reasons.join(", "))
                }
                Verdict::Feasible => "feasible, the only one: not scored".to_string(),
                Verdict::NotEvaluated => "not evaluated".to_string(),
                Verdict::Scored(s) => {
                    let plugins: Vec<String> = s
                        .plugins
                        .iter()
                        .map(|p| format!("{} {}x{}", p.plugin.name(), p.score, p.weight))
                        .collect();
                    format!("score {:>4} = {}", s.total, plugins.join(" + "))
                }
            };
            let _ = writeln!(out, "  {node:<width$}  {text}");
        }
        if let Decision::Preempted { preemption: p, .. } = &outcome.decision {
            let _ = writeln!(
                out,
                "  preemption chose {}: {}",
                p.nominated_node_name, p.chosen_by
            );
            for candidate in &p.candidates {
                let victims: Vec<String> = candidate
                    .victims
                    .iter()
                    .map(|v| format!("{} (priority {})", v.key, pod_priority(&v.pod)))
                    .collect();
                let _ = writeln!(
                    out,
                    "    {:<width$}  victims {}",
                    candidate.node,
                    victims.join(", ")
                );
            }
        }
    }
    out
}

/// The JSON output: an array with one object per pending pod.
pub fn render_json(simulation: &Simulation, explain: bool) -> Value {
    let pods = simulation.outcomes.iter().map(|outcome| {
        let mut entry = match &outcome.decision {
            Decision::Scheduled(r) => json!({"pod": outcome.pod, "node": r.node}),
            Decision::Unschedulable(f) => json!({"pod": outcome.pod, "message": f.to_string()}),
            Decision::Preempted { preemption: p, .. } => json!({"pod": outcome.pod,
                "node": p.nominated_node_name, "preempted": p.victims,
                "chosenBy": p.chosen_by.to_string()}),
            Decision::NotOurs(name) => {
                json!({"pod": outcome.pod, "skipped": {"schedulerName": name}})
            }
        };
        if explain && !matches!(outcome.decision, Decision::NotOurs(_)) {
            let (rejected, result) = parts(outcome);
            let nodes: Vec<Value> = simulation
                .nodes
                .iter()
                .map(|node| match verdict(node, rejected, result) {
                    Verdict::Rejected(r) => json!({"node": node, "verdict": "rejected",
                        "plugin": r.plugin, "reasons": r.reasons}),
                    Verdict::Feasible => json!({"node": node, "verdict": "feasible"}),
                    Verdict::NotEvaluated => json!({"node": node, "verdict": "not evaluated"}),
                    Verdict::Scored(s) => json!({"node": node, "verdict": "feasible",
                        "total": s.total,
                        "scores": s.plugins.iter().map(|p| json!({
                            "plugin": p.plugin.name(), "score": p.score, "weight": p.weight
                        })).collect::<Vec<_>>()}),
                })
                .collect();
            entry["nodes"] = Value::Array(nodes);
        }
        entry
    });
    Value::Array(pods.collect())
}

//! `hint <lab> <step>`: tiered hints from the lab's `hints.toml`, one tier per call.
//!
//! Hints are data beside the lab, not code, so an instructor edits them without touching Rust
//! (the rustlings `info.toml` idea). Which tier a learner has seen is remembered in
//! `.kit-state/hints.toml` (git-ignored), so each call shows one more.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::labs::{self, Lab};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HintsFile {
    #[serde(default, rename = "step")]
    steps: Vec<StepHints>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepHints {
    number: u32,
    tiers: Vec<String>,
}

/// How many tiers of each `lab-0N.step-K` the learner has seen.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Seen {
    #[serde(default)]
    seen: BTreeMap<String, usize>,
}

const STATE_FILE: &str = ".kit-state/hints.toml";

/// `cargo xtask hint <lab> <step> [--all] [--reset]`.
pub(crate) fn hint(
    root: &Path,
    lab_name: &str,
    step_name: &str,
    all: bool,
    reset: bool,
) -> Result<()> {
    let labs = labs::load_all(root)?;
    let lab = labs::find(&labs, lab_name)?;
    let step = labs::find_step(lab, step_name)?;
    let tiers = tiers_of(root, lab, step.number)?;
    let key = format!("{}.step-{}", lab.id, step.number);
    let mut state = load_state(root)?;
    if reset {
        state.seen.remove(&key);
        save_state(root, &state)?;
        println!("{key}: hints reset; the next call shows the first tier again");
        return Ok(());
    }
    println!("{} step {}: {}", lab.id, step.number, step.title);
    if all {
        for (index, text) in tiers.iter().enumerate() {
            print_tier(index, tiers.len(), text);
        }
        state.seen.insert(key, tiers.len());
    } else {
        let seen = state.seen.get(&key).copied().unwrap_or(0);
        let index = seen.min(tiers.len() - 1);
        print_tier(index, tiers.len(), &tiers[index]);
        if index + 1 == tiers.len() {
            println!(
                "\nThat is the last hint. The chapter section: {}",
                lab.section_of(step)
            );
        } else {
            println!("\nRun the same command again for the next hint.");
        }
        state.seen.insert(key, index + 1);
    }
    save_state(root, &state)
}

fn print_tier(index: usize, total: usize, text: &str) {
    println!("\nHint {} of {total}:", index + 1);
    for line in text.trim().lines() {
        println!("  {line}");
    }
}

fn tiers_of(root: &Path, lab: &Lab, step: u32) -> Result<Vec<String>> {
    let path = root.join(&lab.dir).join("hints.toml");
    if !path.is_file() {
        bail!(
            "{} has no hints file ({}); ask your instructor",
            lab.id,
            path.display()
        );
    }
    let text = std::fs::read_to_string(&path)?;
    let file: HintsFile =
        toml::from_str(&text).with_context(|| format!("invalid {}", path.display()))?;
    match file.steps.into_iter().find(|hints| hints.number == step) {
        Some(hints) if !hints.tiers.is_empty() => Ok(hints.tiers),
        _ => bail!("{} has no hints for step {step} yet", lab.id),
    }
}

fn load_state(root: &Path) -> Result<Seen> {
    let path = root.join(STATE_FILE);
    match std::fs::read_to_string(&path) {
        // A damaged state file only means hints start over; it is not worth an error.
        Ok(text) => Ok(toml::from_str(&text).unwrap_or_default()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Seen::default()),
        Err(error) => Err(error).with_context(|| format!("failed to read {}", path.display())),
    }
}

fn save_state(root: &Path, state: &Seen) -> Result<()> {
    let path = root.join(STATE_FILE);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, toml::to_string(state)?)
        .with_context(|| format!("failed to write {}", path.display()))
}

#[cfg(test)]
mod tests;

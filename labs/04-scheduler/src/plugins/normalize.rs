//! `helper.DefaultNormalizeScore`: scale a plugin's raw scores so the best node gets 100.

use super::MAX_NODE_SCORE;

/// Scales `scores` to 0..=100 by the highest one; with `reverse`, low raw scores end up high
/// (used where a raw score counts bad things, like untolerated PreferNoSchedule taints). When
/// every raw score is 0, they all stay 0, or all become 100 when reversed.
pub fn default_normalize_score(scores: &mut [i64], reverse: bool) {
    // BEGIN SOLUTION step-3: divide by the maximum, times 100; reverse = 100 minus that
    let max = scores.iter().copied().max().unwrap_or(0).max(0);
    if max == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = MAX_NODE_SCORE);
        }
        return;
    }
    for score in scores.iter_mut() {
        let scaled = MAX_NODE_SCORE * *score / max;
        *score = if reverse {
            MAX_NODE_SCORE - scaled
        } else {
            scaled
        };
    }
    // END SOLUTION
}

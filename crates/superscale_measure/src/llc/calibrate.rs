//! Automatic choice of the step ε (and of the localisation γ) for one model: a sweep of
//! settings, each estimated as [`super::estimate`] does, and a recommendation with its reason
//! (`docs/science/llc.md` §6.1).
//!
//! **Why not simply the largest healthy ε.** A finite step biases λ̂: on an exact quadratic
//! E[λ̂] grows with ε as 1/(1 − ε·nβ·h/4) (§4.1), so λ̂ drifts up long before a chain
//! diverges or fails a health check. On the deep linear network (3, 3, 3, 3) the chains are
//! healthy up to ε = 10⁻³ where λ̂ is already 14 % high. The rule therefore asks for a
//! *plateau*: λ̂ at ε must agree with λ̂ at the next smaller ε of the sweep. For a bias
//! that grows like c·ε, the change between ε/3 and ε is ⅔ of the bias at ε, so a change
//! within the tolerance τ bounds the step's bias by about 1.5·τ.
//!
//! **The rule.** For each γ, the settings are taken in increasing ε. Two neighbours agree when
//! both are sound ([`Setting::sound`]: no chain diverged, at least 7 chains in 8 finite,
//! non-negative and stationary, and split-R̂ ≤ 1.1), both are precise (the half-width of the interval over
//! chains is at most τ/2 of λ̂, so that Monte-Carlo noise alone cannot make or hide a
//! change of τ) and |λ̂(ε) − λ̂(ε_smaller)| ≤ τ·|λ̂(ε_smaller)|. The plateau is the first
//! run (from the smallest ε) of consecutive agreeing neighbours; the recommendation is its
//! largest ε. One flagged chain in eight is allowed because the stationarity test is at
//! about 1 % per chain: with 16 chains a flag somewhere is common even for a sound setting
//! (§6's table has several 15/16 rows within 2 % of the closed form). The first run, not the last: past the plateau λ̂ rises faster and faster with
//! ε, and two large biased steps may agree with each other again.
//!
//! Across γ the same test is applied to the λ̂ of each γ's recommended ε, from the strongest
//! localisation down: the recommendation is the weakest γ of the first run of agreeing
//! neighbours (a weaker γ biases singular models less, §6), and the strongest γ with a
//! recommendation when no two agree.
//!
//! Every setting uses the same seed, so the chains of neighbouring settings share their
//! noise (common random numbers): their difference is less noisy than that of independent
//! runs, and a setting equal to a study's run reproduces that run's λ̂.

use super::{estimate, Estimate, Invalid, Options, Potential, R_HAT_LIMIT};

/// The default tolerance τ on the relative change of λ̂ between neighbouring steps.
pub const DEFAULT_TOLERANCE: f64 = 0.1;

/// One setting of a sweep, summarised.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// ε
    pub step: f64,
    /// γ
    pub localization: f64,
    /// λ̂ (mean over the chains that did not diverge)
    pub lambda: f64,
    /// 95 % interval over chains
    pub interval: (f64, f64),
    /// split-R̂
    pub r_hat: f64,
    /// chains run
    pub chains: usize,
    /// chains that passed every check
    pub healthy_chains: usize,
    /// chains that diverged
    pub diverged_chains: usize,
    /// every chain healthy and R̂ ≤ 1.1 ([`super::Estimate::healthy`])
    pub healthy: bool,
}

impl Setting {
    /// The summary of an estimate at (ε, γ).
    pub fn from_estimate(step: f64, localization: f64, estimate: &Estimate) -> Self {
        Self {
            step,
            localization,
            lambda: estimate.lambda,
            interval: estimate.interval,
            r_hat: estimate.r_hat,
            chains: estimate.chains.len(),
            healthy_chains: estimate.healthy_chains(),
            diverged_chains: estimate
                .chains
                .iter()
                .filter(|c| c.diverged_at.is_some())
                .count(),
            healthy: estimate.healthy(),
        }
    }

    /// Sound enough to compare: no chain diverged, at least 7 chains in 8 healthy, and
    /// split-R̂ ≤ [`R_HAT_LIMIT`] (not needed with one chain).
    pub fn sound(&self) -> bool {
        self.diverged_chains == 0
            && 8 * self.healthy_chains >= 7 * self.chains
            && (self.chains < 2 || self.r_hat <= R_HAT_LIMIT)
    }

    /// The interval's half-width is at most τ/2 of |λ̂| (a single chain has no interval and
    /// counts as precise: nothing is known of its noise).
    pub fn precise(&self, tolerance: f64) -> bool {
        let half = (self.interval.1 - self.interval.0) / 2.0;
        self.chains < 2 || half <= tolerance / 2.0 * self.lambda.abs()
    }
}

/// Checks the sweep's lists and the tolerance.
pub fn validate(steps: &[f64], localizations: &[f64], tolerance: f64) -> Result<(), Invalid> {
    let field = |field: &'static str, message: String| Invalid { field, message };
    if steps.is_empty() {
        return Err(field("steps", "at least one step ε".into()));
    }
    if let Some(bad) = steps.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
        return Err(field(
            "steps",
            format!("{bad}: every step ε must be finite and > 0"),
        ));
    }
    if localizations.is_empty() {
        return Err(field("localizations", "at least one localisation γ".into()));
    }
    if let Some(bad) = localizations
        .iter()
        .find(|g| !(g.is_finite() && **g >= 0.0))
    {
        return Err(field(
            "localizations",
            format!("{bad}: every localisation γ must be finite and ≥ 0"),
        ));
    }
    if !(tolerance.is_finite() && tolerance > 0.0) {
        return Err(field(
            "tolerance",
            format!("{tolerance}: the tolerance must be finite and > 0"),
        ));
    }
    Ok(())
}

/// Estimates λ̂ at every (γ, ε) of the grid, γ in the order given and ε increasing within
/// each γ, with `base`'s other options and seed. `progress` gets the setting's index and the
/// steps done over its chains.
pub fn sweep(
    potential: &dyn Potential,
    optimum: &[f64],
    base: &Options,
    steps: &[f64],
    localizations: &[f64],
    progress: &(dyn Fn(usize, u64) + Sync),
) -> Result<Vec<Setting>, Invalid> {
    validate(steps, localizations, DEFAULT_TOLERANCE)?;
    let mut sorted = steps.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    let mut settings = Vec::new();
    for &localization in localizations {
        for &step in &sorted {
            let options = Options {
                step,
                localization,
                ..base.clone()
            };
            let index = settings.len();
            let estimate = estimate(potential, optimum, &options, &|done| progress(index, done))?;
            settings.push(Setting::from_estimate(step, localization, &estimate));
        }
    }
    Ok(settings)
}

/// Why a γ's ε was (or was not) chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum StepReason {
    /// the largest ε of the first plateau, which runs down to the setting `from`
    Plateau {
        /// the smallest setting of the plateau
        from: usize,
    },
    /// some settings are sound, but no two neighbours agree
    NoPlateau,
    /// no setting is sound
    NoSound,
}

/// The choice of ε at one γ.
#[derive(Debug, Clone, PartialEq)]
pub struct StepChoice {
    /// γ
    pub localization: f64,
    /// its settings (indices into the sweep), in increasing ε
    pub settings: Vec<usize>,
    /// the recommended setting
    pub choice: Option<usize>,
    /// why
    pub reason: StepReason,
}

/// The recommendation of a sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// τ
    pub tolerance: f64,
    /// per γ, in the order of the sweep
    pub steps: Vec<StepChoice>,
    /// the recommended setting over all γ
    pub choice: Option<usize>,
    /// why, in words
    pub reason: String,
    /// for each setting, whether it agrees with the next smaller ε at its γ (None for the
    /// smallest)
    pub agrees_with_smaller: Vec<Option<bool>>,
}

/// Whether `larger` agrees with `smaller` (see the module's rule).
pub fn agree(smaller: &Setting, larger: &Setting, tolerance: f64) -> bool {
    smaller.sound()
        && larger.sound()
        && smaller.lambda.is_finite()
        && larger.lambda.is_finite()
        && smaller.precise(tolerance)
        && larger.precise(tolerance)
        && (larger.lambda - smaller.lambda).abs() <= tolerance * smaller.lambda.abs()
}

/// The first run of consecutive agreeing neighbours in `order`: (first, last) positions.
fn first_plateau(order: &[usize], settings: &[Setting], tolerance: f64) -> Option<(usize, usize)> {
    let agrees = |i: usize| agree(&settings[order[i - 1]], &settings[order[i]], tolerance);
    let start = (1..order.len()).find(|&i| agrees(i))?;
    let end = (start..order.len())
        .take_while(|&i| agrees(i))
        .last()
        .unwrap_or(start);
    Some((start - 1, end))
}

/// Recommends a setting of `settings` (as [`sweep`] returns them, or any list) with
/// tolerance τ = `tolerance`.
pub fn recommend(settings: &[Setting], tolerance: f64) -> Recommendation {
    let mut gammas: Vec<f64> = Vec::new();
    for s in settings {
        if !gammas.contains(&s.localization) {
            gammas.push(s.localization);
        }
    }
    let mut agrees_with_smaller = vec![None; settings.len()];
    let steps: Vec<StepChoice> = gammas
        .iter()
        .map(|&gamma| {
            let mut order: Vec<usize> = (0..settings.len())
                .filter(|&i| settings[i].localization == gamma)
                .collect();
            order.sort_by(|&a, &b| settings[a].step.total_cmp(&settings[b].step));
            for pair in order.windows(2) {
                agrees_with_smaller[pair[1]] =
                    Some(agree(&settings[pair[0]], &settings[pair[1]], tolerance));
            }
            let (choice, reason) = match first_plateau(&order, settings, tolerance) {
                Some((from, to)) => (Some(order[to]), StepReason::Plateau { from: order[from] }),
                None if order.iter().any(|&i| settings[i].sound()) => (None, StepReason::NoPlateau),
                None => (None, StepReason::NoSound),
            };
            StepChoice {
                localization: gamma,
                settings: order,
                choice,
                reason,
            }
        })
        .collect();
    let (choice, reason) = across_localizations(&steps, settings, tolerance);
    Recommendation {
        tolerance,
        steps,
        choice,
        reason,
        agrees_with_smaller,
    }
}

/// The choice over γ from each γ's choice of ε.
fn across_localizations(
    steps: &[StepChoice],
    settings: &[Setting],
    tolerance: f64,
) -> (Option<usize>, String) {
    let percent = 100.0 * tolerance;
    let mut chosen: Vec<usize> = steps.iter().filter_map(|s| s.choice).collect();
    if chosen.is_empty() {
        let any_healthy = settings.iter().any(Setting::sound);
        let reason = if any_healthy {
            format!(
                "no recommendation: at no γ do two neighbouring steps agree within {percent:.0} % \
                 with sound, precise chains; add steps between the healthy ones, below them, \
                 or lengthen the chains"
            )
        } else {
            "no recommendation: no setting is sound (each has a diverged chain, more than 1 in \
             8 chains negative or non-stationary, or R̂ > 1.1); try smaller steps or a longer \
             burn-in"
                .to_string()
        };
        return (None, reason);
    }
    let describe = |index: usize| {
        let s = &settings[index];
        let from = steps
            .iter()
            .find(|c| c.choice == Some(index))
            .and_then(|c| match c.reason {
                StepReason::Plateau { from } => Some(settings[from].step),
                _ => None,
            })
            .unwrap_or(s.step);
        format!(
            "ε = {:e} is the largest step of the first plateau at γ = {} (λ̂ changes by at most \
             {percent:.0} % from ε = {from:e} up to it, with sound chains)",
            s.step, s.localization
        )
    };
    if chosen.len() == 1 {
        return (Some(chosen[0]), describe(chosen[0]));
    }
    // Strongest localisation first.
    chosen.sort_by(|&a, &b| {
        settings[b]
            .localization
            .total_cmp(&settings[a].localization)
    });
    let agrees = |i: usize| {
        let (stronger, weaker) = (&settings[chosen[i - 1]], &settings[chosen[i]]);
        (weaker.lambda - stronger.lambda).abs() <= tolerance * stronger.lambda.abs()
    };
    match (1..chosen.len()).find(|&i| agrees(i)) {
        Some(start) => {
            let end = (start..chosen.len())
                .take_while(|&i| agrees(i))
                .last()
                .unwrap_or(start);
            let index = chosen[end];
            (
                Some(index),
                format!(
                    "{}; γ = {} is the weakest localisation whose λ̂ agrees within {percent:.0} % \
                     with the next stronger one's (γ = {})",
                    describe(index),
                    settings[index].localization,
                    settings[chosen[end - 1]].localization
                ),
            )
        }
        None => (
            Some(chosen[0]),
            format!(
                "{}; the λ̂ of different γ disagree by more than {percent:.0} %, so the \
                 strongest localisation is kept (λ̂ is local to the scale γ sets)",
                describe(chosen[0])
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(step: f64, localization: f64, lambda: f64, healthy: bool) -> Setting {
        Setting {
            step,
            localization,
            lambda,
            interval: (lambda * 0.98, lambda * 1.02),
            r_hat: 1.01,
            chains: 8,
            healthy_chains: if healthy { 8 } else { 4 },
            diverged_chains: if healthy { 0 } else { 4 },
            healthy,
        }
    }

    /// A sweep measured on the deep linear network (3, 3, 3, 3) at λ = 3 (n = 1000, γ = 1,
    /// 8 chains × 20 000 draws, seed 7; `docs/science/llc.md` §6.1 has the same shape at 16
    /// chains): the largest healthy step (10⁻³) is 14 % high and off the plateau; the rule
    /// picks 3·10⁻⁴ (−5.3 %).
    #[test]
    fn the_largest_healthy_step_off_the_plateau_is_not_chosen() {
        let settings = [
            setting(3e-5, 1.0, 2.556, true),
            setting(1e-4, 1.0, 2.703, true),
            setting(3e-4, 1.0, 2.841, true),
            setting(1e-3, 1.0, 3.411, true),
            setting(3e-3, 1.0, 3.9, false),
        ];
        let r = recommend(&settings, DEFAULT_TOLERANCE);
        assert_eq!(r.choice, Some(2), "{}", r.reason);
        assert_eq!(r.steps[0].reason, StepReason::Plateau { from: 0 });
        assert_eq!(
            r.agrees_with_smaller,
            [None, Some(true), Some(true), Some(false), Some(false)]
        );
        // A tighter tolerance finds no two neighbours close enough.
        let tight = recommend(&settings, 0.05);
        assert_eq!(tight.choice, None);
        assert_eq!(tight.steps[0].reason, StepReason::NoPlateau);
        assert!(
            tight.reason.starts_with("no recommendation"),
            "{}",
            tight.reason
        );
    }

    /// Two large biased steps that agree with each other again do not win over the first
    /// plateau; the order the settings are listed in does not matter.
    #[test]
    fn the_first_plateau_wins_over_a_later_one() {
        let settings = [
            setting(1e-3, 1.0, 4.0, true),
            setting(3e-3, 1.0, 4.2, true),
            setting(1e-5, 1.0, 1.0, true),
            setting(3e-5, 1.0, 2.9, true),
            setting(1e-4, 1.0, 3.0, true),
            setting(3e-4, 1.0, 3.4, true),
        ];
        let r = recommend(&settings, DEFAULT_TOLERANCE);
        assert_eq!(r.choice, Some(4), "{}", r.reason);
        assert_eq!(r.steps[0].settings, [2, 3, 4, 5, 0, 1]);
        assert_eq!(r.steps[0].reason, StepReason::Plateau { from: 3 });
    }

    /// Unhealthy or imprecise neighbours never agree, however close their λ̂.
    #[test]
    fn unhealthy_or_noisy_settings_do_not_make_a_plateau() {
        let mut settings = vec![
            setting(1e-4, 1.0, 3.0, true),
            setting(3e-4, 1.0, 3.1, false),
            setting(1e-3, 1.0, 3.2, true),
        ];
        let r = recommend(&settings, DEFAULT_TOLERANCE);
        assert_eq!(r.choice, None);
        assert_eq!(r.steps[0].reason, StepReason::NoPlateau);
        settings[1].healthy_chains = 8;
        settings[1].diverged_chains = 0;
        settings[1].interval = (2.5, 3.7);
        assert_eq!(recommend(&settings, DEFAULT_TOLERANCE).choice, None);
        settings[1].interval = (3.05, 3.15);
        assert_eq!(recommend(&settings, DEFAULT_TOLERANCE).choice, Some(2));
        let sick: Vec<Setting> = settings
            .iter()
            .map(|s| Setting {
                r_hat: 1.2,
                ..s.clone()
            })
            .collect();
        let r = recommend(&sick, DEFAULT_TOLERANCE);
        assert_eq!(r.steps[0].reason, StepReason::NoSound);
        assert!(r.reason.contains("no setting is sound"), "{}", r.reason);
        // One non-stationary chain in eight is chance; two are not.
        let mut flagged = settings.clone();
        flagged[0].healthy = false;
        flagged[0].healthy_chains = 7;
        assert_eq!(recommend(&flagged, DEFAULT_TOLERANCE).choice, Some(2));
        flagged[0].healthy_chains = 6;
        assert_eq!(recommend(&flagged, DEFAULT_TOLERANCE).choice, Some(2));
        assert_eq!(
            recommend(&flagged, DEFAULT_TOLERANCE).agrees_with_smaller[1],
            Some(false)
        );
    }

    /// Across γ: the weakest localisation that agrees with the next stronger one, else the
    /// strongest with a plateau.
    #[test]
    fn localisations_are_chosen_from_the_strongest_down() {
        let grid = |gamma: f64, level: f64| {
            vec![
                setting(1e-4, gamma, level, true),
                setting(3e-4, gamma, level * 1.05, true),
                setting(1e-3, gamma, level * 1.5, true),
            ]
        };
        let mut settings = grid(1.0, 2.0);
        settings.extend(grid(0.1, 2.1));
        settings.extend(grid(0.01, 3.0));
        let r = recommend(&settings, DEFAULT_TOLERANCE);
        assert_eq!(r.choice, Some(4), "{}", r.reason);
        assert!(r.reason.contains("γ = 0.1"), "{}", r.reason);
        let mut apart = grid(1.0, 2.0);
        apart.extend(grid(0.01, 3.0));
        let r = recommend(&apart, DEFAULT_TOLERANCE);
        assert_eq!(r.choice, Some(1), "{}", r.reason);
        assert!(r.reason.contains("strongest localisation"), "{}", r.reason);
    }

    #[test]
    fn bad_lists_name_their_field() {
        assert_eq!(validate(&[], &[1.0], 0.1).unwrap_err().field, "steps");
        assert_eq!(
            validate(&[1e-4, 0.0], &[1.0], 0.1).unwrap_err().field,
            "steps"
        );
        assert_eq!(
            validate(&[1e-4], &[-1.0], 0.1).unwrap_err().field,
            "localizations"
        );
        assert_eq!(
            validate(&[1e-4], &[1.0], f64::NAN).unwrap_err().field,
            "tolerance"
        );
        assert!(validate(&[1e-4], &[0.0], 0.1).is_ok());
    }
}

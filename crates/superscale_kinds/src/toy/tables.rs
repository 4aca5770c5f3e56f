//! CSV tables. Loss columns carry their unit in the name: `_n_mse` is the paper's
//! L = n × MSE (sum over features, mean over samples; `docs/science/superposition.md` §1.3).

use super::execute::{RunResult, RunStatus};
use super::exponents::WidthExponent;
use superscale_spec::ModelSpec;

fn number(value: f64) -> String {
    if value.is_finite() {
        format!("{value}")
    } else {
        String::new()
    }
}

fn quote(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// One row per run: identity, sweep axes, the main spec fields, status and measurements.
pub fn results_csv(results: &[RunResult]) -> String {
    let axis_names: Vec<String> = results
        .first()
        .map(|r| r.point.axes.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    let mut header = vec!["index", "run_id", "replicate", "seed"]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    header.extend(axis_names.iter().map(|axis| format!("sweep:{axis}")));
    header.extend(
        [
            "variant",
            "n_features",
            "n_hidden",
            "alpha",
            "weight_decay",
            "feature_probability",
            "steps",
            "batch_size",
            "status",
            "diverged_step",
            "loss_train_tail_n_mse",
            "loss_train_tail_sd_n_mse",
            "loss_heldout_n_mse",
            "phi_half",
            "phi_one",
            "mean_sq_overlap_all",
            "mean_sq_overlap_norm_above_1",
            "var_sq_overlap_norm_above_1",
            "welch_kappa_sq_norm_above_1",
            "dimensions_per_feature",
            "sparse_backward_fraction",
            "seconds",
        ]
        .map(String::from),
    );
    let mut out = header.join(",") + "\n";
    for r in results {
        let spec = &r.point.spec;
        let (variant, alpha, feature_probability, weight_decay) = match &spec.model {
            ModelSpec::SuperpositionScaling(s) => {
                ("superposition_scaling", s.alpha, f64::NAN, s.weight_decay)
            }
            ModelSpec::Anthropic(s) => {
                ("anthropic", f64::NAN, s.feature_probability, s.weight_decay)
            }
        };
        let (n, m) = spec.model.shape();
        let (status, diverged_step) = match r.status {
            RunStatus::Done => ("done", String::new()),
            RunStatus::Diverged { step } => ("diverged", step.to_string()),
        };
        let geometry = r.geometry.as_ref();
        let strong = geometry.and_then(|g| g.overlap_strong);
        let mut row = vec![
            r.point.index.to_string(),
            r.point.run_id.clone(),
            r.point.replicate.to_string(),
            r.point.seed.to_string(),
        ];
        row.extend(r.point.axes.iter().map(|(_, value)| quote(value)));
        row.extend([
            variant.to_string(),
            n.to_string(),
            m.to_string(),
            number(alpha),
            number(weight_decay),
            number(feature_probability),
            spec.train.steps.to_string(),
            spec.train.batch_size.to_string(),
            status.to_string(),
            diverged_step,
            number(r.loss_train_tail),
            number(r.loss_train_tail_sd),
            number(r.loss_heldout),
            number(geometry.map_or(f64::NAN, |g| g.phi_half)),
            number(geometry.map_or(f64::NAN, |g| g.phi_one)),
            number(geometry.map_or(f64::NAN, |g| g.overlap_all.mean)),
            number(strong.map_or(f64::NAN, |s| s.mean)),
            number(strong.map_or(f64::NAN, |s| s.variance)),
            number(strong.map_or(f64::NAN, |s| {
                superscale_measure::welch_bound(s.rows, m).powi(2)
            })),
            number(geometry.map_or(f64::NAN, |g| g.dimensions_per_feature)),
            number(r.sparse_backward_fraction),
            format!("{:.3}", r.seconds),
        ]);
        out += &(row.join(",") + "\n");
    }
    out
}

/// α_m per group: the OLS slope of ln L_heldout on ln m, its standard error and R².
pub fn exponents_csv(exponents: &[WidthExponent]) -> String {
    let mut out = String::from("group,alpha_m,alpha_m_se,r_squared,n_points,diverged_runs,note\n");
    for e in exponents {
        let group = e
            .group
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        let (fit, note) = match &e.fit {
            Ok(fit) => (
                format!(
                    "{},{},{},{}",
                    fit.exponent, fit.exponent_se, fit.r_squared, fit.n_points
                ),
                String::new(),
            ),
            Err(why) => (format!(",,,{}", e.points.len()), why.clone()),
        };
        out += &format!("{},{fit},{},{}\n", quote(&group), e.diverged, quote(&note));
    }
    out
}

/// The loss curves in long form: run, replicate, step, batch loss (n × MSE).
pub fn curves_csv(results: &[RunResult]) -> String {
    let mut out = String::from("index,run_id,replicate,step,loss_batch_n_mse\n");
    for r in results {
        for (step, loss) in &r.curve {
            out += &format!(
                "{},{},{},{step},{}\n",
                r.point.index,
                r.point.run_id,
                r.point.replicate,
                number(*loss)
            );
        }
    }
    out
}

/// λ̂ at the checkpoints of an `[llc]` study in long form (`docs/science/llc.md` §8): run,
/// replicate, width m, signed decay γ, step t, then the [`super::LLC_CURVES`] columns.
pub fn llc_csv(results: &[RunResult]) -> String {
    let mut out = format!(
        "index,run_id,replicate,n_hidden,weight_decay,step,{}\n",
        super::LLC_CURVES.join(",")
    );
    for r in results {
        let model = &r.point.spec.model;
        let gamma = match model {
            ModelSpec::SuperpositionScaling(s) => s.weight_decay,
            ModelSpec::Anthropic(s) => s.weight_decay,
        };
        for p in &r.llc {
            let values = [
                number(p.lambda),
                number(p.interval.0),
                number(p.interval.1),
                number(p.chain_sd),
                number(p.r_hat),
                p.healthy_chains.to_string(),
                p.chains.to_string(),
                p.diverged_chains.to_string(),
                number(p.loss_at_optimum),
                number(p.nbeta),
                p.regions.to_string(),
            ];
            out += &format!(
                "{},{},{},{},{gamma},{},{}\n",
                r.point.index,
                r.point.run_id,
                r.point.replicate,
                model.width(),
                p.step,
                values.join(",")
            );
        }
    }
    out
}

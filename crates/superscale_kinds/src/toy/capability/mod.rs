//! `superscale quanta --capability SPEC`: per-feature capability of the toy model of
//! superposition vs width (issue 9 item 2; docs/quanta.md "Capability").
//!
//! SPEC is an ordinary `superscale run` experiment (variant `superposition_scaling`, swept
//! over `model.n_hidden`). The study is run (or resumed) into its store with the weights
//! kept, exactly as `superscale run --save-weights` does; then every finished model's
//! held-out per-feature errors are measured (`superscale_quanta::feature_errors`) and each
//! regime (every sweep axis but the width) is analysed over width.

use super::capability_report;
use super::QuantaArgs;
use crate::run_command::{self, RunArgs};
use crate::{store_error, UserError};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use superscale_quanta::{
    capability_sweep, derive_seed, feature_errors, power_law_sampler, CapabilitySweep,
    FeatureErrors,
};
use superscale_spec::{Experiment, ModelSpec};
use superscale_store::Store;

/// Held-out streams for the capability draws: a fixed stream of the run's seed, distinct
/// from the streams training and the held-out loss use (those are xoshiro jumps).
const CAPABILITY_STREAM: u64 = 0x0CA9_AB11_17E5;

/// One model of a regime, measured.
pub struct MeasuredModel {
    /// hidden width m
    pub width: usize,
    /// held-out loss of the run (n × MSE)
    pub loss_heldout: f64,
    /// features with row norm > 1/2 (φ½·n, `docs/science/superposition.md` §2.1, Eq. 3)
    pub represented: usize,
    /// the per-feature errors
    pub errors: FeatureErrors,
}

/// A regime: the runs sharing every sweep value but the width.
pub struct Regime {
    /// e.g. `model.weight_decay=0.3333`
    pub label: String,
    /// pᵢ
    pub frequencies: Vec<f64>,
    /// models by ascending width
    pub models: Vec<MeasuredModel>,
    /// the analysis over width
    pub sweep: CapabilitySweep,
}

fn label(axes: &[(String, String)], replicate: u32) -> String {
    let mut parts: Vec<String> = axes
        .iter()
        .filter(|(key, _)| key != "model.n_hidden")
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    if replicate > 0 {
        parts.push(format!("replicate={replicate}"));
    }
    if parts.is_empty() {
        "all runs".into()
    } else {
        parts.join(", ")
    }
}

/// Runs the study, measures capability and writes the tables and `capability.html`.
pub fn run(args: &QuantaArgs) -> Result<()> {
    let experiment = Experiment::load(&args.spec).map_err(|err| UserError(err.to_string()))?;
    for point in &experiment.points {
        if !matches!(point.spec.model, ModelSpec::SuperpositionScaling(_)) {
            return Err(UserError(format!(
                "{}: field `model.variant`: --capability needs the \"superposition_scaling\" toy model",
                args.spec.display()
            ))
            .into());
        }
    }
    if args.samples_per_feature == 0 {
        return Err(UserError("--samples-per-feature must be at least 1".into()).into());
    }
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join(&experiment.name));
    run_command::run(&RunArgs {
        spec: args.spec.clone(),
        store: Some(dir.clone()),
        extend: false,
        shard: None,
        save_weights: true,
        threads: None,
        quiet: args.quiet,
    })?;
    let store = Store::open(&dir).map_err(store_error)?;
    let regimes = measure(&store, args.samples_per_feature)?;
    write_tables(&dir, &regimes)?;
    let html = capability_report::html(&experiment.name, &regimes)?;
    let path = dir.join("capability.html");
    std::fs::write(&path, html).with_context(|| format!("writing {}", path.display()))?;
    if !args.quiet {
        for regime in &regimes {
            let s = &regime.sweep;
            let (became, single) = s.single_drop_count();
            eprintln!(
                "{}: capable {:?} at m = {:?}; order ρ {:?}; {single}/{became} single drops",
                regime.label, s.n_capable, s.widths, s.order_spearman
            );
        }
    }
    crate::print_out(&format!("{}\n", path.display()))
}

/// Every finished run's per-feature errors, grouped into regimes.
fn measure(store: &Store, samples_per_feature: usize) -> Result<Vec<Regime>> {
    let mut groups: BTreeMap<String, Vec<(MeasuredModel, Vec<f64>)>> = BTreeMap::new();
    for result in store.results().map_err(store_error)? {
        let point = &result.point;
        let ModelSpec::SuperpositionScaling(model) = &point.spec.model else {
            continue;
        };
        let Some(geometry) = result.geometry.as_ref() else {
            continue; // diverged: no final model
        };
        let path = store.dir().join(superscale_store::weights_file(
            &point.run_id,
            point.replicate,
        ));
        let saved = superscale_store::read_weights(&path).map_err(|err| {
            UserError(format!(
                "{}: run {} has no weights file ({err}); rerun with a new --out",
                path.display(),
                point.run_id
            ))
        })?;
        let sampler = power_law_sampler(model.n_features, model.alpha, model.activation_density)?;
        let seed = derive_seed(point.seed, CAPABILITY_STREAM);
        let errors = feature_errors(
            &saved.weights,
            &saved.bias,
            model.n_hidden,
            &sampler,
            samples_per_feature,
            seed,
        )?;
        let measured = MeasuredModel {
            width: model.n_hidden,
            loss_heldout: result.loss_heldout,
            represented: geometry.row_norms.iter().filter(|&&r| r > 0.5).count(),
            errors,
        };
        groups
            .entry(label(&point.axes, point.replicate))
            .or_default()
            .push((measured, sampler.probabilities().to_vec()));
    }
    let mut regimes = Vec::new();
    for (label, mut models) in groups {
        models.sort_by_key(|(m, _)| m.width);
        let frequencies = models[0].1.clone();
        let models: Vec<MeasuredModel> = models.into_iter().map(|(m, _)| m).collect();
        let widths: Vec<usize> = models.iter().map(|m| m.width).collect();
        let relative: Vec<Vec<f64>> = models.iter().map(|m| m.errors.relative_error()).collect();
        let sweep = capability_sweep(&widths, &relative, &frequencies)
            .with_context(|| format!("capability of {label}"))?;
        regimes.push(Regime {
            label,
            frequencies,
            models,
            sweep,
        });
    }
    Ok(regimes)
}

fn write_tables(dir: &Path, regimes: &[Regime]) -> Result<()> {
    let mut features = String::from("regime,width,feature,frequency,active_error,active_energy,relative_error,inactive_error,capable\n");
    let mut widths = String::from("regime,width,n_capable,n_represented,mean_relative_error,loss_heldout_n_mse,loss_from_features_n_mse\n");
    let mut profiles =
        String::from("regime,feature,frequency,capable_width,last_chance_width,single_drop\n");
    let show = |v: Option<usize>| v.map_or(String::new(), |v| v.to_string());
    for regime in regimes {
        let quoted = format!("\"{}\"", regime.label);
        for (k, model) in regime.models.iter().enumerate() {
            let e = &model.errors;
            let relative = e.relative_error();
            for (i, &p) in regime.frequencies.iter().enumerate() {
                writeln!(
                    features,
                    "{quoted},{},{i},{p},{},{},{},{},{}",
                    model.width,
                    e.active_error[i],
                    e.active_energy[i],
                    relative[i],
                    e.inactive_error[i],
                    relative[i] < superscale_quanta::CAPABLE_BELOW
                )?;
            }
            writeln!(
                widths,
                "{quoted},{},{},{},{},{},{}",
                model.width,
                regime.sweep.n_capable[k],
                model.represented,
                regime.sweep.mean_relative_error[k],
                model.loss_heldout,
                e.loss(&regime.frequencies)
            )?;
        }
        for f in &regime.sweep.features {
            writeln!(
                profiles,
                "{quoted},{},{},{},{},{}",
                f.feature,
                f.frequency,
                show(f.capable_width),
                show(f.last_chance_width),
                f.single_drop
            )?;
        }
    }
    for (name, contents) in [
        ("capability_features.csv", features),
        ("capability_widths.csv", widths),
        ("capability_profiles.csv", profiles),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

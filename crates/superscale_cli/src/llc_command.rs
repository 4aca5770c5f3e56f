//! `superscale llc-calibrate FILE`: the automatic choice of the SGLD step ε (and of the
//! localisation γ) for the models of an LLC experiment file. The sweep and the rule live in
//! `superscale_measure::llc::calibrate` and `superscale_kinds::llc::calibrate`
//! (`docs/science/llc.md` §6.1); this command parses, runs them on a thread pool and prints.

use crate::output::{print_out, print_to_stderr, spec_error, threads, user};
use anyhow::Result;
use std::path::PathBuf;
use superscale_kinds::llc::calibrate::{calibrate, default_steps, table};
use superscale_kinds::llc::LlcSpec;
use superscale_measure::llc::calibrate::DEFAULT_TOLERANCE;
use superscale_spec::{kind_of, Experiment};

/// Arguments of `superscale llc-calibrate`.
#[derive(clap::Args)]
pub struct LlcCalibrateArgs {
    /// The experiment file (`kind = "llc"`). Every model of its sweep is calibrated with
    /// its own data, w*, seeds and sampler settings (chains, draws, burn-in, thin, nβ);
    /// only ε and γ are swept.
    pub spec: PathBuf,
    /// The steps ε to try, comma-separated (default: the 1–3 ladder, two rungs either side
    /// of each model's own ε, e.g. 3e-5,1e-4,3e-4,1e-3,3e-3 around 3e-4).
    #[arg(long, value_delimiter = ',', value_name = "EPS,…")]
    pub steps: Option<Vec<f64>>,
    /// The localisations γ to try, comma-separated (default: each model's own γ).
    #[arg(long, value_delimiter = ',', value_name = "GAMMA,…")]
    pub localizations: Option<Vec<f64>>,
    /// The largest relative change of λ̂ between neighbouring steps that still counts as a
    /// plateau.
    #[arg(long, default_value_t = DEFAULT_TOLERANCE)]
    pub tolerance: f64,
    /// Calibrate only the K-th model of the sweep (1-based, in the file's order).
    #[arg(long, value_name = "K")]
    pub model: Option<usize>,
    /// Worker threads for the chains (the results do not depend on the count).
    #[arg(long, env = "SUPERSCALE_THREADS")]
    pub threads: Option<usize>,
}

pub fn run(args: &LlcCalibrateArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.spec).map_err(|source| {
        spec_error(superscale_spec::Error::Io {
            path: args.spec.clone(),
            source,
        })
    })?;
    let kind = kind_of(&text, &args.spec).map_err(spec_error)?;
    if kind != "llc" {
        return Err(spec_error(superscale_spec::Error::Invalid {
            path: args.spec.clone(),
            line: superscale_spec::line_of(&text, "kind"),
            field: "kind".into(),
            message: format!("\"{kind}\": llc-calibrate needs an experiment of kind \"llc\""),
        }));
    }
    let experiment: Experiment<LlcSpec> =
        Experiment::from_text(&text, &args.spec).map_err(spec_error)?;
    let models: Vec<_> = experiment
        .points
        .iter()
        .filter(|point| point.replicate == 0)
        .collect();
    let chosen: Vec<_> = match args.model {
        None => models,
        Some(k) if (1..=models.len()).contains(&k) => vec![models[k - 1]],
        Some(k) => {
            return Err(user(format!(
                "--model {k}: the file has {} model(s), numbered from 1",
                models.len()
            )))
        }
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads(args.threads)?)
        .build()?;
    let mut recommended = 0;
    for point in &chosen {
        let sampler = &point.spec.sampler;
        let steps = args
            .steps
            .clone()
            .unwrap_or_else(|| default_steps(sampler.step));
        let localizations = args
            .localizations
            .clone()
            .unwrap_or_else(|| vec![sampler.localization]);
        let calibration = pool
            .install(|| calibrate(point, &steps, &localizations, args.tolerance, &|_, _| {}))
            .map_err(|invalid| user(format!("--{}: {}", invalid.field, invalid.message)))?;
        recommended += usize::from(calibration.chosen().is_some());
        print_out(&table(&calibration))?;
        print_out("\n")?;
    }
    if recommended < chosen.len() {
        print_to_stderr(&format!(
            "note: {} of {} model(s) have no recommended step (see the reasons above)",
            chosen.len() - recommended,
            chosen.len()
        ));
    }
    Ok(())
}

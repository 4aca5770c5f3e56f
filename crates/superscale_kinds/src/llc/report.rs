//! The tables and report sections of an LLC study: the calibration table (λ̂ against the
//! closed form, with the settings that produced it), the chains, and two figures.

use super::spec::{Family, ModelCase, PreconditionerName};
use super::LlcRow;
use superscale_report::chart::{xy_chart, Scale, Series, Style};
use superscale_report::{Block, Result, Section, Table};

/// The acceptance band of the calibration: |λ̂/λ − 1| ≤ 10 % (`docs/science/llc.md` §6).
pub const TOLERANCE: f64 = 0.10;

fn model_name(row: &LlcRow) -> String {
    case_name(&row.run.model)
}

/// A model as the tables name it, e.g. `deep_linear (3 3 3 3)`.
pub(super) fn case_name(case: &ModelCase) -> String {
    let shape: Vec<String> = case.shape.iter().map(u32::to_string).collect();
    let family = match case.family {
        Family::Linear => "linear",
        Family::NormalCrossing => "normal_crossing",
        Family::ReducedRank => "reduced_rank",
        Family::DeepLinear => "deep_linear",
        Family::TmsKgon => "tms_kgon",
        Family::TmsTrained => "tms_trained",
    };
    if case.rank > 0 {
        format!("{family} ({}, rank {})", shape.join(" "), case.rank)
    } else {
        format!("{family} ({})", shape.join(" "))
    }
}

fn number(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else {
        format!("{v:.4}")
    }
}

fn status(row: &LlcRow) -> &'static str {
    let r = &row.result;
    if row.diverged {
        "diverged"
    } else if r.relative_error.is_nan() || r.relative_error.abs() > TOLERANCE {
        "outside 10 %"
    } else if r.healthy {
        "within 10 %"
    } else {
        "within 10 % (chains flagged)"
    }
}

const CALIBRATION_HEADER: [&str; 24] = [
    "run_id",
    "replicate",
    "model",
    "n_params",
    "n",
    "nbeta",
    "step",
    "localization",
    "preconditioner",
    "batch",
    "chains",
    "draws",
    "thin",
    "burn_in",
    "lambda",
    "lambda_exact",
    "lambda_hat",
    "ci_low",
    "ci_high",
    "relative_error",
    "r_hat",
    "healthy_chains",
    "diverged_at",
    "status",
];

fn calibration_cells(row: &LlcRow) -> Vec<String> {
    let (run, r) = (&row.run, &row.result);
    let s = &run.sampler;
    vec![
        row.id.clone(),
        row.replicate.to_string(),
        model_name(row),
        r.n_params.to_string(),
        run.data.n.to_string(),
        number(r.nbeta),
        format!("{:e}", s.step),
        format!("{}", s.localization),
        match s.preconditioner {
            PreconditionerName::Sgld => "sgld".into(),
            PreconditionerName::Rmsprop => "rmsprop".into(),
        },
        s.batch.map_or("all".into(), |b| b.to_string()),
        s.chains.to_string(),
        s.draws.to_string(),
        s.thin.to_string(),
        s.burn_in.to_string(),
        number(r.lambda_closed_form),
        number(r.lambda_exact),
        number(r.lambda_hat),
        number(r.interval.0),
        number(r.interval.1),
        number(r.relative_error),
        number(r.r_hat),
        format!("{}/{}", r.healthy_chains, r.chains.len()),
        r.diverged_at.map_or(String::new(), |s| s.to_string()),
        status(row).into(),
    ]
}

/// One row per estimate: the model, every sampler setting, λ, λ̂ with its interval over
/// chains, the relative error, R̂, the healthy chains and the verdict.
pub fn calibration_csv(rows: &[LlcRow]) -> String {
    let mut out = CALIBRATION_HEADER.join(",") + "\n";
    for row in rows {
        out += &calibration_cells(row).join(",");
        out.push('\n');
    }
    out
}

/// One row per chain: λ̂, the mean drift and noise norms of a step, the stationarity z,
/// the divergence step.
pub fn chains_csv(rows: &[LlcRow]) -> String {
    let mut out = String::from(
        "run_id,replicate,chain,lambda_hat,drift_norm,noise_norm,stationarity_z,diverged_at\n",
    );
    for row in rows {
        for (chain, [lambda, drift, noise, z, diverged]) in row.result.chains.iter().enumerate() {
            out += &format!(
                "{},{},{chain},{},{},{},{},{}\n",
                row.id,
                row.replicate,
                number(*lambda),
                number(*drift),
                number(*noise),
                number(*z),
                if diverged.is_nan() {
                    String::new()
                } else {
                    format!("{diverged}")
                }
            );
        }
    }
    out
}

/// The line printed for an estimate.
pub fn headline(row: &LlcRow) -> String {
    let r = &row.result;
    let diverged = r.diverged_at.map_or(String::new(), |step| {
        format!(
            ", {} chains diverged (first at step {step})",
            r.diverged_chains
        )
    });
    format!(
        "{}: lambda_hat = {:.4} [{:.4}, {:.4}] vs lambda = {:.4} ({:+.1} %), R-hat {:.3}, {}/{} chains healthy{diverged}: {}",
        model_name(row),
        r.lambda_hat,
        r.interval.0,
        r.interval.1,
        r.lambda_closed_form,
        100.0 * r.relative_error,
        r.r_hat,
        r.healthy_chains,
        r.chains.len(),
        status(row)
    )
}

/// The LLC sections of a study's report.
pub fn sections(rows: &[LlcRow]) -> Result<Vec<Section>> {
    let protocol = Section::new("Protocol").with(Block::Text(
        "Each run estimates the local learning coefficient at a point w* where it is known in \
         closed form: independent chains of localised SGLD start at w*, with steps \
         w ← w − (ε/2)[nβ∇L_b(w) + γ(w − w*)] + √ε·ξ, and λ̂ = nβ·(mean over chains and draws \
         of L_n(w) − L_n(w*)), L_n(w*) computed once on the full data. nβ = n/ln n with n the \
         dataset size. The interval is a 95 % Student-t interval over chains: the chains share \
         w* and the data, so it measures the sampler's Monte-Carlo error only, not the bias of \
         a finite step, of γ > 0 and of finite nβ. λ_exact, where given, is E[λ̂] at this nβ \
         and γ computed by quadrature: the value an exact sampler would reach. A chain is \
         healthy when its trace stays finite, its λ̂ is ≥ 0 and the two quarters of its \
         trace's last half agree (|z| ≤ 3, batch-means errors); the estimate's R̂ is split-R̂ \
         over chains (≤ 1.1 wanted)."
            .into(),
    ));
    let header: Vec<String> = [
        "model",
        "λ",
        "λ exact",
        "λ̂ [95 % CI over chains]",
        "error",
        "ε",
        "γ",
        "nβ",
        "chains × draws (thin)",
        "R̂",
        "healthy",
        "verdict",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let table = Table {
        header,
        rows: rows
            .iter()
            .map(|row| {
                let (r, s) = (&row.result, &row.run.sampler);
                vec![
                    model_name(row),
                    number(r.lambda_closed_form),
                    number(r.lambda_exact),
                    format!(
                        "{:.4} [{:.4}, {:.4}]",
                        r.lambda_hat, r.interval.0, r.interval.1
                    ),
                    format!("{:+.1} %", 100.0 * r.relative_error),
                    format!("{:e}", s.step),
                    format!("{}", s.localization),
                    format!("{:.1}", r.nbeta),
                    format!("{} × {} ({})", s.chains, s.draws, s.thin),
                    format!("{:.3}", r.r_hat),
                    format!("{}/{}", r.healthy_chains, r.chains.len()),
                    status(row).into(),
                ]
            })
            .collect(),
    };
    let calibration = Section::new("Calibration against closed forms").with(Block::Table(table));
    let reference = rows
        .iter()
        .map(|r| r.result.lambda_closed_form)
        .fold(0.0f64, f64::max);
    let scatter = xy_chart(
        "λ̂ against the closed form",
        "closed-form λ",
        "λ̂",
        Scale::LogLog,
        &[
            Series {
                label: "λ̂ (mean over chains)".into(),
                points: rows
                    .iter()
                    .map(|r| (r.result.lambda_closed_form, r.result.lambda_hat))
                    .collect(),
                style: Style::Points,
                color: 0,
                hover: rows.iter().map(model_name).collect(),
            },
            Series {
                label: "λ̂ = λ".into(),
                points: vec![(0.1, 0.1), (reference * 1.2, reference * 1.2)],
                style: Style::Reference,
                color: 7,
                hover: Vec::new(),
            },
        ],
    )?;
    let traces: Vec<Series> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| Series {
            label: model_name(row),
            points: row
                .result
                .excess
                .iter()
                .map(|&(draw, v)| ((draw + 1) as f64, v / row.result.lambda_closed_form))
                .collect(),
            style: Style::Line,
            color: i % 8,
            hover: Vec::new(),
        })
        .collect();
    let trace_figure = xy_chart(
        "Excess loss over the draws (mean over chains), in units of λ",
        "draw",
        "nβ·(L_n(w) − L_n(w*)) / λ",
        Scale::Linear,
        &traces,
    )?;
    let figures = Section::new("Figures")
        .with(Block::Figure {
            id: "llc-calibration".into(),
            svg: scatter,
            caption: "Each estimate against its closed form; the line is equality.".into(),
        })
        .with(Block::Figure {
            id: "llc-traces".into(),
            svg: trace_figure,
            caption: "A stationary chain wanders around λ̂/λ; a drift means more burn-in or a larger step."
                .into(),
        });
    Ok(vec![protocol, calibration, figures])
}

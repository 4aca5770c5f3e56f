//! TMS phases and Bayesian phase transitions (Chen et al. 2023; `docs/science/tms_phases.md`):
//! the two TMS families of the LLC kind, how their runs are built, and their analysis —
//! the k-gon table (loss, λ̂ with its interval), the dataset sizes at which the free
//! energy n·L + λ·ln n prefers the next polygon, with chain-bootstrap intervals, and which
//! polygon training lands on at each training-set size, in one figure.

use super::spec::Family;
use super::LlcRow;
use std::collections::BTreeMap;
use superscale_measure::llc::tms::{
    classify, refine_kgon, switch_with_interval, train, Landing, Switch, TmsPopulation, TmsSample,
    Training,
};
use superscale_measure::llc::Potential;
use superscale_report::chart::{band, xy_chart, Scale, Series, Style};
use superscale_report::{Block, Result, Section, Table};

/// Features of the model (Chen et al. 2023's c).
pub const FEATURES: usize = 6;
/// Hidden units (m).
pub const HIDDEN: usize = 2;
/// Parameters: the c columns of W and the c biases.
pub const PARAMETERS: usize = FEATURES * (HIDDEN + 1);

/// How a trained TMS is trained: full-batch Adam at lr 0.01 from W ∼ N(0, 0.5²), b = 0
/// (`docs/science/tms_phases.md` §4).
pub fn training(steps: usize) -> Training {
    Training {
        steps,
        learning_rate: 0.01,
        init_sd: 0.5,
    }
}

/// A column of a trained W longer than this is on the polygon (the k-gons' columns have
/// length ≥ 1, their zero columns 0).
pub const COLUMN_THRESHOLD: f64 = 0.5;

/// Bootstrap resamples of a switch size's interval.
const RESAMPLES: usize = 4000;

/// λ of the k-gon as counted in `docs/science/tms_phases.md` §3, where the point is a
/// local minimum and the count applies: k ≥ 5, (3k − 1)/2 + 3/2 per positive zero column
/// (the Hessian rank over 2); k = 4, 15/2 + 1/2 per positive zero column; k = 3 and 2 with
/// no positive zero column, 6 and 4. NaN otherwise (the saddles 2⁺…, 3⁺…).
pub fn counted_lambda(k: usize, positive: usize) -> f64 {
    let p = positive as f64;
    match (k, positive) {
        (5.., _) => (3.0 * k as f64 - 1.0) / 2.0 + 1.5 * p,
        (4, _) => 7.5 + 0.5 * p,
        (3, 0) => 6.0,
        (2, 0) => 4.0,
        _ => f64::NAN,
    }
}

/// The potential and w* of a TMS run: the k-gon on the population loss, or the trained
/// model on its training set (drawn from `seed`, trained from a start drawn from it too).
pub fn build(family: Family, shape: &[usize], seed: u64) -> (Box<dyn Potential>, Vec<f64>) {
    match family {
        Family::TmsKgon => {
            let point = refine_kgon(FEATURES, shape[0], shape[1]);
            let model = TmsPopulation {
                features: FEATURES,
                hidden: HIDDEN,
            };
            (Box::new(model), point.w)
        }
        _ => {
            let data = TmsSample::draw(FEATURES, HIDDEN, shape[0], seed);
            let start = superscale_measure::llc::chain_seed(seed, usize::MAX - 1);
            let w = train(&data, &training(shape[1]), start);
            (Box::new(data), w)
        }
    }
}

/// The name of a polygon with `positive` positive-bias zero columns and `negative`
/// negative ones, as Chen et al. write it: 5⁺, 4⁺⁻, 6.
pub fn polygon_name(k: usize, positive: usize) -> String {
    let negative = FEATURES.saturating_sub(k + positive);
    format!("{k}{}{}", "⁺".repeat(positive), "⁻".repeat(negative))
}

/// A k-gon's row of the table.
#[derive(Debug, Clone)]
pub struct KgonRow {
    /// columns on the polygon
    pub k: usize,
    /// positive-bias zero columns
    pub positive: usize,
    /// the polygon's column length and bias at the critical point
    pub length: f64,
    /// the polygon's bias
    pub bias: f64,
    /// K(w*), the population loss
    pub loss: f64,
    /// ‖∇K(w*)‖
    pub gradient_norm: f64,
    /// λ̂ and its 95 % interval over chains
    pub lambda: f64,
    /// the interval
    pub interval: (f64, f64),
    /// the count of §3 (NaN where it does not apply)
    pub counted: f64,
    /// R̂
    pub r_hat: f64,
    /// healthy chains / chains
    pub healthy: (usize, usize),
    /// the chains' λ̂ (the finite ones)
    pub chains: Vec<f64>,
}

impl KgonRow {
    /// A local minimum as the sampler sees it: λ̂ ≥ 0 and at least three chains in four
    /// healthy (at a saddle every chain leaves and λ̂ is large and negative).
    pub fn minimum(&self) -> bool {
        4 * self.healthy.0 >= 3 * self.healthy.1 && self.lambda >= 0.0
    }
}

/// The switch between two neighbouring polygons.
#[derive(Debug, Clone)]
pub struct SwitchRow {
    /// the simpler polygon (higher loss)
    pub from: String,
    /// the next one
    pub to: String,
    /// ΔL = L_from − L_to
    pub delta_loss: f64,
    /// Δλ̂ = λ̂_to − λ̂_from
    pub delta_lambda: f64,
    /// the switch size and its interval
    pub switch: Switch,
}

/// The landings of the training runs at one training-set size.
#[derive(Debug, Clone)]
pub struct LandingRow {
    /// training samples
    pub n: usize,
    /// runs per landing label
    pub counts: BTreeMap<String, usize>,
    /// runs
    pub runs: usize,
    /// per run: (label, λ̂, population loss)
    pub runs_detail: Vec<(String, f64, f64)>,
}

/// The TMS part of an LLC study.
#[derive(Debug, Clone, Default)]
pub struct TmsPhases {
    /// the k-gons, by (k, positive)
    pub kgons: Vec<KgonRow>,
    /// switches along the all-negative family k⁻ → (k+1)⁻
    pub switches: Vec<SwitchRow>,
    /// the polygon the free energy prefers at each n, as (first n, name) from n = 2
    pub preferred: Vec<(f64, String)>,
    /// training landings by n
    pub landings: Vec<LandingRow>,
}

/// The label of a landing: the polygon's name, "irregular k" when its angles are not
/// those of a regular polygon.
pub fn landing_label(landing: &Landing) -> String {
    if landing.regular {
        polygon_name(landing.k, landing.positive)
    } else {
        format!("irregular {}", landing.k)
    }
}

/// The TMS analysis of `rows` (the rows of the two TMS families; the others are ignored).
/// `seed` seeds the bootstrap; `weights` gives a run's w* by row index.
pub fn analyse(
    rows: &[LlcRow],
    weights: &dyn Fn(usize) -> Option<Vec<f64>>,
    seed: u64,
) -> TmsPhases {
    let mut phases = TmsPhases::default();
    let population = TmsPopulation {
        features: FEATURES,
        hidden: HIDDEN,
    };
    let mut landings: BTreeMap<usize, LandingRow> = BTreeMap::new();
    for (index, row) in rows.iter().enumerate() {
        let shape: Vec<usize> = row.run.model.shape.iter().map(|&v| v as usize).collect();
        let r = &row.result;
        match row.run.model.family {
            Family::TmsKgon => {
                let point = refine_kgon(FEATURES, shape[0], shape[1]);
                phases.kgons.push(KgonRow {
                    k: shape[0],
                    positive: shape[1],
                    length: point.length,
                    bias: point.bias,
                    loss: r.loss_at_optimum,
                    gradient_norm: point.gradient_norm,
                    lambda: r.lambda_hat,
                    interval: r.interval,
                    counted: counted_lambda(shape[0], shape[1]),
                    r_hat: r.r_hat,
                    healthy: (r.healthy_chains, r.chains.len()),
                    chains: r
                        .chains
                        .iter()
                        .map(|c| c[0])
                        .filter(|v| v.is_finite())
                        .collect(),
                });
            }
            Family::TmsTrained => {
                let Some(w) = weights(index) else { continue };
                let label = landing_label(&classify(&w, FEATURES, COLUMN_THRESHOLD));
                let loss = population.loss(&w, &mut Vec::new());
                let entry = landings.entry(shape[0]).or_insert_with(|| LandingRow {
                    n: shape[0],
                    counts: BTreeMap::new(),
                    runs: 0,
                    runs_detail: Vec::new(),
                });
                *entry.counts.entry(label.clone()).or_insert(0) += 1;
                entry.runs += 1;
                entry.runs_detail.push((label, r.lambda_hat, loss));
            }
            _ => {}
        }
    }
    phases.kgons.sort_by_key(|row| (row.k, row.positive));
    phases.landings = landings.into_values().collect();
    let all_negative: Vec<&KgonRow> = phases.kgons.iter().filter(|r| r.positive == 0).collect();
    for (i, pair) in all_negative.windows(2).enumerate() {
        let (a, b) = (pair[0], pair[1]);
        if b.k != a.k + 1 || a.chains.is_empty() || b.chains.is_empty() {
            continue;
        }
        let switch = switch_with_interval(
            a.loss,
            &a.chains,
            b.loss,
            &b.chains,
            RESAMPLES,
            superscale_measure::llc::chain_seed(seed, i),
        );
        phases.switches.push(SwitchRow {
            from: polygon_name(a.k, 0),
            to: polygon_name(b.k, 0),
            delta_loss: a.loss - b.loss,
            delta_lambda: b.lambda - a.lambda,
            switch,
        });
    }
    phases.preferred = preferred(&phases.kgons);
    phases
}

/// The local minimum of least free energy n·L + λ̂·ln n at every n from 2 to 10⁷ (on a
/// log-spaced grid of 2401 points), as the n where each preference starts.
fn preferred(kgons: &[KgonRow]) -> Vec<(f64, String)> {
    let minima: Vec<&KgonRow> = kgons.iter().filter(|r| r.minimum()).collect();
    let mut out: Vec<(f64, String)> = Vec::new();
    if minima.is_empty() {
        return out;
    }
    for step in 0..=2400 {
        let n = 2.0 * (1e7f64 / 2.0).powf(step as f64 / 2400.0);
        let best = minima
            .iter()
            .min_by(|a, b| {
                let f = |r: &KgonRow| n * r.loss + r.lambda * n.ln();
                f(a).total_cmp(&f(b))
            })
            .expect("a minimum");
        let name = polygon_name(best.k, best.positive);
        if out.last().is_none_or(|(_, last)| *last != name) {
            out.push((n, name));
        }
    }
    out
}

fn number(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format!("{v:.digits$}")
    } else {
        "—".into()
    }
}

fn switch_text(switch: &Switch) -> (String, String) {
    let size = switch
        .size
        .map_or("none (the next polygon wins at every n)".into(), |n| {
            format!("{n:.0}")
        });
    let interval = format!(
        "[{}, {}]{}",
        number(switch.interval.0, 0),
        number(switch.interval.1, 0),
        if switch.never > 0.0 {
            format!(
                ", {:.0} % of resamples without a switch",
                100.0 * switch.never
            )
        } else {
            String::new()
        }
    );
    (size, interval)
}

/// The CSV of the k-gon table.
pub fn kgons_csv(phases: &TmsPhases) -> String {
    let mut out = String::from(
        "polygon,k,positive,length,bias,loss,gradient_norm,lambda_hat,ci_low,ci_high,lambda_counted,r_hat,healthy_chains,chains\n",
    );
    for r in &phases.kgons {
        out += &format!(
            "{},{},{},{},{},{},{:e},{},{},{},{},{},{},{}\n",
            polygon_name(r.k, r.positive),
            r.k,
            r.positive,
            r.length,
            r.bias,
            r.loss,
            r.gradient_norm,
            r.lambda,
            r.interval.0,
            r.interval.1,
            r.counted,
            r.r_hat,
            r.healthy.0,
            r.healthy.1
        );
    }
    out
}

/// The CSV of the switch sizes.
pub fn switches_csv(phases: &TmsPhases) -> String {
    let mut out = String::from("from,to,delta_loss,delta_lambda,n_switch,ci_low,ci_high,never\n");
    for s in &phases.switches {
        out += &format!(
            "{},{},{},{},{},{},{},{}\n",
            s.from,
            s.to,
            s.delta_loss,
            s.delta_lambda,
            s.switch.size.map_or(String::new(), |n| n.to_string()),
            s.switch.interval.0,
            s.switch.interval.1,
            s.switch.never
        );
    }
    out
}

/// The CSV of the training landings, one row per run.
pub fn landings_csv(phases: &TmsPhases) -> String {
    let mut out = String::from("n,landing,lambda_hat,population_loss\n");
    for row in &phases.landings {
        for (label, lambda, loss) in &row.runs_detail {
            out += &format!("{},{label},{lambda},{loss}\n", row.n);
        }
    }
    out
}

/// The lines printed at the end of the study.
pub fn headlines(phases: &TmsPhases) -> Vec<String> {
    let mut lines: Vec<String> = phases
        .kgons
        .iter()
        .map(|r| {
            format!(
                "TMS {}: loss {:.6}, lambda_hat = {:.3} [{:.3}, {:.3}] (counted {}), {}/{} chains healthy{}",
                polygon_name(r.k, r.positive),
                r.loss,
                r.lambda,
                r.interval.0,
                r.interval.1,
                number(r.counted, 1),
                r.healthy.0,
                r.healthy.1,
                if r.minimum() { "" } else { ": not a local minimum (chains leave)" }
            )
        })
        .collect();
    for s in &phases.switches {
        let (size, interval) = switch_text(&s.switch);
        lines.push(format!(
            "TMS switch {} -> {}: n = {size} {interval}",
            s.from, s.to
        ));
    }
    if !phases.preferred.is_empty() {
        let path: Vec<String> = phases
            .preferred
            .iter()
            .map(|(n, name)| format!("{name} from n = {n:.0}"))
            .collect();
        lines.push(format!("TMS posterior prefers: {}", path.join(", ")));
    }
    for row in &phases.landings {
        let counts: Vec<String> = row
            .counts
            .iter()
            .map(|(label, count)| format!("{label} {count}"))
            .collect();
        lines.push(format!(
            "TMS training n = {}: {} runs land in {}",
            row.n,
            row.runs,
            counts.join(", ")
        ));
    }
    lines
}

/// The polygon size of a landing label ("5⁺" → 5; irregular ones are not counted).
fn landing_k(label: &str) -> Option<usize> {
    label
        .chars()
        .next()
        .and_then(|c| c.to_digit(10))
        .map(|k| k as usize)
}

/// The report sections of the TMS part.
pub fn sections(phases: &TmsPhases) -> Result<Vec<Section>> {
    let mut sections = Vec::new();
    if !phases.kgons.is_empty() {
        let header = [
            "polygon",
            "column length",
            "polygon bias",
            "population loss L",
            "‖∇L‖",
            "λ̂ [95 % CI over chains]",
            "λ counted (§3)",
            "R̂",
            "healthy",
        ];
        let table = Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: phases
                .kgons
                .iter()
                .map(|r| {
                    vec![
                        polygon_name(r.k, r.positive),
                        number(r.length, 4),
                        number(r.bias, 4),
                        number(r.loss, 6),
                        format!("{:.1e}", r.gradient_norm),
                        format!(
                            "{:.3} [{:.3}, {:.3}]{}",
                            r.lambda,
                            r.interval.0,
                            r.interval.1,
                            if r.minimum() {
                                ""
                            } else {
                                " (chains leave: not a minimum)"
                            }
                        ),
                        number(r.counted, 1),
                        number(r.r_hat, 3),
                        format!("{}/{}", r.healthy.0, r.healthy.1),
                    ]
                })
                .collect(),
        };
        sections.push(
            Section::new("TMS k-gons: loss and learning coefficient")
                .with(Block::Text(
                    "The toy model of superposition f(x) = ReLU(WᵀWx + b) with c = 6 features and \
                     m = 2 hidden units, on inputs with one active feature of value μ ∼ U[0, 1] \
                     (Chen et al. 2023). Each k-gon has k columns of W on a regular polygon with \
                     a common length and bias, refined to a critical point of the population \
                     loss L; the other columns are zero with a positive (⁺) or negative (⁻) bias. \
                     λ̂ is estimated on the population loss at nβ = n/ln n for the study's n; \
                     the interval covers the sampler's Monte-Carlo error only."
                        .into(),
                ))
                .with(Block::Table(table)),
        );
    }
    if !phases.switches.is_empty() {
        let table = Table {
            header: [
                "from",
                "to",
                "ΔL",
                "Δλ̂",
                "switch n",
                "95 % bootstrap interval",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            rows: phases
                .switches
                .iter()
                .map(|s| {
                    let (size, interval) = switch_text(&s.switch);
                    vec![
                        s.from.clone(),
                        s.to.clone(),
                        number(s.delta_loss, 6),
                        number(s.delta_lambda, 3),
                        size,
                        interval,
                    ]
                })
                .collect(),
        };
        let path: Vec<String> = phases
            .preferred
            .iter()
            .map(|(n, name)| format!("{name} from n = {n:.0}"))
            .collect();
        sections.push(
            Section::new("Bayesian phase transitions")
                .with(Block::Text(
                    "The posterior prefers the critical point of least free energy \
                     F_n ≈ n·L + λ·ln n. A simpler polygon (higher L, lower λ) wins while \
                     n·ΔL < Δλ·ln n: the switch is the larger root of n/ln n = Δλ/ΔL. Its \
                     interval resamples each polygon's chains with replacement (4000 times) and \
                     takes the 2.5 % and 97.5 % quantiles of the switch size; a resample in \
                     which the larger polygon wins at every n counts as n = 1."
                        .into(),
                ))
                .with(Block::Table(table))
                .with(Block::Text(format!(
                    "Among the local minima of the table, the least free energy belongs to: {}.",
                    path.join("; ")
                ))),
        );
    }
    if !phases.landings.is_empty() {
        let labels: Vec<String> = {
            let mut all: Vec<String> = phases
                .landings
                .iter()
                .flat_map(|r| r.counts.keys().cloned())
                .collect();
            all.sort();
            all.dedup();
            all
        };
        let mut header = vec!["training n".to_string(), "runs".to_string()];
        header.extend(labels.iter().cloned());
        header.push("mean λ̂ at the trained point".into());
        let table = Table {
            header,
            rows: phases
                .landings
                .iter()
                .map(|row| {
                    let mut cells = vec![row.n.to_string(), row.runs.to_string()];
                    for label in &labels {
                        let count = row.counts.get(label).copied().unwrap_or(0);
                        cells.push(format!("{:.2}", count as f64 / row.runs as f64));
                    }
                    let lambdas: Vec<f64> = row
                        .runs_detail
                        .iter()
                        .map(|(_, l, _)| *l)
                        .filter(|l| l.is_finite())
                        .collect();
                    cells.push(number(
                        lambdas.iter().sum::<f64>() / lambdas.len() as f64,
                        2,
                    ));
                    cells
                })
                .collect(),
        };
        sections.push(
            Section::new("Where training lands")
                .with(Block::Text(format!(
                    "Each run draws n training samples, trains W and b from W ∼ N(0, 0.5²), b = 0 \
                     by full-batch Adam (lr 0.01) and names the polygon its columns longer than \
                     {COLUMN_THRESHOLD} form (regular when every angular gap is within a quarter \
                     of 2π/k), with the sign of the short columns' biases. The table gives the \
                     fraction of runs per landing; λ̂ is estimated at each trained point on its \
                     own training set (nβ = n/ln n)."
                )))
                .with(Block::Table(table)),
        );
    }
    if let Some(figure) = figure(phases)? {
        sections.push(Section::new("Figure: posterior switch against training").with(figure));
    }
    Ok(sections)
}

/// The fraction of training runs landing in each polygon size against n, with the switch
/// sizes of the free energy as vertical lines and their intervals as bands.
fn figure(phases: &TmsPhases) -> Result<Option<Block>> {
    if phases.landings.is_empty() && phases.switches.is_empty() {
        return Ok(None);
    }
    let mut series = Vec::new();
    for (index, k) in (2..=6).enumerate() {
        let points: Vec<(f64, f64)> = phases
            .landings
            .iter()
            .map(|row| {
                let count: usize = row
                    .counts
                    .iter()
                    .filter(|(label, _)| landing_k(label) == Some(k))
                    .map(|(_, c)| c)
                    .sum();
                (row.n as f64, count as f64 / row.runs as f64)
            })
            .collect();
        if points.iter().any(|&(_, f)| f > 0.0) {
            series.push(Series {
                label: format!("training lands in a {k}-gon (any biases)"),
                points,
                style: Style::Line,
                color: index,
                hover: Vec::new(),
            });
        }
    }
    for (index, s) in phases.switches.iter().enumerate() {
        let Some(size) = s.switch.size else { continue };
        let color = 5 + index % 3;
        let (low, high) = s.switch.interval;
        if low.is_finite() && high.is_finite() && low >= 1.0 {
            series.push(Series {
                label: String::new(),
                points: band(
                    &[(low.max(2.0), 0.0), (high, 0.0)],
                    &[(low.max(2.0), 1.0), (high, 1.0)],
                ),
                style: Style::Band,
                color,
                hover: Vec::new(),
            });
        }
        series.push(Series {
            label: format!("posterior switch {} → {} (n = {size:.0})", s.from, s.to),
            points: vec![(size, 0.0), (size, 1.0)],
            style: Style::Line,
            color,
            hover: Vec::new(),
        });
    }
    let svg = xy_chart(
        "Training landings against the free energy's switch sizes",
        "training-set size n",
        "fraction of runs",
        Scale::LogX,
        &series,
    )?;
    Ok(Some(Block::Figure {
        id: "tms-kgon-phases".into(),
        svg,
        caption: "Lines: the fraction of training runs whose W ends as a regular k-gon, per \
                  training-set size. Vertical lines: the n at which the posterior's free energy \
                  n·L + λ̂·ln n starts to prefer the next polygon of the all-negative family, \
                  with its 95 % chain-bootstrap band."
            .into(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use superscale_measure::llc::tms::switch_size;

    #[test]
    fn names_and_counts() {
        assert_eq!(polygon_name(5, 1), "5⁺");
        assert_eq!(polygon_name(4, 1), "4⁺⁻");
        assert_eq!(polygon_name(6, 0), "6");
        assert_eq!(counted_lambda(6, 0), 8.5);
        assert_eq!(counted_lambda(5, 1), 8.5);
        assert_eq!(counted_lambda(4, 2), 8.5);
        assert!(counted_lambda(2, 1).is_nan());
        assert_eq!(landing_k("5⁺"), Some(5));
        assert_eq!(landing_k("irregular 5"), None);
        // The switch of the notes' counted values (7 → 8.5).
        let n = switch_size(0.068744, 7.0, 0.048192, 8.5).expect("a switch");
        assert!((n - 445.0).abs() < 1.0);
    }
}

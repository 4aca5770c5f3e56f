//! A law fitted to the columns of a table, as `superscale fit` does it: the points read from
//! the columns (for the Chinchilla form with tokens D, or D = C/(6N) from compute), the fit,
//! a bootstrap (grouped when asked), the information criteria, the extrapolation to held-out
//! scales, the parameter table, and the fitted curve with its bootstrap band for a figure.

use crate::bootstrap::{percentile, Bootstrap, BootstrapOptions};
use crate::chinchilla::{tokens_from_compute, ChinchillaParameters};
use crate::error::{Error, Result};
use crate::law::{bootstrap_law_observed, fit_law, FittedLaw, Form, LawOptions, Points};
use crate::progress::{FitObserver, FitStage, FitWork, Silent};
use crate::selection::{holdout, information_criteria, Holdout, InformationCriteria};
use crate::table::Table;

/// The second input of the Chinchilla form: a column of training tokens D, or of training
/// compute C from which D = C/(6N) (Hoffmann et al. 2022, §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondInput<'a> {
    /// a column of tokens D
    Tokens(&'a str),
    /// a column of compute C
    Compute(&'a str),
}

impl Table {
    /// The points of `form` from column `x`, column `y` and, for the Chinchilla form, the
    /// second input. x must be positive; so must y, but for BNSL, which fits ln(y + 1).
    /// [`Error::SecondInput`] when a second input is given to another form, or missing for
    /// Chinchilla (checked after the columns x and y are read).
    pub fn points(
        &self,
        x: &str,
        y: &str,
        second: Option<SecondInput<'_>>,
        form: Form,
    ) -> Result<Points> {
        let x = self.positive_numbers(x)?;
        let y = match form {
            Form::Bnsl { .. } => self.numbers(y),
            _ => self.positive_numbers(y),
        }?;
        if form != Form::Chinchilla {
            if second.is_some() {
                return Err(Error::SecondInput { needed: false });
            }
            return Ok(Points::new(x, y));
        }
        let second = match second {
            Some(SecondInput::Tokens(column)) => self.positive_numbers(column)?,
            Some(SecondInput::Compute(column)) => {
                tokens_from_compute(&x, &self.positive_numbers(column)?)?
            }
            None => return Err(Error::SecondInput { needed: true }),
        };
        Ok(Points::with_second_input(x, second, y))
    }
}

/// What [`fit_table`] does beyond the fit.
#[derive(Debug, Clone, Default)]
pub struct TableFitOptions {
    /// options of the fit
    pub law: LawOptions,
    /// a bootstrap of the quantities (`None`: none)
    pub bootstrap: Option<BootstrapOptions>,
    /// also fit without the K largest scales and score them (`None`: no holdout)
    pub holdout: Option<usize>,
}

/// A law fitted to a table. The steps after the fit keep their own outcome, so a caller can
/// show the fit before reporting that, say, the bootstrap's options were invalid.
#[derive(Debug)]
pub struct TableFit {
    /// the fit to every point
    pub fit: FittedLaw,
    /// the number of distinct groups when the bootstrap resamples groups
    pub groups: Option<usize>,
    /// the bootstrap, when asked for
    pub bootstrap: Option<Result<Bootstrap>>,
    /// AIC/BIC on log residuals, when they exist (no non-positive prediction)
    pub criteria: Option<InformationCriteria>,
    /// the extrapolation to the held-out largest scales, when asked for (not tried after a
    /// failed bootstrap)
    pub holdout: Option<Result<Holdout>>,
}

/// Fits `form` to `points` and runs the steps `options` ask for; `groups` labels points
/// 0, 1, … for a bootstrap of whole groups ([`Table::groups`]). The error is the fit's.
pub fn fit_table(
    form: Form,
    points: &Points,
    groups: Option<&[usize]>,
    options: &TableFitOptions,
) -> Result<TableFit> {
    fit_table_observed(form, points, groups, options, &Silent)
}

/// [`fit_table`], telling `observer` the work before it starts ([`FitWork`]) and each stage
/// and bootstrap resample as it ends. The results are the same whatever the observer.
pub fn fit_table_observed(
    form: Form,
    points: &Points,
    groups: Option<&[usize]>,
    options: &TableFitOptions,
    observer: &dyn FitObserver,
) -> Result<TableFit> {
    let work = FitWork::of(
        form,
        points,
        &options.law,
        options.bootstrap.map_or(0, |b| b.resamples),
        options.holdout.is_some(),
    );
    observer.planned(&work);
    observer.started(FitStage::Fit, work.starts);
    let fit = fit_law(form, points, &options.law);
    observer.finished(FitStage::Fit);
    let fit = fit?;
    let bootstrap = options.bootstrap.map(|settings| {
        observer.started(FitStage::Bootstrap, settings.resamples);
        let resampled = || observer.advanced(FitStage::Bootstrap);
        let outcome =
            bootstrap_law_observed(&fit, points, groups, &options.law, &settings, &resampled);
        observer.finished(FitStage::Bootstrap);
        outcome
    });
    let criteria = information_criteria(&fit, points).ok();
    let holdout = match (&bootstrap, options.holdout) {
        (Some(Err(_)), _) | (_, None) => None,
        (_, Some(k)) => {
            observer.started(FitStage::Holdout, work.starts);
            let outcome = holdout(form, points, k, &options.law);
            observer.finished(FitStage::Holdout);
            Some(outcome)
        }
    };
    Ok(TableFit {
        groups: groups.map(|g| g.iter().max().map_or(0, |m| m + 1)),
        fit,
        bootstrap,
        criteria,
        holdout,
    })
}

impl TableFit {
    /// The successful bootstrap, if any.
    fn resampled(&self) -> Option<&Bootstrap> {
        self.bootstrap.as_ref().and_then(|b| b.as_ref().ok())
    }

    /// `parameters.csv`: quantity, estimate, standard error and interval bounds (the last
    /// three empty without a bootstrap).
    pub fn parameters_csv(&self) -> String {
        let mut text = String::from("quantity,estimate,standard_error,lower,upper\n");
        match self.resampled() {
            Some(b) => b.quantities.iter().for_each(|q| {
                text += &format!(
                    "{},{},{},{},{}\n",
                    q.name, q.estimate, q.standard_error, q.lower, q.upper
                )
            }),
            None => self
                .fit
                .quantity_names()
                .iter()
                .zip(self.fit.quantities())
                .for_each(|(name, value)| {
                    text += &format!("{name},{value},,,\n");
                }),
        }
        text
    }

    /// The fitted curve over the range of the points, for a figure: the data against their
    /// horizontal position, the curve at `samples` log-spaced positions, and with a
    /// bootstrap the pointwise percentile band of the resampled curves.
    pub fn curve(&self, points: &Points, samples: usize) -> FitCurve {
        let form = self.fit.form;
        // The Chinchilla curve is drawn against compute C = 6ND.
        let horizontal: Vec<f64> = match &points.second {
            Some(tokens) => points
                .x
                .iter()
                .zip(tokens)
                .map(|(n, d)| 6.0 * n * d)
                .collect(),
            None => points.x.clone(),
        };
        let (h_min, h_max) = log_bounds(&horizontal);
        let last = samples.max(2) - 1;
        let grid: Vec<f64> = (0..=last)
            .map(|i| (h_min.ln() + (h_max / h_min).ln() * i as f64 / last as f64).exp())
            .collect();
        let line: Vec<(f64, f64)> = grid
            .iter()
            .map(|&h| (h, curve(form, &self.fit.parameters, h)))
            .collect();
        let n_parameters = self.fit.parameters.len();
        let band = self.resampled().map(|b| {
            let tail = 50.0 * (1.0 - b.level);
            let band = grid
                .iter()
                .map(|&h| {
                    let mut values: Vec<f64> = b
                        .replicates
                        .iter()
                        .map(|r| curve(form, &r[..n_parameters], h))
                        .filter(|v| v.is_finite() && *v > 0.0)
                        .collect();
                    values.sort_by(f64::total_cmp);
                    if values.is_empty() {
                        (h, f64::NAN, f64::NAN)
                    } else {
                        (
                            h,
                            percentile(&values, tail),
                            percentile(&values, 100.0 - tail),
                        )
                    }
                })
                .collect();
            Band {
                level: b.level,
                points: band,
            }
        });
        let mut vertical: Vec<f64> = points.y.iter().copied().filter(|v| *v > 0.0).collect();
        vertical.extend(
            line.iter()
                .map(|p| p.1)
                .filter(|v| v.is_finite() && *v > 0.0),
        );
        FitCurve {
            data: horizontal
                .into_iter()
                .zip(points.y.iter().copied())
                .collect(),
            line,
            band,
            x_range: (h_min, h_max),
            y_range: log_bounds(&vertical),
        }
    }
}

/// A fitted curve for a figure ([`TableFit::curve`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FitCurve {
    /// the points, (horizontal position, y)
    pub data: Vec<(f64, f64)>,
    /// the fitted curve, (h, y(h))
    pub line: Vec<(f64, f64)>,
    /// the bootstrap band, when there is a bootstrap
    pub band: Option<Band>,
    /// the horizontal range of the points, padded by 5 % on a log scale
    pub x_range: (f64, f64),
    /// the vertical range of the positive points and curve values, padded alike
    pub y_range: (f64, f64),
}

/// The pointwise percentile band of the resampled curves.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// its coverage
    pub level: f64,
    /// (h, lower, upper) (NaN where no resample gave a positive value)
    pub points: Vec<(f64, f64, f64)>,
}

/// The curve drawn for a parameter vector at horizontal position h: y(h) for one-input forms;
/// for Chinchilla h is compute C and the curve is the compute-optimal frontier
/// L(N_opt(C), D_opt(C)) (Hoffmann et al. 2022, eq. 4).
fn curve(form: Form, parameters: &[f64], h: f64) -> f64 {
    match form {
        Form::Chinchilla => {
            let p = ChinchillaParameters::from_coefficients(
                parameters[0],
                parameters[1],
                parameters[2],
                parameters[3],
                parameters[4],
            );
            let optimum = p.allocation(h);
            p.predict(optimum.parameters, optimum.tokens)
        }
        _ => form.predict(parameters, h, f64::NAN),
    }
}

/// Positive range of `values`, padded by 5% on a log scale.
pub fn log_bounds(values: &[f64]) -> (f64, f64) {
    let low = values
        .iter()
        .copied()
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (low, high) = if low < high {
        (low, high)
    } else {
        (low * 0.5, low * 2.0)
    };
    let pad = (high / low).powf(0.05);
    (low / pad, high * pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        let dir = std::env::temp_dir().join(format!("superscale_fit_tfit_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("t{}.csv", text.len()));
        std::fs::write(&path, text).unwrap();
        Table::read(&path).unwrap()
    }

    #[test]
    fn a_second_input_belongs_to_chinchilla_only() {
        let t = table("n,d,c,loss\n1e6,2e7,1.2e14,3.0\n2e6,4e7,4.8e14,2.7\n");
        let second = Some(SecondInput::Tokens("d"));
        let err = t.points("n", "loss", second, Form::Power).unwrap_err();
        assert!(matches!(err, Error::SecondInput { needed: false }));
        let err = t.points("n", "loss", None, Form::Chinchilla).unwrap_err();
        assert!(matches!(err, Error::SecondInput { needed: true }));
        // D = C/(6N) reproduces the tokens column.
        let from_c = t
            .points(
                "n",
                "loss",
                Some(SecondInput::Compute("c")),
                Form::Chinchilla,
            )
            .unwrap();
        let from_d = t.points("n", "loss", second, Form::Chinchilla).unwrap();
        for (a, b) in from_c.second.unwrap().iter().zip(from_d.second.unwrap()) {
            assert!((a - b).abs() < 1e-6 * b);
        }
    }

    #[test]
    fn an_exact_power_law_gives_its_curve_and_a_parameter_row_per_quantity() {
        let x: Vec<f64> = (0..8).map(|i| 10.0 * 2f64.powi(i)).collect();
        let y: Vec<f64> = x.iter().map(|v| 5.0 * v.powf(-0.3)).collect();
        let points = Points::new(x, y);
        let options = TableFitOptions {
            bootstrap: Some(BootstrapOptions {
                resamples: 50,
                seed: 1,
                level: 0.9,
            }),
            holdout: Some(2),
            ..TableFitOptions::default()
        };
        let fitted = fit_table(Form::Power, &points, None, &options).unwrap();
        assert!(fitted.holdout.as_ref().unwrap().is_ok() && fitted.criteria.is_some());
        let csv = fitted.parameters_csv();
        assert_eq!(csv.lines().count(), 3, "{csv}");
        assert!(csv.starts_with("quantity,estimate,standard_error,lower,upper\nA,"));
        let drawn = fitted.curve(&points, 20);
        assert_eq!(drawn.line.len(), 20);
        for (h, v) in &drawn.line {
            assert!((v - 5.0 * h.powf(-0.3)).abs() < 1e-9 * v);
        }
        let band = drawn.band.unwrap();
        assert_eq!(band.level, 0.9);
        assert!(band.points.iter().all(|(_, lo, hi)| lo <= hi));
    }

    /// Records what an observer hears, in order (counts for the concurrent resamples).
    #[derive(Default)]
    struct Recorder {
        events: std::sync::Mutex<Vec<String>>,
        resamples: std::sync::atomic::AtomicUsize,
    }

    impl FitObserver for Recorder {
        fn planned(&self, work: &FitWork) {
            self.events.lock().unwrap().push(work.describe());
        }
        fn started(&self, stage: FitStage, units: usize) {
            self.events
                .lock()
                .unwrap()
                .push(format!("start {} {units}", stage.name()));
        }
        fn advanced(&self, stage: FitStage) {
            assert_eq!(stage, FitStage::Bootstrap);
            self.resamples
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        fn finished(&self, stage: FitStage) {
            self.events
                .lock()
                .unwrap()
                .push(format!("end {}", stage.name()));
        }
    }

    /// The work is announced before anything runs, every resample is counted once, and the
    /// observer changes no number.
    #[test]
    fn an_observer_hears_the_plan_then_every_stage_and_resample() {
        let x: Vec<f64> = (0..12).map(|i| 10.0 * 1.6f64.powi(i)).collect();
        let y: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(i, v)| (1.0 + 30.0 * v.powf(-0.6)) * (1.0 + 0.01 * ((i % 3) as f64 - 1.0)))
            .collect();
        let points = Points::new(x, y);
        let options = TableFitOptions {
            bootstrap: Some(BootstrapOptions {
                resamples: 40,
                seed: 3,
                level: 0.9,
            }),
            holdout: Some(2),
            ..TableFitOptions::default()
        };
        let recorder = Recorder::default();
        let heard =
            fit_table_observed(Form::OffsetPower, &points, None, &options, &recorder).unwrap();
        let events = recorder.events.lock().unwrap().clone();
        assert_eq!(
            events,
            [
                "1 fit from 16 starts on 12 points, then 40 bootstrap refits, then 1 holdout \
                 fit from 16 starts: 72 optimiser runs",
                "start fit 16",
                "end fit",
                "start bootstrap 40",
                "end bootstrap",
                "start holdout fit 16",
                "end holdout fit",
            ]
        );
        assert_eq!(
            recorder
                .resamples
                .load(std::sync::atomic::Ordering::Relaxed),
            40
        );
        let silent = fit_table(Form::OffsetPower, &points, None, &options).unwrap();
        assert_eq!(heard.fit, silent.fit);
        assert_eq!(
            heard.bootstrap.unwrap().unwrap(),
            silent.bootstrap.unwrap().unwrap()
        );
        let power = FitWork::of(Form::Power, &points, &options.law, 0, false);
        assert_eq!(
            power.describe(),
            "1 fit from 1 start on 12 points: 1 optimiser run"
        );
    }
}

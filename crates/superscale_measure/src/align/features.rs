//! Row-paired feature matrices in f64, and the preprocessing of the reference pipeline
//! (`docs/science/alignment.md` §2): clipping at a quantile of |x|, then row L2 normalisation.

use crate::align::error::{Error, Result};

/// An n × d feature matrix (row i = item i), row-major, in f64.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

impl Features {
    /// Wraps row-major values; `name` (`A`/`B`) goes into the error messages.
    pub fn new(name: &'static str, data: Vec<f64>, cols: usize) -> Result<Self> {
        if cols == 0 || !data.len().is_multiple_of(cols) || data.is_empty() {
            return Err(Error::Shape {
                name,
                len: data.len(),
                width: cols,
            });
        }
        if let Some(at) = data.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                name,
                row: at / cols,
                column: at % cols,
            });
        }
        Ok(Self {
            rows: data.len() / cols,
            cols,
            data,
        })
    }

    /// Converts f32 values (the usual storage of activations) to f64.
    pub fn from_f32(name: &'static str, data: &[f32], cols: usize) -> Result<Self> {
        Self::new(name, data.iter().map(|&v| f64::from(v)).collect(), cols)
    }

    /// n, the number of items.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// d, the width of a row.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The row-major values.
    pub fn data(&self) -> &[f64] {
        &self.data
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// The rows `order[0], order[1], …` as a new matrix (permutations and bootstrap draws).
    pub fn gather(&self, order: &[u32]) -> Self {
        let mut data = Vec::with_capacity(order.len() * self.cols);
        for &i in order {
            data.extend_from_slice(self.row(i as usize));
        }
        Self {
            rows: order.len(),
            cols: self.cols,
            data,
        }
    }

    /// Applies the preprocessing, in the reference's order: clip, then normalise.
    pub fn preprocessed(mut self, preprocess: &Preprocess) -> Result<Self> {
        if let Some(threshold) = clip_threshold(&self, preprocess.clip)? {
            for v in &mut self.data {
                *v = v.clamp(-threshold, threshold);
            }
        }
        if preprocess.normalize {
            for row in self.data.chunks_exact_mut(self.cols) {
                // F.normalize: x / max(‖x‖, 1e-12), so a zero row stays zero.
                let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
                row.iter_mut().for_each(|v| *v /= norm);
            }
        }
        Ok(self)
    }
}

/// How outliers are clipped before the metrics (`remove_outliers`, metrics.py L327–341).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Clip {
    /// no clipping
    None,
    /// clamp to ±the q-th order statistic of |x| over all entries: sorted(|x|)[⌊q·n·d⌋]
    /// (`exact=True`, the `platonic.Alignment` API and the golden protocol of §5)
    Exact(f64),
    /// clamp to ±the mean over rows of each row's q-quantile of |x| (linear interpolation,
    /// `torch.quantile`; `exact=False`, the reference CLI's default)
    PerRow(f64),
}

/// The preprocessing of alignment.md §2, each step switchable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preprocess {
    /// outlier clipping
    pub clip: Clip,
    /// divide each row by its L2 norm (inner products become cosines)
    pub normalize: bool,
}

impl Default for Preprocess {
    /// Clip at q = 0.95 (exact), then normalise rows: the `platonic.Alignment` pipeline.
    fn default() -> Self {
        Self {
            clip: Clip::Exact(0.95),
            normalize: true,
        }
    }
}

impl Preprocess {
    /// No clipping and no normalisation: the metrics see the matrices as given.
    pub fn none() -> Self {
        Self {
            clip: Clip::None,
            normalize: false,
        }
    }
}

fn check_quantile(q: f64) -> Result<()> {
    if q > 0.0 && q <= 1.0 {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "clip quantile {q} must be in (0, 1] (1 disables clipping)"
        )))
    }
}

/// The clipping threshold, or `None` when nothing is clipped (q = 1 returns the features
/// unchanged in the reference too).
fn clip_threshold(features: &Features, clip: Clip) -> Result<Option<f64>> {
    match clip {
        Clip::None => Ok(None),
        Clip::Exact(q) => {
            check_quantile(q)?;
            if q == 1.0 {
                return Ok(None);
            }
            let mut magnitudes: Vec<f64> = features.data.iter().map(|v| v.abs()).collect();
            // Same index as the reference's `sort().values[int(q * numel)]` (q < 1, so the
            // index is below numel).
            let index = ((q * magnitudes.len() as f64) as usize).min(magnitudes.len() - 1);
            let (_, value, _) = magnitudes.select_nth_unstable_by(index, f64::total_cmp);
            Ok(Some(*value))
        }
        Clip::PerRow(q) => {
            check_quantile(q)?;
            if q == 1.0 {
                return Ok(None);
            }
            let mut row = vec![0.0; features.cols];
            let mut total = 0.0;
            for i in 0..features.rows {
                row.iter_mut()
                    .zip(features.row(i))
                    .for_each(|(r, v)| *r = v.abs());
                row.sort_unstable_by(f64::total_cmp);
                // torch.quantile / numpy 'linear': position q·(d−1) between order statistics.
                let position = q * (features.cols - 1) as f64;
                let below = position.floor() as usize;
                let above = (below + 1).min(features.cols - 1);
                let fraction = position - below as f64;
                total += row[below] + fraction * (row[above] - row[below]);
            }
            Ok(Some(total / features.rows as f64))
        }
    }
}

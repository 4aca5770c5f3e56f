//! The metrics by name, and one metric evaluated on a pair, on a re-pairing of it (a
//! permutation null) or on a bootstrap draw of items.

use crate::align::cka::{cka, Estimator};
use crate::align::cknna::{cknna_from, self_similarity};
use crate::align::error::{Error, Result};
use crate::align::features::Features;
use crate::align::hsic::Kernel;
use crate::align::knn::Neighbours;
use crate::align::knn_metrics::{cycle_knn, edit_distance_knn, lcs_knn, mutual_knn};
use crate::align::svcca::{mean_canonical_correlation, singular_basis, SingularBasis};

/// An alignment metric of `docs/science/alignment.md` §1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// mutual k-NN overlap m_NN, the paper's main metric
    MutualKnn,
    /// fraction of items found again through B's then A's neighbours
    CycleKnn,
    /// longest common subsequence of the ordered neighbour lists, divided by k
    LcsKnn,
    /// 1 − Levenshtein distance of the ordered neighbour lists / k
    EditDistanceKnn,
    /// linear CKA with the biased HSIC (the original CKA)
    Cka,
    /// linear CKA with the unbiased HSIC_u
    UnbiasedCka,
    /// RBF-kernel CKA (biased HSIC), bandwidth `rbf_sigma`
    RbfCka,
    /// CKA restricted to mutual k-nearest neighbours (unbiased HSIC)
    Cknna,
    /// mean canonical correlation of the leading `cca_dim` singular directions
    Svcca,
}

impl Metric {
    /// Every metric, in the order `--metric all` prints them.
    pub const ALL: [Metric; 9] = [
        Metric::MutualKnn,
        Metric::CycleKnn,
        Metric::LcsKnn,
        Metric::EditDistanceKnn,
        Metric::Cka,
        Metric::UnbiasedCka,
        Metric::RbfCka,
        Metric::Cknna,
        Metric::Svcca,
    ];

    /// The reference's name (`mutual_knn`, `unbiased_cka`, …; `rbf_cka` is ours).
    pub fn name(self) -> &'static str {
        match self {
            Metric::MutualKnn => "mutual_knn",
            Metric::CycleKnn => "cycle_knn",
            Metric::LcsKnn => "lcs_knn",
            Metric::EditDistanceKnn => "edit_distance_knn",
            Metric::Cka => "cka",
            Metric::UnbiasedCka => "unbiased_cka",
            Metric::RbfCka => "rbf_cka",
            Metric::Cknna => "cknna",
            Metric::Svcca => "svcca",
        }
    }

    /// The metric of that name.
    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|m| m.name()).collect();
                Error::Invalid(format!(
                    "unknown metric {name:?} (one of {})",
                    names.join(", ")
                ))
            })
    }

    /// Whether the metric reads k-nearest-neighbour lists (and so uses `k`).
    pub fn uses_neighbours(self) -> bool {
        matches!(
            self,
            Metric::MutualKnn
                | Metric::CycleKnn
                | Metric::LcsKnn
                | Metric::EditDistanceKnn
                | Metric::Cknna
        )
    }
}

/// Parameters of the metrics themselves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricParams {
    /// neighbours per item (reference default 10)
    pub k: usize,
    /// RBF bandwidth σ (reference default 1.0)
    pub rbf_sigma: f64,
    /// SVCCA components (reference default 10)
    pub cca_dim: usize,
}

impl Default for MetricParams {
    fn default() -> Self {
        Self {
            k: 10,
            rbf_sigma: 1.0,
            cca_dim: 10,
        }
    }
}

/// What a metric keeps of a pair so that re-pairings are cheap.
pub(crate) enum Prepared {
    Neighbours {
        a: Neighbours,
        b: Neighbours,
        self_a: f64,
        self_b: f64,
    },
    Bases(SingularBasis, SingularBasis),
    Dense,
}

fn from_neighbours(
    metric: Metric,
    a: &Neighbours,
    b: &Neighbours,
    origin: Option<&[u32]>,
    self_sims: (f64, f64),
) -> f64 {
    match metric {
        Metric::MutualKnn => mutual_knn(a, b),
        Metric::CycleKnn => cycle_knn(a, b, origin),
        Metric::LcsKnn => lcs_knn(a, b),
        Metric::EditDistanceKnn => edit_distance_knn(a, b),
        Metric::Cknna => cknna_from(a, b, self_sims.0, self_sims.1),
        _ => unreachable!("only neighbour metrics reach here"),
    }
}

fn dense(metric: Metric, a: &Features, b: &Features, params: &MetricParams) -> Result<f64> {
    match metric {
        Metric::Cka => cka(a, b, Kernel::Linear, Estimator::Biased),
        Metric::UnbiasedCka => cka(a, b, Kernel::Linear, Estimator::Unbiased),
        Metric::RbfCka => cka(
            a,
            b,
            Kernel::Rbf {
                sigma: params.rbf_sigma,
            },
            Estimator::Biased,
        ),
        Metric::Svcca => crate::align::svcca::svcca(a, b, params.cca_dim),
        _ => unreachable!("neighbour metrics are prepared"),
    }
}

/// Checks shapes and options shared by every metric.
pub(crate) fn check_pair(
    a: &Features,
    b: &Features,
    metric: Metric,
    params: &MetricParams,
) -> Result<()> {
    let n = a.rows();
    if n != b.rows() {
        return Err(Error::RowMismatch {
            rows_a: n,
            rows_b: b.rows(),
        });
    }
    if metric.uses_neighbours() && (params.k == 0 || params.k >= n) {
        return Err(Error::Invalid(format!(
            "k = {} neighbours need 1 ≤ k < n = {n} items",
            params.k
        )));
    }
    if metric == Metric::Cknna && n < 4 {
        return Err(Error::Invalid(format!("cknna needs n ≥ 4 items, got {n}")));
    }
    Ok(())
}

/// Prepares a pair (`origin` marks the items of a bootstrap draw).
pub(crate) fn prepare(
    a: &Features,
    b: &Features,
    metric: Metric,
    params: &MetricParams,
    origin: Option<&[u32]>,
) -> Result<Prepared> {
    check_pair(a, b, metric, params)?;
    if metric.uses_neighbours() {
        let knn_a = Neighbours::compute(a, params.k, origin)?;
        let knn_b = Neighbours::compute(b, params.k, origin)?;
        let (self_a, self_b) = if metric == Metric::Cknna {
            (self_similarity(&knn_a), self_similarity(&knn_b))
        } else {
            (0.0, 0.0)
        };
        return Ok(Prepared::Neighbours {
            a: knn_a,
            b: knn_b,
            self_a,
            self_b,
        });
    }
    if metric == Metric::Svcca {
        return Ok(Prepared::Bases(
            singular_basis(a, params.cca_dim)?,
            singular_basis(b, params.cca_dim)?,
        ));
    }
    Ok(Prepared::Dense)
}

/// The metric on the pairing (a_i, b_order[i]) (the identity when `order` is None).
pub(crate) fn evaluate(
    prepared: &Prepared,
    a: &Features,
    b: &Features,
    metric: Metric,
    params: &MetricParams,
    order: Option<&[u32]>,
    origin: Option<&[u32]>,
) -> Result<f64> {
    match prepared {
        Prepared::Neighbours {
            a: knn_a,
            b: knn_b,
            self_a,
            self_b,
        } => Ok(match order {
            None => from_neighbours(metric, knn_a, knn_b, origin, (*self_a, *self_b)),
            Some(order) => from_neighbours(
                metric,
                knn_a,
                &knn_b.permuted(order),
                origin,
                (*self_a, *self_b),
            ),
        }),
        Prepared::Bases(basis_a, basis_b) => mean_canonical_correlation(basis_a, basis_b, order),
        Prepared::Dense => match order {
            None => dense(metric, a, b, params),
            Some(order) => dense(metric, a, &b.gather(order), params),
        },
    }
}

/// The metric on preprocessed, row-paired features.
pub fn score(a: &Features, b: &Features, metric: Metric, params: &MetricParams) -> Result<f64> {
    let prepared = prepare(a, b, metric, params, None)?;
    evaluate(&prepared, a, b, metric, params, None, None)
}

//! The toy model of superposition's k-gon critical points (Chen et al. 2023) against an
//! independent numpy computation, and the LLC estimator on them (`docs/science/tms_phases.md`).

use superscale_measure::llc::tms::{refine_kgon, TmsPopulation};
use superscale_measure::llc::{estimate, Estimate, Options, Preconditioner};

/// The numbers printed by `tests/data/tms_kgon_reference.py` (midpoint quadrature of the
/// population loss, Newton's method on the polygon's length and bias).
#[test]
fn tms_kgon_reference() {
    for (k, length, bias, loss) in [
        (5, 1.170460, -0.282297, 0.06874358),
        (6, 1.320526, -0.618135, 0.04819238),
    ] {
        let point = refine_kgon(6, k, 0);
        assert!(
            (point.length - length).abs() < 2e-6,
            "{k}: {}",
            point.length
        );
        assert!((point.bias - bias).abs() < 2e-6, "{k}: {}", point.bias);
        assert!((point.loss - loss).abs() < 1e-8, "{k}: {}", point.loss);
        assert!(point.gradient_norm < 1e-10, "{k}: {}", point.gradient_norm);
    }
    for (k, loss) in [(2, 0.22222222), (3, 0.16666667), (4, 0.11111111)] {
        assert!((refine_kgon(6, k, 0).loss - loss).abs() < 1e-8);
    }
}

/// λ̂ at a k-gon of the population loss with nβ = n/ln n, n = 10⁶ (a reduced version of
/// `experiments/tms_kgon.toml`: 8 chains of 60 000 draws instead of 16 of 100 000).
fn lambda_at(k: usize, positive: usize) -> Estimate {
    let point = refine_kgon(6, k, positive);
    let options = Options {
        n: 1_000_000,
        nbeta: None,
        step: 1e-6,
        localization: 100.0,
        chains: 8,
        draws: 60_000,
        burn_in: 20_000,
        thin: 1,
        batch: None,
        preconditioner: Preconditioner::None,
        seed: 2023 + 10 * k as u64 + positive as u64,
    };
    let model = TmsPopulation {
        features: 6,
        hidden: 2,
    };
    estimate(&model, &point.w, &options, &|_| {}).expect("valid options")
}

/// Larger polygons have lower loss; λ̂ grows from 2 to 3 to 4 columns and from 5 to 6, and
/// every local minimum's λ̂ is within 10 % of the count of `docs/science/tms_phases.md` §3
/// (the Hessian rank over 2 for k ≥ 5, the kink count for k ≤ 4). The exception to
/// "larger k, larger λ" is 4⁻⁻ → 5⁻ (7.5 against 7): the 4-gon's zero columns are not free
/// (its zero biases let them switch on a polygon output), the 5-gon's are. The 2-gon with
/// a positive-bias zero column is a saddle: its chains leave (λ̂ < 0, unhealthy).
#[test]
fn kgon_losses_fall_and_lambdas_match_the_counts() {
    let family: Vec<(usize, f64)> = (2..=6).map(|k| (k, refine_kgon(6, k, 0).loss)).collect();
    for pair in family.windows(2) {
        assert!(pair[1].1 < pair[0].1, "{pair:?}");
    }
    let mut lambdas = Vec::new();
    for (k, positive, expected) in [
        (2, 0, 4.0),
        (3, 0, 6.0),
        (4, 0, 7.5),
        (4, 2, 8.5),
        (5, 0, 7.0),
        (5, 1, 8.5),
        (6, 0, 8.5),
    ] {
        let result = lambda_at(k, positive);
        assert!(
            (result.lambda / expected - 1.0).abs() < 0.10,
            "{k}/{positive}: λ̂ = {} vs {expected}",
            result.lambda
        );
        assert!(result.healthy_chains() >= 6, "{k}/{positive}: {result:?}");
        lambdas.push(result.lambda);
    }
    assert!(
        lambdas[0] < lambdas[1] && lambdas[1] < lambdas[2],
        "{lambdas:?}"
    );
    assert!(lambdas[4] < lambdas[6], "{lambdas:?}");
    let saddle = lambda_at(2, 1);
    assert!(saddle.lambda < 0.0 && saddle.healthy_chains() == 0);
}

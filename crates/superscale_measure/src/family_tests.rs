use super::*;

fn bootstrap() -> BootstrapOptions {
    BootstrapOptions {
        resamples: 2000,
        seed: 3,
        level: 0.95,
    }
}

/// Losses L = 3·m^−0.8 with a fixed ±3 % multiplicative pattern: the OLS exponent is near
/// 0.8 and the bootstrap interval contains the true 0.8.
#[test]
fn recovers_a_known_exponent_within_its_interval() {
    let widths = [8usize, 12, 16, 24, 32, 48, 64, 96];
    let noise = [0.03, -0.02, 0.01, -0.03, 0.02, 0.0, -0.01, 0.025];
    let members: Vec<(usize, f64, Option<f64>)> = widths
        .iter()
        .zip(noise)
        .map(|(&m, e)| {
            let loss = 3.0 * (m as f64).powf(-0.8) * (1.0 + e);
            (m, 1.0 / m as f64, Some(loss))
        })
        .collect();
    let fits = fit_family(&members, &bootstrap());
    let loss = fits.loss.unwrap();
    assert!((loss.exponent - 0.8).abs() < 0.03, "{loss:?}");
    assert!(loss.lower < 0.8 && 0.8 < loss.upper, "{loss:?}");
    assert!(loss.upper - loss.lower < 0.1, "{loss:?}");
    // MSO = 1/m exactly: slope 1, R² 1 and a zero-width interval at 1 (tolerance 1e-9).
    let mso = fits.mso.unwrap();
    assert!((mso.exponent - 1.0).abs() < 1e-12 && (mso.r_squared - 1.0).abs() < 1e-12);
    assert!(
        (mso.lower - 1.0).abs() < 1e-9 && (mso.upper - 1.0).abs() < 1e-9,
        "{mso:?}"
    );
    assert_eq!(fits.with_loss, widths.len());
}

#[test]
fn a_family_without_losses_fits_mso_only() {
    let members = [(8, 0.12, None), (16, 0.06, None), (32, 0.031, None)];
    let fits = fit_family(&members, &bootstrap());
    assert!(fits.mso.is_ok());
    assert!(fits.loss.unwrap_err().contains("no file has a loss"));
    let partial = [
        (8, 0.12, Some(1.0)),
        (16, 0.06, Some(0.5)),
        (32, 0.031, None),
    ];
    let err = fit_family(&partial, &bootstrap()).loss.unwrap_err();
    assert_eq!(err, "not fitted: 2 file(s) with a loss, 3 needed");
}

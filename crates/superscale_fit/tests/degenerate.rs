//! Degenerate data is not a fit: a law is refused when the data cannot determine its
//! parameters, and an exact fit has undefined (not −∞) information criteria
//! (`docs/reliability.md`, "Non-finite and degenerate data").

use superscale_fit::{fit_law, information_criteria, Error, Form, LawOptions, Points};

#[test]
fn one_distinct_x_cannot_determine_a_power_law() {
    let points = Points::new(vec![10.0; 6], vec![1.0, 1.1, 0.9, 1.0, 1.05, 0.95]);
    let err = fit_law(Form::Power, &points, &LawOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotIdentifiable {
                parameters: 2,
                distinct: 1
            }
        ),
        "{err}"
    );
    assert!(err.to_string().starts_with("not identifiable"), "{err}");
}

#[test]
fn an_offset_power_law_needs_three_distinct_x() {
    let x = vec![10.0, 10.0, 20.0, 20.0, 20.0];
    let y = vec![1.0, 1.01, 0.6, 0.61, 0.59];
    let err = fit_law(
        Form::OffsetPower,
        &Points::new(x, y),
        &LawOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotIdentifiable {
                parameters: 3,
                distinct: 2
            }
        ),
        "{err}"
    );
}

#[test]
fn an_exact_fit_has_undefined_information_criteria() {
    // y = x is a power law with A = 1, α = −1: the residuals are all zero
    let x: Vec<f64> = (1..=8).map(|i| f64::from(i) * 10.0).collect();
    let points = Points::new(x.clone(), x);
    let fit = fit_law(Form::Power, &points, &LawOptions::default()).unwrap();
    let criteria = information_criteria(&fit, &points).unwrap();
    assert!(criteria.residual_sum_of_squares < 1e-20);
    if criteria.residual_sum_of_squares == 0.0 {
        assert!(
            criteria.aic.is_nan() && criteria.bic.is_nan(),
            "{criteria:?}"
        );
    } else {
        assert!(criteria.aic.is_finite(), "{criteria:?}");
    }
    assert!(criteria.aic != f64::NEG_INFINITY && criteria.bic != f64::NEG_INFINITY);
}

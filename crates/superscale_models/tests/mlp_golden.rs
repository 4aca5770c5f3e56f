//! The MLP and AdamW against `reference/gen_mlp_golden.py` (float64 numpy).

use serde_json::Value;
use superscale_models::mlp::{loss_and_gradient, AdamW, Input, Mlp, Targets, Workspace};

fn golden() -> Value {
    let text = include_str!("data/mlp_golden.json");
    serde_json::from_str(text).expect("mlp_golden.json parses")
}

fn array(value: &Value) -> Vec<f64> {
    value["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

fn sizes(golden: &Value) -> Vec<usize> {
    golden["layer_sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn f64_losses_and_gradients_match_numpy_to_1e_12() {
    let golden = golden();
    let mlp = Mlp::new(&sizes(&golden)).unwrap();
    let params = array(&golden["params"]);
    let x = array(&golden["x"]);
    let labels: Vec<u32> = golden["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect();
    let targets = array(&golden["targets"]);
    // Chunks of 4 rows: the 6-row batch spans two chunks, exercising the reduction.
    let mut workspace = Workspace::with_chunks(&mlp, 4, 2);
    let mut gradient = vec![0.0; mlp.n_params()];
    for (key, target) in [
        ("cross_entropy", Targets::Labels(&labels)),
        ("mean_squared", Targets::Values(&targets)),
    ] {
        let loss = loss_and_gradient(
            &mlp,
            &params,
            Input::Dense(&x),
            target,
            &mut gradient,
            &mut workspace,
        )
        .unwrap();
        let expected_loss = golden[key]["loss"].as_f64().unwrap();
        assert!(
            (loss - expected_loss).abs() < 1e-12,
            "{key}: {loss} vs {expected_loss}"
        );
        for (index, (g, e)) in gradient
            .iter()
            .zip(array(&golden[key]["gradient"]))
            .enumerate()
        {
            assert!(
                (g - e).abs() < 1e-12 * (1.0 + e.abs()),
                "{key} gradient {index}: {g} vs {e}"
            );
        }
    }
}

#[test]
fn adamw_three_steps_match_torch_formula_in_numpy() {
    let golden = golden();
    let adam = &golden["adamw"];
    let mut params: Vec<f32> = array(&golden["params"]).iter().map(|&v| v as f32).collect();
    let mut optimizer = AdamW::new(
        params.len(),
        adam["lr"].as_f64().unwrap() as f32,
        adam["weight_decay"].as_f64().unwrap() as f32,
    );
    let gradients = adam["gradients"].as_array().unwrap();
    let steps = adam["steps"].as_array().unwrap();
    for (step, (gradient, expected)) in gradients.iter().zip(steps).enumerate() {
        let gradient: Vec<f32> = array(gradient).iter().map(|&v| v as f32).collect();
        optimizer.step(&mut params, &gradient).unwrap();
        // f32 arithmetic against float64: parameters move by ≤ 1e-3 per step, so an
        // absolute 2e-6 tolerance is ~10 f32 ulps of the O(1) values and far below a step.
        for (index, (p, e)) in params.iter().zip(array(&expected["params"])).enumerate() {
            assert!(
                (f64::from(*p) - e).abs() < 2e-6,
                "step {step} param {index}: {p} vs {e}"
            );
        }
        for (name, got) in [
            ("first", &optimizer.state().first),
            ("second", &optimizer.state().second),
        ] {
            for (g, e) in got.iter().zip(array(&expected[name])) {
                assert!(
                    (f64::from(*g) - e).abs() < 1e-5 * (1.0 + e.abs()),
                    "step {step} {name}"
                );
            }
        }
    }
    assert_eq!(optimizer.steps(), 3);
    let mut short = vec![0.0f32; 3];
    assert!(optimizer.step(&mut short, &[0.0; 3]).is_err());
}

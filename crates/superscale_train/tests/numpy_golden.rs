//! The f32 kernels against float64 numpy values written by `reference/gen_tms_golden.py`
//! (`bash reference/run.sh` regenerates `crates/superscale_models/tests/data/tms_golden.json`;
//! the script checks its own gradients against central finite differences).

use serde_json::Value;
use superscale_kernels::{
    decay_rows_signed, decay_uniform, AdamHyper, AdamState, Simd, SparseRows,
};
use superscale_models::{Gradients, StepBuffers, ToyModel};
use superscale_train::Schedule;

fn golden() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../superscale_models/tests/data/tms_golden.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("golden file")).expect("json")
}

fn array(value: &Value) -> Vec<f64> {
    value["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect()
}

fn to32(values: &[f64]) -> Vec<f32> {
    values.iter().map(|&v| v as f32).collect()
}

fn assert_close(got: &[f32], want: &[f64], tolerance: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (f64::from(*g) - w).abs() <= tolerance * (1.0 + w.abs()),
            "{what}[{i}]: {g} vs {w}"
        );
    }
}

struct Case {
    model: ToyModel,
    x: SparseRows,
    importance: Vec<f32>,
    batch: usize,
}

fn dim(g: &Value, key: &str) -> usize {
    g["dims"][key].as_u64().expect("dimension") as usize
}

fn case(g: &Value) -> Case {
    let (n, m, batch) = (dim(g, "n"), dim(g, "m"), dim(g, "batch"));
    let model = ToyModel::from_parts(
        n,
        m,
        to32(&array(&g["inputs"]["w"])),
        to32(&array(&g["inputs"]["b"])),
    )
    .unwrap();
    let x = SparseRows::from_dense(&to32(&array(&g["inputs"]["x"])), batch, n);
    Case {
        model,
        x,
        importance: to32(&array(&g["inputs"]["importance"])),
        batch,
    }
}

fn gradients(c: &Case, importance: &[f32]) -> (f64, Gradients) {
    let mut buffers = StepBuffers::new(c.model.n_features, c.model.width, c.batch);
    let mut grads = Gradients::zeros(c.model.n_features, c.model.width);
    let loss = c
        .model
        .loss_and_gradient(
            Simd::detect(),
            &c.x,
            importance,
            &mut buffers,
            &mut grads,
            0.2,
        )
        .unwrap();
    (
        loss.weighted_sum / (c.batch * c.model.n_features) as f64,
        grads,
    )
}

#[test]
fn loss_and_gradients_match_numpy_for_both_variants() {
    let g = golden();
    let c = case(&g);
    let ones = vec![1.0; c.model.n_features];
    for (key, importance, loss_key) in [
        ("mit", &ones, "loss_mse"),
        ("anthropic", &c.importance, "loss"),
    ] {
        let (loss, grads) = gradients(&c, importance);
        let want = g[key][loss_key].as_f64().unwrap();
        assert!(
            (loss - want).abs() < 1e-6 * (1.0 + want),
            "{key} loss {loss} vs {want}"
        );
        assert_close(
            &grads.weights,
            &array(&g[key]["grad_w"]),
            1e-5,
            &format!("{key} grad_w"),
        );
        assert_close(
            &grads.bias,
            &array(&g[key]["grad_b"]),
            1e-5,
            &format!("{key} grad_b"),
        );
    }
}

#[test]
fn one_optimizer_step_matches_numpy_for_both_signs_of_gamma_and_torch_adamw() {
    let g = golden();
    let c = case(&g);
    let width = c.model.width;
    let hyper = AdamHyper::default();
    let (_, grads) = gradients(&c, &vec![1.0; c.model.n_features]);
    let lr = g["adamw_signed"]["lr"].as_f64().unwrap() as f32;
    let cases = g["adamw_signed"]["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2, "one negative and one positive γ");
    for case_value in cases {
        let gamma = case_value["gamma"].as_f64().unwrap() as f32;
        let (mut weights, mut bias) = (c.model.weights.clone(), c.model.bias.clone());
        decay_rows_signed(&mut weights, width, gamma, lr);
        assert_close(
            &weights,
            &array(&case_value["w_decayed"]),
            1e-6,
            "w_decayed",
        );
        AdamState::new(weights.len()).update(&mut weights, &grads.weights, lr, hyper);
        AdamState::new(bias.len()).update(&mut bias, &grads.bias, lr, hyper);
        assert_close(
            &weights,
            &array(&case_value["w_new"]),
            1e-5,
            &format!("w_new γ = {gamma}"),
        );
        assert_close(
            &bias,
            &array(&case_value["b_new"]),
            1e-5,
            &format!("b_new γ = {gamma}"),
        );
    }
    let torch = &g["adamw_torch"];
    let (lr, decay) = (
        torch["lr"].as_f64().unwrap() as f32,
        torch["weight_decay"].as_f64().unwrap() as f32,
    );
    let (_, grads) = gradients(&c, &c.importance);
    let (mut weights, mut bias) = (c.model.weights.clone(), c.model.bias.clone());
    decay_uniform(&mut weights, lr, decay);
    decay_uniform(&mut bias, lr, decay);
    AdamState::new(weights.len()).update(&mut weights, &grads.weights, lr, hyper);
    AdamState::new(bias.len()).update(&mut bias, &grads.bias, lr, hyper);
    assert_close(&weights, &array(&torch["w_new"]), 1e-5, "torch w_new");
    assert_close(&bias, &array(&torch["b_new"]), 1e-5, "torch b_new");
}

#[test]
fn schedule_matches_numpy() {
    let g = golden();
    let s = &g["schedule"];
    let schedule = Schedule::WarmupCosine {
        peak: s["peak_lr"].as_f64().unwrap(),
        warmup: s["warmup_steps"].as_u64().unwrap(),
        total: s["n_steps"].as_u64().unwrap(),
        min_ratio: s["min_lr_ratio"].as_f64().unwrap(),
    };
    for (step, lr) in s["steps"]
        .as_array()
        .unwrap()
        .iter()
        .zip(s["lr"].as_array().unwrap())
    {
        let (step, lr) = (step.as_u64().unwrap(), lr.as_f64().unwrap());
        assert!((schedule.lr(step) - lr).abs() < 1e-15, "step {step}");
    }
}

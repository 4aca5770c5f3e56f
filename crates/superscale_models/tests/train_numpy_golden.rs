//! The f32 kernels against float64 numpy values written by `reference/gen_tms_golden.py`
//! (`bash reference/run.sh` regenerates `crates/superscale_models/tests/data/tms_golden.json`;
//! the script checks its own gradients against central finite differences).

use serde_json::Value;
use superscale_kernels::{
    decay_rows_signed, decay_uniform, AdamHyper, AdamState, Simd, SparseRows,
};
use superscale_models::train::Schedule;
use superscale_models::{Gradients, StepBuffers, ToyModel};

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

/// Moments span 1e-8 to 1, so they are compared relatively; returns the largest relative
/// error (a zero moment must be exactly zero).
fn assert_relative(got: &[f32], want: &[f64], tolerance: f64, what: &str) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let mut largest: f64 = 0.0;
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let error = (f64::from(*g) - w).abs();
        assert!(error <= tolerance * w.abs(), "{what}[{i}]: {g} vs {w}");
        if *w != 0.0 {
            largest = largest.max(error / w.abs());
        }
    }
    largest
}

/// Both moments of one tensor against numpy. The first to 2e-6 relative: f32 accumulation of
/// f32 gradients, measured ≤ 6.7e-7. The second to 2e-5: `AdamHyper` holds β₂ in f32
/// (0.99900001), so its (1 − β₂) = 0.00099998713 is 1.29e-5 below numpy's 0.001 and every
/// raw second moment is that much smaller (measured ≤ 1.4e-5); the bias correction is taken
/// from the same f32 β₂, so the update itself agrees to rounding. A wrong β, a missing
/// square or a moment restarted at each step is off by orders of magnitude more.
fn assert_moments(state: &AdamState, golden: &Value, first: &str, second: &str, what: &str) {
    let errors = [
        assert_relative(
            &state.first,
            &array(&golden[first]),
            2e-6,
            &format!("{what} {first}"),
        ),
        assert_relative(
            &state.second,
            &array(&golden[second]),
            2e-5,
            &format!("{what} {second}"),
        ),
    ];
    println!(
        "{what}: largest relative error of {first} {:.1e}, {second} {:.1e}",
        errors[0], errors[1]
    );
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
        let (mut adam_weights, mut adam_bias) =
            (AdamState::new(weights.len()), AdamState::new(bias.len()));
        adam_weights.update(&mut weights, &grads.weights, lr, hyper);
        adam_bias.update(&mut bias, &grads.bias, lr, hyper);
        let what = format!("γ = {gamma}");
        assert_moments(
            &adam_weights,
            case_value,
            "exp_avg_w",
            "exp_avg_sq_w",
            &what,
        );
        assert_moments(&adam_bias, case_value, "exp_avg_b", "exp_avg_sq_b", &what);
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

/// A step's decay of (W, b) at its lr.
type Decay<'a> = dyn Fn(&mut [f32], &mut [f32], f32) + 'a;

/// Runs the optimizer over the golden's steps from `inputs.w` / `inputs.b`, feeding each
/// step the gradients numpy took at its own parameters (as given, so f32 rounding of a
/// gradient cannot compound along the trajectory), and compares W, b and all four moments
/// with numpy after every step. `decay` applies a step's decay to (W, b) at its lr.
fn check_trajectory(g: &Value, steps: &[Value], lrs: &[f64], decay: &Decay<'_>, what: &str) {
    let c = case(g);
    assert!(steps.len() >= 5, "{what}: several steps");
    assert_eq!(steps.len(), lrs.len());
    let hyper = AdamHyper::default();
    let (mut weights, mut bias) = (c.model.weights.clone(), c.model.bias.clone());
    let (mut adam_weights, mut adam_bias) =
        (AdamState::new(weights.len()), AdamState::new(bias.len()));
    for (t, (step, &lr)) in steps.iter().zip(lrs).enumerate() {
        let lr = lr as f32;
        decay(&mut weights, &mut bias, lr);
        adam_weights.update(&mut weights, &to32(&array(&step["grad_w"])), lr, hyper);
        adam_bias.update(&mut bias, &to32(&array(&step["grad_b"])), lr, hyper);
        let what = format!("{what}, step {}", t + 1);
        assert_eq!(adam_weights.step, t as u64 + 1);
        assert_moments(&adam_weights, step, "exp_avg_w", "exp_avg_sq_w", &what);
        assert_moments(&adam_bias, step, "exp_avg_b", "exp_avg_sq_b", &what);
        assert_close(&weights, &array(&step["w"]), 1e-5, &format!("{what} w"));
        assert_close(&bias, &array(&step["b"]), 1e-5, &format!("{what} b"));
    }
}

fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .expect("list")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect()
}

#[test]
fn six_optimizer_steps_match_numpy_with_their_moments() {
    let g = golden();
    let width = dim(&g, "m");
    let signed = &g["adamw_signed_steps"];
    let lrs = numbers(&signed["lrs"]);
    let cases = signed["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2, "one negative and one positive γ");
    for case_value in cases {
        let gamma = case_value["gamma"].as_f64().unwrap() as f32;
        // The authors' optimizer: W decayed by the signed rule, b not decayed.
        let decay = |weights: &mut [f32], _: &mut [f32], lr: f32| {
            decay_rows_signed(weights, width, gamma, lr)
        };
        let steps = case_value["steps"].as_array().unwrap();
        check_trajectory(&g, steps, &lrs, &decay, &format!("γ = {gamma}"));
    }
    let torch = &g["adamw_torch_steps"];
    let lambda = torch["weight_decay"].as_f64().unwrap() as f32;
    let decay = |weights: &mut [f32], bias: &mut [f32], lr: f32| {
        decay_uniform(weights, lr, lambda);
        decay_uniform(bias, lr, lambda);
    };
    let steps = torch["steps"].as_array().unwrap();
    check_trajectory(&g, steps, &numbers(&torch["lrs"]), &decay, "torch AdamW");
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

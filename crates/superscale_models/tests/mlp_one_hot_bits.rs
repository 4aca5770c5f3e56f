//! The fused one-hot ⊕ bits path (`mlp::fused`, the multitask sparse-parity step) against
//! the generic sparse path and central differences in f64, its two instruction-set
//! instantiations against each other bit for bit, its thread determinism, and its input
//! checks.

use superscale_models::mlp::Simd;
use superscale_models::mlp::{
    evaluate, forward_outputs, loss_and_gradient, AdamW, Error, Input, Mlp, OneHotBits, Real,
    RowOutcome, Targets, Workspace,
};

/// xorshift64: deterministic test data without an RNG crate.
struct Stream(u64);
impl Stream {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// `rows` rows of `one_hot` tasks (runs of equal tasks, as the quanta batches have) ⊕
/// `bits` uniform bits, and labels of `classes` classes.
fn batch(
    one_hot: usize,
    bits: usize,
    rows: usize,
    classes: u32,
    seed: u64,
) -> (OneHotBits, Vec<u32>) {
    let mut stream = Stream(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut binary = OneHotBits::new(one_hot, bits);
    let per_row = binary.words_per_row();
    let mut words = vec![0u64; per_row];
    let mut task = 0u32;
    let mut labels = Vec::new();
    for _ in 0..rows {
        if stream.next().is_multiple_of(3) {
            task = (stream.next() % one_hot as u64) as u32;
        }
        for (index, word) in words.iter_mut().enumerate() {
            *word = stream.next();
            let valid = bits - 64 * index;
            if valid < 64 {
                *word &= (1u64 << valid) - 1;
            }
        }
        binary.push_row(task, &words);
        labels.push((stream.next() % u64::from(classes)) as u32);
    }
    (binary, labels)
}

fn loss<T: Real>(
    mlp: &Mlp,
    params: &[T],
    input: Input<'_, T>,
    labels: &[u32],
    gradient: &mut [T],
) -> f64 {
    // 7-row chunks, 3 slots: a 50-row batch takes three passes and a partial chunk.
    let mut workspace = Workspace::with_chunks(mlp, 7, 3);
    loss_and_gradient(
        mlp,
        params,
        input,
        Targets::Labels(labels),
        gradient,
        &mut workspace,
    )
    .unwrap()
}

/// Shapes that reach every branch: widths below, at and past a register block and not a
/// multiple of 16 (rows padded to 16), bits in one word and in two with a partial last group,
/// 2 and 3 classes; for two classes (`fused/two_class.rs`) ReLU masks of one word and of
/// several, and task rows ending in half a mask word (widths 72 and 40: rows of 80 and 48
/// values, blocks of 64 + 16 and 32 + 16).
const SHAPES: [(usize, usize, usize, u32); 6] = [
    (5, 12, 3, 2),
    (9, 70, 13, 2),
    (4, 9, 40, 3),
    (6, 64, 33, 2),
    (7, 70, 72, 2),
    (3, 20, 40, 2),
];

#[test]
fn fused_path_gives_the_sparse_result_in_f64() {
    for (index, &(one_hot, bits, width, classes)) in SHAPES.iter().enumerate() {
        let mlp = Mlp::new(&[one_hot + bits, width, classes as usize]).unwrap();
        let (binary, labels) = batch(one_hot, bits, 50, classes, index as u64 + 1);
        let sparse = binary.to_sparse();
        let params: Vec<f64> = mlp.init_params(3);
        let mut fused = vec![0.0; mlp.n_params()];
        let mut generic = vec![0.0; mlp.n_params()];
        let fused_loss = loss(
            &mlp,
            &params,
            Input::OneHotBits(&binary),
            &labels,
            &mut fused,
        );
        let generic_loss = loss(&mlp, &params, Input::Sparse(&sparse), &labels, &mut generic);
        // Same arithmetic in another order: differences at f64 rounding only.
        assert!(
            (fused_loss - generic_loss).abs() < 1e-13,
            "{fused_loss} vs {generic_loss}"
        );
        let scale = generic.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        for (i, (a, b)) in fused.iter().zip(&generic).enumerate() {
            assert!(
                (a - b).abs() <= 1e-13 * scale,
                "shape {index}, parameter {i}: {a} vs {b}"
            );
        }
        // Evaluation and raw outputs through the fused forward.
        let mut workspace = Workspace::with_chunks(&mlp, 7, 3);
        let mut outcomes = vec![RowOutcome::default(); 50];
        let mut reference = vec![RowOutcome::default(); 50];
        evaluate(
            &mlp,
            &params,
            Input::OneHotBits(&binary),
            &labels,
            &mut outcomes,
            &mut workspace,
        )
        .unwrap();
        evaluate(
            &mlp,
            &params,
            Input::Sparse(&sparse),
            &labels,
            &mut reference,
            &mut workspace,
        )
        .unwrap();
        for (a, b) in outcomes.iter().zip(&reference) {
            assert_eq!(a.correct, b.correct);
            assert!((a.loss - b.loss).abs() < 1e-12 && (a.brier - b.brier).abs() < 1e-12);
        }
        let mean = outcomes.iter().map(|o| o.loss).sum::<f64>() / 50.0;
        assert!(
            (mean - fused_loss).abs() < 1e-12,
            "evaluation {mean} vs training {fused_loss}"
        );
        let mut logits = vec![0.0; 50 * classes as usize];
        let mut reference_logits = vec![0.0; 50 * classes as usize];
        forward_outputs(
            &mlp,
            &params,
            Input::OneHotBits(&binary),
            &mut logits,
            &mut workspace,
        )
        .unwrap();
        forward_outputs(
            &mlp,
            &params,
            Input::Sparse(&sparse),
            &mut reference_logits,
            &mut workspace,
        )
        .unwrap();
        for (a, b) in logits.iter().zip(&reference_logits) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
    }
}

#[test]
fn fused_gradient_matches_central_differences_in_f64() {
    // As in mlp_gradients.rs: h = 1e-6 leaves truncation and rounding ≈ 1e-10; a ReLU kink
    // crossed by ±h would show as an O(1) error.
    for (index, &(one_hot, bits, width, classes)) in SHAPES.iter().enumerate() {
        let mlp = Mlp::new(&[one_hot + bits, width, classes as usize]).unwrap();
        let (binary, labels) = batch(one_hot, bits, 30, classes, 10 + index as u64);
        let params: Vec<f64> = mlp.init_params(5);
        let mut gradient = vec![0.0; mlp.n_params()];
        loss(
            &mlp,
            &params,
            Input::OneHotBits(&binary),
            &labels,
            &mut gradient,
        );
        let mut scratch = vec![0.0; mlp.n_params()];
        let h = 1e-6;
        let mut worst: f64 = 0.0;
        for i in 0..params.len() {
            let mut shifted = params.clone();
            shifted[i] = params[i] + h;
            let up = loss(
                &mlp,
                &shifted,
                Input::OneHotBits(&binary),
                &labels,
                &mut scratch,
            );
            shifted[i] = params[i] - h;
            let down = loss(
                &mlp,
                &shifted,
                Input::OneHotBits(&binary),
                &labels,
                &mut scratch,
            );
            worst = worst.max(((up - down) / (2.0 * h) - gradient[i]).abs());
        }
        assert!(
            worst < 1e-7,
            "shape {index}: worst gradient error {worst:e}"
        );
    }
}

#[test]
fn both_instruction_sets_give_the_same_bits() {
    // Two classes (the masked kernels: AVX-512 intrinsics against their portable twins) at
    // widths whose padded rows take blocks of 128, 64, 32 and 16 values, with the bucket sums
    // from sorted rows (300: 128 + 128 + 32 + 16; 72: 64 + 16) and added row by row (50:
    // four mask words; 9: one word), task rows ending in a half word (72, 9), and three
    // classes.
    for (width, classes) in [(300, 2), (72, 2), (50, 2), (9, 2), (40, 3)] {
        same_bits_for_every_instruction_set(width, classes);
    }
}

fn same_bits_for_every_instruction_set(width: usize, classes: u32) {
    let (one_hot, bits) = (20, 100);
    let mlp = Mlp::new(&[one_hot + bits, width, classes as usize]).unwrap();
    let (binary, labels) = batch(one_hot, bits, 600, classes, 7);
    let params: Vec<f32> = mlp.init_params(9);
    let mut results = Vec::new();
    // Scalar, AVX2, and AVX-512 where the CPU has it (else AVX2 twice).
    let choices = Simd::under_test()
        .into_iter()
        .flat_map(|simd| [(simd, false), (simd, true)]);
    for (simd, avx512) in choices {
        let mut workspace = Workspace::with_chunks(&mlp, 64, 4);
        workspace.set_simd(simd);
        workspace.set_avx512(avx512);
        let mut gradient = vec![0.0f32; mlp.n_params()];
        let loss = loss_and_gradient(
            &mlp,
            &params,
            Input::OneHotBits(&binary),
            Targets::Labels(&labels),
            &mut gradient,
            &mut workspace,
        )
        .unwrap();
        let mut outcomes = vec![RowOutcome::default(); 600];
        evaluate(
            &mlp,
            &params,
            Input::OneHotBits(&binary),
            &labels,
            &mut outcomes,
            &mut workspace,
        )
        .unwrap();
        let bits: Vec<u32> = gradient.iter().map(|g| g.to_bits()).collect();
        results.push((loss.to_bits(), bits, outcomes));
    }
    for other in &results[1..] {
        assert!(
            other == &results[0],
            "the instruction sets disagree at width {width}, {classes} classes"
        );
    }
}

fn train(threads: usize) -> (Vec<f32>, Vec<f64>) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let (one_hot, bits) = (30, 40);
        let mlp = Mlp::new(&[one_hot + bits, 24, 2]).unwrap();
        let (binary, _) = batch(one_hot, bits, 1000, 2, 21);
        // A learnable label: the parity of bits 0 and 1 of each row.
        let labels: Vec<u32> = (0..binary.rows())
            .map(|row| (binary.row_words(row)[0] & 1 ^ (binary.row_words(row)[0] >> 1) & 1) as u32)
            .collect();
        let mut params: Vec<f32> = mlp.init_params(42);
        let mut workspace = Workspace::with_chunks(&mlp, 64, 4);
        let mut gradient = vec![0.0; mlp.n_params()];
        let mut optimizer = AdamW::new(mlp.n_params(), 1e-2, 0.0);
        let mut losses = Vec::new();
        for _ in 0..30 {
            let loss = loss_and_gradient(
                &mlp,
                &params,
                Input::OneHotBits(&binary),
                Targets::Labels(&labels),
                &mut gradient,
                &mut workspace,
            )
            .unwrap();
            optimizer.step(&mut params, &gradient).unwrap();
            losses.push(loss);
        }
        (params, losses)
    })
}

#[test]
fn fused_training_is_bit_identical_for_one_two_and_four_threads() {
    let (params_one, losses_one) = train(1);
    for threads in [2, 4] {
        let (params, losses) = train(threads);
        assert_eq!(losses_one, losses, "{threads} threads changed the losses");
        assert!(params_one
            .iter()
            .zip(&params)
            .all(|(a, b)| a.to_bits() == b.to_bits()));
    }
    assert!(
        losses_one[29] < 0.75 * losses_one[0],
        "the loss should fall: {losses_one:?}"
    );
}

#[test]
fn malformed_rows_are_refused_with_the_row() {
    let mlp = Mlp::new(&[5 + 10, 4, 2]).unwrap();
    let params: Vec<f32> = mlp.init_params(0);
    let mut gradient = vec![0.0; mlp.n_params()];
    let mut workspace = Workspace::new(&mlp);
    let mut run = |binary: &OneHotBits| {
        let labels = vec![0; binary.rows()];
        loss_and_gradient(
            &mlp,
            &params,
            Input::OneHotBits(binary),
            Targets::Labels(&labels),
            &mut gradient,
            &mut workspace,
        )
    };
    let mut bad_index = OneHotBits::new(5, 10);
    bad_index.push_row(0, &[1]);
    bad_index.push_row(5, &[1]);
    assert!(matches!(
        run(&bad_index),
        Err(Error::OneHotBits { row: 1, .. })
    ));
    let mut bad_bit = OneHotBits::new(5, 10);
    bad_bit.push_row(2, &[1 << 10]);
    assert!(matches!(
        run(&bad_bit),
        Err(Error::OneHotBits { row: 0, .. })
    ));
    let wrong_width = OneHotBits::new(6, 10);
    assert!(run(&wrong_width).is_err());
}

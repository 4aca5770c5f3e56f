//! The bits of training never depend on the thread count.

use superscale_models::mlp::{
    loss_and_gradient, AdamW, Input, Mlp, SparseRows, Targets, Workspace,
};

fn train(threads: usize) -> (Vec<f32>, Vec<f64>) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let (rows, input_dim) = (1000, 40);
        let mlp = Mlp::new(&[input_dim, 32, 16, 2]).unwrap();
        let mut params: Vec<f32> = mlp.init_params(42);
        let mut dense = vec![0.0f32; rows * input_dim];
        let mut labels = vec![0u32; rows];
        let mut state = 12345u64;
        for (row, label) in labels.iter_mut().enumerate() {
            for column in 0..input_dim {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                if state >> 62 == 0 {
                    dense[row * input_dim + column] = 1.0;
                }
            }
            *label = (dense[row * input_dim] as u32 + dense[row * input_dim + 1] as u32) % 2;
        }
        let sparse = SparseRows::from_dense(&dense, rows, input_dim);
        let mut workspace = Workspace::with_chunks(&mlp, 64, 4);
        let mut gradient = vec![0.0; mlp.n_params()];
        let mut optimizer = AdamW::new(mlp.n_params(), 1e-2, 0.01);
        let mut losses = Vec::new();
        for step in 0..20 {
            let input = if step % 2 == 0 {
                Input::Sparse(&sparse)
            } else {
                Input::Dense(&dense)
            };
            let loss = loss_and_gradient(
                &mlp,
                &params,
                input,
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
fn training_is_bit_identical_for_one_two_and_four_threads() {
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
        losses_one[19] < losses_one[0],
        "the loss should fall: {losses_one:?}"
    );
}

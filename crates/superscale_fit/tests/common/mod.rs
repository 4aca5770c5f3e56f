//! Loaders for the reference data in `tests/data/` (copies of public data
//! files, sources in `tests/data/SOURCES.md`, kept in the repository so a clone tests alone).

#![allow(dead_code)]

use superscale_fit::Table;

/// `tests/data/<name>` of this crate.
pub fn shared_data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The 240 points of Besiroglu et al. 2024: Chinchilla Fig. 4 without the 5 highest losses
/// (notebook cell 15), as (N, D = C/(6N), loss) in file order.
pub fn epoch_points() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let table = Table::read(shared_data("chinchilla_fig4_points.csv")).expect("data file");
    let n = table.numbers("Model Size").unwrap();
    let compute = table.numbers("Training FLOP").unwrap();
    let loss = table.numbers("loss").unwrap();
    let d = superscale_fit::tokens_from_compute(&n, &compute).unwrap();
    let mut order: Vec<usize> = (0..loss.len()).collect();
    order.sort_by(|&i, &j| loss[i].total_cmp(&loss[j]));
    let mut keep = order[..loss.len() - 5].to_vec();
    keep.sort_unstable();
    let pick = |v: &[f64]| keep.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    (pick(&n), pick(&d), pick(&loss))
}

/// The 17 points of 4-digit addition (Caballero et al. 2022, Fig. 4 left).
pub fn addition_points() -> (Vec<f64>, Vec<f64>) {
    let table = Table::read(shared_data("bnsl_4digit_addition.csv")).expect("data file");
    (
        table.numbers("train_set_size").unwrap(),
        table.numbers("test_cross_entropy").unwrap(),
    )
}

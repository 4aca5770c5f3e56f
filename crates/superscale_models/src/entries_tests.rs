use super::*;
use rand::{RngCore, SeedableRng};
use rand_xoshiro::{Xoshiro128PlusPlus, Xoshiro256PlusPlus};

#[test]
fn the_stream_is_the_reference_xoshiro128_plus_plus() {
    // rand_xoshiro's implementation, seeded with the same 16 bytes, gives the same words.
    let mut seeds = Xoshiro256PlusPlus::seed_from_u64(11);
    for _ in 0..20 {
        let mut probe = seeds.clone();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&probe.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&probe.next_u64().to_le_bytes());
        let mut reference = Xoshiro128PlusPlus::from_seed(bytes);
        let mut mine = EntryStream::from_rng(&mut seeds);
        assert_eq!(seeds.next_u64(), probe.next_u64(), "two words consumed");
        for _ in 0..1000 {
            assert_eq!(mine.next_word(), reference.next_u32());
        }
    }
}

#[test]
fn thresholds_and_values_at_the_edges() {
    assert_eq!(gate_threshold(1.0), 1 << 32, "p = 1: every word passes");
    assert_eq!(gate_threshold(0.0), 0, "p = 0: none does");
    assert_eq!(gate_threshold(0.5), 1 << 31);
    assert_eq!(entry_value(0, 1.0), 0.0);
    let top = entry_value(u32::MAX, 1.0);
    assert!(top < 1.0 && top > 0.99999, "{top}");
    assert_eq!(entry_value(u32::MAX, 2.0), 2.0 * top);
}

#[test]
fn batches_follow_the_declared_distribution() {
    // Activation frequency within 4.5 standard errors of p_i, mean active value within 4.5
    // standard errors of value_max/2 (the variance of U(0, a) is a²/12), rows sorted.
    let probabilities = vec![1.0, 0.5, 0.05, 0.003, 0.0];
    let value_max = 2.0;
    let sampler = EntrySampler::new(probabilities.clone(), value_max).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let mut batch = SparseRows::default();
    let (rows, batches) = (1000, 60);
    let n = probabilities.len();
    let mut count = vec![0u64; n];
    let mut sum = vec![0.0f64; n];
    for _ in 0..batches {
        sampler.sample(&mut rng, rows, &mut batch);
        assert_eq!(batch.row_offsets.len(), rows + 1);
        assert_eq!(batch.cols, n);
        for row in 0..rows {
            let (start, end) = (
                batch.row_offsets[row] as usize,
                batch.row_offsets[row + 1] as usize,
            );
            let columns = &batch.columns[start..end];
            assert!(columns.windows(2).all(|w| w[0] < w[1]));
            for (&feature, &value) in columns.iter().zip(&batch.values[start..end]) {
                assert!((0.0..value_max).contains(&value));
                count[feature as usize] += 1;
                sum[feature as usize] += f64::from(value);
            }
        }
    }
    let draws = (rows * batches) as f64;
    for (feature, &p) in probabilities.iter().enumerate() {
        let frequency = count[feature] as f64 / draws;
        let error = (p * (1.0 - p) / draws).sqrt();
        assert!(
            (frequency - p).abs() <= 4.5 * error,
            "feature {feature}: frequency {frequency} vs {p}"
        );
        if count[feature] > 30 {
            let mean = sum[feature] / count[feature] as f64;
            let error = f64::from(value_max) / (12.0 * count[feature] as f64).sqrt();
            assert!(
                (mean - 1.0).abs() <= 4.5 * error,
                "feature {feature}: mean value {mean}"
            );
        }
    }
    assert_eq!(count[0], draws as u64, "p = 1 is always active");
    assert_eq!(count[4], 0, "p = 0 never is");
}

#[test]
fn each_batch_takes_two_words_of_the_run_stream() {
    // The run's data stream advances by exactly two u64 per batch whatever the batch size,
    // so a run's batches do not depend on how the previous ones were drawn.
    let sampler = EntrySampler::new(vec![0.2; 7], 1.0).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    let mut expected = rng.clone();
    let mut batch = SparseRows::default();
    sampler.sample(&mut rng, 3, &mut batch);
    sampler.sample(&mut rng, 500, &mut batch);
    expected.next_u64();
    expected.next_u64();
    expected.next_u64();
    expected.next_u64();
    assert_eq!(rng.next_u64(), expected.next_u64());
}

#[test]
fn bad_probabilities_and_values_are_refused() {
    assert!(EntrySampler::new(vec![0.5, 1.5], 1.0).is_err());
    assert!(EntrySampler::new(vec![0.5, f64::NAN], 1.0).is_err());
    assert!(EntrySampler::new(vec![0.5], 0.0).is_err());
}

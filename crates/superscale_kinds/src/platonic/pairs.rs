//! The pairs of trained networks within a cell: two seeds of one modality, a seed of each
//! modality, and each network with the latent z. Their means over pairs carry an interval
//! over seeds (`crate::seed_pairs`), since pairs share networks.

/// What a pair compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Comparison {
    /// two seeds of modality 0
    Seeds,
    /// a seed of modality 0 with a seed of modality 1
    Modalities,
    /// a network with the latent z itself (the "platonic" reference)
    ToZ,
}

impl Comparison {
    /// Every comparison, in table order.
    pub const ALL: [Comparison; 3] = [Comparison::Seeds, Comparison::Modalities, Comparison::ToZ];

    /// Its name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Comparison::Seeds => "seeds",
            Comparison::Modalities => "modalities",
            Comparison::ToZ => "to_z",
        }
    }
}

/// A network of a cell: modality and seed number; `unit = modality·S + replicate`.
pub fn unit(modality: usize, replicate: usize, seeds: usize) -> usize {
    modality * seeds + replicate
}

/// The pairs of a cell with S seeds per modality: (comparison, unit a, unit b or None for z).
pub fn plan_pairs(seeds: usize) -> Vec<(Comparison, usize, Option<usize>)> {
    let mut pairs = Vec::new();
    for i in 0..seeds {
        for j in i + 1..seeds {
            pairs.push((
                Comparison::Seeds,
                unit(0, i, seeds),
                Some(unit(0, j, seeds)),
            ));
        }
    }
    for i in 0..seeds {
        for j in 0..seeds {
            pairs.push((
                Comparison::Modalities,
                unit(0, i, seeds),
                Some(unit(1, j, seeds)),
            ));
        }
    }
    for modality in 0..2 {
        for i in 0..seeds {
            pairs.push((Comparison::ToZ, unit(modality, i, seeds), None));
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_seeds_give_six_within_sixteen_across_and_eight_to_z() {
        let pairs = plan_pairs(4);
        let count = |c| pairs.iter().filter(|p| p.0 == c).count();
        assert_eq!(count(Comparison::Seeds), 6);
        assert_eq!(count(Comparison::Modalities), 16);
        assert_eq!(count(Comparison::ToZ), 8);
        assert!(pairs.iter().all(|&(_, a, b)| b != Some(a)));
    }
}

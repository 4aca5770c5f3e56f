//! `--shard K/N`: a deterministic slice of a study's runs.

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// Shard `k` of `n`, 1-based like a Slurm array index: it holds the runs whose index `i`
/// (their position in the experiment's fixed order, 0-based) satisfies `i % n == k - 1`.
///
/// Round-robin rather than contiguous blocks, because a sweep's cost grows along an axis
/// (the width): contiguous blocks would give one shard all the widest runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based shard number, 1 ≤ k ≤ n
    pub k: u32,
    /// number of shards, ≥ 1
    pub n: u32,
}

impl Shard {
    /// Shard `k` of `n` (1-based), checked.
    pub fn new(k: u32, n: u32) -> Result<Self> {
        let text = format!("{k}/{n}");
        if n == 0 {
            return Err(Error::Shard {
                text,
                message: "the number of shards N must be at least 1".into(),
            });
        }
        if k == 0 || k > n {
            return Err(Error::Shard {
                text,
                message: format!("K is 1-based and must be in 1..={n}"),
            });
        }
        Ok(Self { k, n })
    }

    /// Whether the run at `index` belongs to this shard.
    pub fn contains(self, index: usize) -> bool {
        index % self.n as usize == (self.k - 1) as usize
    }
}

impl FromStr for Shard {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let malformed = || Error::Shard {
            text: text.to_string(),
            message: "expected K/N with 1 ≤ K ≤ N, e.g. 2/8".into(),
        };
        let (k, n) = text.trim().split_once('/').ok_or_else(malformed)?;
        let k: u32 = k.trim().parse().map_err(|_| malformed())?;
        let n: u32 = n.trim().parse().map_err(|_| malformed())?;
        Shard::new(k, n).map_err(|err| match err {
            Error::Shard { message, .. } => Error::Shard {
                text: text.to_string(),
                message,
            },
            other => other,
        })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_partition_the_runs() {
        let shards: Vec<Shard> = ["1/3", "2/3", " 3 / 3 "]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        for index in 0..100 {
            assert_eq!(shards.iter().filter(|s| s.contains(index)).count(), 1);
        }
        assert!(shards[0].contains(0) && shards[1].contains(1) && shards[2].contains(5));
        assert_eq!(shards[2].to_string(), "3/3");
        for bad in ["4/3", "0/3", "1/0", "3", "a/b", "-1/3", ""] {
            let err = bad.parse::<Shard>().unwrap_err();
            assert!(
                matches!(err, Error::Shard { .. }) && err.is_user_error(),
                "{bad}: {err}"
            );
        }
        assert!("4/3"
            .parse::<Shard>()
            .unwrap_err()
            .to_string()
            .contains("1..=3"));
    }
}

//! Content-hashed run ids and the seeds derived from them.

use sha2::{Digest, Sha256};

/// Bumped whenever the canonical form of a run spec, or what a run computes from it,
/// changes; it is hashed into every run id so old and new runs never share an id.
pub const SCHEMA_VERSION: u32 = 1;

/// The run id of a canonical JSON spec: the first 16 hex digits of
/// SHA-256("superscale-run-v{SCHEMA_VERSION}\n" + canonical JSON).
pub fn run_id(canonical_json: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(format!("superscale-run-v{SCHEMA_VERSION}\n").as_bytes());
    hasher.update(canonical_json.as_bytes());
    hex(&hasher.finalize()[..8])
}

/// The seed of replicate `replicate` of run `run_id`: the first 8 bytes of
/// SHA-256("seed\n" + run id + "\n" + replicate), little-endian.
pub fn replicate_seed(run_id: &str, replicate: u32) -> u64 {
    let digest = Sha256::digest(format!("seed\n{run_id}\n{replicate}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_seeds_are_stable_and_distinct() {
        let a = run_id("{\"x\":1}");
        assert_eq!(a.len(), 16);
        assert_eq!(a, run_id("{\"x\":1}"));
        assert_ne!(a, run_id("{\"x\":2}"));
        assert_eq!(replicate_seed(&a, 0), replicate_seed(&a, 0));
        assert_ne!(replicate_seed(&a, 0), replicate_seed(&a, 1));
    }
}

//! The machine's limits a spec is checked against before anything is allocated
//! (`docs/reliability.md`, "Resource limits").

use std::sync::OnceLock;

/// The environment variable that sets the memory a single run may use, in bytes; it
/// overrides the machine's physical memory (for a batch system's allocation, or a test).
pub const MEMORY_LIMIT_VARIABLE: &str = "SUPERSCALE_MEMORY_LIMIT";

/// The bytes one run may hold: `SUPERSCALE_MEMORY_LIMIT` when set to a number, else the
/// machine's physical memory (`MemTotal` of `/proc/meminfo`), else no limit (`None`) on a
/// platform that does not say.
pub fn memory_limit() -> Option<u64> {
    static LIMIT: OnceLock<Option<u64>> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        if let Some(bytes) = std::env::var(MEMORY_LIMIT_VARIABLE)
            .ok()
            .and_then(|text| text.trim().parse::<u64>().ok())
        {
            return Some(bytes);
        }
        physical_memory()
    })
}

fn physical_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|line| line.starts_with("MemTotal:"))?;
    let kibibytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kibibytes.checked_mul(1024)
}

/// One part of a run's memory: what it holds, its bytes, and the spec field that sizes it
/// (named by the refusal when it is the largest part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryPart {
    /// the dotted field that sets its size
    pub field: &'static str,
    /// what it holds, with the sizes it was computed from
    pub what: String,
    /// its estimated bytes
    pub bytes: u64,
}

/// Refuses a run whose parts add up to more than [`memory_limit`], before anything is
/// allocated. The violation names the field of the largest part and lists every part, so
/// the user sees both what to change and by how much.
pub fn check_memory(parts: &[MemoryPart]) -> Result<(), crate::Violation> {
    let Some(limit) = memory_limit() else {
        return Ok(());
    };
    let total = parts
        .iter()
        .fold(0u64, |sum, p| sum.saturating_add(p.bytes));
    let Some(largest) = parts.iter().max_by_key(|p| p.bytes) else {
        return Ok(());
    };
    if total <= limit {
        return Ok(());
    }
    let mut ordered: Vec<&MemoryPart> = parts.iter().collect();
    ordered.sort_by_key(|p| std::cmp::Reverse(p.bytes));
    let listed: Vec<String> = ordered
        .iter()
        .map(|p| format!("{} {}", p.what, human_bytes(p.bytes)))
        .collect();
    Err(crate::violation(
        largest.field,
        format!(
            "a run needs about {} ({}), more than the {} {}",
            human_bytes(total),
            listed.join(", "),
            human_bytes(limit),
            limit_source()
        ),
    ))
}

/// Where [`memory_limit`] came from, for messages.
fn limit_source() -> &'static str {
    if std::env::var(MEMORY_LIMIT_VARIABLE)
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok())
        .is_some()
    {
        "of SUPERSCALE_MEMORY_LIMIT"
    } else {
        "of this machine's memory"
    }
}

/// Bytes in binary units with three significant digits, e.g. "1.50 GiB".
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.3} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn bytes_are_written_in_binary_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.500 KiB");
        assert_eq!(human_bytes(3 << 30), "3.000 GiB");
        assert_eq!(human_bytes(u64::MAX), "16.000 EiB");
    }
}

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

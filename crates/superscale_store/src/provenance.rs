//! Where and with what a run was computed: host, version, commit, UTC time.

use std::time::{SystemTime, UNIX_EPOCH};

/// The crate version (the workspace shares one version).
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// The git commit of the build (with `-dirty` for uncommitted changes), if known.
pub fn git_commit() -> Option<&'static str> {
    option_env!("SUPERSCALE_GIT_COMMIT")
}

/// The host name, read without a libc binding: the kernel's value on Linux, else the
/// usual environment variables.
pub fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// The current time as ISO 8601 UTC with milliseconds, e.g. `2025-01-31T12:00:00.000Z`.
pub fn now_utc() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format_utc(since.as_secs(), since.subsec_millis())
}

/// Formats Unix seconds as ISO 8601 UTC (Howard Hinnant's days-to-civil algorithm, so no
/// date crate is needed for one timestamp format).
fn format_utc(seconds: u64, millis: u32) -> String {
    let days = (seconds / 86_400) as i64;
    let of_day = seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_match_known_instants() {
        assert_eq!(format_utc(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_utc(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(format_utc(1_735_689_599, 999), "2024-12-31T23:59:59.999Z");
    }
}

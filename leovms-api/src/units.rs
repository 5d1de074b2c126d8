//! Sizes, rates and times as both clients write them. Decimal units (a GB is 10^9
//! bytes), as disks and the daemon's messages count.

const KB: f64 = 1e3;
const MB: f64 = 1e6;
const GB: f64 = 1e9;

/// `12.3 GB`, always in GB (for comparing machines and cache space at a glance), worded like
/// the daemon's messages: one decimal, two below 1 GB (`0.35 GB`) so that small amounts
/// never read `0.0 GB`.
pub fn format_gb(bytes: u64) -> String {
    let g = bytes as f64 / GB;
    if g < 1.0 {
        format!("{g:.2} GB")
    } else {
        format!("{g:.1} GB")
    }
}

/// A size in the largest fitting unit: `512 B`, `3.4 kB`, `56.7 MB`, `1.2 GB`.
pub fn format_size(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= GB {
        format!("{:.1} GB", b / GB)
    } else if b >= MB {
        format!("{:.1} MB", b / MB)
    } else if b >= KB {
        format!("{:.1} kB", b / KB)
    } else {
        format!("{bytes} B")
    }
}

/// `85.0 MB/s`; `None` when the daemon has no rate yet (0).
pub fn format_rate(bytes_per_second: u64) -> Option<String> {
    (bytes_per_second > 0).then(|| format!("{}/s", format_size(bytes_per_second)))
}

/// Time left: `45 s`, `2 min 05 s`, `1 h 05 min`; `None` when unknown (negative).
pub fn format_eta(seconds: i64) -> Option<String> {
    let s = u64::try_from(seconds).ok()?;
    Some(if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_decimal_units() {
        assert_eq!(format_gb(12_345_678_901), "12.3 GB");
        assert_eq!(format_gb(0), "0.00 GB");
        assert_eq!(format_gb(350_000_000), "0.35 GB");
        assert_eq!(format_size(999), "999 B");
        assert_eq!(format_size(1_500), "1.5 kB");
        assert_eq!(format_size(56_700_000), "56.7 MB");
        assert_eq!(format_size(4_000_000_000), "4.0 GB");
    }

    #[test]
    fn rates_and_times_left() {
        assert_eq!(format_rate(0), None);
        assert_eq!(format_rate(85_000_000).as_deref(), Some("85.0 MB/s"));
        assert_eq!(format_eta(-1), None);
        assert_eq!(format_eta(0).as_deref(), Some("0 s"));
        assert_eq!(format_eta(45).as_deref(), Some("45 s"));
        assert_eq!(format_eta(125).as_deref(), Some("2 min 05 s"));
        assert_eq!(format_eta(3_900).as_deref(), Some("1 h 05 min"));
    }
}

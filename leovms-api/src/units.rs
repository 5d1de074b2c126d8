//! Sizes, rates and times as both clients write them, with the decimal separator of the
//! user's language (`1,5 GB` in German). Decimal units (a GB is 10^9 bytes), as disks and
//! the daemon's messages count.

use leovms_l10n::{Lang, decimal_in, lang};

const KB: f64 = 1e3;
const MB: f64 = 1e6;
const GB: f64 = 1e9;

/// `12.3 GB`, always in GB (for comparing machines and cache space at a glance), worded like
/// the daemon's messages: one decimal, two below 1 GB (`0.35 GB`) so that small amounts
/// never read `0.0 GB`.
pub fn format_gb(bytes: u64) -> String {
    format_gb_in(lang(), bytes)
}

pub(crate) fn format_gb_in(lang: Lang, bytes: u64) -> String {
    let g = bytes as f64 / GB;
    let digits = if g < 1.0 { 2 } else { 1 };
    format!("{} GB", decimal_in(lang, g, digits))
}

/// A size in the largest fitting unit: `512 B`, `3.4 kB`, `56.7 MB`, `1.2 GB`.
pub fn format_size(bytes: u64) -> String {
    format_size_in(lang(), bytes)
}

pub(crate) fn format_size_in(lang: Lang, bytes: u64) -> String {
    let b = bytes as f64;
    let (value, unit) = if b >= GB {
        (b / GB, "GB")
    } else if b >= MB {
        (b / MB, "MB")
    } else if b >= KB {
        (b / KB, "kB")
    } else {
        return format!("{bytes} B");
    };
    format!("{} {unit}", decimal_in(lang, value, 1))
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
        let gb = |b| format_gb_in(Lang::En, b);
        let size = |b| format_size_in(Lang::En, b);
        assert_eq!(gb(12_345_678_901), "12.3 GB");
        assert_eq!(gb(0), "0.00 GB");
        assert_eq!(gb(350_000_000), "0.35 GB");
        assert_eq!(size(999), "999 B");
        assert_eq!(size(1_500), "1.5 kB");
        assert_eq!(size(56_700_000), "56.7 MB");
        assert_eq!(size(4_000_000_000), "4.0 GB");
    }

    #[test]
    fn german_sizes_have_a_decimal_comma() {
        assert_eq!(format_gb_in(Lang::De, 1_500_000_000), "1,5 GB");
        assert_eq!(format_gb_in(Lang::De, 350_000_000), "0,35 GB");
        assert_eq!(format_size_in(Lang::De, 56_700_000), "56,7 MB");
        assert_eq!(format_size_in(Lang::De, 999), "999 B");
    }

    #[test]
    fn rates_and_times_left() {
        assert_eq!(format_rate(0), None);
        let rate = format_rate(85_000_000).unwrap();
        assert!(
            ["85.0 MB/s", "85,0 MB/s"].contains(&rate.as_str()),
            "{rate}"
        );
        assert_eq!(format_eta(-1), None);
        assert_eq!(format_eta(0).as_deref(), Some("0 s"));
        assert_eq!(format_eta(45).as_deref(), Some("45 s"));
        assert_eq!(format_eta(125).as_deref(), Some("2 min 05 s"));
        assert_eq!(format_eta(3_900).as_deref(), Some("1 h 05 min"));
    }
}

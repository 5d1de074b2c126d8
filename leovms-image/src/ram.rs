//! RAM for a VM: the allowed range and the default, from image.conf and the host's memory.

use crate::config::{RamMode, RamPolicy};

/// The sizes offered to users (MB).
pub const STEPS_MB: [u32; 14] = [
    192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384,
];

/// Share of the host's memory the default aims at (percent).
const DEFAULT_PERCENT: u64 = 34;

/// What a user may choose on this host, and what they get without choosing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RamPlan {
    pub default_mb: u32,
    pub min_mb: u32,
    pub max_mb: u32,
    pub fixed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RamError {
    #[error("{requested} MB is not allowed for this machine: choose between {min} and {max} MB")]
    OutOfRange { requested: u32, min: u32, max: u32 },
    #[error("this machine always uses {mb} MB")]
    Fixed { requested: u32, mb: u32 },
}

/// The plan for `policy` on a host with `host_mb` MB of memory (MemTotal).
pub fn plan(policy: &RamPolicy, host_mb: u64) -> RamPlan {
    if policy.mode == RamMode::Fixed {
        let mb = policy.mb.unwrap_or(policy.min_mb);
        return RamPlan {
            default_mb: mb,
            min_mb: mb,
            max_mb: mb,
            fixed: true,
        };
    }
    let min = policy.min_mb;
    let host_cap = u32::try_from(host_mb.saturating_mul(3) / 4).unwrap_or(u32::MAX);
    let max = policy.max_mb.min(host_cap);
    if max < min {
        // Too little memory for this machine's minimum: offer only the minimum.
        return RamPlan {
            default_mb: min,
            min_mb: min,
            max_mb: min,
            fixed: false,
        };
    }
    let target = host_mb.saturating_mul(DEFAULT_PERCENT) / 100;
    let distance = |step: u32| u64::from(step).abs_diff(target);
    // Nearest allowed step (ties go to the smaller one); without a step in range, the
    // nearest step clamped into the range.
    let default_mb = STEPS_MB
        .iter()
        .copied()
        .filter(|s| (min..=max).contains(s))
        .min_by_key(|&s| distance(s))
        .unwrap_or_else(|| {
            let nearest = STEPS_MB.iter().copied().min_by_key(|&s| distance(s));
            nearest.unwrap_or(min).clamp(min, max)
        });
    RamPlan {
        default_mb,
        min_mb: min,
        max_mb: max,
        fixed: false,
    }
}

impl RamPlan {
    /// The RAM to give the VM: the caller's choice if allowed, else the default.
    pub fn choose(&self, requested: Option<u32>) -> Result<u32, RamError> {
        let Some(requested) = requested else {
            return Ok(self.default_mb);
        };
        if self.fixed && requested != self.default_mb {
            return Err(RamError::Fixed {
                requested,
                mb: self.default_mb,
            });
        }
        if !(self.min_mb..=self.max_mb).contains(&requested) {
            return Err(RamError::OutOfRange {
                requested,
                min: self.min_mb,
                max: self.max_mb,
            });
        }
        Ok(requested)
    }

    /// At most `count` sizes a user may pick from (a menu): the sizes of [`STEPS_MB`]
    /// in the allowed range and the default, ascending, the default among them and the
    /// others around it. A fixed plan offers only its size.
    pub fn choices(&self, count: usize) -> Vec<u32> {
        if self.fixed || self.min_mb >= self.max_mb {
            return vec![self.default_mb];
        }
        let mut all: Vec<u32> = STEPS_MB
            .iter()
            .copied()
            .filter(|mb| (self.min_mb..=self.max_mb).contains(mb))
            .chain([self.default_mb])
            .collect();
        all.sort_unstable();
        all.dedup();
        let at = all
            .iter()
            .position(|&mb| mb == self.default_mb)
            .unwrap_or(0);
        let start = at
            .saturating_sub(count / 2)
            .min(all.len().saturating_sub(count));
        all.into_iter().skip(start).take(count).collect()
    }
}

/// MemTotal of /proc/meminfo in MB.
pub fn host_memory_mb() -> std::io::Result<u64> {
    parse_meminfo(&std::fs::read_to_string("/proc/meminfo")?)
}

fn parse_meminfo(text: &str) -> std::io::Result<u64> {
    let kb = text
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|n| n.trim().parse::<u64>().ok())
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "no readable MemTotal line in /proc/meminfo",
            )
        })?;
    Ok(kb / 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auto() -> RamPolicy {
        RamPolicy::default()
    }

    #[test]
    fn choices_are_steps_around_the_default_within_the_range() {
        let range = |min_mb, default_mb, max_mb| RamPlan {
            default_mb,
            min_mb,
            max_mb,
            fixed: false,
        };
        assert_eq!(range(512, 1000, 1024).choices(5), [512, 768, 1000, 1024]);
        assert_eq!(range(2048, 2048, 2048).choices(5), [2048]);
        assert_eq!(
            range(256, 8192, 32768).choices(5),
            [4096, 6144, 8192, 12288, 16384]
        );
        assert_eq!(range(192, 192, 32768).choices(5), [192, 256, 384, 512, 768]);
        let fixed = plan(
            &RamPolicy {
                mode: RamMode::Fixed,
                mb: Some(4096),
                ..auto()
            },
            8192,
        );
        assert_eq!(fixed.choices(5), [4096]);
    }

    #[test]
    fn tiny_host_gets_the_lowest_step_without_wrapping() {
        // 256 MB host: cap 192, target 87 -> 192.
        let p = plan(&auto(), 256);
        assert_eq!((p.default_mb, p.min_mb, p.max_mb), (192, 192, 192));
        // Below the minimum: range empty, only min_mb.
        let p = plan(&auto(), 200);
        assert_eq!((p.default_mb, p.min_mb, p.max_mb), (192, 192, 192));
        let p = plan(&auto(), 0);
        assert_eq!(p.default_mb, 192);
        assert_eq!(
            p.choose(Some(256)).unwrap_err().to_string(),
            "256 MB is not allowed for this machine: choose between 192 and 192 MB"
        );
    }

    #[test]
    fn small_hosts() {
        // 4 GiB reported as 3900 MB: 34 % = 1326 -> 1536 (nearer than 1024).
        assert_eq!(plan(&auto(), 3900).default_mb, 1536);
        // 2 GiB: 34 % of 1950 = 663 -> 768; cap 1462.
        let p = plan(&auto(), 1950);
        assert_eq!((p.default_mb, p.max_mb), (768, 1462));
    }

    #[test]
    fn eight_gib() {
        // MemTotal of an 8 GiB PC is a little under 8192.
        let p = plan(&auto(), 7936);
        assert_eq!(p.default_mb, 3072);
        assert_eq!((p.min_mb, p.max_mb, p.fixed), (192, 3072, false));
    }

    #[test]
    fn sixteen_gib_is_capped() {
        let p = plan(&auto(), 16_000);
        assert_eq!((p.default_mb, p.max_mb), (3072, 3072));
        let policy = RamPolicy {
            max_mb: 8192,
            ..auto()
        };
        // 34 % of 16000 = 5440 -> 6144.
        let p = plan(&policy, 16_000);
        assert_eq!((p.default_mb, p.max_mb), (6144, 8192));
        // Host cap: 3/4 of 8000 = 6000 < max_mb.
        let p = plan(&policy, 8000);
        assert_eq!(p.max_mb, 6000);
    }

    #[test]
    fn min_above_the_target() {
        let policy = RamPolicy {
            min_mb: 2048,
            ..auto()
        };
        let p = plan(&policy, 3900);
        assert_eq!((p.default_mb, p.min_mb, p.max_mb), (2048, 2048, 2925));
        // No step inside [300, 350]: clamped.
        let policy = RamPolicy {
            min_mb: 300,
            max_mb: 350,
            ..auto()
        };
        assert_eq!(plan(&policy, 3900).default_mb, 350);
    }

    #[test]
    fn fixed() {
        let policy = RamPolicy {
            mode: RamMode::Fixed,
            mb: Some(2048),
            ..auto()
        };
        let p = plan(&policy, 512);
        assert_eq!((p.default_mb, p.fixed), (2048, true));
        assert_eq!(p.choose(None).unwrap(), 2048);
        assert_eq!(p.choose(Some(2048)).unwrap(), 2048);
        assert_eq!(
            p.choose(Some(1024)).unwrap_err().to_string(),
            "this machine always uses 2048 MB"
        );
    }

    #[test]
    fn choose_in_range() {
        let policy = RamPolicy {
            min_mb: 512,
            ..auto()
        };
        let p = plan(&policy, 7936);
        assert_eq!(p.choose(Some(1000)).unwrap(), 1000);
        assert_eq!(p.choose(None).unwrap(), 3072);
        assert_eq!(
            p.choose(Some(4096)).unwrap_err().to_string(),
            "4096 MB is not allowed for this machine: choose between 512 and 3072 MB"
        );
        assert!(p.choose(Some(256)).is_err());
    }

    #[test]
    fn meminfo() {
        let text = "MemTotal:       16318592 kB\nMemFree:         1000 kB\n";
        assert_eq!(parse_meminfo(text).unwrap(), 15936);
        assert!(parse_meminfo("MemFree: 1 kB\n").is_err());
        assert!(host_memory_mb().unwrap() > 0);
    }
}

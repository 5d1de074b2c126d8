//! Tar streams written by hand, so that they can hold what no tar library writes
//! (paths that climb out, links, devices): for the tests of what must never be unpacked.

/// One tar member: name, type flag, content, link target.
pub type Member<'a> = (&'a str, u8, &'a [u8], &'a str);

/// A plain ustar stream of `members`.
pub fn ustar(members: &[Member<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, kind, data, link) in members {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        let octal = |h: &mut [u8; 512], at: usize, len: usize, v: u64| {
            let s = format!("{v:0width$o}", width = len - 1);
            h[at..at + len - 1].copy_from_slice(s.as_bytes());
        };
        octal(&mut h, 100, 8, 0o644);
        octal(&mut h, 108, 8, 0);
        octal(&mut h, 116, 8, 0);
        octal(&mut h, 124, 12, data.len() as u64);
        octal(&mut h, 136, 12, 0);
        h[156] = *kind;
        h[157..157 + link.len()].copy_from_slice(link.as_bytes());
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| b as u32).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

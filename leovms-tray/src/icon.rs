//! The tray icon, drawn in code: a screen on a stand, filled with one flat colour per
//! look, with a white sign on it. The colours are exact (no shading on the screen), so
//! a screenshot can find them; docs/tray.md lists them.

use ksni::Icon;

use crate::state::Look;

/// Width and height in pixels: what panels draw tray icons at.
pub const SIZE: usize = 22;

/// Ready: blue.
pub const IDLE: [u8; 3] = [0x1E, 0x6F, 0xD9];
/// A VM runs: green.
pub const RUNNING: [u8; 3] = [0x2E, 0x7D, 0x32];
/// A job is working: amber.
pub const BUSY: [u8; 3] = [0xF2, 0xA9, 0x00];
/// Share or daemon not reachable: grey.
pub const OFFLINE: [u8; 3] = [0x80, 0x80, 0x80];
/// The last job or call failed: red.
pub const ERROR: [u8; 3] = [0xD3, 0x2F, 0x2F];

const WHITE: [u8; 3] = [0xFF, 0xFF, 0xFF];

/// The icon's colour for a look.
pub fn colour(look: Look) -> [u8; 3] {
    match look {
        Look::Idle => IDLE,
        Look::Running => RUNNING,
        Look::Busy(_) => BUSY,
        Look::Offline => OFFLINE,
        Look::Error => ERROR,
    }
}

/// The icon's name for each look. Panels draw a themed icon of this name in preference
/// to the pixmap: a stock name ("computer") would hide the colours and the progress bar,
/// so these are leovms' own names, which no theme ships unless leovms installs them.
pub fn name(look: Look) -> &'static str {
    match look {
        Look::Idle => "leovms-idle",
        Look::Running => "leovms-running",
        Look::Busy(_) => "leovms-busy",
        Look::Offline => "leovms-offline",
        Look::Error => "leovms-error",
    }
}

/// ARGB32 pixels in network byte order, as StatusNotifierItem wants them.
struct Canvas(Vec<u8>);

impl Canvas {
    fn new() -> Canvas {
        Canvas(vec![0; SIZE * SIZE * 4])
    }

    fn set(&mut self, x: usize, y: usize, alpha: u8, [r, g, b]: [u8; 3]) {
        if x < SIZE && y < SIZE {
            let i = (y * SIZE + x) * 4;
            self.0[i..i + 4].copy_from_slice(&[alpha, r, g, b]);
        }
    }

    /// Fills columns `x0..=x1` of rows `y0..=y1`.
    fn rect(&mut self, (x0, y0): (usize, usize), (x1, y1): (usize, usize), rgb: [u8; 3]) {
        for y in y0..=y1 {
            for x in x0..=x1 {
                self.set(x, y, 0xFF, rgb);
            }
        }
    }
}

pub fn pixmap(look: Look) -> Icon {
    let mut c = Canvas::new();
    let fill = colour(look);
    // The screen (rows 3 to 16, corners rounded off), then the stand.
    c.rect((1, 3), (20, 16), fill);
    for (x, y) in [(1, 3), (20, 3), (1, 16), (20, 16)] {
        c.set(x, y, 0, [0, 0, 0]);
    }
    c.rect((9, 17), (12, 18), fill);
    c.rect((5, 19), (16, 20), fill);
    match look {
        Look::Idle => play(&mut c),
        Look::Running => window(&mut c),
        Look::Busy(pct) => progress(&mut c, pct),
        Look::Offline => cross(&mut c),
        Look::Error => exclamation(&mut c),
    }
    Icon {
        width: SIZE as i32,
        height: SIZE as i32,
        data: c.0,
    }
}

/// ▶: ready to start. Pixels whose centre lies in the triangle (8, 5) – (8, 15) – (15.5, 10).
fn play(c: &mut Canvas) {
    for x in 8..16 {
        let half = 5.0 * (15.5 - (x as f32 + 0.5)) / 7.5;
        for y in 4..17 {
            if (y as f32 + 0.5 - 10.0).abs() <= half {
                c.set(x, y, 0xFF, WHITE);
            }
        }
    }
}

/// A window on the screen: a VM is open. Its title bar filled, its frame drawn.
fn window(c: &mut Canvas) {
    c.rect((5, 6), (16, 7), WHITE);
    c.rect((5, 8), (5, 13), WHITE);
    c.rect((16, 8), (16, 13), WHITE);
    c.rect((6, 13), (15, 13), WHITE);
}

/// A bar that fills with the job's progress (three dots while it counts nothing).
fn progress(c: &mut Canvas, pct: Option<u8>) {
    match pct {
        Some(p) => {
            // A faint track, the done part in white.
            for x in 4..=17 {
                for y in 9..=11 {
                    c.set(x, y, 0x60, WHITE);
                }
            }
            let filled = usize::from(p.min(100)) * 14 / 100;
            if filled > 0 {
                c.rect((4, 9), (3 + filled, 11), WHITE);
            }
        }
        None => {
            for x in [5, 10, 15] {
                c.rect((x, 9), (x + 1, 10), WHITE);
            }
        }
    }
}

/// ×: not connected.
fn cross(c: &mut Canvas) {
    for i in 0..8 {
        let (x, y) = (7 + i, 6 + i);
        c.rect((x, y), (x + 1, y), WHITE);
        c.rect((14 - i, y), (15 - i, y), WHITE);
    }
}

/// !: something failed.
fn exclamation(c: &mut Canvas) {
    c.rect((10, 5), (11, 11), WHITE);
    c.rect((10, 13), (11, 14), WHITE);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many opaque pixels have exactly this colour.
    fn count(icon: &Icon, [r, g, b]: [u8; 3]) -> usize {
        icon.data
            .chunks_exact(4)
            .filter(|p| *p == [0xFF, r, g, b])
            .count()
    }

    #[test]
    fn every_look_has_its_own_exact_colour_and_a_white_sign() {
        let looks = [
            Look::Idle,
            Look::Running,
            Look::Busy(Some(50)),
            Look::Busy(None),
            Look::Offline,
            Look::Error,
        ];
        for look in looks {
            let icon = pixmap(look);
            assert_eq!((icon.width, icon.height), (22, 22));
            assert_eq!(icon.data.len(), 22 * 22 * 4);
            assert!(count(&icon, colour(look)) > 150, "{look:?}");
            assert!(count(&icon, WHITE) > 4, "{look:?}");
            for other in [IDLE, RUNNING, BUSY, OFFLINE, ERROR] {
                if other != colour(look) {
                    assert_eq!(count(&icon, other), 0, "{look:?}");
                }
            }
        }
    }

    /// The white sign's pixels.
    fn sign(icon: &Icon) -> Vec<usize> {
        (0..SIZE * SIZE)
            .filter(|i| icon.data[i * 4..i * 4 + 4] == [0xFF, 0xFF, 0xFF, 0xFF])
            .collect()
    }

    #[test]
    fn a_running_vm_looks_different_from_ready_in_colour_and_sign() {
        let (idle, running) = (pixmap(Look::Idle), pixmap(Look::Running));
        assert_ne!(colour(Look::Running), colour(Look::Idle));
        assert_ne!(name(Look::Running), name(Look::Idle));
        // Without colour vision too: the sign has another shape.
        assert_ne!(sign(&idle), sign(&running));
        assert_eq!(sign(&running).len(), 12 * 2 + 6 * 2 + 10);
    }

    #[test]
    fn the_progress_bar_grows_with_the_percent() {
        let white = |p| count(&pixmap(Look::Busy(Some(p))), WHITE);
        assert!(white(0) < white(50) && white(50) < white(100));
        assert_eq!(white(100), 14 * 3);
    }
}

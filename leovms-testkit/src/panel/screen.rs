//! Screenshots of the panel's display, their pixels, and mouse clicks and key presses.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{PANEL_HEIGHT, Panel, SCREEN, run};

/// A rectangle on the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl Rect {
    /// The whole panel.
    pub const PANEL: Rect = Rect {
        x: 0,
        y: 0,
        w: SCREEN.0,
        h: PANEL_HEIGHT,
    };
    /// The screen below the panel, where menus open.
    pub const BELOW_PANEL: Rect = Rect {
        x: 0,
        y: PANEL_HEIGHT,
        w: SCREEN.0,
        h: SCREEN.1 - PANEL_HEIGHT,
    };

    pub fn center(&self) -> (u32, u32) {
        (self.x + self.w / 2, self.y + self.h / 2)
    }

    fn contains(&self, x: u32, y: u32) -> bool {
        x >= self.x && x < self.x + self.w && y >= self.y && y < self.y + self.h
    }
}

/// A screenshot of the whole screen, saved as a PNG and loaded as RGB pixels.
#[derive(Debug, Clone)]
pub struct Shot {
    pub path: PathBuf,
    pub width: u32,
    pub height: u32,
    rgb: Vec<u8>,
}

impl Shot {
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = ((y * self.width + x) * 3) as usize;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// The pixels in `area` (clipped to the screen) for which `pred` holds: their count
    /// and bounding box.
    pub fn find(
        &self,
        area: Rect,
        mut pred: impl FnMut(u32, u32, [u8; 3]) -> bool,
    ) -> Option<(usize, Rect)> {
        let (mut n, mut x0, mut y0, mut x1, mut y1) = (0, u32::MAX, u32::MAX, 0, 0);
        for y in area.y..(area.y + area.h).min(self.height) {
            for x in area.x..(area.x + area.w).min(self.width) {
                if pred(x, y, self.pixel(x, y)) {
                    n += 1;
                    x0 = x0.min(x);
                    y0 = y0.min(y);
                    x1 = x1.max(x);
                    y1 = y1.max(y);
                }
            }
        }
        (n > 0).then(|| {
            let rect = Rect {
                x: x0,
                y: y0,
                w: x1 - x0 + 1,
                h: y1 - y0 + 1,
            };
            (n, rect)
        })
    }

    /// The pixels in `area` within `tolerance` (per channel) of `rgb`.
    pub fn find_colour(&self, area: Rect, rgb: [u8; 3], tolerance: u8) -> Option<(usize, Rect)> {
        self.find(area, |_, _, p| {
            p.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= tolerance)
        })
    }

    /// The pixels in `area` that differ from `other`'s, outside `except`.
    pub fn diff(&self, other: &Shot, area: Rect, except: Option<Rect>) -> Option<(usize, Rect)> {
        self.find(area, |x, y, p| {
            !except.is_some_and(|r| r.contains(x, y)) && p != other.pixel(x, y)
        })
    }
}

impl Panel {
    /// A screenshot of the whole screen, saved as a PNG at `path`.
    pub fn screenshot(&self, path: &Path) -> io::Result<Shot> {
        let mut import = Command::new("import");
        self.env(&mut import);
        run(import
            .args(["-window", "root"])
            .arg(path)
            .stdin(Stdio::null()))?;
        let mut convert = Command::new("convert");
        self.env(&mut convert);
        let ppm = run(convert.arg(path).args(["-depth", "8", "ppm:-"]))?;
        let (width, height, rgb) = parse_ppm(&ppm)
            .ok_or_else(|| io::Error::other(format!("no PPM from {}", path.display())))?;
        Ok(Shot {
            path: path.to_owned(),
            width,
            height,
            rgb,
        })
    }

    /// Moves the mouse to (`x`, `y`) without a click: off the icon, so that no tooltip
    /// opens below the panel while the test compares what is there.
    pub fn point_at(&self, x: u32, y: u32) -> io::Result<()> {
        self.xdotool(&["mousemove", &x.to_string(), &y.to_string()])
    }

    /// Moves the mouse to (`x`, `y`) and clicks `button` (1 left, 3 right).
    pub fn click(&self, x: u32, y: u32, button: u8) -> io::Result<()> {
        self.xdotool(&[
            "mousemove",
            &x.to_string(),
            &y.to_string(),
            "click",
            &button.to_string(),
        ])
    }

    /// Presses and releases `keys` (X key names: `Down`, `Right`, `Return`) one by one.
    pub fn keys(&self, keys: &[&str]) -> io::Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        self.xdotool(&[&["key", "--delay", "50"], keys].concat())
    }

    fn xdotool(&self, args: &[&str]) -> io::Result<()> {
        let mut cmd = Command::new("xdotool");
        self.env(&mut cmd);
        run(cmd.args(args).stdin(Stdio::null())).map(drop)
    }
}

/// Width, height and pixels of a binary PPM (`P6`, 8 bit).
fn parse_ppm(data: &[u8]) -> Option<(u32, u32, Vec<u8>)> {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while data.get(i)?.is_ascii_whitespace() {
            i += 1;
        }
        if data[i] == b'#' {
            while *data.get(i)? != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        while !data.get(i)?.is_ascii_whitespace() {
            i += 1;
        }
        fields.push(std::str::from_utf8(&data[start..i]).ok()?.to_owned());
    }
    let pixels = &data[i + 1..];
    let (width, height): (u32, u32) = (fields[1].parse().ok()?, fields[2].parse().ok()?);
    (fields[0] == "P6" && fields[3] == "255" && pixels.len() == (width * height * 3) as usize)
        .then(|| (width, height, pixels.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_ppm() {
        let mut data = b"P6\n# made by hand\n2 1\n255\n".to_vec();
        data.extend([1, 2, 3, 4, 5, 6]);
        let (w, h, rgb) = parse_ppm(&data).unwrap();
        assert_eq!((w, h), (2, 1));
        let shot = Shot {
            path: PathBuf::new(),
            width: w,
            height: h,
            rgb,
        };
        assert_eq!(shot.pixel(1, 0), [4, 5, 6]);
        let all = Rect {
            x: 0,
            y: 0,
            w: 2,
            h: 1,
        };
        let (n, rect) = shot.find_colour(all, [5, 5, 5], 1).unwrap();
        assert_eq!((n, rect.x, rect.w), (1, 1, 1));
        assert!(parse_ppm(&data[..data.len() - 1]).is_none());
    }
}

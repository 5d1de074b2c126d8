//! manifest.toml: every file of a VM directory with size and SHA-256. Clients trust nothing
//! the manifest does not list, and check what they read against it.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};

use crate::config::{ConfigError, KeyIndex, read_text};
use crate::name::safe_relative_path;

/// Largest config file or template read into memory.
pub const SMALL_FILE_LIMIT: u64 = 16 << 20;
const BUFFER: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Manifest {
    pub files: Vec<ManifestEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    /// Relative to the VM directory, '/'-separated, every part a safe name.
    #[serde(deserialize_with = "de_path")]
    pub path: String,
    pub size: u64,
    #[serde(deserialize_with = "de_sha256")]
    pub sha256: [u8; 32],
    /// Archives: the sum of the sizes of the regular files inside.
    pub unpacked: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    format: Option<i64>,
    #[serde(default)]
    file: Vec<ManifestEntry>,
}

fn de_path<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let path = String::deserialize(d)?;
    safe_relative_path(&path).map_err(serde::de::Error::custom)?;
    Ok(path)
}

fn de_sha256<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
    let text = String::deserialize(d)?;
    let valid = text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let mut out = [0u8; 32];
    if !valid || hex::decode_to_slice(&text, &mut out).is_err() {
        return Err(serde::de::Error::custom(
            "must be a SHA-256: 64 lowercase hexadecimal digits",
        ));
    }
    Ok(out)
}

impl Manifest {
    pub fn parse(text: &str, file: &Path) -> Result<Self, ConfigError> {
        let index = KeyIndex::new(file, text)?;
        let raw: RawManifest = toml::from_str(text).map_err(|e| index.translate(&e))?;
        if let Some(format) = raw.format.filter(|&f| f != crate::config::FORMAT) {
            return Err(index.error_at(
                "format",
                format!("format {format} is not supported (this version reads format 1)"),
            ));
        }
        for (i, entry) in raw.file.iter().enumerate() {
            if let Some(first) = raw.file[..i].iter().position(|e| e.path == entry.path) {
                let first_line = index.error_at(&format!("file[{first}].path"), "").line;
                return Err(index.error_at(
                    &format!("file[{i}].path"),
                    format!(
                        "\"{}\" is listed twice (first at line {})",
                        entry.path,
                        first_line.unwrap_or(1)
                    ),
                ));
            }
        }
        Ok(Manifest { files: raw.file })
    }

    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::parse(&read_text(path)?, path)
    }

    pub fn get(&self, path: &str) -> Option<&ManifestEntry> {
        self.files.iter().find(|e| e.path == path)
    }

    pub fn to_toml_string(&self) -> String {
        let mut out = String::from("format = 1\n");
        for e in &self.files {
            // Safe paths have no control characters or backslashes; only '"' needs escaping.
            let path = e.path.replace('"', "\\\"");
            let _ = write!(
                out,
                "\n[[file]]\npath = \"{path}\"\nsize = {}\nsha256 = \"{}\"\n",
                e.size,
                hex::encode(e.sha256)
            );
            if let Some(unpacked) = e.unpacked {
                let _ = writeln!(out, "unpacked = {unpacked}");
            }
        }
        out
    }
}

/// Size and SHA-256 of a file, read in 1 MiB pieces.
pub fn sha256_file(path: &Path) -> io::Result<(u64, [u8; 32])> {
    sha256_reader(File::open(path)?, |_| {})
}

/// Size and SHA-256 of everything `reader` yields; `read` is told the size of each piece
/// (for progress).
pub fn sha256_reader(reader: impl Read, mut read: impl FnMut(u64)) -> io::Result<(u64, [u8; 32])> {
    sha256_pieces(
        reader,
        |e| e,
        |piece| {
            read(piece.len() as u64);
            Ok(())
        },
    )
}

/// Size and SHA-256 of everything `reader` yields, read in 1 MiB pieces: the one hashing
/// loop. Each piece goes to `piece` first (to write a copy, to count progress, to stop:
/// its error ends the reading and is returned); `read_error` turns a failed read into
/// the caller's error.
pub fn sha256_pieces<E>(
    mut reader: impl Read,
    read_error: impl Fn(io::Error) -> E,
    mut piece: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(u64, [u8; 32]), E> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; BUFFER];
    let mut size = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(e)),
        };
        piece(&buf[..n])?;
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, hasher.finalize().into()))
}

/// Reads a small file whole (a settings file, a template, a manifest): at most
/// [`SMALL_FILE_LIMIT`] bytes, a larger one is refused with
/// [`io::ErrorKind::FileTooLarge`]. A link at the end of `path` is not followed and a
/// FIFO or device is refused without blocking (see [`crate::dirfd::open_regular`]).
pub fn read_small(path: &Path) -> io::Result<Vec<u8>> {
    read_small_file(crate::dirfd::open_regular(path)?, path)
}

/// [`read_small`] of a file the caller opened; `path` names it in the error.
pub fn read_small_file(file: File, path: &Path) -> io::Result<Vec<u8>> {
    read_limited(file)?.map_err(|size| {
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!(
                "{} is too large for a settings file ({size} bytes, at most 16 MiB)",
                path.display()
            ),
        )
    })
}

/// The bytes of `file`, or its size when that is over [`SMALL_FILE_LIMIT`]; a file that
/// grows while it is read is cut at one byte over the limit.
fn read_limited(file: File) -> io::Result<Result<Vec<u8>, u64>> {
    let len = file.metadata()?.len();
    if len > SMALL_FILE_LIMIT {
        return Ok(Err(len));
    }
    let mut bytes = Vec::new();
    file.take(SMALL_FILE_LIMIT + 1).read_to_end(&mut bytes)?;
    let found = bytes.len() as u64;
    Ok(if found > SMALL_FILE_LIMIT {
        Err(found)
    } else {
        Ok(bytes)
    })
}

/// A file that does not match the manifest.
#[derive(Debug, thiserror::Error)]
pub enum IntegrityError {
    #[error("cannot read {file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file} is too large for a settings file ({size} bytes, at most 16 MiB)")]
    TooLarge { file: String, size: u64 },
    #[error(
        "{file} is damaged or was changed after publishing (it has {found} bytes, the manifest says {expected})"
    )]
    Size {
        file: String,
        expected: u64,
        found: u64,
    },
    #[error("{file} is damaged or was changed after publishing (checksum mismatch)")]
    Checksum {
        file: String,
        expected: [u8; 32],
        found: [u8; 32],
    },
}

/// `vm-win10/image.conf` for `/share/vm-win10/image.conf` and entry `image.conf`.
fn shown_name(path: &Path, rel: &str) -> String {
    let mut dir = Some(path);
    for _ in rel.split('/') {
        dir = dir.and_then(Path::parent);
    }
    match dir.and_then(Path::file_name) {
        Some(vm) => format!("{}/{rel}", vm.to_string_lossy()),
        None => path.display().to_string(),
    }
}

/// Read a small file (config, template) and check it against its manifest entry.
pub fn verify_small_file(path: &Path, entry: &ManifestEntry) -> Result<Vec<u8>, IntegrityError> {
    let file = shown_name(path, &entry.path);
    if entry.size > SMALL_FILE_LIMIT {
        return Err(IntegrityError::TooLarge {
            file,
            size: entry.size,
        });
    }
    let io = |source| IntegrityError::Io {
        file: file.clone(),
        source,
    };
    let bytes = match File::open(path).and_then(read_limited).map_err(io)? {
        Ok(bytes) => bytes,
        Err(size) => return Err(IntegrityError::TooLarge { file, size }),
    };
    let found = bytes.len() as u64;
    if found != entry.size {
        return Err(IntegrityError::Size {
            file,
            expected: entry.size,
            found,
        });
    }
    let digest: [u8; 32] = Sha256::digest(&bytes).into();
    if digest != entry.sha256 {
        return Err(IntegrityError::Checksum {
            file,
            expected: entry.sha256,
            found: digest,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7";

    fn sample() -> String {
        format!(
            "format = 1\n\n[[file]]\npath = \"image.conf\"\nsize = 12\nsha256 = \"{SHA}\"\n\n\
             [[file]]\npath = \"snapshots/exam/snapshot.tar.zst\"\nsize = 1234\n\
             sha256 = \"{SHA}\"\nunpacked = 5678\n"
        )
    }

    #[test]
    fn parse_and_roundtrip() {
        let m = Manifest::parse(&sample(), Path::new("m")).unwrap();
        assert_eq!(m.files.len(), 2);
        let e = m.get("snapshots/exam/snapshot.tar.zst").unwrap();
        assert_eq!((e.size, e.unpacked), (1234, Some(5678)));
        assert_eq!(hex::encode(e.sha256), SHA);
        assert_eq!(m.get("image.conf").unwrap().unpacked, None);
        assert!(m.get("nope").is_none());
        let text = m.to_toml_string();
        assert_eq!(text, sample());
        assert_eq!(Manifest::parse(&text, Path::new("m")).unwrap(), m);
        let odd = Manifest {
            files: vec![ManifestEntry {
                path: "say \"hi\".conf".into(),
                ..m.files[0].clone()
            }],
        };
        let back = Manifest::parse(&odd.to_toml_string(), Path::new("m")).unwrap();
        assert_eq!(back, odd);
        assert_eq!(
            Manifest::parse("", Path::new("m")).unwrap(),
            Manifest::default()
        );
    }

    fn err(text: &str) -> String {
        Manifest::parse(text, Path::new("vm/manifest.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn refuses_bad_entries() {
        let e = err(&sample().replace("image.conf", "../image.conf"));
        assert!(
            e.starts_with("vm/manifest.toml:4: file.path: bad name \"..\""),
            "{e}"
        );
        let e = err(&sample().replace("image.conf", "/etc/passwd"));
        assert!(
            e.contains(":4: file.path: bad name \"/etc/passwd\": is an absolute"),
            "{e}"
        );
        let e = err(&sample().replacen(SHA, "ABC", 1));
        assert!(
            e.starts_with("vm/manifest.toml:6: file.sha256: must be a SHA-256"),
            "{e}"
        );
        let e = err(&sample().replacen(SHA, &SHA.to_uppercase(), 1));
        assert!(e.contains(":6: file.sha256: must be a SHA-256"), "{e}");
        let e = err(&sample().replace("size = 12", "size = -1"));
        assert!(e.contains(":5: file.size: invalid value"), "{e}");
        let e = err(&sample().replace("size = 12\n", ""));
        assert_eq!(e, "vm/manifest.toml:3: file.size: required key is missing");
        let e = err(&sample().replace("unpacked", "unpackd"));
        assert!(e.contains(":12: file.unpackd: unknown key"), "{e}");
        let e = err(&sample().replace("format = 1", "format = 2"));
        assert!(
            e.starts_with("vm/manifest.toml:1: format: format 2 is not supported"),
            "{e}"
        );
        let dup = sample().replace("snapshots/exam/snapshot.tar.zst", "image.conf");
        assert_eq!(
            err(&dup),
            "vm/manifest.toml:9: file.path: \"image.conf\" is listed twice (first at line 4)"
        );
    }

    #[test]
    fn hashing_and_verification() {
        let dir = tempfile::tempdir().unwrap();
        let vm = dir.path().join("vm-win10");
        std::fs::create_dir(&vm).unwrap();
        let path = vm.join("image.conf");
        std::fs::write(&path, b"name = \"x\"\n").unwrap();
        let (size, sha) = sha256_file(&path).unwrap();
        assert_eq!(size, 11);
        assert_eq!(sha, <[u8; 32]>::from(Sha256::digest(b"name = \"x\"\n")));
        let mut entry = ManifestEntry {
            path: "image.conf".into(),
            size,
            sha256: sha,
            unpacked: None,
        };
        assert_eq!(verify_small_file(&path, &entry).unwrap(), b"name = \"x\"\n");

        std::fs::write(&path, b"name = \"y\"\n").unwrap();
        let e = verify_small_file(&path, &entry).unwrap_err();
        assert_eq!(
            e.to_string(),
            "vm-win10/image.conf is damaged or was changed after publishing (checksum mismatch)"
        );
        std::fs::write(&path, b"name = \"yy\"\n").unwrap();
        let e = verify_small_file(&path, &entry).unwrap_err();
        assert!(
            matches!(
                e,
                IntegrityError::Size {
                    expected: 11,
                    found: 12,
                    ..
                }
            ),
            "{e}"
        );
        std::fs::remove_file(&path).unwrap();
        let e = verify_small_file(&path, &entry).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("cannot read vm-win10/image.conf: "),
            "{e}"
        );
        entry.size = SMALL_FILE_LIMIT + 1;
        assert!(matches!(
            verify_small_file(&path, &entry),
            Err(IntegrityError::TooLarge { .. })
        ));
        // Big files stream through the hasher.
        let big = vm.join("big");
        std::fs::write(&big, vec![7u8; 3 << 20 | 5]).unwrap();
        let (size, sha) = sha256_file(&big).unwrap();
        assert_eq!(size, 3 << 20 | 5);
        assert_eq!(
            sha,
            <[u8; 32]>::from(Sha256::digest(vec![7u8; 3 << 20 | 5]))
        );
    }

    #[test]
    fn small_files_are_read_whole_and_large_ones_refused() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("image.conf");
        std::fs::write(&small, b"name = \"x\"\n").unwrap();
        assert_eq!(read_small(&small).unwrap(), b"name = \"x\"\n");
        let link = dir.path().join("link.conf");
        std::os::unix::fs::symlink(&small, &link).unwrap();
        let e = read_small(&link).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        // A file opened by the caller follows its rules, then the same limit.
        let opened = File::open(&link).unwrap();
        assert_eq!(read_small_file(opened, &link).unwrap().len(), 11);
        let big = dir.path().join("big.vbox");
        let file = File::create(&big).unwrap();
        file.set_len(SMALL_FILE_LIMIT + 1).unwrap();
        let e = read_small(&big).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert!(
            e.to_string().ends_with(&format!(
                "big.vbox is too large for a settings file ({} bytes, at most 16 MiB)",
                SMALL_FILE_LIMIT + 1
            )),
            "{e}"
        );
    }

    #[test]
    fn shown_names() {
        assert_eq!(
            shown_name(
                Path::new("/s/vm/snapshots/a/x.tar.zst"),
                "snapshots/a/x.tar.zst"
            ),
            "vm/snapshots/a/x.tar.zst"
        );
        assert_eq!(
            shown_name(Path::new("image.conf"), "image.conf"),
            "image.conf"
        );
    }
}

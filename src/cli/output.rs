//! Writing output files atomically, and encoding PNGs.
//!
//! A file is written to a temporary name in the destination's folder
//! (`.NAME.tmp-PID`), flushed to disk, and only then renamed over the
//! destination. So a failed or interrupted run never leaves a half-written
//! file: the destination is either the old file, untouched, or the complete
//! new one; and the temporary file is removed on every failure.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use image::ImageEncoder;
use image::codecs::png::PngEncoder;

use super::{Failure, interrupt};

/// Checks, before any work, that `path` can name an output file: its folder
/// exists and it is not itself a folder.
pub fn check_destination(path: &Path) -> Result<(), Failure> {
    let shown = path.display();
    if path.file_name().is_none() {
        return Err(Failure::bad(format!(
            "output `{shown}` does not name a file"
        )));
    }
    if path.is_dir() {
        return Err(Failure::bad(format!(
            "output `{shown}` is a folder; give a file name, e.g. -o out.png"
        )));
    }
    let dir = folder_of(path);
    if !dir.is_dir() {
        return Err(Failure::bad(format!(
            "cannot write `{shown}`: the folder `{}` does not exist",
            dir.display()
        )));
    }
    Ok(())
}

/// The folder a file lives in (`.` for a bare file name).
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The temporary name used while writing `path`.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(".tmp-{}", std::process::id()));
    folder_of(path).join(name)
}

/// Writes `path` atomically with `write`, which gets a buffered file.
///
/// After the data is on disk, `cancel` is checked once more: if Ctrl-C came
/// in the meantime the temporary file is removed and nothing is replaced.
pub fn write_atomic(
    path: &Path,
    cancel: &AtomicBool,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Failure> {
    let tmp = temp_path(path);
    interrupt::set_pending(Some(tmp.clone()));
    let result = write_then_rename(path, &tmp, cancel, write);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    interrupt::set_pending(None);
    result
}

fn write_then_rename(
    path: &Path,
    tmp: &Path,
    cancel: &AtomicBool,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Failure> {
    let io_fail = |what: &str, e: io::Error| {
        Failure::failed(format!("cannot {what} `{}`: {e}", path.display()))
    };
    let file = File::create(tmp).map_err(|e| io_fail("create a temporary file next to", e))?;
    let mut buf = BufWriter::new(file);
    write(&mut buf).map_err(|e| io_fail("write", e))?;
    let file = buf
        .into_inner()
        .map_err(|e| io_fail("write", e.into_error()))?;
    file.sync_all().map_err(|e| io_fail("write", e))?;
    drop(file);
    if interrupt::requested(cancel) {
        return Err(Failure::interrupted());
    }
    std::fs::rename(tmp, path).map_err(|e| io_fail("replace", e))?;
    // Make the rename itself durable; not every system can sync a folder.
    if let Ok(dir) = File::open(folder_of(path)) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Encodes an 8-bit greyscale image as PNG.
pub fn encode_png(out: &mut dyn Write, grey: &[u8], width: usize, height: usize) -> io::Result<()> {
    encode_png_as(out, grey, width, height, image::ExtendedColorType::L8)
}

/// Encodes an image as PNG: `data` holds `width × height` pixels of
/// `color` (16-bit channels in native byte order).
pub fn encode_png_as(
    out: &mut dyn Write,
    data: &[u8],
    width: usize,
    height: usize,
    color: image::ExtendedColorType,
) -> io::Result<()> {
    let too_big = || io::Error::new(io::ErrorKind::InvalidInput, "image too large for PNG");
    let w = u32::try_from(width).map_err(|_| too_big())?;
    let h = u32::try_from(height).map_err(|_| too_big())?;
    PngEncoder::new(out)
        .write_image(data, w, h, color)
        .map_err(|e| match e {
            image::ImageError::IoError(e) => e,
            other => io::Error::other(other.to_string()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("tapir-output-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn replaces_whole_file() {
        let d = scratch("ok");
        let p = d.join("a.bin");
        std::fs::write(&p, b"old").unwrap();
        write_atomic(&p, &AtomicBool::new(false), |w| w.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn failure_keeps_old_file() {
        let d = scratch("fail");
        let p = d.join("a.bin");
        std::fs::write(&p, b"old").unwrap();
        let r = write_atomic(&p, &AtomicBool::new(false), |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("disk on fire"))
        });
        assert!(r.unwrap_err().message.contains("disk on fire"));
        let r = write_atomic(&p, &AtomicBool::new(true), |w| w.write_all(b"new"));
        assert_eq!(r.unwrap_err().code, super::super::EXIT_INTERRUPTED);
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn destinations() {
        let d = scratch("dest");
        assert!(check_destination(&d.join("x.png")).is_ok());
        assert!(check_destination(&d).is_err());
        assert!(
            check_destination(&d.join("missing/x.png"))
                .unwrap_err()
                .message
                .contains("does not exist")
        );
        assert!(check_destination(Path::new("x.png")).is_ok());
        assert_eq!(
            temp_path(Path::new("x.png")),
            Path::new(".").join(format!(".x.png.tmp-{}", std::process::id()))
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}

//! Writing output files atomically, and encoding PNGs.
//!
//! Every output of the command line (PNG pictures, `.vm`/`.expr` exports,
//! meshes, SVG contours) goes through [`write_atomic`]: the data is written
//! to a new temporary file in the destination's folder (`.NAME.XXXXXX.tmp`,
//! made by the `tempfile` crate, so its name never collides), flushed to
//! disk, and only then renamed over the destination (`persist`). So a failed
//! or interrupted run never leaves a half-written file: the destination is
//! either the old file, untouched, or the complete new one; and the
//! temporary file is removed on every failure (by `tempfile` when it is
//! dropped, and by the Ctrl-C handler on a hard exit).

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

/// Writes `path` atomically with `write`, which gets a buffered file.
///
/// After the data is on disk, `cancel` is checked once more: if Ctrl-C came
/// in the meantime the temporary file is removed and nothing is replaced.
/// The new file gets the permissions of the file it replaces, or
/// `rw-r--r--` when there is none.
pub fn write_atomic(
    path: &Path,
    cancel: &AtomicBool,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Failure> {
    let io_fail = |what: &str, e: io::Error| {
        Failure::failed(format!("cannot {what} `{}`: {e}", path.display()))
    };
    let dir = folder_of(path);
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(path.file_name().unwrap_or_default());
    prefix.push(".");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    if let Some(p) = permissions_for(path) {
        builder.permissions(p);
    }
    let mut tmp = builder
        .tempfile_in(&dir)
        .map_err(|e| io_fail("create a temporary file next to", e))?;
    interrupt::set_pending(Some(tmp.path().to_path_buf()));
    let result = (|| {
        let mut buf = BufWriter::new(tmp.as_file_mut());
        write(&mut buf).map_err(|e| io_fail("write", e))?;
        buf.flush().map_err(|e| io_fail("write", e))?;
        drop(buf);
        tmp.as_file().sync_all().map_err(|e| io_fail("write", e))?;
        if interrupt::requested(cancel) {
            return Err(Failure::interrupted());
        }
        // On failure the temporary file comes back in the error and is
        // removed when that is dropped.
        tmp.persist(path).map_err(|e| io_fail("replace", e.error))?;
        // Make the rename itself durable; not every system can sync a folder.
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    interrupt::set_pending(None);
    result
}

/// The permissions a new output at `path` gets: those of the file it
/// replaces, else (on Unix) readable by everyone and writable by the owner,
/// what a plain `File::create` gives under the usual umask (`tempfile` alone
/// would make it private). `None`: the system's default.
fn permissions_for(path: &Path) -> Option<std::fs::Permissions> {
    if let Ok(m) = std::fs::metadata(path)
        && m.is_file()
    {
        return Some(m.permissions());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Some(std::fs::Permissions::from_mode(0o644))
    }
    #[cfg(not(unix))]
    None
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
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            // A new file is readable by all; a replaced one keeps its mode.
            let q = d.join("b.bin");
            write_atomic(&q, &AtomicBool::new(false), |w| w.write_all(b"b")).unwrap();
            assert_eq!(mode(&q), 0o644);
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
            write_atomic(&p, &AtomicBool::new(false), |w| w.write_all(b"newer")).unwrap();
            assert_eq!(mode(&p), 0o600);
        }
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
        let _ = std::fs::remove_dir_all(&d);
    }
}

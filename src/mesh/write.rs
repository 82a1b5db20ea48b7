//! Mesh writers: binary STL, OBJ, binary PLY and 3MF, to any [`Write`].
//!
//! Every writer takes a [`Mesh`] as it is (indexed vertices, a normal per
//! vertex, triangles counter-clockwise seen from outside) and writes it
//! without changing it:
//!
//! - **STL** (binary): 80-byte header, triangle count, then per triangle
//!   its facet normal (from its corners, by the right-hand rule) and its
//!   three corners. STL has no shared vertices, so each corner is repeated.
//! - **OBJ** (text): `v x y z` per vertex, `vn` per vertex normal, and
//!   `f a//a b//b c//c` per triangle (1-based, shared vertices). Numbers are
//!   printed in the shortest form that reads back to the same `f32`.
//! - **PLY** (binary little-endian): vertices as `x y z nx ny nz` floats,
//!   faces as a `uchar` count and `uint` indices (shared vertices).
//! - **3MF**: a zip archive holding `[Content_Types].xml`, `_rels/.rels` and
//!   `3D/3dmodel.model` (one object with the shared vertices and the
//!   triangles, in millimetres), deflated. The zip is written here (local
//!   headers with known sizes and CRC-32, a central directory, no zip64),
//!   with a fixed timestamp, so the same mesh always gives the same bytes.
//!
//! When [`Mesh::normals`] does not have one normal per vertex (e.g. it is
//! empty), OBJ and PLY are written without normals. A mesh with a triangle
//! index out of range or a coordinate that is not finite is refused
//! ([`io::ErrorKind::InvalidInput`]) before anything is written.
//!
//! [`MeshFormat::from_path`] picks the format from a file name's extension.
//!
//! ```
//! use tapir::mesh::Mesh;
//! use tapir::mesh::write::MeshFormat;
//!
//! // A tetrahedron, counter-clockwise seen from outside.
//! let mesh = Mesh {
//!     vertices: vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
//!     normals: vec![[-0.577, -0.577, -0.577], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
//!     triangles: vec![[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]],
//! };
//! let format = MeshFormat::from_path("part.stl".as_ref()).unwrap();
//! assert_eq!(format, MeshFormat::Stl);
//! let mut stl = Vec::new();
//! mesh.write(format, &mut stl).unwrap();
//! assert_eq!(stl.len(), 84 + 50 * 4); // header, count, 50 bytes a triangle
//!
//! let mut obj = Vec::new();
//! mesh.write(MeshFormat::Obj, &mut obj).unwrap();
//! let obj = String::from_utf8(obj).unwrap();
//! assert!(obj.contains("\nf 1//1 3//3 2//2\n"));
//!
//! assert!(MeshFormat::from_path("part.step".as_ref()).is_err());
//! ```

use std::fmt;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use flate2::Compression;
use flate2::write::DeflateEncoder;

use super::Mesh;
use crate::error::Error;

/// A mesh file format.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum MeshFormat {
    /// Binary STL (`.stl`).
    Stl,
    /// Wavefront OBJ with vertex normals (`.obj`).
    Obj,
    /// Binary little-endian PLY with normals (`.ply`).
    Ply,
    /// 3D Manufacturing Format (`.3mf`), a zip of XML.
    ThreeMf,
}

impl MeshFormat {
    /// Every format, in the order the docs list them.
    pub const ALL: [MeshFormat; 4] = [
        MeshFormat::Stl,
        MeshFormat::Obj,
        MeshFormat::Ply,
        MeshFormat::ThreeMf,
    ];

    /// The file extension, without the dot (`"stl"`, `"obj"`, `"ply"`,
    /// `"3mf"`).
    pub fn extension(self) -> &'static str {
        match self {
            MeshFormat::Stl => "stl",
            MeshFormat::Obj => "obj",
            MeshFormat::Ply => "ply",
            MeshFormat::ThreeMf => "3mf",
        }
    }

    /// The format a file name asks for by its extension (any case), or
    /// [`Error::Limit`] naming the supported extensions.
    pub fn from_path(path: &Path) -> Result<MeshFormat, Error> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let supported = || {
            MeshFormat::ALL
                .iter()
                .map(|f| format!(".{}", f.extension()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match ext {
            Some(e) => MeshFormat::ALL
                .into_iter()
                .find(|f| f.extension() == e)
                .ok_or_else(|| {
                    Error::Limit(format!(
                        "`{}`: unknown mesh format `.{e}`; the supported extensions are {}",
                        path.display(),
                        supported()
                    ))
                }),
            None => Err(Error::Limit(format!(
                "`{}` has no extension to choose the mesh format by; use one of {}",
                path.display(),
                supported()
            ))),
        }
    }
}

impl fmt::Display for MeshFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MeshFormat::Stl => "STL",
            MeshFormat::Obj => "OBJ",
            MeshFormat::Ply => "PLY",
            MeshFormat::ThreeMf => "3MF",
        })
    }
}

impl Mesh {
    /// Writes the mesh to `out` in `format` (see the [module
    /// docs](crate::mesh::write) for what each format holds).
    pub fn write(&self, format: MeshFormat, out: &mut dyn Write) -> io::Result<()> {
        match format {
            MeshFormat::Stl => write_stl(self, out),
            MeshFormat::Obj => write_obj(self, out),
            MeshFormat::Ply => write_ply(self, out),
            MeshFormat::ThreeMf => write_3mf(self, out),
        }
    }
}

/// Refuses a mesh the formats cannot hold: an index out of range, a
/// coordinate that is not finite, or more vertices than `u32` indices.
fn check(mesh: &Mesh) -> io::Result<()> {
    let bad = |m: String| Err(io::Error::new(io::ErrorKind::InvalidInput, m));
    let n = mesh.vertices.len();
    if u32::try_from(n).is_err() || u32::try_from(mesh.triangles.len()).is_err() {
        return bad(format!(
            "a mesh of {n} vertices and {} triangles is too large to write (at most 2³² - 1 of each)",
            mesh.triangles.len()
        ));
    }
    if let Some((i, t)) = mesh
        .triangles
        .iter()
        .enumerate()
        .find(|(_, t)| t.iter().any(|&v| v as usize >= n))
    {
        return bad(format!(
            "triangle {i} {t:?} names a vertex beyond the mesh's {n}"
        ));
    }
    if let Some(i) = mesh
        .vertices
        .iter()
        .position(|v| v.iter().any(|c| !c.is_finite()))
    {
        return bad(format!("vertex {i} {:?} is not finite", mesh.vertices[i]));
    }
    Ok(())
}

/// True when the mesh has one normal per vertex.
fn has_normals(mesh: &Mesh) -> bool {
    !mesh.vertices.is_empty() && mesh.normals.len() == mesh.vertices.len()
}

/// The unit normal of the triangle `a b c` by the right-hand rule, or zero
/// for a degenerate one.
pub fn facet_normal(a: [f32; 3], b: [f32; 3], c: [f32; 3]) -> [f32; 3] {
    let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
    let n = [
        u[1] as f64 * v[2] as f64 - u[2] as f64 * v[1] as f64,
        u[2] as f64 * v[0] as f64 - u[0] as f64 * v[2] as f64,
        u[0] as f64 * v[1] as f64 - u[1] as f64 * v[0] as f64,
    ];
    let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    if len > 0.0 && len.is_finite() {
        n.map(|c| (c / len) as f32)
    } else {
        [0.0; 3]
    }
}

fn put_f32s(out: &mut impl Write, v: &[f32]) -> io::Result<()> {
    for c in v {
        out.write_all(&c.to_le_bytes())?;
    }
    Ok(())
}

/// Writes binary STL: facet normals from the corners, corners repeated.
pub fn write_stl(mesh: &Mesh, out: &mut dyn Write) -> io::Result<()> {
    check(mesh)?;
    let mut w = BufWriter::with_capacity(1 << 16, out);
    let mut header = [b' '; 80];
    let text = b"binary STL written by tapir";
    header[..text.len()].copy_from_slice(text);
    w.write_all(&header)?;
    w.write_all(&(mesh.triangles.len() as u32).to_le_bytes())?;
    for t in &mesh.triangles {
        let [a, b, c] = t.map(|i| mesh.vertices[i as usize]);
        put_f32s(&mut w, &facet_normal(a, b, c))?;
        for p in [a, b, c] {
            put_f32s(&mut w, &p)?;
        }
        w.write_all(&[0, 0])?;
    }
    w.flush()
}

/// Writes OBJ: `v`, `vn` (when there are normals) and `f` lines, 1-based.
pub fn write_obj(mesh: &Mesh, out: &mut dyn Write) -> io::Result<()> {
    check(mesh)?;
    let mut w = BufWriter::with_capacity(1 << 16, out);
    writeln!(
        w,
        "# written by tapir: {} vertices, {} triangles",
        mesh.vertices.len(),
        mesh.triangles.len()
    )?;
    for [x, y, z] in &mesh.vertices {
        writeln!(w, "v {x} {y} {z}")?;
    }
    let normals = has_normals(mesh);
    if normals {
        for [x, y, z] in &mesh.normals {
            writeln!(w, "vn {x} {y} {z}")?;
        }
    }
    for t in &mesh.triangles {
        let [a, b, c] = t.map(|i| i as u64 + 1);
        if normals {
            writeln!(w, "f {a}//{a} {b}//{b} {c}//{c}")?;
        } else {
            writeln!(w, "f {a} {b} {c}")?;
        }
    }
    w.flush()
}

/// Writes binary little-endian PLY: `x y z [nx ny nz]` per vertex, a
/// `uchar` count and three `uint` indices per face.
pub fn write_ply(mesh: &Mesh, out: &mut dyn Write) -> io::Result<()> {
    check(mesh)?;
    let mut w = BufWriter::with_capacity(1 << 16, out);
    let normals = has_normals(mesh);
    write!(
        w,
        "ply\nformat binary_little_endian 1.0\ncomment written by tapir\n\
         element vertex {}\nproperty float x\nproperty float y\nproperty float z\n",
        mesh.vertices.len()
    )?;
    if normals {
        w.write_all(b"property float nx\nproperty float ny\nproperty float nz\n")?;
    }
    write!(
        w,
        "element face {}\nproperty list uchar uint vertex_indices\nend_header\n",
        mesh.triangles.len()
    )?;
    for (i, v) in mesh.vertices.iter().enumerate() {
        put_f32s(&mut w, v)?;
        if normals {
            put_f32s(&mut w, &mesh.normals[i])?;
        }
    }
    for t in &mesh.triangles {
        w.write_all(&[3])?;
        for i in t {
            w.write_all(&i.to_le_bytes())?;
        }
    }
    w.flush()
}

/// The 3MF package's content types.
const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
 <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
 <Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>
</Types>
"#;

/// The 3MF package's relationships: where the model is.
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
 <Relationship Target="/3D/3dmodel.model" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>
</Relationships>
"#;

/// Writes the 3MF model XML.
fn write_model(mesh: &Mesh, w: &mut impl Write) -> io::Result<()> {
    w.write_all(
        br#"<?xml version="1.0" encoding="UTF-8"?>
<model unit="millimeter" xml:lang="en-US" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">
 <metadata name="Application">tapir</metadata>
 <resources>
  <object id="1" type="model">
   <mesh>
    <vertices>
"#,
    )?;
    for [x, y, z] in &mesh.vertices {
        writeln!(w, "     <vertex x=\"{x}\" y=\"{y}\" z=\"{z}\"/>")?;
    }
    w.write_all(b"    </vertices>\n    <triangles>\n")?;
    for [a, b, c] in &mesh.triangles {
        writeln!(w, "     <triangle v1=\"{a}\" v2=\"{b}\" v3=\"{c}\"/>")?;
    }
    w.write_all(
        b"    </triangles>\n   </mesh>\n  </object>\n </resources>\n <build>\n  <item objectid=\"1\"/>\n </build>\n</model>\n",
    )
}

/// One deflated zip entry, ready to be written.
struct Entry {
    name: &'static str,
    crc: u32,
    size: u32,
    data: Vec<u8>,
}

/// Counts and checksums what goes through it into a deflate stream.
struct Deflating {
    encoder: DeflateEncoder<Vec<u8>>,
    crc: flate2::Crc,
    size: u64,
}

impl Write for Deflating {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.encoder.write(buf)?;
        self.crc.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.encoder.flush()
    }
}

/// Deflates what `write` produces into a zip entry named `name`.
fn entry(
    name: &'static str,
    write: impl FnOnce(&mut BufWriter<&mut Deflating>) -> io::Result<()>,
) -> io::Result<Entry> {
    let mut d = Deflating {
        encoder: DeflateEncoder::new(Vec::new(), Compression::default()),
        crc: flate2::Crc::new(),
        size: 0,
    };
    {
        let mut w = BufWriter::with_capacity(1 << 16, &mut d);
        write(&mut w)?;
        w.flush()?;
    }
    let too_big = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{name}` is over 4 GiB, too large for a 3MF file (zip64 is not written)"),
        )
    };
    let size = u32::try_from(d.size).map_err(|_| too_big())?;
    let data = d.encoder.finish()?;
    u32::try_from(data.len()).map_err(|_| too_big())?;
    Ok(Entry {
        name,
        crc: d.crc.sum(),
        size,
        data,
    })
}

/// MS-DOS date of 1980-01-01 (the earliest a zip can hold); the time is 0.
const DOS_DATE: u16 = (1 << 5) | 1;

/// Writes a zip archive of deflated `entries`.
fn write_zip(entries: &[Entry], out: &mut dyn Write) -> io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 16, out);
    let mut central = Vec::new();
    let mut offset: u64 = 0;
    let too_big = || io::Error::new(io::ErrorKind::InvalidInput, "3MF archive over 4 GiB");
    for e in entries {
        // The fields shared by the local and the central header, from
        // "version needed" to the extra field's length.
        let mut common = Vec::with_capacity(26);
        common.extend_from_slice(&20u16.to_le_bytes()); // version needed: 2.0
        common.extend_from_slice(&0u16.to_le_bytes()); // flags
        common.extend_from_slice(&8u16.to_le_bytes()); // method: deflate
        common.extend_from_slice(&0u16.to_le_bytes()); // time
        common.extend_from_slice(&DOS_DATE.to_le_bytes());
        common.extend_from_slice(&e.crc.to_le_bytes());
        common.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
        common.extend_from_slice(&e.size.to_le_bytes());
        common.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes()); // extra field length
        let local_at = u32::try_from(offset).map_err(|_| too_big())?;
        w.write_all(&0x0403_4b50u32.to_le_bytes())?;
        w.write_all(&common)?;
        w.write_all(e.name.as_bytes())?;
        w.write_all(&e.data)?;
        offset += (4 + common.len() + e.name.len() + e.data.len()) as u64;

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        central.extend_from_slice(&common);
        central.extend_from_slice(&0u16.to_le_bytes()); // comment length
        central.extend_from_slice(&0u16.to_le_bytes()); // disk number
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&local_at.to_le_bytes());
        central.extend_from_slice(e.name.as_bytes());
    }
    let central_at = u32::try_from(offset).map_err(|_| too_big())?;
    w.write_all(&central)?;
    let count = entries.len() as u16;
    w.write_all(&0x0605_4b50u32.to_le_bytes())?;
    w.write_all(&0u16.to_le_bytes())?; // this disk
    w.write_all(&0u16.to_le_bytes())?; // disk of the central directory
    w.write_all(&count.to_le_bytes())?;
    w.write_all(&count.to_le_bytes())?;
    w.write_all(&(central.len() as u32).to_le_bytes())?;
    w.write_all(&central_at.to_le_bytes())?;
    w.write_all(&0u16.to_le_bytes())?; // comment length
    w.flush()
}

/// Writes 3MF: a zip of the content types, the relationships and the
/// model (shared vertices, triangles, millimetres).
pub fn write_3mf(mesh: &Mesh, out: &mut dyn Write) -> io::Result<()> {
    check(mesh)?;
    let entries = [
        entry("[Content_Types].xml", |w| {
            w.write_all(CONTENT_TYPES.as_bytes())
        })?,
        entry("_rels/.rels", |w| w.write_all(RELS.as_bytes()))?,
        entry("3D/3dmodel.model", |w| write_model(mesh, w))?,
    ];
    write_zip(&entries, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_extension() {
        for f in MeshFormat::ALL {
            let name = format!("a/b.{}", f.extension().to_uppercase());
            assert_eq!(MeshFormat::from_path(name.as_ref()).unwrap(), f);
        }
        let e = MeshFormat::from_path("x.step".as_ref()).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains(".step") && m.contains(".stl, .obj, .ply, .3mf"),
            "{m}"
        );
        let m = MeshFormat::from_path("noext".as_ref())
            .unwrap_err()
            .to_string();
        assert!(m.contains("no extension") && m.contains(".3mf"), "{m}");
    }

    #[test]
    fn bad_meshes_are_refused() {
        let mut m = Mesh {
            vertices: vec![[0.0; 3]; 3],
            normals: vec![],
            triangles: vec![[0, 1, 3]],
        };
        for f in MeshFormat::ALL {
            let mut out = Vec::new();
            let e = m.write(f, &mut out).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
            assert!(e.to_string().contains("triangle 0"), "{e}");
            assert!(out.is_empty());
        }
        m.triangles[0] = [0, 1, 2];
        m.vertices[1][2] = f32::NAN;
        let e = m.write(MeshFormat::Obj, &mut Vec::new()).unwrap_err();
        assert!(e.to_string().contains("vertex 1"), "{e}");
    }

    #[test]
    fn facet_normals() {
        let n = facet_normal([0.0; 3], [2.0, 0.0, 0.0], [0.0, 3.0, 0.0]);
        assert_eq!(n, [0.0, 0.0, 1.0]);
        assert_eq!(facet_normal([1.0; 3], [1.0; 3], [2.0; 3]), [0.0; 3]);
    }
}

//! The mesh writers, read back with small independent parsers: every
//! format must give back the vertices, normals and triangles it was given
//! (STL: corners and right-hand facet normals), and 3MF must be a valid zip
//! whose CRCs check and whose model XML lists the same mesh.

use std::collections::HashMap;
use std::io::Read;

use tapir::mesh::Mesh;
use tapir::mesh::write::MeshFormat;

/// A closed octahedron subdivided `levels` times and pushed onto a
/// sphere (radius 0.8, centre (0.1, -0.2, 0.05)): counter-clockwise seen
/// from outside, unit normals.
fn sphere_mesh(levels: u32) -> Mesh {
    let mut vertices: Vec<[f32; 3]> = vec![
        [1.0, 0.0, 0.0],
        [-1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, -1.0, 0.0],
        [0.0, 0.0, 1.0],
        [0.0, 0.0, -1.0],
    ];
    let mut triangles: Vec<[u32; 3]> = vec![
        [0, 2, 4],
        [2, 1, 4],
        [1, 3, 4],
        [3, 0, 4],
        [2, 0, 5],
        [1, 2, 5],
        [3, 1, 5],
        [0, 3, 5],
    ];
    for _ in 0..levels {
        let mut mid: HashMap<(u32, u32), u32> = HashMap::new();
        let mut next = Vec::new();
        let mut midpoint = |a: u32, b: u32, v: &mut Vec<[f32; 3]>| {
            *mid.entry((a.min(b), a.max(b))).or_insert_with(|| {
                let (p, q) = (v[a as usize], v[b as usize]);
                let m = [p[0] + q[0], p[1] + q[1], p[2] + q[2]];
                let l = (m[0] * m[0] + m[1] * m[1] + m[2] * m[2]).sqrt();
                v.push(m.map(|c| c / l));
                (v.len() - 1) as u32
            })
        };
        for &[a, b, c] in &triangles {
            let ab = midpoint(a, b, &mut vertices);
            let bc = midpoint(b, c, &mut vertices);
            let ca = midpoint(c, a, &mut vertices);
            next.extend([[a, ab, ca], [ab, b, bc], [ca, bc, c], [ab, bc, ca]]);
        }
        triangles = next;
    }
    // Scaled and moved (still around the origin), so that positions and
    // normals differ.
    Mesh {
        vertices: vertices
            .iter()
            .map(|v| [0.8 * v[0] + 0.1, 0.8 * v[1] - 0.2, 0.8 * v[2] + 0.05])
            .collect(),
        normals: vertices,
        triangles,
    }
}

fn written(mesh: &Mesh, f: MeshFormat) -> Vec<u8> {
    let mut out = Vec::new();
    mesh.write(f, &mut out).unwrap();
    out
}

fn f32_at(b: &[u8], at: usize) -> f32 {
    f32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
}

fn sub(a: [f32; 3], b: [f32; 3]) -> [f64; 3] {
    [0, 1, 2].map(|i| a[i] as f64 - b[i] as f64)
}

fn cross(u: [f64; 3], v: [f64; 3]) -> [f64; 3] {
    [
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ]
}

fn dot(u: [f64; 3], v: [f64; 3]) -> f64 {
    u[0] * v[0] + u[1] * v[1] + u[2] * v[2]
}

/// Every directed edge appears once and its reverse once: closed, and
/// consistently wound.
fn assert_closed(triangles: &[[u32; 3]]) {
    let mut edges: HashMap<(u32, u32), usize> = HashMap::new();
    for t in triangles {
        for k in 0..3 {
            *edges.entry((t[k], t[(k + 1) % 3])).or_default() += 1;
        }
    }
    for (&(a, b), &n) in &edges {
        assert_eq!(n, 1, "edge {a}→{b} used {n} times");
        assert_eq!(edges.get(&(b, a)), Some(&1), "edge {a}→{b} has no twin");
    }
}

#[test]
fn test_mesh_is_closed_and_outward() {
    let m = sphere_mesh(2);
    assert_eq!((m.vertices.len(), m.triangles.len()), (66, 128));
    assert_closed(&m.triangles);
    for t in &m.triangles {
        let [a, b, c] = t.map(|i| m.vertices[i as usize]);
        assert!(dot(cross(sub(b, a), sub(c, a)), sub(a, [0.0; 3])) > 0.0);
    }
}

#[test]
fn stl_reads_back() {
    let m = sphere_mesh(2);
    let b = written(&m, MeshFormat::Stl);
    assert_eq!(b.len(), 84 + 50 * m.triangles.len());
    assert!(b[..80].starts_with(b"binary STL"));
    assert!(
        !b[..5].eq_ignore_ascii_case(b"solid"),
        "would read as ASCII STL"
    );
    assert_eq!(u32_at(&b, 80) as usize, m.triangles.len());
    // Corners back, merged by position, must give the same closed surface.
    let mut ids: HashMap<[u32; 3], u32> = HashMap::new();
    let mut tris = Vec::new();
    for (k, t) in m.triangles.iter().enumerate() {
        let at = 84 + 50 * k;
        let n = [0, 1, 2].map(|i| f32_at(&b, at + 4 * i) as f64);
        let corners: [[f32; 3]; 3] =
            std::array::from_fn(|c| std::array::from_fn(|i| f32_at(&b, at + 12 + 12 * c + 4 * i)));
        for c in 0..3 {
            assert_eq!(corners[c], m.vertices[t[c] as usize]);
        }
        assert!((dot(n, n) - 1.0).abs() < 1e-6, "unit normal {n:?}");
        let g = cross(sub(corners[1], corners[0]), sub(corners[2], corners[0]));
        let gl = dot(g, g).sqrt();
        assert!(dot(n, g) / gl > 1.0 - 1e-6, "normal {n:?} is the facet's");
        assert!(dot(n, sub(corners[0], [0.0; 3])) > 0.0, "points outwards");
        assert_eq!(u16_at(&b, at + 48), 0);
        tris.push(corners.map(|p| {
            let next = ids.len() as u32;
            *ids.entry(p.map(f32::to_bits)).or_insert(next)
        }));
    }
    assert_eq!(ids.len(), m.vertices.len());
    assert_closed(&tris);
}

#[test]
fn obj_reads_back() {
    let m = sphere_mesh(2);
    let text = String::from_utf8(written(&m, MeshFormat::Obj)).unwrap();
    let (mut v, mut vn, mut f) = (Vec::new(), Vec::new(), Vec::new());
    for line in text.lines() {
        let mut w = line.split_whitespace();
        match w.next() {
            Some("v") => v.push(
                <[f32; 3]>::try_from(w.map(|s| s.parse::<f32>().unwrap()).collect::<Vec<_>>())
                    .unwrap(),
            ),
            Some("vn") => vn.push(
                <[f32; 3]>::try_from(w.map(|s| s.parse::<f32>().unwrap()).collect::<Vec<_>>())
                    .unwrap(),
            ),
            Some("f") => f.push(
                <[u32; 3]>::try_from(
                    w.map(|s| {
                        let (a, b) = s.split_once("//").unwrap();
                        assert_eq!(a, b, "vertex and normal indices agree");
                        a.parse::<u32>().unwrap() - 1
                    })
                    .collect::<Vec<_>>(),
                )
                .unwrap(),
            ),
            Some("#") | None => {}
            Some(other) => panic!("unexpected OBJ line kind `{other}`"),
        }
    }
    assert_eq!(v, m.vertices, "positions round-trip exactly");
    assert_eq!(vn, m.normals);
    assert_eq!(f, m.triangles);
    // Without normals: plain `f a b c`.
    let bare = Mesh {
        normals: vec![],
        ..m.clone()
    };
    let text = String::from_utf8(written(&bare, MeshFormat::Obj)).unwrap();
    assert!(!text.contains("vn ") && !text.contains("//"));
    assert_eq!(text.lines().filter(|l| l.starts_with("f ")).count(), 128);
}

/// Reads a binary PLY: (header lines, vertex records, faces).
fn read_ply(b: &[u8]) -> (Vec<String>, Vec<Vec<f32>>, Vec<[u32; 3]>) {
    let end = b
        .windows(11)
        .position(|w| w == b"end_header\n")
        .expect("end_header")
        + 11;
    let header: Vec<String> = std::str::from_utf8(&b[..end])
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(header[0], "ply");
    assert_eq!(header[1], "format binary_little_endian 1.0");
    let count = |what: &str| -> usize {
        header
            .iter()
            .find_map(|l| l.strip_prefix(&format!("element {what} ")))
            .unwrap()
            .parse()
            .unwrap()
    };
    let (nv, nf) = (count("vertex"), count("face"));
    let props = header
        .iter()
        .filter(|l| l.starts_with("property float "))
        .count();
    let mut at = end;
    let mut verts = Vec::new();
    for _ in 0..nv {
        verts.push((0..props).map(|i| f32_at(b, at + 4 * i)).collect());
        at += 4 * props;
    }
    let mut faces = Vec::new();
    for _ in 0..nf {
        assert_eq!(b[at], 3);
        faces.push([0, 1, 2].map(|i| u32_at(b, at + 1 + 4 * i)));
        at += 13;
    }
    assert_eq!(at, b.len(), "no trailing bytes");
    (header, verts, faces)
}

#[test]
fn ply_reads_back() {
    let m = sphere_mesh(2);
    let (header, verts, faces) = read_ply(&written(&m, MeshFormat::Ply));
    for p in ["x", "y", "z", "nx", "ny", "nz"] {
        assert!(
            header.contains(&format!("property float {p}")),
            "{header:?}"
        );
    }
    assert!(header.contains(&"property list uchar uint vertex_indices".to_string()));
    assert_eq!(verts.len(), 66);
    for (i, r) in verts.iter().enumerate() {
        assert_eq!(r[..3], m.vertices[i]);
        assert_eq!(r[3..], m.normals[i]);
    }
    assert_eq!(faces, m.triangles);
    let bare = Mesh {
        normals: vec![],
        ..m.clone()
    };
    let (header, verts, _) = read_ply(&written(&bare, MeshFormat::Ply));
    assert!(!header.iter().any(|l| l.contains(" nx")));
    assert_eq!(verts[5], m.vertices[5]);
}

/// Reads a zip archive through its central directory: (name, contents)
/// per entry, checking CRCs, sizes and that local headers agree.
fn read_zip(b: &[u8]) -> Vec<(String, Vec<u8>)> {
    let eocd = b.len() - 22;
    assert_eq!(u32_at(b, eocd), 0x0605_4b50, "end of central directory");
    let count = u16_at(b, eocd + 10) as usize;
    let mut at = u32_at(b, eocd + 16) as usize;
    assert_eq!(at + u32_at(b, eocd + 12) as usize, eocd);
    let mut out = Vec::new();
    for _ in 0..count {
        assert_eq!(u32_at(b, at), 0x0201_4b50);
        let method = u16_at(b, at + 10);
        let crc = u32_at(b, at + 16);
        let csize = u32_at(b, at + 20) as usize;
        let size = u32_at(b, at + 24) as usize;
        let nlen = u16_at(b, at + 28) as usize;
        let (elen, clen) = (u16_at(b, at + 30) as usize, u16_at(b, at + 32) as usize);
        let local = u32_at(b, at + 42) as usize;
        let name = String::from_utf8(b[at + 46..at + 46 + nlen].to_vec()).unwrap();
        at += 46 + nlen + elen + clen;
        assert_eq!(u32_at(b, local), 0x0403_4b50);
        assert_eq!(u32_at(b, local + 14), crc, "local header CRC");
        let lname = u16_at(b, local + 26) as usize;
        let lextra = u16_at(b, local + 28) as usize;
        assert_eq!(&b[local + 30..local + 30 + lname], name.as_bytes());
        let data = &b[local + 30 + lname + lextra..][..csize];
        let plain = match method {
            0 => data.to_vec(),
            8 => {
                let mut v = Vec::new();
                flate2::read::DeflateDecoder::new(data)
                    .read_to_end(&mut v)
                    .unwrap();
                v
            }
            m => panic!("compression method {m}"),
        };
        assert_eq!(plain.len(), size);
        let mut c = flate2::Crc::new();
        c.update(&plain);
        assert_eq!(c.sum(), crc, "CRC of {name}");
        out.push((name, plain));
    }
    out
}

/// The values of attribute `name` in every `<tag .../>` element.
fn attrs(xml: &str, tag: &str, names: &[&str]) -> Vec<Vec<String>> {
    xml.split(&format!("<{tag} "))
        .skip(1)
        .map(|el| {
            let el = &el[..el.find("/>").unwrap()];
            names
                .iter()
                .map(|n| {
                    let start = el.find(&format!("{n}=\"")).unwrap() + n.len() + 2;
                    el[start..start + el[start..].find('"').unwrap()].to_string()
                })
                .collect()
        })
        .collect()
}

#[test]
fn threemf_reads_back() {
    let m = sphere_mesh(2);
    let b = written(&m, MeshFormat::ThreeMf);
    let entries = read_zip(&b);
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["[Content_Types].xml", "_rels/.rels", "3D/3dmodel.model"]
    );
    let text = |i: usize| String::from_utf8(entries[i].1.clone()).unwrap();
    assert!(text(0).contains("Extension=\"model\""));
    assert!(text(1).contains("Target=\"/3D/3dmodel.model\""));
    let model = text(2);
    assert!(model.contains("unit=\"millimeter\""));
    assert!(model.contains("<item objectid=\"1\"/>"));
    let v: Vec<[f32; 3]> = attrs(&model, "vertex", &["x", "y", "z"])
        .iter()
        .map(|r| std::array::from_fn(|i| r[i].parse().unwrap()))
        .collect();
    let t: Vec<[u32; 3]> = attrs(&model, "triangle", &["v1", "v2", "v3"])
        .iter()
        .map(|r| std::array::from_fn(|i| r[i].parse().unwrap()))
        .collect();
    assert_eq!(v, m.vertices);
    assert_eq!(t, m.triangles);
    // Deflated: the model is far smaller than its XML.
    assert!(b.len() < model.len() / 2, "{} vs {}", b.len(), model.len());
    // The same mesh, the same bytes.
    assert_eq!(written(&m, MeshFormat::ThreeMf), b);
}

#[test]
fn empty_mesh_writes_in_every_format() {
    let m = Mesh::default();
    assert_eq!(written(&m, MeshFormat::Stl).len(), 84);
    let (_, v, f) = read_ply(&written(&m, MeshFormat::Ply));
    assert!(v.is_empty() && f.is_empty());
    assert_eq!(read_zip(&written(&m, MeshFormat::ThreeMf)).len(), 3);
    assert!(
        String::from_utf8(written(&m, MeshFormat::Obj))
            .unwrap()
            .starts_with('#')
    );
}

/// Runs `scripts/check-mesh.py` with `args`: `Some(passed)`, or `None` if
/// it could not run (no python3, trimesh not installable), which is
/// reported as a skip.
fn check_mesh_script(args: &[&str]) -> Option<bool> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/check-mesh.py");
    let run = std::process::Command::new("python3")
        .arg(script)
        .args(args)
        .output();
    let out = match run {
        Ok(o) => o,
        Err(e) => {
            println!("skipped: cannot run python3 ({e})");
            return None;
        }
    };
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    println!("{stdout}{stderr}");
    if out.status.code() == Some(77) {
        println!("skipped: {}", stderr.trim());
        return None;
    }
    Some(out.status.success())
}

/// The volume enclosed by a closed mesh (sum of signed tetrahedra).
fn volume(m: &Mesh) -> f64 {
    m.triangles
        .iter()
        .map(|t| {
            let [a, b, c] = t.map(|i| m.vertices[i as usize].map(f64::from));
            dot(a, cross(b, c)) / 6.0
        })
        .sum()
}

#[test]
fn trimesh_loads_every_format_watertight() {
    let m = sphere_mesh(3);
    let v = volume(&m);
    assert!(v > 0.0 && v < 4.0 / 3.0 * std::f64::consts::PI);
    let dir = std::env::temp_dir().join(format!("tapir-trimesh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut args = vec!["--tolerance".to_string(), "1e-5".to_string()];
    for f in MeshFormat::ALL {
        let path = dir.join(format!("octasphere.{}", f.extension()));
        std::fs::write(&path, written(&m, f)).unwrap();
        args.push("--file".into());
        args.push(format!("{}:{v}:2", path.display()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let passed = check_mesh_script(&args);
    assert_ne!(
        passed,
        Some(false),
        "check-mesh.py failed on the writers' meshes"
    );
    // The checker must see a defect: one triangle turned inside out.
    if passed.is_some() {
        let mut bad = m.clone();
        bad.triangles[7].swap(1, 2);
        let path = dir.join("flipped.obj");
        std::fs::write(&path, written(&bad, MeshFormat::Obj)).unwrap();
        let spec = format!("{}:{v}:2", path.display());
        assert_eq!(
            check_mesh_script(&["--file", &spec]),
            Some(false),
            "a flipped triangle passed"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// End to end: `tapir mesh` on a sphere, a half sphere capped by the
/// region, a torus and a box, in every format, loaded by trimesh: watertight,
/// consistently wound, the right Euler characteristic, volumes within 1 %
/// at depth 7. (Skipped, with a message, without python3 or when trimesh
/// cannot be installed.)
#[test]
fn trimesh_loads_tapir_meshes() {
    let tapir = env!("CARGO_BIN_EXE_tapir");
    let passed = check_mesh_script(&["--tapir", tapir, "--depth", "7"]);
    assert_ne!(
        passed,
        Some(false),
        "check-mesh.py failed on tapir's meshes"
    );
}

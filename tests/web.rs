//! End-to-end test of the web viewer (`web/`): builds the wasm module with
//! `web/build.sh` (installing what is missing: Debian's rustc-web toolchain,
//! wasm-bindgen-cli; the first run takes several minutes), loads the page in
//! headless Chromium with a test spec (`web/e2e/run.sh`, `web/testmode.js`),
//! and compares what the page rendered with the native renderer, pixel hash
//! for pixel hash.
//!
//! Set `TAPIR_SKIP_WEB=1` to skip it (it says so loudly).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use tapir::Shape;
use tapir::render::shade::{self, Shading};
use tapir::render::{Bounds2, ColorMode, EvalOptions, Frame3d, Grid2, View};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// True (after a loud message) when the web tests are to be skipped.
fn skipped(test: &str) -> bool {
    if std::env::var("TAPIR_SKIP_WEB").is_ok_and(|v| v == "1") {
        eprintln!();
        eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        eprintln!("!! SKIPPED {test}: TAPIR_SKIP_WEB=1 is set; the web viewer is NOT tested");
        eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        eprintln!();
        return true;
    }
    false
}

/// Runs a command, returning its combined output, or panicking with it.
fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        let tail: Vec<&str> = text.lines().rev().take(60).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!("{what} failed ({}):\n{}", out.status, tail.join("\n"));
    }
    text
}

/// Builds web/pkg/ once per test binary.
fn build() {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let r = BUILT.get_or_init(|| {
        let started = std::time::Instant::now();
        let r = std::panic::catch_unwind(|| {
            run(
                Command::new("bash").arg(root().join("web/build.sh")),
                "web/build.sh",
            );
        });
        eprintln!("web/build.sh took {:.1} s", started.elapsed().as_secs_f64());
        r.map_err(|e| {
            e.downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| "web/build.sh panicked".into())
        })
    });
    if let Err(e) = r {
        panic!("{e}");
    }
}

#[test]
fn wasm_module_uses_tail_calls() {
    if skipped("wasm_module_uses_tail_calls") {
        return;
    }
    build();
    let wasm = root().join("web/pkg/tapir_web_bg.wasm");
    let dis = run(
        Command::new("wasm-objdump").arg("-d").arg(&wasm),
        "wasm-objdump -d",
    );
    let calls = dis.lines().filter(|l| l.contains("return_call")).count();
    let indirect = dis
        .lines()
        .filter(|l| l.contains("return_call_indirect"))
        .count();
    eprintln!(
        "{}: {calls} return_call* instructions ({indirect} indirect)",
        wasm.display()
    );
    // The tail-call dispatcher's handlers end in `become table[op](...)`,
    // an indirect tail call; without +tail-call they would not compile.
    assert!(
        indirect > 0,
        "no return_call_indirect in {}: the tail-call dispatch is not using wasm tail calls",
        wasm.display()
    );
}

/// FNV-1a, 32 bits, as in web/testmode.js.
fn fnv1a(bytes: &[u8]) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

/// One step of the page's test spec, and what the page must show for it.
struct Step {
    src: &'static str,
    format: &'static str,
    size: usize,
    mode: &'static str,
    dispatch: &'static str,
    bounds: [f64; 4],
    tile: usize,
}

const FULL: [f64; 4] = [-1.0, 1.0, -1.0, 1.0];

impl Step {
    fn json(&self) -> String {
        let mut s = String::from("{\"src\":\"");
        for c in self.src.chars() {
            match c {
                '"' => s.push_str("\\\""),
                '\\' => s.push_str("\\\\"),
                '\n' => s.push_str("\\n"),
                c if (c as u32) < 0x20 => write!(s, "\\u{:04x}", c as u32).unwrap(),
                c => s.push(c),
            }
        }
        let [a, b, c, d] = self.bounds;
        write!(
            s,
            "\",\"format\":\"{}\",\"size\":{},\"mode\":\"{}\",\"dispatch\":\"{}\",\"bounds\":[{a:?},{b:?},{c:?},{d:?}],\"tile\":{}}}",
            self.format, self.size, self.mode, self.dispatch, self.tile
        )
        .unwrap();
        s
    }

    /// Compiles natively. For `auto`, the page guesses the format; the `.vm`
    /// sources here all start (after comments) with a `_name opcode` line.
    fn compile(&self) -> Result<Shape, tapir::SourceError> {
        let first = self
            .src
            .lines()
            .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .unwrap_or("");
        let vm = self.format == "vm" || (self.format == "auto" && first.starts_with('_'));
        if vm {
            Shape::from_vm(self.src)
        } else {
            Shape::from_expr(self.src)
        }
    }

    /// The native render's (inside count, RGBA hash).
    fn native(&self) -> (usize, String) {
        let shape = self
            .compile()
            .unwrap_or_else(|e| panic!("native compile of {:?}: {e}", self.src));
        let [x0, x1, y0, y1] = self.bounds;
        let grid = Grid2::new(Bounds2::new(x0, x1, y0, y1).unwrap(), self.size, self.size);
        let opts = EvalOptions::default();
        let mode: ColorMode = self.mode.parse().unwrap();
        let rgba = shape.render_rgba(&grid, &opts, mode).unwrap();
        let inside = shape
            .render_mask(&grid, &opts)
            .unwrap()
            .iter()
            .filter(|&&m| m)
            .count();
        (inside, fnv1a(&rgba))
    }
}

/// Parses the page's result lines: `k=v k=v ... error=rest of line`.
fn parse_results(text: &str) -> Vec<HashMap<String, String>> {
    text.lines()
        .filter(|l| l.starts_with("step="))
        .map(|line| {
            let (head, err) = line.split_once(" error=").unwrap_or((line, ""));
            let mut m: HashMap<String, String> = head
                .split_whitespace()
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            m.insert("error".into(), err.to_string());
            m
        })
        .collect()
}

const DISCS: &str = "# two discs\nlet r = 0.45;\n\
    smooth_union(translate(circle(r), -0.3, 0.1), translate(circle(r * 0.8), 0.4, -0.15), 0.15)\n";
const DOTS: &str = "intersection(repeat(circle(0.07), 0.2, 0.2), circle(0.85))\n";
const BAD_EXPR: &str = "let r = 0.5;\nlet s = r * ;\ncircle(s)\n";
/// A ring with a slot cut out, as a Fidget tape (no standard library).
const RING_VM: &str = "# ring with a slot\n_0 var-x\n_1 var-y\n_2 square _0\n_3 square _1\n\
    _4 add _2 _3\n_5 sqrt _4\n_6 const 0.6\n_7 sub _5 _6\n_8 abs _7\n_9 const 0.15\n\
    _a sub _8 _9\n_b abs _1\n_c const 0.08\n_d sub _b _c\n_e neg _d\n_f max _a _e\n\
    _10 const 0.5\n_11 sub _0 _10\n_12 min _f _11\n_13 max _12 _a\n";
const BAD_VM: &str = "_0 var-x\n_1 var-y\n_2 hypot _0 _1\n";

#[test]
fn page_renders_like_native() {
    if skipped("page_renders_like_native") {
        return;
    }
    build();
    let odd = [-0.7, 1.3, -1.1, 0.9];
    let step = |src, format, size, mode, dispatch, bounds, tile| Step {
        src,
        format,
        size,
        mode,
        dispatch,
        bounds,
        tile,
    };
    let steps = [
        step(DISCS, "auto", 256, "bitmap", "tail", FULL, 64),
        step(DISCS, "auto", 256, "bitmap", "match", FULL, 64),
        step(BAD_EXPR, "auto", 256, "bitmap", "tail", FULL, 64),
        step(DOTS, "expr", 256, "field", "tail", odd, 96),
        step(DOTS, "expr", 256, "field", "match", odd, 96),
        step(RING_VM, "auto", 512, "bitmap", "trampoline", FULL, 80),
        step(BAD_VM, "vm", 256, "bitmap", "tail", FULL, 64),
        step(
            RING_VM,
            "vm",
            1024,
            "field",
            "tail",
            [-0.3, 0.9, -0.6, 0.6],
            128,
        ),
    ];

    let dir = std::env::temp_dir().join(format!("tapir-web-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("spec.json");
    let body: Vec<String> = steps.iter().map(Step::json).collect();
    std::fs::write(&spec, format!("{{\"steps\":[\n{}\n]}}\n", body.join(",\n"))).unwrap();
    let out = dir.join("out.txt");
    run(
        Command::new("bash")
            .arg(root().join("web/e2e/run.sh"))
            .arg("--no-build")
            .arg("test")
            .arg(&spec)
            .arg(&out),
        "web/e2e/run.sh test",
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("page results:\n{text}");
    let results = parse_results(&text);
    assert_eq!(
        results.len(),
        steps.len(),
        "the page reported {} steps, expected {}:\n{text}",
        results.len(),
        steps.len()
    );

    for (i, (s, r)) in steps.iter().zip(&results).enumerate() {
        let at = |k: &str| r.get(k).map(String::as_str).unwrap_or("");
        assert_eq!(at("step"), i.to_string());
        match s.compile() {
            Ok(_) => {
                assert_eq!(
                    at("status"),
                    "ok",
                    "step {i}: the page failed: {}",
                    at("error")
                );
                let (inside, hash) = s.native();
                assert!(
                    inside > 0 && inside < s.size * s.size,
                    "step {i}: a blank picture tests nothing"
                );
                assert_eq!(at("size"), s.size.to_string(), "step {i}");
                assert_eq!(at("mode"), s.mode, "step {i}");
                assert_eq!(at("dispatch"), s.dispatch, "step {i}");
                assert_eq!(
                    at("inside"),
                    inside.to_string(),
                    "step {i}: inside pixels, page vs native"
                );
                assert_eq!(at("hash"), hash, "step {i}: RGBA hash, page vs native");
                assert_eq!(
                    at("canvas_hash"),
                    hash,
                    "step {i}: the canvas does not show the rendered pixels"
                );
                let tiles = s.size.div_ceil(s.tile).pow(2);
                assert_eq!(at("tiles"), tiles.to_string(), "step {i}: tile count");
                assert_eq!(at("marked"), "0", "step {i}: an error line is still marked");
                assert_eq!(at("error"), "", "step {i}: an error is still shown");
            }
            Err(e) => {
                assert_eq!(
                    at("status"),
                    "error",
                    "step {i}: the page did not report the error {e}"
                );
                assert_eq!(
                    at("error"),
                    format!("{}:{}: {}", e.line, e.col, e.message),
                    "step {i}: error text"
                );
                assert_eq!(at("marked"), e.line.to_string(), "step {i}: marked line");
            }
        }
    }
    // Both dispatch styles give the same pixels.
    assert_eq!(results[0]["hash"], results[1]["hash"]);
    assert_eq!(results[3]["hash"], results[4]["hash"]);
}

// ---- 3D, parameters, limits ---------------------------------------------

/// A shape with parameters, for the 3D and slider steps.
const PARAM3D: &str = "# a rounded block with a ball on top, drilled through\n\
    param r = 0.3 in [0.1, 0.5];\nparam round = 0.05 in [0, 0.15];\n\
    let body = rounded_box(0.6, 0.3, 0.45, round);\n\
    let ball = translate3(sphere(r), 0, 0.3 + r * 0.7, 0);\n\
    difference(smooth_union(body, ball, 0.08), cylinder(0.12, 2))\n";
const BAD3D: &str =
    "param r = 0.3 in [0.1, 0.5];\nlet body = rounded_box(0.6, 0.3, 0.45, );\nbody\n";
const PARAM2D: &str = "param r = 0.3 in [0.1, 0.9];\nparam k = 2 in [1, 8];\n\
    difference(circle(r), repeat(circle(0.02 * k), 0.15, 0.15))\n";

/// JSON text of a string.
fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c if (c as u32) < 0x20 => write!(o, "\\u{:04x}", c as u32).unwrap(),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A camera as the page's JSON.
fn camera_json(v: &View) -> String {
    format!(
        "{{\"yaw\":{:?},\"pitch\":{:?},\"roll\":{:?},\"center\":[{:?},{:?},{:?}],\"scale\":{:?},\"perspective\":{:?}}}",
        v.yaw, v.pitch, v.roll, v.center.x, v.center.y, v.center.z, v.scale, v.perspective
    )
}

/// The camera a result line reports (`cam=yaw,pitch,roll,cx,cy,cz,scale,persp`).
fn reported_view(r: &HashMap<String, String>) -> View {
    let c: Vec<f64> = r["cam"].split(',').map(|v| v.parse().unwrap()).collect();
    assert_eq!(c.len(), 8, "cam={}", r["cam"]);
    View {
        yaw: c[0],
        pitch: c[1],
        roll: c[2],
        center: nalgebra::Vector3::new(c[3], c[4], c[5]),
        scale: c[6],
        perspective: c[7],
    }
}

fn view(yaw: f64, pitch: f64) -> View {
    View {
        yaw,
        pitch,
        ..View::default()
    }
}

/// The native `render3d` picture of `src` (as `tapir render3d --size n
/// --mode mode [--ssao] --set …`): (hash of the picture's bytes as the CLI
/// encodes them, hash of the RGBA the canvas shows, pixels hit).
fn native3d(
    src: &str,
    n: usize,
    mode: &str,
    ssao: bool,
    view: View,
    params: &[(&str, f32)],
) -> (String, String, usize) {
    let shape = if src.trim_start().starts_with('#') && src.contains("\n_0 var-x") {
        Shape::from_vm(src)
    } else {
        Shape::from_expr(src)
    }
    .unwrap();
    let frame = Frame3d {
        width: n,
        height: n,
        depth: n,
        view,
    };
    let opts = EvalOptions {
        params: params.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        ..EvalOptions::default()
    };
    let g = shape.render3d(&frame, &opts).unwrap();
    let (bytes, rgba): (Vec<u8>, Vec<u8>) = match mode {
        "shaded" | "normals" => {
            let rgb = if mode == "shaded" {
                shade::shaded_image(&g, &Shading { ssao, threads: 0 })
            } else {
                shade::normal_image(&g)
            };
            let rgba = rgb
                .chunks_exact(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect();
            (rgb, rgba)
        }
        "depth" => {
            let d = shade::depth_image(&g);
            let rgba = d
                .iter()
                .flat_map(|&v| {
                    let b = (v >> 8) as u8;
                    [b, b, b, 255]
                })
                .collect();
            (d.iter().flat_map(|v| v.to_le_bytes()).collect(), rgba)
        }
        other => panic!("mode {other}"),
    };
    (fnv1a(&bytes), fnv1a(&rgba), g.covered())
}

/// What the test expects of a 3D (or 2D) step.
enum Expect {
    /// The native 3D render of this source, size, mode, AO and parameters,
    /// at the camera the page reports.
    Native3d(
        &'static str,
        usize,
        &'static str,
        bool,
        Vec<(&'static str, f32)>,
    ),
    /// The native 2D render (bitmap, full bounds) with these parameters.
    Native2d(&'static str, usize, Vec<(&'static str, f32)>),
    /// This source's compile error, shown with line:col.
    CompileError(&'static str),
    /// A refusal naming the memory budget.
    Refused,
}

fn check_3d_line(i: usize, r: &HashMap<String, String>, e: &Expect) {
    let at = |k: &str| r.get(k).map(String::as_str).unwrap_or("");
    match e {
        Expect::Native3d(src, n, mode, ssao, params) => {
            assert_eq!(at("status"), "ok", "step {i}: {}", at("error"));
            assert_eq!(at("tab"), "3d", "step {i}");
            assert_eq!(at("size"), n.to_string(), "step {i}: full resolution");
            assert_eq!(at("mode"), *mode, "step {i}");
            assert_eq!(at("ssao"), if *ssao { "1" } else { "0" }, "step {i}");
            let want: Vec<String> = params.iter().map(|(_, v)| format!("{v}")).collect();
            if !want.is_empty() {
                let got: Vec<f32> = at("params")
                    .split(',')
                    .map(|v| v.parse().unwrap())
                    .collect();
                let got: Vec<String> = got.iter().map(|v| format!("{v}")).collect();
                assert_eq!(got, want, "step {i}: parameter values");
            }
            let (hash, rgba, covered) = native3d(src, *n, mode, *ssao, reported_view(r), params);
            assert!(
                covered > 0 && covered < n * n,
                "step {i}: a blank 3D picture tests nothing"
            );
            assert_eq!(at("covered"), covered.to_string(), "step {i}: pixels hit");
            assert_eq!(at("hash"), hash, "step {i}: picture, page vs native");
            assert_eq!(at("rgba_hash"), rgba, "step {i}: RGBA shown");
            assert_eq!(at("canvas_hash"), rgba, "step {i}: the canvas");
            assert_eq!(at("marked"), "0", "step {i}: an error line is still marked");
        }
        Expect::Native2d(src, n, params) => {
            assert_eq!(at("status"), "ok", "step {i}: {}", at("error"));
            let shape = Shape::from_expr(src).unwrap();
            let grid = Grid2::new(Bounds2::new(-1.0, 1.0, -1.0, 1.0).unwrap(), *n, *n);
            let opts = EvalOptions {
                params: params.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
                ..EvalOptions::default()
            };
            let rgba = shape.render_rgba(&grid, &opts, ColorMode::Bitmap).unwrap();
            let inside = shape.render_mask(&grid, &opts).unwrap();
            let inside = inside.iter().filter(|&&m| m).count();
            assert!(
                inside > n * n / 20 && inside < n * n,
                "step {i}: a blank picture"
            );
            assert_eq!(at("inside"), inside.to_string(), "step {i}: inside pixels");
            assert_eq!(at("hash"), fnv1a(&rgba), "step {i}: 2D with parameters");
            assert_eq!(at("canvas_hash"), fnv1a(&rgba), "step {i}: 2D canvas");
        }
        Expect::CompileError(src) => {
            let e = Shape::from_expr(src).unwrap_err();
            assert_eq!(at("status"), "error", "step {i}: no error for {src:?}");
            assert_eq!(
                at("error"),
                format!("{}:{}: {}", e.line, e.col, e.message),
                "step {i}: error text"
            );
            assert_eq!(at("marked"), e.line.to_string(), "step {i}: marked line");
        }
        Expect::Refused => {
            assert_eq!(at("status"), "render-error", "step {i}: not refused");
            assert!(
                at("error").contains("memory") && at("error").contains("budget"),
                "step {i}: {}",
                at("error")
            );
        }
    }
}

/// The file the library writes for the mesh of `src` at `depth` over the
/// home camera's box ([-1, 1]³), with parameters: the page's must be the
/// same (or the page must show the library's error).
fn check_mesh(
    i: usize,
    r: &HashMap<String, String>,
    src: &str,
    kind: &str,
    depth: u32,
    params: &[(&str, f32)],
) {
    let shape = Shape::from_expr(src).unwrap();
    let settings = tapir::mesh::MeshSettings {
        depth,
        eval: EvalOptions {
            params: params.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            ..EvalOptions::default()
        },
        ..tapir::mesh::MeshSettings::default()
    };
    match shape.mesh(&settings) {
        Err(e) => {
            let want = e
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join("_");
            assert_eq!(r["mesh_error"], want, "step {i}: the page's mesh error");
        }
        Ok(mesh) => {
            assert!(
                !mesh.triangles.is_empty(),
                "step {i}: an empty mesh tests nothing"
            );
            assert_eq!(
                r["triangles"],
                mesh.triangles.len().to_string(),
                "step {i}: {kind}"
            );
            let bytes = native_mesh_file(&mesh, kind);
            assert_eq!(
                r["mesh_bytes"],
                bytes.len().to_string(),
                "step {i}: {kind} size"
            );
            assert_eq!(
                r["mesh_hash"],
                fnv1a(&bytes),
                "step {i}: {kind} file, page vs native"
            );
        }
    }
}

/// The library's file for `mesh` as `kind`.
fn native_mesh_file(mesh: &tapir::mesh::Mesh, kind: &str) -> Vec<u8> {
    use tapir::mesh::write::MeshFormat;
    let format = if kind == "stl" {
        MeshFormat::Stl
    } else {
        MeshFormat::ThreeMf
    };
    let mut bytes = Vec::new();
    mesh.write(format, &mut bytes).unwrap();
    bytes
}

/// The camera's right and up axes in model space.
fn axes(v: &View) -> (nalgebra::Vector3<f64>, nalgebra::Vector3<f64>) {
    let r = v.rotation();
    (r * nalgebra::Vector3::x(), r * nalgebra::Vector3::y())
}

#[test]
fn page_renders_3d_like_native() {
    if skipped("page_renders_3d_like_native") {
        return;
    }
    build();
    let colonnade: &'static str = Box::leak(
        std::fs::read_to_string(root().join("shapes/examples/colonnade.expr"))
            .unwrap()
            .into_boxed_str(),
    );
    let cam0 = view(30.0, 20.0);
    let odd = View {
        yaw: -50.0,
        pitch: 35.0,
        center: nalgebra::Vector3::new(0.1, 0.2, 0.0),
        scale: 1.2,
        perspective: 0.3,
        ..View::default()
    };
    let set = [("r", 0.45f32), ("round", 0.1)];
    let s3 = |src: &str, extra: &str| {
        format!(
            "{{\"tab\":\"3d\",\"src\":{},\"size\":256{extra}}}",
            json_str(src)
        )
    };
    let c = |v: &View| format!(",\"camera\":{}", camera_json(v));
    use Expect::*;
    let steps: Vec<(String, Expect)> = vec![
        (
            s3(
                PARAM3D,
                &format!(
                    ",\"mode3d\":\"shaded\",\"ssao\":true,\"dispatch\":\"tail\"{}",
                    c(&cam0)
                ),
            ),
            Native3d(PARAM3D, 256, "shaded", true, vec![]),
        ),
        (
            s3(PARAM3D, &format!(",\"dispatch\":\"match\"{}", c(&cam0))),
            Native3d(PARAM3D, 256, "shaded", true, vec![]),
        ),
        (
            s3(
                PARAM3D,
                &format!(",\"mode3d\":\"normals\",\"dispatch\":\"tail\"{}", c(&odd)),
            ),
            Native3d(PARAM3D, 256, "normals", true, vec![]),
        ),
        (
            s3(PARAM3D, &format!(",\"mode3d\":\"depth\"{}", c(&cam0))),
            Native3d(PARAM3D, 256, "depth", true, vec![]),
        ),
        // Sliders: the same as `--set r=0.45 --set round=0.1`.
        (
            "{\"tab\":\"3d\",\"mode3d\":\"shaded\",\"set\":{\"r\":0.45,\"round\":0.1}}".into(),
            Native3d(PARAM3D, 256, "shaded", true, set.to_vec()),
        ),
        // The URL fragment brings back the source and the values.
        (
            "{\"tab\":\"3d\",\"fragment\":true}".into(),
            Native3d(PARAM3D, 256, "shaded", true, set.to_vec()),
        ),
        (s3(BAD3D, ""), CompileError(BAD3D)),
        // The heavy example, at its `# view:` header's camera.
        (
            s3(colonnade, ",\"ssao\":false"),
            Native3d(colonnade, 256, "shaded", false, vec![]),
        ),
        (
            s3(RING_VM, &format!(",\"ssao\":true{}", c(&cam0))),
            Native3d(RING_VM, 256, "shaded", true, vec![]),
        ),
        ("{\"tab\":\"3d\",\"size\":8192}".into(), Refused),
        (
            s3(PARAM3D, &c(&cam0)),
            Native3d(PARAM3D, 256, "shaded", true, vec![]),
        ),
        // Camera controls (checked below, and rendered like native).
        (
            "{\"tab\":\"3d\",\"events\":[{\"drag\":[60,0]}]}".into(),
            Native3d(PARAM3D, 256, "shaded", true, vec![]),
        ),
        (
            "{\"tab\":\"3d\",\"events\":[{\"drag\":[0,40]}]}".into(),
            Native3d(PARAM3D, 256, "shaded", true, vec![]),
        ),
        (
            "{\"tab\":\"3d\",\"events\":[{\"drag\":[50,0],\"button\":2}]}".into(),
            Native3d(PARAM3D, 256, "shaded", true, vec![]),
        ),
        (
            "{\"tab\":\"3d\",\"events\":[{\"drag\":[0,50],\"shift\":true}]}".into(),
            Native3d(PARAM3D, 256, "shaded", true, vec![]),
        ),
        (
            "{\"tab\":\"3d\",\"events\":[{\"wheel\":-300,\"at\":[0.8,0.2]}]}".into(),
            Native3d(PARAM3D, 256, "shaded", true, vec![]),
        ),
        (
            "{\"tab\":\"3d\",\"events\":[{\"dblclick\":true}]}".into(),
            Native3d(PARAM3D, 256, "shaded", true, vec![]),
        ),
        // 2D sliders, and a 2D view over the memory budget.
        (
            format!(
                "{{\"tab\":\"2d\",\"src\":{},\"size\":256,\"mode\":\"bitmap\",\"bounds\":[-1,1,-1,1]}}",
                json_str(PARAM2D)
            ),
            Native2d(PARAM2D, 256, vec![]),
        ),
        (
            "{\"tab\":\"2d\",\"set\":{\"r\":0.7,\"k\":3}}".into(),
            Native2d(PARAM2D, 256, vec![("r", 0.7), ("k", 3.0)]),
        ),
        ("{\"tab\":\"2d\",\"size\":16384}".into(), Refused),
        (
            format!(
                "{{\"tab\":\"2d\",\"src\":{},\"size\":256}}",
                json_str(PARAM2D)
            ),
            Native2d(PARAM2D, 256, vec![]),
        ),
        // Files: dropped on the page (the format from the name), and the
        // PNG download decoded again.
        (
            format!(
                "{{\"tab\":\"3d\",\"drop\":{{\"name\":\"ring.vm\",\"text\":{}}},\"png\":true}}",
                json_str(RING_VM)
            ),
            Native3d(RING_VM, 256, "shaded", true, vec![]),
        ),
        (
            format!(
                "{{\"tab\":\"2d\",\"drop\":{{\"name\":\"discs.expr\",\"text\":{}}},\"png\":true}}",
                json_str(DISCS)
            ),
            Native2d(DISCS, 256, vec![]),
        ),
        // Meshes made in the browser by the library's mesher and writers,
        // with a slider moved: the same file as natively.
        (
            s3(PARAM3D, ""),
            Native3d(PARAM3D, 256, "shaded", true, vec![]),
        ),
        (
            "{\"tab\":\"3d\",\"set\":{\"r\":0.45},\"mesh\":{\"kind\":\"stl\",\"depth\":5}}".into(),
            Native3d(
                PARAM3D,
                256,
                "shaded",
                true,
                vec![("r", 0.45), ("round", 0.05)],
            ),
        ),
        (
            "{\"tab\":\"3d\",\"mesh\":{\"kind\":\"3mf\",\"depth\":5}}".into(),
            Native3d(
                PARAM3D,
                256,
                "shaded",
                true,
                vec![("r", 0.45), ("round", 0.05)],
            ),
        ),
    ];

    let dir = std::env::temp_dir().join(format!("tapir-web-3d-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("spec.json");
    let body: Vec<&str> = steps.iter().map(|(j, _)| j.as_str()).collect();
    std::fs::write(&spec, format!("{{\"steps\":[\n{}\n]}}\n", body.join(",\n"))).unwrap();
    let out = dir.join("out.txt");
    run(
        Command::new("bash")
            .arg(root().join("web/e2e/run.sh"))
            .arg("--no-build")
            .arg("test")
            .arg(&spec)
            .arg(&out),
        "web/e2e/run.sh test (3D)",
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("page results:\n{text}");
    let results = parse_results(&text);
    assert_eq!(results.len(), steps.len(), "steps reported:\n{text}");
    for (i, ((_, e), r)) in steps.iter().zip(&results).enumerate() {
        check_3d_line(i, r, e);
    }

    // Explicit cameras are rendered as given; the header's is used for the
    // colonnade (`# view: --yaw 30 --pitch 20 --scale 1.25`).
    assert_eq!(reported_view(&results[0]), cam0);
    assert_eq!(reported_view(&results[2]), odd);
    let header = reported_view(&results[7]);
    assert_eq!((header.yaw, header.pitch, header.scale), (30.0, 20.0, 1.25));
    // Both dispatch styles give the same picture; the sliders change it.
    assert_eq!(results[0]["hash"], results[1]["hash"]);
    assert_ne!(results[0]["hash"], results[4]["hash"]);
    assert_eq!(results[4]["hash"], results[5]["hash"]);

    // The controls move the camera as documented (web/README.md).
    let v = |i: usize| reported_view(&results[i]);
    let (before, after) = (v(10), v(11));
    assert!(
        after.yaw < before.yaw - 10.0,
        "drag right: yaw {} → {}",
        before.yaw,
        after.yaw
    );
    assert_eq!(
        (after.pitch, after.center, after.scale),
        (before.pitch, before.center, before.scale)
    );
    let (before, after) = (v(11), v(12));
    assert!(
        after.pitch > before.pitch + 5.0,
        "drag down: pitch {} → {}",
        before.pitch,
        after.pitch
    );
    assert_eq!(
        (after.yaw, after.center, after.scale),
        (before.yaw, before.center, before.scale)
    );
    let (before, after) = (v(12), v(13));
    let (right, up) = axes(&before);
    let d = after.center - before.center;
    assert!(
        d.dot(&right) < -0.05 && d.dot(&up).abs() < 1e-9,
        "right-drag right: centre moved {d:?}"
    );
    assert_eq!(
        (after.yaw, after.pitch, after.scale),
        (before.yaw, before.pitch, before.scale)
    );
    let (before, after) = (v(13), v(14));
    let d = after.center - before.center;
    assert!(
        d.dot(&up) > 0.05 && d.dot(&right).abs() < 1e-9,
        "shift-drag down: centre moved {d:?}"
    );
    let (before, after) = (v(14), v(15));
    let d = after.center - before.center;
    assert!(
        after.scale < before.scale * 0.9,
        "wheel up: scale {} → {}",
        before.scale,
        after.scale
    );
    assert!(
        d.dot(&right) > 0.0 && d.dot(&up) > 0.0,
        "zoom towards the upper right: {d:?}"
    );
    assert_eq!((after.yaw, after.pitch), (before.yaw, before.pitch));
    assert_eq!(v(16), cam0, "double-click: back to the home camera");
    // Progressive: drags rendered reduced frames before the full one.
    for (i, r) in results.iter().enumerate().take(16).skip(11) {
        let reduced: usize = r["reduced"].parse().unwrap();
        assert!(reduced > 0, "step {i}: no reduced frame while moving");
    }
    // Sliders in 2D.
    assert_ne!(results[17]["hash"], results[18]["hash"]);
    // Dropped files, and what the PNG download holds.
    assert_eq!(results[21]["format"], "vm");
    assert_eq!(results[21]["png_hash"], results[21]["rgba_hash"]);
    assert_eq!(
        reported_view(&results[21]),
        cam0,
        "a new file: the home camera"
    );
    assert_eq!(results[22]["format"], "expr");
    assert_eq!(results[22]["png_hash"], results[22]["hash"]);
    // Meshes: the page's file is the native mesher's and writer's.
    for (i, kind) in [(24, "stl"), (25, "3mf")] {
        check_mesh(i, &results[i], PARAM3D, kind, 5, &[("r", 0.45)]);
    }
}

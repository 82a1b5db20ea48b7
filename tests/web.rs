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
use tapir::render::{Bounds2, ColorMode, EvalOptions, Grid2};

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

//! Integration tests of the `tapir` binary: runs it as a user would and
//! checks exit codes, messages and the files it leaves behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tapir::Shape;
use tapir::render::{EvalOptions, Grid2};

const CIRCLE: &str = "sqrt(x*x + y*y) - 0.5\n";

/// A fresh, empty folder for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("tapir-cli-test-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// File names in the folder, sorted.
    fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tapir() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tapir"))
}

fn run(args: &[&str]) -> Output {
    tapir().args(args).stdin(Stdio::null()).output().unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Asserts a clean failure: the exit code, no panic.
fn assert_fails(o: &Output, code: i32) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.trim().is_empty());
}

/// Black pixels of a greyscale or RGB PNG (checking that every pixel is
/// pure black or pure white).
fn black_pixels(png: &Path) -> (usize, (u32, u32)) {
    let img = image::open(png).unwrap().to_luma8();
    assert!(img.pixels().all(|p| p.0[0] == 0 || p.0[0] == 255));
    (
        img.pixels().filter(|p| p.0[0] == 0).count(),
        img.dimensions(),
    )
}

fn prospero() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/models/prospero.vm");
    if p.is_file() {
        Some(p)
    } else {
        println!("skipped: {} is absent", p.display());
        None
    }
}

#[test]
fn help_teaches() {
    let o = run(&["--help"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(
        out.contains("Examples:") && out.contains("tapir render") && out.contains("tapir bench"),
        "{out}"
    );
    assert!(out.contains("130"), "exit codes listed: {out}");
    assert!(
        out.contains("tapir mesh") && out.contains("tapir contour"),
        "{out}"
    );
    for cmd in [
        "render", "render3d", "mesh", "contour", "bench", "info", "export", "shapes",
    ] {
        let o = run(&[cmd, "--help"]);
        assert!(o.status.success(), "{cmd}");
        let out = stdout(&o);
        assert!(out.contains("Example"), "{cmd}: {out}");
    }
    let out = stdout(&run(&["render", "--help"]));
    for opt in [
        "--size",
        "--bounds",
        "--threads",
        "--dispatch",
        "--mode",
        "--no-prune",
        "--z",
        "-o",
    ] {
        assert!(out.contains(opt), "{opt}");
    }
    assert!(
        out.contains("Default: 1024") && out.contains("Example: --size 512"),
        "{out}"
    );
    let out = stdout(&run(&["render3d", "--help"]));
    for opt in [
        "--mode",
        "--ssao",
        "--yaw",
        "--pitch",
        "--roll",
        "--perspective",
        "--scale",
        "--center",
        "--depth",
        "--threads",
        "--dispatch",
        "--no-prune",
        "--width",
        "--height",
    ] {
        assert!(out.contains(opt), "render3d --help lacks {opt}");
    }
    assert!(
        out.contains("Examples:") && out.contains("Exit codes"),
        "{out}"
    );
    // No arguments: usage on stderr, exit 2.
    assert_eq!(run(&[]).status.code(), Some(2));
}

#[test]
fn shapes_lists_and_explains_the_library() {
    let o = run(&["shapes"]);
    assert!(o.status.success());
    let out = stdout(&o);
    for group in tapir::lang::GROUPS {
        assert!(out.contains(&format!("{group}:\n")), "{group}: {out}");
    }
    for f in tapir::lang::stdlib_functions() {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{} ", f.signature())))
            .unwrap_or_else(|| panic!("{} is not listed", f.signature()));
        assert!(line.ends_with(&f.doc), "{line}");
    }
    assert!(
        !out.contains("_segment2_d2"),
        "internal helpers are not listed"
    );
    // One function: doc, example and a preview with the star's five points.
    let out = stdout(&run(&["shapes", "star5"]));
    assert!(
        out.contains("star5(r, rf)") && out.contains("Example:\n  star5(0.8, 0.4)"),
        "{out}"
    );
    let preview: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("  ") && l.trim().chars().all(|c| c == '#' || c == '.'))
        .collect();
    assert_eq!(preview.len(), 24, "{out}");
    assert!(
        preview.iter().any(|l| l.contains('#')) && preview[0].chars().all(|c| c != '#'),
        "{out}"
    );
    // Misspelt names get a suggestion, builtins a pointer; both exit 2.
    let o = run(&["shapes", "capsle"]);
    assert_fails(&o, 2);
    assert!(
        stderr(&o).contains("did you mean `capsule`?"),
        "{}",
        stderr(&o)
    );
    let o = run(&["shapes", "sqrt"]);
    assert_fails(&o, 2);
    assert!(stderr(&o).contains("builtin"), "{}", stderr(&o));
    // The README's tables are `--markdown`'s output.
    let md = stdout(&run(&["shapes", "--markdown"]));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/shapes/README.md")).unwrap();
    assert!(
        readme.contains(&md),
        "shapes/README.md's tables differ from `tapir shapes --markdown`"
    );
}

#[test]
fn render_circle_matches_library() {
    let s = Scratch::new("circle");
    let input = s.write("c.expr", CIRCLE);
    let out = s.path("c.png");
    let o = run(&["render", p(&input), "-o", p(&out), "--size", "64"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (black, dims) = black_pixels(&out);
    let shape = Shape::from_expr(CIRCLE).unwrap();
    let mask = shape
        .render_mask(&Grid2::square(64), &EvalOptions::default())
        .unwrap();
    assert_eq!(dims, (64, 64));
    assert_eq!(black, mask.iter().filter(|&&b| b).count());
    assert!(
        stderr(&o).contains(&format!("{black} pixels inside")),
        "{}",
        stderr(&o)
    );
    assert_eq!(s.files(), ["c.expr", "c.png"]);
}

#[test]
fn render_defaults_and_options() {
    let s = Scratch::new("defaults");
    let input = s.write("c.expr", CIRCLE);
    // Default output: next to the input, extension .png.
    let o = run(&["render", p(&input), "--size", "32"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(black_pixels(&s.path("c.png")).1, (32, 32));
    // Width/height, negative bounds and z, field mode.
    let out = s.path("f.png");
    let o = run(&[
        "render",
        p(&input),
        "-o",
        p(&out),
        "--width",
        "40",
        "--height",
        "20",
        "--bounds",
        "-2,2,-1,1",
        "--z",
        "-0.25",
        "--mode",
        "field",
        "--threads",
        "1",
        "--dispatch",
        "trampoline",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(image::open(&out).unwrap().to_luma8().dimensions(), (40, 20));
    // Brute force gives the same picture as pruning.
    let (a, b) = (s.path("a.png"), s.path("b.png"));
    assert!(
        run(&["render", p(&input), "-o", p(&a), "--size", "48"])
            .status
            .success()
    );
    assert!(
        run(&[
            "render",
            p(&input),
            "-o",
            p(&b),
            "--size",
            "48",
            "--no-prune"
        ])
        .status
        .success()
    );
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn parse_error_points_at_the_spot() {
    let s = Scratch::new("parse");
    let input = s.write("bad.expr", "let r = 0.5;\nlet b = foo(x);\nb - r\n");
    let out = s.path("bad.png");
    let o = run(&["render", p(&input), "-o", p(&out), "--size", "16"]);
    assert_fails(&o, 2);
    let err = stderr(&o);
    assert!(err.contains("bad.expr:2:9"), "{err}");
    assert!(
        err.lines()
            .any(|l| l.trim_start_matches([' ', '|']).trim() == "^"),
        "{err}"
    );
    assert!(!out.exists());
    assert_eq!(s.files(), ["bad.expr"]);
}

#[test]
fn limits_are_refused_and_nothing_is_written() {
    let s = Scratch::new("limits");
    let input = s.write("c.expr", CIRCLE);
    let out = s.write("out.png", "previous picture");
    let cases: &[(&[&str], &str)] = &[
        (&["--size", "0"], "0"),
        (&["--size", "100000"], "100000"),
        (&["--size", "-5"], "-5"),
        (&["--size", "65536"], "65536"),
        (&["--width", "65536", "--height", "60000"], "65536"),
        (&["--threads", "100000"], "100000"),
        (&["--bounds", "1,0,0,1"], "1,0,0,1"),
        (&["--bounds", "a,b"], "a,b"),
        (&["--bounds", "0,1,0,inf"], "inf"),
        (&["--bounds", "0,1,0,x"], "x"),
        (&["--z", "nan"], "nan"),
        (&["--dispatch", "fast"], "fast"),
        (&["--mode", "color"], "color"),
    ];
    for (args, bad) in cases {
        let mut all = vec!["render", p(&input), "-o", p(&out)];
        all.extend_from_slice(args);
        let o = run(&all);
        assert_fails(&o, 2);
        assert!(stderr(&o).contains(bad), "{args:?}: {}", stderr(&o));
        assert_eq!(
            std::fs::read(&out).unwrap(),
            b"previous picture",
            "{args:?}"
        );
        assert_eq!(s.files(), ["c.expr", "out.png"], "{args:?}");
    }
}

#[test]
fn bad_inputs_fail_cleanly() {
    let s = Scratch::new("inputs");
    let out = s.write("out.png", "previous picture");
    let missing = s.path("missing.expr");
    let o = run(&["render", p(&missing), "-o", p(&out)]);
    assert_fails(&o, 2);
    assert!(stderr(&o).contains("missing.expr"), "{}", stderr(&o));

    let cases: Vec<(PathBuf, &str)> = vec![
        (s.write("empty.expr", ""), "empty.expr:"),
        (s.write("blank.vm", "\n\n"), "blank.vm"),
        (s.write("junk.vm", "_0 frobnicate 1\n"), "junk.vm:1:"),
        (s.write("big.expr", "1e999999 + x"), "big.expr:1:"),
        (s.write("shape.txt", CIRCLE), ".expr"),
        (s.write("noext", CIRCLE), "no extension"),
        (s.0.clone(), "folder"),
    ];
    std::fs::write(s.path("binary.expr"), [0xff, 0xfe, 0, 1]).unwrap();
    for (input, needle) in cases
        .iter()
        .map(|(a, b)| (a.clone(), *b))
        .chain([(s.path("binary.expr"), "UTF-8")])
    {
        let o = run(&["render", p(&input), "-o", p(&out), "--size", "16"]);
        assert_fails(&o, 2);
        assert!(
            stderr(&o).contains(needle),
            "{}: {}",
            input.display(),
            stderr(&o)
        );
        assert_eq!(std::fs::read(&out).unwrap(), b"previous picture");
    }
    // Deeply nested input: either a shape or a clean error, never a crash.
    let deep = s.write(
        "deep.expr",
        &format!("{}x{}", "(".repeat(100_000), ")".repeat(100_000)),
    );
    let o = run(&[
        "render",
        p(&deep),
        "-o",
        p(&s.path("deep.png")),
        "--size",
        "16",
    ]);
    assert!(
        o.status.success() || o.status.code() == Some(2),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("panicked"));
    // Output in a missing folder, or onto a folder.
    let input = s.write("c.expr", CIRCLE);
    let o = run(&["render", p(&input), "-o", p(&s.path("nope/x.png"))]);
    assert_fails(&o, 2);
    assert!(stderr(&o).contains("does not exist"));
    let o = run(&["render", p(&input), "-o", p(&s.0)]);
    assert_fails(&o, 2);
}

#[test]
fn parameters_on_the_command_line() {
    let s = Scratch::new("params");
    let src = "# a disc with a parameter\nparam r = 0.25 in [0.1, 0.9];\nparam unused = 2 in [1, 3];\nsqrt(x*x + y*y) - r\n";
    let input = s.write("disc.expr", src);
    // Rendering with --set: the same picture as the constant written in.
    let out = s.path("p.png");
    let black = |input: &Path, set: &[&str]| -> usize {
        let mut args = vec!["render", p(input), "-o", p(&out), "--size", "64"];
        args.extend(set);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        black_pixels(&out).0
    };
    let konst = s.write("k.expr", "sqrt(x*x + y*y) - 0.5\n");
    let set_pixels = black(&input, &["--set", "r=0.5"]);
    assert_eq!(set_pixels, black(&konst, &[]));
    // The default is a quarter of the area; the last --set of a name wins.
    let default_pixels = black(&input, &["--set", "r=0.5", "--set", "r=0.25"]);
    let ratio = set_pixels as f64 / default_pixels as f64;
    assert!(
        (ratio - 4.0).abs() < 0.25,
        "{set_pixels} vs {default_pixels}"
    );
    // In 3D too.
    let o = run(&[
        "render3d",
        p(&input),
        "-o",
        p(&s.path("3d.png")),
        "--size",
        "32",
        "--set",
        "r=0.4",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Bad values: exit 2 with the range, or the known names; nothing written.
    let bad = s.path("bad.png");
    for (set, needle) in [
        (
            "r=0.95",
            "r = 0.95 is outside the range of parameter `r`: [0.1, 0.9]",
        ),
        ("radius=0.5", "unknown parameter `radius`"),
        ("R=0.5", "did you mean `r`? (the parameters are: r, unused)"),
        ("r", "NAME=VALUE"),
        ("r=big", "`big`"),
    ] {
        for (cmd, out) in [
            ("render", &bad),
            ("render3d", &bad),
            ("export", &s.path("bad.vm")),
        ] {
            let o = run(&[cmd, p(&input), "-o", p(out), "--set", set]);
            assert_fails(&o, 2);
            assert!(
                stderr(&o).contains(needle),
                "{cmd} --set {set}: {}",
                stderr(&o)
            );
        }
    }
    assert!(!bad.exists() && !s.path("bad.vm").exists());
    // info lists the parameters.
    let out = stdout(&run(&["info", p(&input)]));
    assert!(
        out.contains("parameters:     2\n  r = 0.25 in [0.1, 0.9]\n  unused = 2 in [1, 3]\n"),
        "{out}"
    );
    // .vm export binds each parameter to its value, named in a comment, and
    // reads back as the shape at that value.
    let vm = s.path("d.vm");
    let o = run(&["export", p(&input), "-o", p(&vm), "--set", "r=0.5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&vm).unwrap();
    assert!(
        text.contains(" const 0.5 # param r in [0.1, 0.9]"),
        "{text}"
    );
    assert!(
        !text.contains("unused"),
        "only parameters the shape reads: {text}"
    );
    let back = Shape::from_vm(&text).unwrap();
    assert_eq!(back.eval_point(0.5, 0.0, 0.0), 0.0);
    // .expr export keeps them, with the --set values as defaults.
    let o = run(&["export", p(&input), "--to", "expr", "--set", "r=0.3"]);
    let text = stdout(&o);
    assert!(
        text.contains("param r = 0.3 in [0.1, 0.9];")
            && text.contains("param unused = 2 in [1, 3];"),
        "{text}"
    );
    // A shape without parameters refuses --set.
    let plain = s.write("c.expr", CIRCLE);
    let o = run(&["render", p(&plain), "-o", p(&bad), "--set", "r=1"]);
    assert_fails(&o, 2);
    assert!(
        stderr(&o).contains("this shape has no parameters"),
        "{}",
        stderr(&o)
    );
    // Every command that takes --set documents it.
    for cmd in ["render", "render3d", "export"] {
        let help = stdout(&run(&[cmd, "--help"]));
        assert!(
            help.contains("--set <NAME=VALUE>") && help.contains("Example: --set r=0.3"),
            "{cmd}: {help}"
        );
    }
}

#[test]
fn vm_is_recognised_without_extension() {
    let s = Scratch::new("sniff");
    let vm = "# a disc\n_0 var-x\n_1 square _0\n_2 var-y\n_3 square _2\n_4 add _1 _3\n_5 sqrt _4\n_6 const 0.5\n_7 sub _5 _6\n";
    let input = s.write("disc.txt", vm);
    let out = s.path("disc.png");
    let o = run(&["render", p(&input), "-o", p(&out), "--size", "64"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let expr = s.write("c.expr", CIRCLE);
    let out2 = s.path("c.png");
    assert!(
        run(&["render", p(&expr), "-o", p(&out2), "--size", "64"])
            .status
            .success()
    );
    assert_eq!(black_pixels(&out).0, black_pixels(&out2).0);
}

#[test]
fn info_and_export() {
    let s = Scratch::new("export");
    let input = s.write("c.expr", CIRCLE);
    let o = run(&["info", p(&input)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for key in [
        "instructions:",
        "registers used:",
        "spill slots:",
        "choices:",
    ] {
        assert!(out.contains(key), "{out}");
    }
    let vm = s.path("c.vm");
    let o = run(&["export", p(&input), "-o", p(&vm)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["export", p(&vm), "--to", "expr"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let back = s.write("back.expr", &stdout(&o));
    let (a, b) = (s.path("a.png"), s.path("b.png"));
    assert!(
        run(&["render", p(&vm), "-o", p(&a), "--size", "50"])
            .status
            .success()
    );
    assert!(
        run(&["render", p(&back), "-o", p(&b), "--size", "50"])
            .status
            .success()
    );
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert_fails(&run(&["export", p(&input)]), 2);
    assert_fails(&run(&["export", p(&input), "-o", p(&s.path("x.png"))]), 2);
}

/// An expression heavy enough that brute-force rendering takes a while even
/// in a debug build, but whose tiles are quick (so Ctrl-C is noticed soon).
fn heavy_expr() -> String {
    let mut e = String::from("sqrt(x*x + y*y) - 0.05");
    for i in 1..40 {
        let (cx, cy) = ((i as f32 * 0.37).sin() * 0.8, (i as f32 * 0.71).cos() * 0.8);
        e = format!(
            "min({e}, sqrt((x - {cx})^2 + (y - {cy})^2) - 0.0{})",
            i % 9 + 1
        );
    }
    e
}

#[test]
fn sigint_leaves_no_trace() {
    let args = ["--size", "8192", "--no-prune"];
    assert_sigint_leaves_no_trace(
        "render",
        &heavy_expr(),
        "out.png",
        "previous picture",
        &args,
    );
}

#[test]
fn prospero_renders_exactly() {
    let Some(vm) = prospero() else { return };
    let s = Scratch::new("prospero");
    let render = |name: &str, extra: &[&str]| -> Vec<u8> {
        let out = s.path(name);
        let mut args = vec!["render", p(&vm), "-o", p(&out), "--size", "1024"];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read(&out).unwrap()
    };
    let one = render("t1.png", &["--threads", "1"]);
    assert_eq!(black_pixels(&s.path("t1.png")), (132_816, (1024, 1024)));
    let two = render("t2.png", &["--threads", "2"]);
    let matcher = render("m.png", &["--dispatch", "match"]);
    assert!(one == two, "1 and 2 threads differ");
    assert!(one == matcher, "tail and match dispatch differ");
}

#[test]
fn bench_json_lists_every_dispatch() {
    let s = Scratch::new("bench");
    let input = s.write("c.expr", CIRCLE);
    let o = run(&["bench", p(&input), "--size", "128", "--runs", "2", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json = stdout(&o);
    assert!(
        json.trim_start().starts_with('{') && json.trim_end().ends_with('}'),
        "{json}"
    );
    for key in [
        "\"tail\"",
        "\"match\"",
        "\"trampoline\"",
        "\"best_ns_per_insn\"",
        "\"tail_speedup\"",
        "\"peak_rss_kib\"",
    ] {
        assert!(json.contains(key), "{key} missing: {json}");
    }
    assert!(json.contains("\"agree\": true"), "{json}");
    let expected = {
        let shape = Shape::from_expr(CIRCLE).unwrap();
        let mask = shape
            .render_mask(&Grid2::square(128), &EvalOptions::default())
            .unwrap();
        mask.iter().filter(|&&b| b).count()
    };
    assert!(json.contains(&format!("\"inside\": {expected},")), "{json}");
    // Peak RSS is a real measurement: a positive number of KiB.
    let rss = json.split("\"peak_rss_kib\": ").nth(1).unwrap();
    let kib: u64 = rss
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(kib > 0);
    // Balanced braces and brackets outside strings.
    let (mut depth, mut in_str, mut escaped) = (0i32, false, false);
    for c in json.chars() {
        match (in_str, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_str = false,
            (false, _, '"') => in_str = true,
            (false, _, '{' | '[') => depth += 1,
            (false, _, '}' | ']') => {
                depth -= 1;
                assert!(depth >= 0);
            }
            _ => {}
        }
    }
    assert_eq!(depth, 0);
    // The table form too.
    let o = run(&[
        "bench",
        p(&input),
        "--size",
        "32",
        "--runs",
        "1",
        "--no-brute",
        "--no-memory",
        "--threads",
        "1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("tail speedup"), "{}", stdout(&o));
}

const BALL: &str = "sqrt(x*x + y*y + z*z) - 0.5\n";

/// `tapir render3d` writes the picture each mode promises, the same as the
/// library's, for any thread count and dispatch style.
#[test]
fn render3d_modes() {
    use tapir::render::{Frame3d, View, shade};
    let s = Scratch::new("render3d");
    let input = s.write("ball.expr", BALL);
    let shape = Shape::from_expr(BALL).unwrap();
    let frame = Frame3d {
        view: View {
            yaw: 20.0,
            pitch: 10.0,
            ..View::default()
        },
        ..Frame3d::square(64)
    };
    let g = shape.render3d(&frame, &EvalOptions::default()).unwrap();
    let angles = ["--size", "64", "--yaw", "20", "--pitch", "10"];
    let render = |name: &str, extra: &[&str]| -> PathBuf {
        let out = s.path(name);
        let mut args = vec!["render3d", p(&input), "-o", p(&out)];
        args.extend_from_slice(&angles);
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stderr(&o).contains("64×64×64"), "{}", stderr(&o));
        out
    };
    // Depth: 16-bit grey, exactly the library's levels.
    let depth = image::open(render("d.png", &["--mode", "depth"])).unwrap();
    let depth = depth.as_luma16().expect("a 16-bit grey PNG").clone();
    let want = shade::depth_image(&g);
    assert_eq!(depth.as_raw(), &want);
    assert_eq!(want.iter().filter(|&&d| d > 0).count(), g.covered());
    // Normals: RGB, the library's colours.
    let normals = image::open(render("n.png", &["--mode", "normals", "--threads", "1"])).unwrap();
    assert_eq!(
        normals.as_rgb8().unwrap().as_raw(),
        &shade::normal_image(&g)
    );
    // Shaded (the default), with and without ambient occlusion.
    let shaded = image::open(render("s.png", &["--dispatch", "match"])).unwrap();
    let shaded = shaded.as_rgb8().unwrap().as_raw().clone();
    assert_eq!(shaded, shade::shaded_image(&g, &shade::Shading::default()));
    let ao = image::open(render("a.png", &["--ssao", "--dispatch", "trampoline"])).unwrap();
    assert_eq!(
        ao.as_rgb8().unwrap().as_raw(),
        &shade::shaded_image(
            &g,
            &shade::Shading {
                ssao: true,
                ..Default::default()
            }
        )
    );
    // Brute force gives the same picture.
    let brute = image::open(render("b.png", &["--no-prune"])).unwrap();
    assert_eq!(brute.as_rgb8().unwrap().as_raw(), &shaded);
    // The default output name.
    let o = run(&["render3d", p(&input), "--size", "16"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(s.path("ball-3d.png").is_file(), "{:?}", s.files());
}

/// Bad render3d requests fail with exit code 2, a message naming the
/// problem, and no file.
#[test]
fn render3d_refuses_bad_requests() {
    let s = Scratch::new("render3d-bad");
    let input = s.write("ball.expr", BALL);
    let out = s.path("out.png");
    let cases: &[(&[&str], &str)] = &[
        (&["--size", "0"], "at least 1 pixel"),
        (&["--depth", "0"], "at least 1 pixel"),
        (&["--size", "100000"], "too big"),
        (&["--size", "60000"], "memory"),
        (&["--perspective", "2"], "perspective"),
        (&["--scale", "0"], "scale"),
        (&["--center", "1,2"], "3 numbers"),
        (&["--yaw", "x"], "degrees"),
        (&["--mode", "wire"], "shaded"),
        (&["--threads", "100000"], "threads"),
    ];
    for (extra, words) in cases {
        let mut args = vec!["render3d", p(&input), "-o", p(&out)];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert_fails(&o, 2);
        assert!(stderr(&o).contains(words), "{extra:?}: {}", stderr(&o));
        assert!(!out.exists(), "{extra:?} wrote a file");
    }
    let bad = s.write("bad.expr", "sqrt(x*x + ) - 1");
    let o = run(&["render3d", p(&bad), "-o", p(&out)]);
    assert_fails(&o, 2);
    assert!(stderr(&o).contains("bad.expr:1:"), "{}", stderr(&o));
    assert_eq!(s.files(), ["bad.expr", "ball.expr"]);
}

#[test]
fn render3d_sigint_leaves_no_trace() {
    // A heavy 3D field: brute force at 2048² takes minutes.
    let src = heavy_expr().replace("y*y", "y*y + z*z");
    let args = ["--size", "2048", "--no-prune"];
    assert_sigint_leaves_no_trace("render3d", &src, "out.png", "previous picture", &args);
}

#[test]
fn bench_3d_rows_agree() {
    let s = Scratch::new("bench3d");
    let input = s.write("ball.expr", BALL);
    let o = run(&[
        "bench",
        p(&input),
        "--size",
        "32",
        "--runs",
        "1",
        "--3d",
        "--size-3d",
        "32",
        "--json",
        "--threads",
        "2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json = stdout(&o);
    assert!(json.contains("\"size3d\": [32, 32, 32]"), "{json}");
    let rows = json.split("\"frames3d\": ").nth(1).unwrap();
    // Pruning on and off, 1 and 2 threads, each with three dispatch styles
    // that agree with each other and with the render3d child.
    assert_eq!(rows.matches("\"prune\": ").count(), 4, "{rows}");
    assert_eq!(rows.matches("\"same_pixels\": true").count(), 12, "{rows}");
    let shape = Shape::from_expr(BALL).unwrap();
    let hit = shape
        .render3d(&tapir::render::Frame3d::square(32), &EvalOptions::default())
        .unwrap()
        .covered();
    assert!(
        rows.contains(&format!("\"child_inside\": {hit},")),
        "{rows}"
    );
    assert!(json.contains("\"agree\": true"), "{json}");
    let table = stdout(&run(&[
        "bench",
        p(&input),
        "--size",
        "16",
        "--runs",
        "1",
        "--3d",
        "--size-3d",
        "16",
        "--no-memory",
        "--no-brute",
    ]));
    assert!(table.contains("3D frames, 16×16×16"), "{table}");
}

/// Starts `tapir COMMAND heavy.expr -o OUT ARGS...` on a heavy field
/// (`src`) over an `out` file holding `previous`, sends SIGINT after half a
/// second and checks that tapir stops with exit code 130, says so, and
/// leaves the old output and no temporary file behind.
fn assert_sigint_leaves_no_trace(
    command: &str,
    src: &str,
    out: &str,
    previous: &str,
    args: &[&str],
) {
    let s = Scratch::new(&format!("{command}-sigint"));
    let input = s.write("heavy.expr", src);
    let out_path = s.write(out, previous);
    let child = tapir()
        .args([command, p(&input), "-o", p(&out_path)])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (code, err) = interrupt_after(child, Duration::from_millis(500));
    assert_eq!(code, Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert_eq!(std::fs::read(&out_path).unwrap(), previous.as_bytes());
    assert_eq!(s.files(), ["heavy.expr", out]);
}

/// Sends SIGINT to `child` after `after` and waits (at most a minute) for it
/// to end: its exit code and stderr.
fn interrupt_after(mut child: std::process::Child, after: Duration) -> (Option<i32>, String) {
    std::thread::sleep(after);
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("tapir did not stop within 60 s of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    (status.code(), err)
}

#[test]
fn mesh_help_and_bad_requests() {
    let out = stdout(&run(&["mesh", "--help"]));
    for needle in [
        "Examples:",
        "--depth",
        "--bounds",
        "--tolerance",
        "--threads",
        "--dispatch",
        "--no-prune",
        "--set",
        ".stl",
        ".obj",
        ".ply",
        ".3mf",
        "Exit codes",
    ] {
        assert!(out.contains(needle), "mesh --help lacks {needle}: {out}");
    }
    let s = Scratch::new("mesh-bad");
    let input = s.write("ball.expr", "sqrt(x*x + y*y + z*z) - 0.5\n");
    let old = s.write("old.step", "previous file");
    // An unknown extension is refused before any work: even before the
    // input is read (a missing input is not what is reported).
    for input in [p(&input), p(&s.path("missing.expr"))] {
        let o = run(&["mesh", input, "-o", p(&old)]);
        assert_fails(&o, 2);
        let err = stderr(&o);
        assert!(
            err.contains(".step") && err.contains(".stl, .obj, .ply, .3mf"),
            "{err}"
        );
    }
    assert_eq!(std::fs::read(&old).unwrap(), b"previous file");
    let o = run(&["mesh", p(&input), "-o", p(&s.path("noext"))]);
    assert_fails(&o, 2);
    assert!(stderr(&o).contains("no extension"), "{}", stderr(&o));
    for bad in [
        vec!["--depth", "0"],
        vec!["--depth", "17"],
        vec!["--bounds", "0,1,0,1"],
        vec!["--bounds=1,0,0,1,0,1"],
        vec!["--tolerance", "-1"],
        vec!["--set", "nope=1"],
    ] {
        let out = s.path("m.stl");
        let mut args = vec!["mesh", p(&input), "-o", p(&out)];
        args.extend(&bad);
        let o = run(&args);
        assert_fails(&o, 2);
        assert!(!out.exists(), "{bad:?} left a file");
    }
    assert_eq!(s.files(), ["ball.expr", "old.step"]);
}

#[test]
fn mesh_writes_every_format() {
    let s = Scratch::new("mesh");
    let input = s.write("ball.expr", "sqrt(x*x + y*y + z*z) - 0.5\n");
    for ext in ["stl", "obj", "ply", "3mf"] {
        let out = s.write(&format!("ball.{ext}"), "previous mesh");
        let o = run(&["mesh", p(&input), "-o", p(&out), "--depth", "5"]);
        let err = stderr(&o);
        assert!(o.status.success(), "{err}");
        assert!(
            err.contains("triangles") && err.contains("vertices"),
            "{err}"
        );
        let bytes = std::fs::read(&out).unwrap();
        let head: &[u8] = match ext {
            "stl" => b"binary STL",
            "obj" => b"# written by tapir",
            "ply" => b"ply\n",
            _ => b"PK\x03\x04",
        };
        assert!(bytes.starts_with(head), "{ext}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&out).unwrap().permissions().mode();
            assert_eq!(mode & 0o444, 0o444, "{ext}: readable by all");
        }
    }
    assert_eq!(
        s.files(),
        ["ball.3mf", "ball.expr", "ball.obj", "ball.ply", "ball.stl"]
    );
}

#[test]
fn contour_writes_svg() {
    let out = stdout(&run(&["contour", "--help"]));
    for needle in [
        "Examples:",
        "--size",
        "--bounds",
        "--threads",
        "--dispatch",
        "--set",
        "--z",
        "evenodd",
        "Exit codes",
    ] {
        assert!(out.contains(needle), "contour --help lacks {needle}: {out}");
    }
    let s = Scratch::new("contour");
    let input = s.write("ring.expr", "abs(sqrt(x*x + y*y) - 0.6) - 0.2\n");
    let svg = s.path("ring.svg");
    let o = run(&["contour", p(&input), "--size", "128", "--threads", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("2 loops") && err.contains("points"), "{err}");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<?xml") && text.trim_end().ends_with("</svg>"));
    assert!(text.contains("fill-rule=\"evenodd\"") && text.contains("viewBox=\"-1 -1 2 2\""));
    // The same contours as the library's.
    let lib = Shape::from_expr("abs(sqrt(x*x + y*y) - 0.6) - 0.2")
        .unwrap()
        .contours(&Grid2::square(128), &EvalOptions::default())
        .unwrap();
    let mut expected = Vec::new();
    lib.write_svg(&mut expected).unwrap();
    assert_eq!(text.as_bytes(), expected);
    // Only .svg; a bad request leaves the old file and nothing else.
    let old = s.write("old.png", "previous");
    let o = run(&["contour", p(&input), "-o", p(&old)]);
    assert_fails(&o, 2);
    assert!(stderr(&o).contains(".svg"), "{}", stderr(&o));
    let o = run(&["contour", p(&input), "-o", p(&svg), "--set", "r=1"]);
    assert_fails(&o, 2);
    assert_eq!(std::fs::read_to_string(&svg).unwrap(), text);
    assert_eq!(s.files(), ["old.png", "ring.expr", "ring.svg"]);
}

#[test]
fn contour_sigint_leaves_no_trace() {
    let args = ["--size", "16384", "--no-prune"];
    assert_sigint_leaves_no_trace(
        "contour",
        &heavy_expr(),
        "out.svg",
        "previous drawing",
        &args,
    );
}

#[test]
fn mesh_sigint_leaves_no_trace() {
    let src = heavy_expr().replace("y*y", "y*y + z*z");
    let args = ["--depth", "11", "--no-prune"];
    assert_sigint_leaves_no_trace("mesh", &src, "out.3mf", "previous mesh", &args);
}

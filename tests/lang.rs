//! Tests of the front ends: the `.expr` language and its standard library,
//! the `.vm` reader and writer, and the `.expr` printer.

mod common;

use common::Rng;
use tapir::Shape;
use tapir::eval::Interval;
use tapir::graph::{Graph, NodeId, Var};
use tapir::lang::*;
use tapir::ops::{BinaryOp, UnaryOp};

// ---------------------------------------------------------------- helpers

/// The value of a program at a point, through the compiled tape.
fn at(src: &str, x: f32, y: f32, z: f32) -> f32 {
    let shape =
        Shape::from_expr(src).unwrap_or_else(|e| panic!("{src}: {}", e.render("test.expr")));
    let v = shape.eval_point(x, y, z);
    let (g, root) = parse_expr(src).unwrap();
    let r = g.eval(root, [x, y, z]);
    assert!(same(v, r), "{src}: tape {v} vs graph {r}");
    v
}

fn val(src: &str) -> f32 {
    at(src, 0.0, 0.0, 0.0)
}

fn close(a: f32, b: f32, tol: f32) -> bool {
    (a - b).abs() <= tol
}

#[track_caller]
fn assert_close(src: &str, p: [f32; 3], want: f32) {
    let v = at(src, p[0], p[1], p[2]);
    assert!(close(v, want, 1e-5), "{src} at {p:?}: got {v}, want {want}");
}

/// Bit-identical, or both NaN.
fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// The error of a program that must fail: (line, col, message).
#[track_caller]
fn err(src: &str) -> (usize, usize, String) {
    match parse_expr(src) {
        Ok(_) => panic!("expected an error for {src:?}"),
        Err(e) => (e.line, e.col, e.message),
    }
}

#[track_caller]
fn assert_err(src: &str, line: usize, col: usize, needle: &str) {
    let (l, c, m) = err(src);
    assert_eq!((l, c), (line, col), "{src:?}: {m}");
    assert!(
        m.contains(needle),
        "{src:?}: message {m:?} lacks {needle:?}"
    );
}

/// Sample points in [-1.5, 1.5]³, with a few special ones.
fn points(n: usize, seed: u64) -> Vec<[f32; 3]> {
    let mut rng = Rng(seed);
    let mut v = vec![[0.0, 0.0, 0.0], [1.0, -1.0, 0.5], [0.5, 0.25, -0.75]];
    while v.len() < n {
        v.push([
            rng.float(-1.5, 1.5),
            rng.float(-1.5, 1.5),
            rng.float(-1.5, 1.5),
        ]);
    }
    v
}

/// A random graph using every operation.
fn random_graph(seed: u64, size: usize) -> (Graph, NodeId) {
    let mut rng = Rng(seed);
    let mut g = Graph::new();
    let mut pool = vec![g.var(Var::X), g.var(Var::Y), g.var(Var::Z)];
    let consts = [0.5, -0.25, 2.0, 3.0, -0.0, 1e-7, 123456.78, -1.5e20, 0.1];
    for _ in 0..size {
        let pick =
            |rng: &mut Rng, pool: &[NodeId]| pool[pool.len() - 1 - rng.below(pool.len().min(8))];
        let node = match rng.below(10) {
            0 => {
                let c = consts[rng.below(consts.len())];
                g.constant(c)
            }
            1..=3 => {
                let op = UnaryOp::ALL[rng.below(UnaryOp::ALL.len())];
                let a = pick(&mut rng, &pool);
                g.unary(op, a)
            }
            _ => {
                let op = BinaryOp::ALL[rng.below(BinaryOp::ALL.len())];
                let a = pick(&mut rng, &pool);
                let b = if rng.below(4) == 0 {
                    g.constant(consts[rng.below(consts.len())])
                } else {
                    pool[rng.below(pool.len())]
                };
                if rng.below(2) == 0 {
                    g.binary(op, a, b)
                } else {
                    g.binary(op, b, a)
                }
            }
        };
        pool.push(node);
    }
    let root = *pool.last().unwrap();
    (g, root)
}

fn prospero() -> Option<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/models/prospero.vm");
    match std::fs::read_to_string(path) {
        Ok(s) => Some(s),
        Err(e) => {
            println!("SKIPPED: {path} is not available ({e}); the prospero tests need it");
            None
        }
    }
}

// ---------------------------------------------------------------- syntax

#[test]
fn numbers() {
    assert_eq!(val("1"), 1.0);
    assert_eq!(val("0.5"), 0.5);
    assert_eq!(val("2e-3"), 2e-3);
    assert_eq!(val(".5"), 0.5);
    assert_eq!(val("1."), 1.0);
    assert_eq!(val("1.5E2"), 150.0);
    assert_eq!(val("0.1"), 0.1f32);
    assert_eq!(val("16777217"), 16777216.0);
}

#[test]
fn precedence_and_associativity() {
    assert_eq!(val("1 + 2 * 3"), 7.0);
    assert_eq!(val("(1 + 2) * 3"), 9.0);
    assert_eq!(val("8 - 3 - 2"), 3.0);
    assert_eq!(val("8 / 4 / 2"), 1.0);
    assert_eq!(val("2 * 3 / 4"), 1.5);
    assert_eq!(val("1 - 2 + 3"), 2.0);
    assert_eq!(val("-2^2"), -4.0);
    assert_eq!(val("(-2)^2"), 4.0);
    assert_eq!(val("2^3^2"), 512.0);
    assert_eq!(val("2^-1"), 0.5);
    assert_eq!(val("2^-1*3"), 1.5);
    assert_eq!(val("2 * -3"), -6.0);
    assert_eq!(val("- -2"), 2.0);
    assert_eq!(val("-2 * 3 + 1"), -5.0);
    assert_eq!(val("10 - -2^2"), 14.0);
    assert_eq!(val("2^(1 + 1)"), 4.0);
    assert_eq!(at("-x^2", 3.0, 0.0, 0.0), -9.0);
    assert_eq!(at("x - y - z", 1.0, 2.0, 3.0), -4.0);
    assert_eq!(at("x / y / z", 8.0, 2.0, 2.0), 2.0);
    assert_eq!(at("x * y + z * x", 2.0, 3.0, 4.0), 14.0);
}

#[test]
fn powers_lower_to_multiplications() {
    assert_eq!(at("x^0", 7.0, 0.0, 0.0), 1.0);
    assert_eq!(at("x^1", 7.0, 0.0, 0.0), 7.0);
    assert_eq!(at("x^2", 3.0, 0.0, 0.0), 9.0);
    assert_eq!(at("x^3", 2.0, 0.0, 0.0), 8.0);
    assert_eq!(at("x^5", 2.0, 0.0, 0.0), 32.0);
    assert_eq!(at("x^10", 2.0, 0.0, 0.0), 1024.0);
    assert_eq!(at("x^-2", 2.0, 0.0, 0.0), 0.25);
    assert_eq!(at("x^-1", 4.0, 0.0, 0.0), 0.25);
    // x^2 is `square`, x^4 is square(square(x)): two operations.
    let (g, root) = parse_expr("x^4").unwrap();
    assert_eq!(g.reachable(root).iter().filter(|&&l| l).count(), 3);
    let (g2, root2) = parse_expr("square(square(x))").unwrap();
    assert_eq!(write_expr(&g, root), write_expr(&g2, root2));
    let (g, root) = parse_expr("x^-1").unwrap();
    let (g2, root2) = parse_expr("recip(x)").unwrap();
    assert_eq!(write_expr(&g, root), write_expr(&g2, root2));
}

#[test]
fn comments_and_whitespace() {
    let src =
        "# a comment\n// another\nlet r = 0.5; # trailing\n\tsqrt(x*x + y*y) // here\n  - r  # end";
    assert_eq!(at(src, 3.0, 4.0, 0.0), 4.5);
    assert_eq!(val("1 // 2\n + 3"), 4.0);
    assert_eq!(val("6 / 2 # / 3"), 3.0);
    assert_eq!(val("x;"), 0.0);
}

#[test]
fn builtins_all_callable() {
    assert_eq!(at("sqrt(x)", 4.0, 0.0, 0.0), 2.0);
    assert_eq!(at("abs(x)", -4.0, 0.0, 0.0), 4.0);
    assert_eq!(at("square(x)", -3.0, 0.0, 0.0), 9.0);
    assert_eq!(at("neg(x)", 3.0, 0.0, 0.0), -3.0);
    assert_eq!(at("recip(x)", 4.0, 0.0, 0.0), 0.25);
    assert_eq!(
        at("floor(x) + ceil(x) + round(x)", 1.5, 0.0, 0.0),
        1.0 + 2.0 + 2.0
    );
    assert_eq!(at("not(x)", 0.0, 0.0, 0.0), 1.0);
    assert_eq!(at("mod(x, 3)", -1.0, 0.0, 0.0), 2.0);
    assert_eq!(at("compare(x, y)", 1.0, 2.0, 0.0), -1.0);
    assert_eq!(at("and(x, y)", 0.0, 2.0, 0.0), 0.0);
    assert_eq!(at("or(x, y)", 0.0, 2.0, 0.0), 2.0);
    assert!(close(
        at("atan2(y, x)", 0.0, 1.0, 0.0),
        std::f32::consts::FRAC_PI_2,
        1e-6
    ));
    assert!(close(
        at("sin(x) + cos(x) + tan(x)", 0.0, 0.0, 0.0),
        1.0,
        1e-6
    ));
    assert!(close(
        at("asin(x) + acos(x) + atan(x)", 0.0, 0.0, 0.0),
        std::f32::consts::FRAC_PI_2,
        1e-6
    ));
    assert!(close(at("exp(x) + ln(y)", 0.0, 1.0, 0.0), 1.0, 1e-6));
    assert_eq!(
        at("add(x, y) * sub(x, y) / div(mul(x, y), y)", 3.0, 2.0, 0.0),
        5.0 * 1.0 / 3.0
    );
    assert_eq!(at("min(x, y, z)", 3.0, 1.0, 2.0), 1.0);
    assert_eq!(at("max(x, y, z, 7)", 3.0, 1.0, 2.0), 7.0);
    assert_eq!(at("min(x, y)", 3.0, 1.0, 2.0), 1.0);
    assert_eq!(at("max(x, y)", 3.0, 1.0, 2.0), 3.0);
    for name in builtin_names() {
        assert!(
            tapir::ops::UnaryOp::from_name(name).is_some()
                || tapir::ops::BinaryOp::from_name(name).is_some()
                || name == "remap"
                || name == "len"
        );
    }
}

#[test]
fn constants() {
    assert_eq!(val("pi"), std::f32::consts::PI);
    assert_eq!(val("tau"), std::f32::consts::TAU);
    assert_eq!(val("e"), std::f32::consts::E);
    assert_eq!(val("inf"), f32::INFINITY);
    assert_eq!(val("-inf"), f32::NEG_INFINITY);
    assert!(val("nan").is_nan());
    // Constants can be shadowed by `let` and by parameters.
    assert_eq!(val("let pi = 3; pi"), 3.0);
    assert_eq!(val("fn f(e) = e * 2; f(4)"), 8.0);
    assert_eq!(tapir::lang::constants().len(), 5);
}

// ---------------------------------------------------------------- lets and functions

#[test]
fn lets() {
    assert_eq!(
        at("let a = x + 1; let b = a * 2; b - a", 1.0, 0.0, 0.0),
        2.0
    );
    // Shadowing: a later `let` replaces the name from there on.
    assert_eq!(val("let a = 1; let b = a; let a = 10; a + b"), 11.0);
    // Hash-consing: the same subexpression is one node.
    let (g, root) = parse_expr("let a = sin(x); let b = sin(x); a + b").unwrap();
    let live = g.reachable(root).iter().filter(|&&l| l).count();
    assert_eq!(live, 3); // x, sin(x), sum
}

#[test]
fn functions() {
    let src = "fn f(a, b) = a * 10 + b;\nfn g(a) = f(a, a + 1);\ng(x)";
    assert_eq!(at(src, 2.0, 0.0, 0.0), 23.0);
    // Bodies see x, y, z, constants, earlier lets and earlier functions.
    assert_eq!(
        at("let k = 3; fn f(a) = a * k + y; f(x)", 2.0, 1.0, 0.0),
        7.0
    );
    // A body sees the value a `let` had when the function was defined.
    assert_eq!(val("let k = 3; fn f() = k; let k = 5; f() + k"), 8.0);
    // Parameters shadow lets.
    assert_eq!(val("let a = 100; fn f(a) = a; f(1)"), 1.0);
    // Zero arguments.
    assert_eq!(
        at("fn unit() = sqrt(x*x + y*y) - 1; unit()", 3.0, 4.0, 0.0),
        4.0
    );
    // Block bodies with local lets (which may shadow parameters).
    let src = "fn f(a) {\n  let b = a * 2;\n  let a = b + 1;\n  a + b\n}\nf(1)";
    assert_eq!(val(src), 5.0);
    assert_eq!(val("fn f(a) { a * 3; }; f(2)"), 6.0);
    // Functions and values live in separate namespaces.
    assert_eq!(val("let circle = 2; circle + circle(1)"), 1.0);
    // A user function may shadow a standard-library one.
    assert_eq!(at("fn circle(r) = 42 + r; circle(1)", 5.0, 0.0, 0.0), 43.0);
    // ...but the library keeps its own: `rounded_rect` uses the library's `box2`.
    assert_close(
        "fn box2(a, b) = 0; rounded_rect(1, 1, 0.1)",
        [0.5, 0.0, 0.0],
        0.0,
    );
    // Exponents that become constant at the call are fine.
    assert_eq!(at("fn p(n) = x^n; p(3)", 2.0, 0.0, 0.0), 8.0);
}

#[test]
fn deep_function_chains_are_iterative() {
    // 20,000 functions, each calling the one before.
    let mut src = String::from("fn f0(a) = a + 1;\n");
    for i in 1..20_000 {
        src.push_str(&format!("fn f{i}(a) = f{}(a) * 1;\n", i - 1));
    }
    src.push_str("f19999(x)");
    assert_eq!(at(&src, 1.0, 0.0, 0.0), 2.0);
}

#[test]
fn calls_are_memoised() {
    // Without memoisation this would instantiate 2^40 bodies.
    let mut src = String::from("fn f0(a) = sin(a);\n");
    for i in 1..40 {
        src.push_str(&format!("fn f{i}(a) = f{0}(a) + f{0}(a);\n", i - 1));
    }
    src.push_str("f39(x)");
    let (g, root) = parse_expr(&src).unwrap();
    assert!(g.len() < 100);
    assert_eq!(g.eval(root, [0.0, 0.0, 0.0]), 0.0);
}

#[test]
fn remap() {
    assert_eq!(at("remap(x + 2 * y, y, x, z)", 1.0, 10.0, 0.0), 12.0);
    assert_eq!(at("remap(x * y * z, 1, 2, 3)", 9.0, 9.0, 9.0), 6.0);
    // Substitution is simultaneous, and the new expressions are not remapped.
    assert_eq!(at("remap(x - y, y, x, z)", 5.0, 2.0, 0.0), -3.0);
    assert_eq!(
        at("remap(remap(x, x + 1, y, z), x * 10, y, z)", 1.0, 0.0, 0.0),
        11.0
    );
    let (g, root) = parse_expr("remap(sqrt(x*x + y*y) - 1, x - 2, y, z)").unwrap();
    assert_eq!(g.eval(root, [2.0, 0.0, 0.0]), -1.0);
}

// ---------------------------------------------------------------- errors

#[test]
fn error_positions() {
    assert_err("x $ y", 1, 3, "unexpected character `$`");
    assert_err("x +\n  é", 2, 3, "unexpected character `é`");
    assert_err("x + * y", 1, 5, "expected an expression, found `*`");
    assert_err("x +", 1, 4, "expected an expression, found end of input");
    assert_err(
        "(x + 1",
        1,
        7,
        "expected `)` to close the `(` at 1:1, found end of input",
    );
    assert_err(
        "let a = (1;\nx",
        1,
        11,
        "expected `)` to close the `(` at 1:9, found `;`",
    );
    assert_err("sqrt(x", 1, 7, "expected `,` or `)` in the call of `sqrt`");
    assert_err("x + 1)", 1, 6, "unmatched `)`");
    assert_err("x, y", 1, 2, "unexpected `,`");
    assert_err(
        "x y",
        1,
        3,
        "expected the end of the program after the shape expression, found `y`",
    );
    assert_err("x;\ny", 2, 1, "expected the end of the program");
    assert_err(
        "let a = 1\nlet b = 2;\na",
        1,
        10,
        "expected `;` after the definition of `a`, found keyword `let`",
    );
    assert_err("let = 1; x", 1, 5, "expected a name after `let`, found `=`");
    assert_err("let a 1; x", 1, 7, "expected `=`, found number `1`");
    assert_err("fn (a) = a; x", 1, 4, "expected a function name");
    assert_err("fn f(a) a; x", 1, 9, "expected `=` or `{`");
    assert_err(
        "fn f(a b) = a; x",
        1,
        8,
        "expected `,` or `)` in the parameter list",
    );
    assert_err(
        "fn f(a) { let b = a; }\nx",
        1,
        22,
        "expected an expression, found `}`",
    );
    assert_err("2x", 1, 1, "invalid number `2x`");
    assert_err("1e", 1, 1, "invalid number `1e`");
    assert_err("1 + 1e99", 1, 5, "too large");
}

#[test]
fn error_names() {
    assert_err(
        "let radius = 1;\nradus",
        2,
        1,
        "unknown variable `radus`; did you mean `radius`?",
    );
    assert_err("w + 1", 1, 1, "unknown variable `w`");
    assert_err("fn f(a) = b;\nx", 1, 11, "unknown variable `b`");
    assert_err(
        "x +\n  sqr(x)",
        2,
        3,
        "unknown function `sqr`; did you mean `sqrt`?",
    );
    assert_err(
        "circel(0.5)",
        1,
        1,
        "unknown function `circel`; did you mean `circle`?",
    );
    assert_err("smoth_union(x, y, 1)", 1, 1, "did you mean `smooth_union`?");
    assert_err("frobnicate(x)", 1, 1, "unknown function `frobnicate`");
    assert_err("fn f(a) = a;\nf", 2, 1, "`f` is a function, not a value");
    assert_err("sqrt + 1", 1, 1, "`sqrt` is a function, not a value");
    assert_err("let a = 1;\na(2)", 2, 1, "`a` is a value, not a function");
    assert_err("let x = 1;\nx", 1, 5, "`x` is an input variable");
    assert_err("fn f(y) = y;\nx", 1, 6, "`y` is an input variable");
    assert_err(
        "fn g() { let z = 1; z }\nx",
        1,
        14,
        "`z` is an input variable",
    );
}

#[test]
fn error_arity() {
    assert_err(
        "sqrt(x, y)",
        1,
        1,
        "`sqrt` takes 1 argument, but 2 were given",
    );
    assert_err(
        "1 + atan2(x)",
        1,
        5,
        "`atan2` takes 2 arguments, but 1 was given",
    );
    assert_err(
        "min(x)",
        1,
        1,
        "`min` takes 2 or more arguments, but 1 was given",
    );
    assert_err(
        "max()",
        1,
        1,
        "`max` takes 2 or more arguments, but 0 were given",
    );
    assert_err("remap(x, y)", 1, 1, "`remap` takes 4 arguments");
    assert_err(
        "fn f(p, q) = p + q;\n\nf(1)",
        3,
        1,
        "`f` takes 2 arguments, but 1 was given",
    );
    assert_err(
        "circle(1, 2)",
        1,
        1,
        "`circle` takes 1 argument, but 2 were given",
    );
    assert_err(
        "fn f() = 1;\nf(x)",
        2,
        1,
        "`f` takes 0 arguments, but 1 was given",
    );
}

#[test]
fn error_exponents() {
    assert_err("x^y", 1, 3, "the exponent must be a constant integer");
    assert_err(
        "1 + x^(1 + y)",
        1,
        7,
        "the exponent must be a constant integer",
    );
    assert_err(
        "x^0.5",
        1,
        3,
        "the exponent must be an integer, but it is 0.5",
    );
    assert_err("x^pi", 1, 3, "must be an integer");
    assert_err("x^inf", 1, 3, "must be an integer");
    assert_err("x^1e9", 1, 3, "too large");
    // Found when the function is instantiated; reported in its body.
    assert_err(
        "fn p(n) = x^n;\np(y)",
        1,
        13,
        "the exponent must be a constant integer",
    );
}

#[test]
fn error_definitions() {
    assert_err("fn f(a, a) = a;\nf(1)", 1, 9, "duplicate parameter `a`");
    assert_err(
        "fn sqrt(a) = a;\nx",
        1,
        4,
        "`sqrt` is a builtin function and cannot be redefined",
    );
    assert_err("fn remap(a) = a;\nx", 1, 4, "builtin");
    assert_err("fn min(a, b) = a;\nx", 1, 4, "builtin");
    assert_err(
        "fn f(a) = a;\nfn f(b) = b;\nx",
        2,
        4,
        "function `f` is already defined on line 1",
    );
    assert_err(
        "fn f(a) = f(a);\nx",
        1,
        11,
        "`f` calls itself: recursion is not supported",
    );
    assert_err(
        "fn f(a) = g(a);\nfn g(a) = f(a);\nx",
        1,
        11,
        "unknown function `g`",
    );
}

#[test]
fn error_empty_and_missing_shape() {
    assert_err("", 1, 1, "empty program");
    assert_err("   \n# only a comment\n", 1, 1, "empty program");
    assert_err("let a = 1;", 1, 11, "missing the shape");
    assert_err("let a = 1;\nfn f() = 2;\n", 3, 1, "missing the shape");
}

#[test]
fn error_render() {
    let e = parse_expr("let r = 1;\nlet s = sqr(x);\ns").unwrap_err();
    let text = e.render("shape.expr");
    assert!(text.contains("shape.expr:2:9"), "{text}");
    assert!(text.contains("did you mean `sqrt`?"), "{text}");
    assert!(text.contains("let s = sqr(x);\n  |         ^"), "{text}");
}

// ---------------------------------------------------------------- lists and folds

#[test]
fn lists() {
    assert_eq!(val("[4, 5, 6][1]"), 5.0);
    assert_eq!(
        val("let p = [[1, 2], [3, 4]]; p[1][0] * 10 + p[0][1]"),
        32.0
    );
    assert_eq!(
        val("len([]) * 100 + len([1, [2, 3], 4]) * 10 + len([[]])"),
        31.0
    );
    // Elements are any expressions; an index is any constant integer.
    assert_eq!(at("[x, y + 1, 7][2 - 1]", 0.0, 2.0, 0.0), 3.0);
    assert_eq!(at("-[x, y][0]^2", 3.0, 0.0, 0.0), -9.0);
    assert_eq!(val("let i = 1; [10, 20][i]"), 20.0);
    // Lists are values: arguments, results, locals.
    assert_eq!(
        at(
            "fn pt(i) = [i, i * 2];\nfn dot(a, b) = a[0] * b[0] + a[1] * b[1];\ndot(pt(3), [x, 1])",
            2.0,
            0.0,
            0.0
        ),
        12.0
    );
    assert_eq!(
        val("fn swap(p) { let a = p[0]; [p[1], a] }\nswap([1, 2])[0] + swap(swap([3, 4]))[0] * 10"),
        32.0
    );
    // f(x)[i] indexes a call's result.
    assert_eq!(val("fn f() = [7, 8]; f()[1]"), 8.0);
}

#[test]
fn folds() {
    assert_eq!(val("fold s = 0 for i in 0 .. 5: s + i"), 10.0);
    assert_eq!(val("fold s = 1 for i in 1..5: s * i"), 24.0);
    // An empty range gives the initial value; the range may be negative.
    assert_eq!(val("fold s = 7 for i in 3 .. 3: s + i"), 7.0);
    assert_eq!(val("fold s = 7 for i in 3 .. 0: s + i"), 7.0);
    assert_eq!(val("fold s = 0 for i in -2 .. 1: s + i"), -3.0);
    // The body extends as far as it can; parentheses end it.
    assert_eq!(val("1 + fold s = 0 for i in 0 .. 3: s + i * 2"), 7.0);
    assert_eq!(val("(fold s = 0 for i in 0 .. 3: s + i) * 2"), 6.0);
    // The accumulator may be a list (here two Fibonacci numbers).
    assert_eq!(
        val("(fold f = [0, 1] for i in 0 .. 10: [f[1], f[0] + f[1]])[0]"),
        55.0
    );
    // Nested folds, folds over lists, in function bodies, with x.
    assert_eq!(
        val("fold s = 0 for i in 0 .. 3: fold t = s for j in 0 .. i + 1: t + 1"),
        6.0
    );
    let src =
        "fn total(p) = fold s = 0 for i in 0 .. len(p): s + p[i];\ntotal([x, 2, 3]) + total([])";
    assert_eq!(at(src, 10.0, 0.0, 0.0), 15.0);
    assert_eq!(
        at(
            "fold m = x for i in 1 .. 4: min(m, abs(x - i))",
            2.25,
            0.0,
            0.0
        ),
        0.25
    );
    // The loop variable shadows, and is gone after the fold.
    assert_eq!(
        val("let i = 100; (fold s = 0 for i in 0 .. 2: s + i) + i"),
        101.0
    );
    assert_eq!(
        val("fn f(a) { let b = fold s = a for i in 0 .. 2: s * 2; b + a }\nf(1)"),
        5.0
    );
    // The initial value does not see the accumulator (an outer `s` is used).
    assert_eq!(
        val("let s = 5; fold s = s + 1 for i in 0 .. 1: s * 2"),
        12.0
    );
    // Keywords are reserved, but longer names are not.
    assert_eq!(
        val("let folder = 2; let format = 3; let index = 4; folder * format * index"),
        24.0
    );
}

#[test]
fn list_and_fold_errors() {
    for (src, line, col, needle) in [
        (
            "[1, 2] + 1",
            1,
            8,
            "the left operand of `add` must be a number, but it is a list of 2 values",
        ),
        (
            "sin([1])",
            1,
            1,
            "the operand of `sin` must be a number, but it is a list of 1 value",
        ),
        (
            "let p = [1, 2];\np[2]",
            2,
            2,
            "index 2 is out of range for a list of 2 values",
        ),
        ("[1][-1]", 1, 4, "index -1 is out of range"),
        (
            "[1][0.5]",
            1,
            4,
            "a list index must be an integer, but it is 0.5",
        ),
        (
            "[1][x]",
            1,
            4,
            "a list index must be a constant integer, but this depends on x",
        ),
        ("x[0]", 1, 2, "only a list can be indexed"),
        ("len(x)", 1, 1, "`len` needs a list"),
        (
            "len([1], [2])",
            1,
            1,
            "`len` takes 1 argument, but 2 were given",
        ),
        (
            "[x, y]",
            1,
            1,
            "the shape must be a number, but it is a list of 2 values",
        ),
        (
            "min([1], 2)",
            1,
            1,
            "every argument of `min` must be a number",
        ),
        (
            "remap([1], x, y, z)",
            1,
            1,
            "the shape of `remap` must be a number",
        ),
        (
            "[1, 2",
            1,
            6,
            "expected `,` or `]` in the list started at 1:1, found end of input",
        ),
        (
            "[1, 2)",
            1,
            6,
            "expected `,` or `]` in the list started at 1:1, found `)`",
        ),
        (
            "(1, 2]",
            1,
            3,
            "expected `)` to close the `(` at 1:1, found `,`",
        ),
        (
            "1, 2",
            1,
            2,
            "unexpected `,` outside of a function call or list",
        ),
        ("x]", 1, 2, "unmatched `]`"),
        ("[1][0", 1, 6, "expected `]` to close the index `[` at 1:4"),
        ("x .. y", 1, 3, "unexpected `..` outside of a `fold`"),
        ("x : y", 1, 3, "unexpected `:` outside of a `fold`"),
        (
            "fold 1 = 0 for i in 0..2: i",
            1,
            6,
            "expected a name for the accumulator after `fold`",
        ),
        (
            "fold x = 0 for i in 0..2: i",
            1,
            6,
            "`x` is an input variable",
        ),
        (
            "fold a 0 for i in 0..2: a",
            1,
            8,
            "expected `=` after the accumulator's name",
        ),
        (
            "fold a = 0 in 0..3: a",
            1,
            12,
            "expected `for` after the initial value of the `fold` at 1:1",
        ),
        (
            "fold a = 0 for 3 in 0..3: a",
            1,
            16,
            "expected a loop variable after `for`",
        ),
        (
            "fold a = 0 for a in 0..3: a",
            1,
            16,
            "the loop variable `a` has the name of the accumulator",
        ),
        (
            "fold a = 0 for i of 0..3: a",
            1,
            18,
            "expected `in` after the loop variable",
        ),
        (
            "fold a = 0 for i in 0, 3: a",
            1,
            22,
            "expected `..` in the range of the `fold` at 1:1",
        ),
        (
            "fold a = 0 for i in 0 .. 3 a",
            1,
            28,
            "expected `:` after the range of the `fold` at 1:1",
        ),
        (
            "fold a = 0 for i in 0 .. x: a",
            1,
            26,
            "the end of the range of `fold` must be a constant integer",
        ),
        (
            "fold a = 0 for i in 0.5 .. 2: a",
            1,
            21,
            "the start of the range of `fold` must be an integer, but it is 0.5",
        ),
        (
            "fold a = 0 for i in [1] .. 2: a",
            1,
            21,
            "the start of the range of `fold` must be a number, but it is a list",
        ),
        ("fold a = 0 for i in 0 .. 1e9: a", 1, 26, "too large"),
        (
            "fold a = 0 for i in 0 .. 3: b",
            1,
            29,
            "unknown variable `b`",
        ),
        // The loop's names are gone after its body.
        (
            "(fold a = 0 for i in 0 .. 3: a) + i",
            1,
            35,
            "unknown variable `i`",
        ),
        // Running too long is the usual "too large" error, not a hang.
        (
            "fold a = 0 for i in 0 .. 16000000: a + i",
            1,
            1,
            "too large",
        ),
        // A type error inside the standard library points at the call.
        (
            "let p = [1, 2];\ncircle(p)",
            2,
            1,
            "inside this call of `circle`",
        ),
    ] {
        assert_err(src, line, col, needle);
    }
}

#[test]
fn deep_lists_and_folds() {
    let n = 100_000;
    // Deeply nested list literals and indexing.
    let src = format!("{}x{}{}", "[".repeat(n), "]".repeat(n), "[0]".repeat(n));
    assert_eq!(at(&src, 2.5, 0.0, 0.0), 2.5);
    // Deeply nested folds (each body is the next fold).
    let src = format!("{}x", "fold a = 1 for i in 0 .. 1: ".repeat(2000));
    assert_eq!(at(&src, 3.0, 0.0, 0.0), 3.0);
    // A long fold: one iteration per point of a list.
    let pts: Vec<String> = (0..10_000).map(|i| format!("{i}")).collect();
    let src = format!(
        "let p = [{}];\nfold s = 0 for i in 0 .. len(p): s + p[i] * 0 + 1",
        pts.join(", ")
    );
    assert_eq!(val(&src), 10_000.0);
}

// ---------------------------------------------------------------- parameters

#[test]
fn params_are_inputs() {
    let src = "param r = 0.5 in [0.1, 2];\nparam k = pi / 4 in [0, pi];\nx * cos(k) - r";
    let (g, root) = parse_expr(src).unwrap();
    let p = g.params();
    assert_eq!(p.len(), 2);
    assert_eq!(
        (p[0].name.as_str(), p[0].default, p[0].lo, p[0].hi),
        ("r", 0.5, 0.1, 2.0)
    );
    assert_eq!(p[1].default, std::f32::consts::PI / 4.0);
    assert_eq!(p[1].hi, std::f32::consts::PI);
    // Never folded: the tape reads both (inputs 3 and 4) and computes cos(k).
    let shape = Shape::from_graph(&g, root);
    let inputs: Vec<u32> = shape
        .reg_tape()
        .insns()
        .iter()
        .filter(|i| i.op() == tapir::ops::Op::Input)
        .map(|i| i.imm)
        .collect();
    assert!(inputs.contains(&3) && inputs.contains(&4), "{inputs:?}");
    assert_eq!(shape.reg_tape().param_count(), 2);
    assert!(
        shape.len() >= 6,
        "cos(k) is computed at run time: {} insns",
        shape.len()
    );
    assert_eq!(
        at(src, 2.0, 0.0, 0.0),
        2.0 * (std::f32::consts::PI / 4.0).cos() - 0.5
    );
    assert_eq!(g.eval_with(root, [2.0, 0.0, 0.0], &[1.0, 0.0]), 1.0);
    // Visible to later lets and functions; a later let shadows.
    assert_eq!(
        val("param a = 2 in [0, 3];\nlet b = a * 10;\nfn f() = a + b;\nf()"),
        22.0
    );
    assert_eq!(val("param a = 2 in [0, 3];\nlet a = 7;\na"), 7.0);
    // A parameter unused by the shape is still declared.
    let (g, _) = parse_expr("param unused = 1 in [0, 1];\nx").unwrap();
    assert_eq!(g.params().len(), 1);
}

#[test]
fn param_errors() {
    for (src, line, col, needle) in [
        (
            "param r = x in [0, 1];\nx",
            1,
            11,
            "the default of `r` must be a finite constant number",
        ),
        (
            "param r = 2 in [0, 1];\nx",
            1,
            11,
            "the default 2 of `r` is outside its range [0, 1]",
        ),
        (
            "param r = 0.5 in 1;\nx",
            1,
            18,
            "the range of `r` must be `[lo, hi]`",
        ),
        ("param r = 0.5 in [1, 0];\nx", 1, 18, "lo <= hi"),
        (
            "param r = 0.5 in [0, 1, 2];\nx",
            1,
            18,
            "the range of `r` must be",
        ),
        ("param r = 0.5 in [0, inf];\nx", 1, 18, "finite"),
        (
            "param r = 0.5 [0, 1];\nx",
            1,
            15,
            "expected `in` and the parameter's range",
        ),
        (
            "param r 0.5 in [0, 1];\nx",
            1,
            9,
            "expected `=` after the parameter's name",
        ),
        (
            "param 1 = 0.5 in [0, 1];\nx",
            1,
            7,
            "expected a parameter name",
        ),
        (
            "param z = 0.5 in [0, 1];\nx",
            1,
            7,
            "`z` is an input variable",
        ),
        (
            "param r = 0.5 in [0, 1]\nx",
            1,
            24,
            "expected `;` after the declaration of `r`",
        ),
        (
            "param r = 0.5 in [0, 1];\nparam r = 0.7 in [0, 1];\nx",
            2,
            7,
            "parameter `r` is already declared on line 1",
        ),
        (
            "param a = 1 in [0, 2];\nparam b = a in [0, 2];\nx",
            2,
            11,
            "the default of `b` must be a finite constant number (it cannot depend on x, y, z or parameters)",
        ),
        // Where a constant is needed, a parameter does not do.
        (
            "param n = 2 in [1, 4];\nx ^ n",
            2,
            5,
            "depends on x, y, z or a parameter",
        ),
        (
            "param n = 1 in [0, 1];\n[x, y][n]",
            2,
            7,
            "depends on x, y, z or a parameter",
        ),
        (
            "param n = 3 in [1, 9];\nfold s = 0 for i in 0 .. n: s + x",
            2,
            26,
            "the end of the range of `fold` must be a constant integer, but this depends on x, y, z or a parameter",
        ),
        // Only at the top level of the program.
        (
            "fn f() { param r = 1 in [0, 1]; r }\nx",
            1,
            10,
            "expected an expression, found keyword `param`",
        ),
    ] {
        assert_err(src, line, col, needle);
    }
}

#[test]
fn params_print_and_read_back() {
    let src = "param r = 0.25 in [0, 1];\nparam v1 = -3 in [-4, 4];\nlet s = circle(r) + v1 * 0;\nsmooth_union(s, translate(box2(r, r), 0.5, 0), 0.1)";
    let (g, root) = parse_expr(src).unwrap();
    let text = write_expr(&g, root);
    assert!(text.contains("param r = 0.25 in [0, 1];"), "{text}");
    assert!(text.contains("param v1 = -3 in [-4, 4];"), "{text}");
    // The printer's lets do not take the name of the parameter `v1`.
    assert!(!text.contains("let v1 ="), "{text}");
    let (g2, root2) =
        parse_expr(&text).unwrap_or_else(|e| panic!("{}\n{text}", e.render("printed")));
    assert_eq!(g2.params(), g.params());
    for p in points(200, 11) {
        for values in [[0.25, -3.0], [0.7, 2.5]] {
            assert!(same(
                g.eval_with(root, p, &values),
                g2.eval_with(root2, p, &values)
            ));
        }
    }
    assert_eq!(write_expr(&g2, root2), text);
}

// ---------------------------------------------------------------- depth

#[test]
fn million_additions() {
    let src = format!("x{}", " + x".repeat(999_999));
    let shape = Shape::from_expr(&src).unwrap();
    assert_eq!(shape.eval_point(1.0, 0.0, 0.0), 1_000_000.0);
    assert_eq!(shape.eval_point(0.5, 0.0, 0.0), 500_000.0);
}

#[test]
fn hundred_thousand_parentheses() {
    let n = 100_000;
    let src = format!("{}x + 1{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(at(&src, 2.0, 0.0, 0.0), 3.0);
    // Nested calls and nested unary minus too.
    let src = format!("{}x{}", "abs(".repeat(n), ")".repeat(n));
    assert_eq!(at(&src, -2.0, 0.0, 0.0), 2.0);
    let src = format!("{}x", "-".repeat(n + 1));
    assert_eq!(at(&src, 2.0, 0.0, 0.0), -2.0);
    let src = format!("{}x", "2^".repeat(3));
    assert!(parse_expr(&src).is_err());
    // An unclosed deep nest is an error, not a crash.
    let src = "(".repeat(n);
    assert_err(&src, 1, n + 1, "expected an expression, found end of input");
}

#[test]
fn deep_right_nested_chain() {
    // x - (x - (x - ...)): deep on the right.
    let n = 100_000;
    let mut src = String::new();
    for _ in 0..n {
        src.push_str("x - (");
    }
    src.push('x');
    src.push_str(&")".repeat(n));
    // Innermost x = 1, then 1 - 1 = 0, 1 - 0 = 1, ...: an even count gives 1.
    assert_eq!(at(&src, 1.0, 0.0, 0.0), 1.0);
}

// ---------------------------------------------------------------- standard library

#[test]
fn stdlib_listing() {
    let names = stdlib_names();
    for want in [
        "circle",
        "box2",
        "rect",
        "rounded_box2",
        "rounded_rect",
        "segment",
        "equilateral_triangle",
        "ring",
        "hexagon",
        "star5",
        "sphere",
        "box",
        "rounded_box",
        "torus",
        "cylinder",
        "capsule",
        "plane",
        "octahedron",
        "union",
        "intersection",
        "difference",
        "smooth_union",
        "smooth_intersection",
        "smooth_difference",
        "translate",
        "translate3",
        "scale",
        "rotate",
        "rotate_x",
        "rotate_y",
        "rotate_z",
        "mirror_x",
        "mirror_y",
        "mirror_z",
        "repeat",
        "repeat_polar",
        "extrude",
        "revolve",
        "rounded",
        "onion",
        "length2",
        "length3",
        "clamp",
        "mix",
        "sign",
        "step",
        "select",
    ] {
        assert!(names.contains(&want), "stdlib lacks {want}");
    }
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/shapes/README.md")).unwrap();
    for f in stdlib_functions() {
        assert!(!f.doc.is_empty(), "{} has no doc comment", f.name);
        assert!(
            readme.contains(&format!("`{}`", f.signature())),
            "README lacks `{}`",
            f.signature()
        );
        assert!(builtin_names().iter().all(|b| *b != f.name));
    }
    for b in builtin_names() {
        assert!(
            readme.contains(&format!("`{b}")),
            "README lacks builtin {b}"
        );
    }
}

#[test]
fn stdlib_math() {
    assert_eq!(val("length2(3, 4)"), 5.0);
    assert_eq!(val("length3(2, 3, 6)"), 7.0);
    assert_eq!(val("dot2(1, 2, 3, 4)"), 11.0);
    assert_eq!(val("dot3(1, 2, 3, 4, 5, 6)"), 32.0);
    assert_eq!(
        val("clamp(5, 0, 1) + clamp(-5, 0, 1) * 10 + clamp(0.5, 0, 1)"),
        1.5
    );
    assert_eq!(val("mix(2, 4, 0.25)"), 2.5);
    assert_eq!(val("sign(-3) * 100 + sign(0) * 10 + sign(2)"), -99.0);
    assert_eq!(val("step(1, 0.5) * 10 + step(1, 1) + step(1, 2)"), 2.0);
    assert_eq!(val("select(1, 5, 7) * 10 + select(0, 5, 7)"), 57.0);
    assert!(close(val("radians(180)"), std::f32::consts::PI, 1e-6));
}

#[test]
fn stdlib_2d() {
    let s3 = 3f32.sqrt();
    assert_close("circle(0.5)", [0.5, 0.0, 0.0], 0.0);
    assert_close("circle(0.5)", [0.0, 0.0, 0.0], -0.5);
    assert_close("circle(0.5)", [0.0, -1.0, 0.0], 0.5);
    // Box: exact outside a corner, and inside.
    assert_close(
        "box2(0.5, 0.25)",
        [1.0, 1.0, 0.0],
        (0.25f32 + 0.5625).sqrt(),
    );
    assert_close("box2(0.5, 0.25)", [0.0, 0.0, 0.0], -0.25);
    assert_close("box2(0.5, 0.25)", [-0.4, 0.0, 0.0], -0.1);
    assert_close("box2(0.5, 0.25)", [0.0, 1.0, 0.0], 0.75);
    assert_close("rect(1, 0.5)", [1.0, 1.0, 0.0], (0.25f32 + 0.5625).sqrt());
    assert_close("rounded_box2(0.5, 0.5, 0.1)", [0.5, 0.0, 0.0], 0.0);
    let d = 0.4 + 0.1 / 2f32.sqrt();
    assert_close("rounded_box2(0.5, 0.5, 0.1)", [d, d, 0.0], 0.0);
    assert_close("rounded_rect(1, 1, 0.1)", [0.6, 0.0, 0.0], 0.1);
    assert_close("segment(0, 0, 1, 0, 0.1)", [0.5, 0.3, 0.0], 0.2);
    assert_close("segment(0, 0, 1, 0, 0.1)", [2.0, 0.0, 0.0], 0.9);
    assert_close("segment(0, 0, 1, 0, 0.1)", [-1.0, 0.0, 0.0], 0.9);
    assert_close("segment(0, 0, 1, 0, 0)", [0.5, 0.0, 0.0], 0.0);
    // Triangle with side 1: inradius 0.5/sqrt(3), vertices on the circumcircle.
    let tri = "equilateral_triangle(0.5)";
    assert_close(tri, [0.0, 0.0, 0.0], -0.5 / s3);
    assert_close(tri, [0.5, -0.5 / s3, 0.0], 0.0);
    assert_close(tri, [0.0, 1.0 / s3, 0.0], 0.0);
    assert_close(tri, [0.0, -0.5 / s3 - 0.3, 0.0], 0.3);
    assert_close(tri, [0.0, 1.0 / s3 + 0.2, 0.0], 0.2);
    assert_close(tri, [-0.5 - 0.3, -0.5 / s3, 0.0], 0.3);
    assert_close("ring(0.5, 0.1)", [0.5, 0.0, 0.0], -0.1);
    assert_close("ring(0.5, 0.1)", [0.0, 0.0, 0.0], 0.4);
    assert_close("ring(0.5, 0.1)", [0.0, 1.0, 0.0], 0.4);
    assert_close("hexagon(0.5)", [0.0, 0.5, 0.0], 0.0);
    assert_close("hexagon(0.5)", [0.0, 0.0, 0.0], -0.5);
    assert_close("hexagon(0.5)", [0.0, -0.7, 0.0], 0.2);
    assert_close("hexagon(0.5)", [1.0 / s3, 0.0, 0.0], 0.0);
    assert_close("hexagon(0.5)", [2.0 / s3, 0.0, 0.0], 1.0 / s3);
    assert_close("star5(0.5, 0.4)", [0.0, 0.5, 0.0], 0.0);
    assert_close("star5(0.5, 0.4)", [0.0, 0.8, 0.0], 0.3);
    assert!(val("star5(0.5, 0.4)") < 0.0);
    // The other four points are rotations of the top one.
    for k in 1..5 {
        let a = std::f32::consts::FRAC_PI_2 + k as f32 * std::f32::consts::TAU / 5.0;
        let v = at("star5(0.5, 0.4)", 0.5 * a.cos(), 0.5 * a.sin(), 0.0);
        assert!(v.abs() < 1e-5, "point {k}: {v}");
    }
}

#[test]
fn stdlib_3d() {
    assert_close("sphere(1)", [2.0, 0.0, 0.0], 1.0);
    assert_close("sphere(1)", [0.0, 0.0, 0.0], -1.0);
    assert_close("box(0.5, 0.5, 0.5)", [1.0, 1.0, 1.0], 0.75f32.sqrt());
    assert_close("box(0.5, 0.5, 0.5)", [0.0, 0.0, 0.0], -0.5);
    assert_close("box(0.5, 0.5, 0.5)", [0.2, 0.1, 0.0], -0.3);
    assert_close("box(0.5, 0.25, 1)", [0.0, 0.0, 1.5], 0.5);
    assert_close("rounded_box(0.5, 0.5, 0.5, 0.1)", [0.0, 0.0, 0.5], 0.0);
    assert_close("torus(0.5, 0.1)", [0.5, 0.0, 0.0], -0.1);
    assert_close("torus(0.5, 0.1)", [0.0, 0.0, 0.5], -0.1);
    assert_close("torus(0.5, 0.1)", [0.0, 0.0, 0.0], 0.4);
    assert_close("torus(0.5, 0.1)", [0.5, 0.3, 0.0], 0.2);
    assert_close("cylinder(0.5, 1)", [0.0, 0.0, 0.0], -0.5);
    assert_close("cylinder(0.5, 1)", [0.0, 2.0, 0.0], 1.0);
    assert_close("cylinder(0.5, 1)", [0.0, 0.0, 1.0], 0.5);
    assert_close("cylinder(0.5, 1)", [1.0, 2.0, 0.0], (0.25f32 + 1.0).sqrt());
    assert_close("capsule(0, 0, 0, 0, 1, 0, 0.25)", [0.5, 0.5, 0.0], 0.25);
    assert_close("capsule(0, 0, 0, 0, 1, 0, 0.25)", [0.0, 2.0, 0.0], 0.75);
    assert_close("capsule(0, 0, 0, 0, 1, 0, 0.25)", [0.0, -1.0, 0.0], 0.75);
    assert_close("plane(0, 2, 0, 0.5)", [0.0, 1.0, 0.0], 1.5);
    assert_close("plane(0, 2, 0, 0.5)", [7.0, -0.5, 3.0], 0.0);
    assert_close("octahedron(1)", [1.0, 0.0, 0.0], 0.0);
    assert!(val("octahedron(1)") < 0.0);
}

#[test]
fn stdlib_booleans() {
    let pts = points(300, 7);
    let a = "circle(0.5)";
    let b = "translate(box2(0.3, 0.6), 0.4, 0.1)";
    for p in &pts {
        let (va, vb) = (at(a, p[0], p[1], p[2]), at(b, p[0], p[1], p[2]));
        let u = at(&format!("union({a}, {b})"), p[0], p[1], p[2]);
        let i = at(&format!("intersection({a}, {b})"), p[0], p[1], p[2]);
        let d = at(&format!("difference({a}, {b})"), p[0], p[1], p[2]);
        assert_eq!(u, va.min(vb));
        assert_eq!(i, va.max(vb));
        assert_eq!(d, va.max(-vb));
        let k = 0.2;
        let su = at(&format!("smooth_union({a}, {b}, {k})"), p[0], p[1], p[2]);
        let si = at(
            &format!("smooth_intersection({a}, {b}, {k})"),
            p[0],
            p[1],
            p[2],
        );
        let sd = at(
            &format!("smooth_difference({a}, {b}, {k})"),
            p[0],
            p[1],
            p[2],
        );
        assert!(su <= u, "smooth_union {su} > min {u} at {p:?}");
        assert!(su >= u - k / 4.0 - 1e-6);
        assert!(si >= i, "smooth_intersection {si} < max {i}");
        assert!(sd >= d, "smooth_difference {sd} < difference {d}");
        if (va - vb).abs() >= k {
            assert_eq!(su, u);
        }
    }
    assert_close("smooth_union(x, x, 0.4)", [0.0, 0.0, 0.0], -0.1);
}

#[test]
fn stdlib_transforms() {
    use std::f32::consts::PI;
    assert_close("translate(circle(0.25), 0.5, 0)", [0.5, 0.0, 0.0], -0.25);
    assert_close(
        "translate3(sphere(0.25), 0, 0, 0.5)",
        [0.0, 0.0, 0.5],
        -0.25,
    );
    assert_close("scale(circle(1), 0.5)", [1.0, 0.0, 0.0], 0.5);
    assert_close("scale(box2(1, 1), 2)", [0.0, 0.0, 0.0], -2.0);
    assert_close("rotate(box2(0.5, 0.1), pi / 2)", [0.0, 0.5, 0.0], 0.0);
    assert_close("rotate(box2(0.5, 0.1), pi / 2)", [0.5, 0.0, 0.0], 0.4);
    assert_close(
        "rotate(translate(circle(0.1), 1, 0), pi / 2)",
        [0.0, 1.0, 0.0],
        -0.1,
    );
    assert_close(
        "rotate_z(translate(circle(0.1), 1, 0), pi / 2)",
        [0.0, 1.0, 0.0],
        -0.1,
    );
    assert_close(
        "rotate_x(translate3(sphere(0.1), 0, 1, 0), pi / 2)",
        [0.0, 0.0, 1.0],
        -0.1,
    );
    assert_close(
        "rotate_y(translate3(sphere(0.1), 0, 0, 1), pi / 2)",
        [1.0, 0.0, 0.0],
        -0.1,
    );
    assert_close("rotate(circle(0.5), 1.234)", [0.3, 0.4, 0.0], 0.0);
    assert_close(
        "mirror_x(translate(circle(0.1), 0.5, 0))",
        [-0.5, 0.0, 0.0],
        -0.1,
    );
    assert_close(
        "mirror_y(translate(circle(0.1), 0, 0.5))",
        [0.0, -0.5, 0.0],
        -0.1,
    );
    assert_close(
        "mirror_z(translate3(sphere(0.1), 0, 0, 0.5))",
        [0.0, 0.0, -0.5],
        -0.1,
    );
    assert_close("repeat(circle(0.1), 1, 1)", [3.0, -2.0, 0.0], -0.1);
    assert_close("repeat(circle(0.1), 1, 1)", [3.5, 0.0, 0.0], 0.4);
    let a = PI / 3.0;
    let s = "repeat_polar(translate(circle(0.1), 0.5, 0), 6)";
    assert_close(s, [0.5 * a.cos(), 0.5 * a.sin(), 0.0], -0.1);
    assert_close(s, [-0.5, 0.0, 0.0], -0.1);
    assert_close(s, [0.0, 0.0, 0.0], 0.4);
    assert_close("extrude(circle(0.5), 0.2)", [0.0, 0.0, 0.0], -0.2);
    assert_close("extrude(circle(0.5), 0.2)", [0.0, 0.0, 1.0], 0.8);
    assert_close("extrude(circle(0.5), 0.2)", [1.0, 0.0, 0.0], 0.5);
    assert_close("extrude(circle(0.5), 0.2)", [0.8, 0.0, 0.6], 0.5);
    for p in points(50, 3) {
        let r = at("revolve(circle(0.1), 0.5)", p[0], p[1], p[2]);
        let t = at("torus(0.5, 0.1)", p[0], p[1], p[2]);
        assert!(close(r, t, 1e-6), "{p:?}: {r} vs {t}");
    }
    assert_close("rounded(box2(0.5, 0.5), 0.1)", [0.6, 0.0, 0.0], 0.0);
    assert_close("onion(circle(0.5), 0.05)", [0.0, 0.0, 0.0], 0.45);
    assert_close("onion(circle(0.5), 0.05)", [0.5, 0.0, 0.0], -0.05);
}

#[test]
fn examples_parse_and_render() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/shapes/examples");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("expr") {
            continue;
        }
        let src = std::fs::read_to_string(&path).unwrap();
        let shape = Shape::from_expr(&src)
            .unwrap_or_else(|e| panic!("{}", e.render(&path.display().to_string())));
        // Something inside and something outside in [-1, 1]², and outside at the border.
        let (mut inside, mut outside) = (0, 0);
        for j in 0..64 {
            for i in 0..64 {
                let x = -1.0 + 2.0 * (i as f32 + 0.5) / 64.0;
                let y = -1.0 + 2.0 * (j as f32 + 0.5) / 64.0;
                let v = shape.eval_point(x, y, 0.0);
                assert!(!v.is_nan(), "{}: NaN at ({x}, {y})", path.display());
                if v < 0.0 { inside += 1 } else { outside += 1 }
            }
        }
        assert!(
            inside > 200 && outside > 200,
            "{}: {inside} inside, {outside} outside",
            path.display()
        );
        assert!(
            shape.eval_point(0.999, 0.999, 0.0) > 0.0,
            "{}",
            path.display()
        );
        // And they print and read back.
        let (g, root) = parse_expr(&src).unwrap();
        let text = write_expr(&g, root);
        let (g2, root2) = parse_expr(&text).unwrap();
        assert_eq!(write_expr(&g2, root2), text);
        count += 1;
    }
    assert!(count >= 4, "expected at least 4 examples, found {count}");
}

// ---------------------------------------------------------------- .vm

#[test]
fn vm_basics() {
    let src = "# comment\n\n_0 var-x   # trailing comment\n_1 var-y\n_2 var-z\n_3 const 2.5\n\
               _4 mul _0 _3\n_5 add _4 _1\n_6 copy _5\n_7 sub _6 _2\n";
    let (g, out) = parse_vm(src).unwrap();
    assert_eq!(g.eval(out, [1.0, 2.0, 3.0]), 1.5);
    let (g, out) =
        parse_vm("a const inf\nb const -inf\nc const NaN\nd add a b\ne max c d").unwrap();
    assert!(g.eval(out, [0.0; 3]).is_nan());
    let (g, out) = parse_vm("a const -0").unwrap();
    assert_eq!(g.eval(out, [0.0; 3]).to_bits(), (-0.0f32).to_bits());
    // Every operation by name.
    for &u in UnaryOp::ALL {
        let src = format!("a var-x\nb {} a\n", u.name());
        let (g, out) = parse_vm(&src).unwrap();
        let mut h = Graph::new();
        let x = h.var(Var::X);
        let r = h.unary(u, x);
        assert!(same(
            g.eval(out, [0.3, 0.0, 0.0]),
            h.eval(r, [0.3, 0.0, 0.0])
        ));
    }
    for &b in BinaryOp::ALL {
        let src = format!("a var-x\nb var-y\nc {} a b\n", b.name());
        let (g, out) = parse_vm(&src).unwrap();
        let mut h = Graph::new();
        let (x, y) = (h.var(Var::X), h.var(Var::Y));
        let r = h.binary(b, x, y);
        assert!(same(
            g.eval(out, [0.3, -0.7, 0.0]),
            h.eval(r, [0.3, -0.7, 0.0])
        ));
    }
}

#[track_caller]
fn assert_vm_err(src: &str, line: usize, col: usize, needle: &str) {
    let e = parse_vm(src)
        .err()
        .unwrap_or_else(|| panic!("expected an error for {src:?}"));
    assert_eq!((e.line, e.col), (line, col), "{src:?}: {}", e.message);
    assert!(
        e.message.contains(needle),
        "{src:?}: message {:?} lacks {needle:?}",
        e.message
    );
}

#[test]
fn vm_errors() {
    assert_vm_err("", 1, 1, "empty .vm file");
    assert_vm_err("# nothing\n\n", 3, 1, "empty .vm file");
    assert_vm_err("_0 var-x\n_1 frob _0\n", 2, 4, "unknown opcode `frob`");
    assert_vm_err("_0 var-x\n_1 sqr _0\n", 2, 4, "did you mean `sqrt`?");
    assert_vm_err(
        "_0 var-x\n_1 add _0\n",
        2,
        10,
        "missing argument: `add` takes 2 arguments, found 1",
    );
    assert_vm_err(
        "_0 var-x\n_1 neg _0 _0\n",
        2,
        11,
        "too many arguments: `neg` takes 1 argument, found 2",
    );
    assert_vm_err("_0 var-x 1\n", 1, 10, "too many arguments");
    assert_vm_err("_0 var-x\n_1 add _0 _9\n", 2, 11, "undefined name `_9`");
    assert_vm_err("_0 var-x\n_1 neg _1\n", 2, 8, "undefined name `_1`");
    assert_vm_err(
        "_0 var-x\n_1 var-y\n_0 const 1\n",
        3,
        1,
        "`_0` is already defined on line 1",
    );
    assert_vm_err("_0 const 1.2.3\n", 1, 10, "invalid number `1.2.3`");
    assert_vm_err("_0 const\n", 1, 9, "missing argument");
    assert_vm_err("  _0\n", 1, 5, "expected an opcode after `_0`");
}

#[test]
fn vm_prospero_loads() {
    let Some(src) = prospero() else { return };
    let lines = src
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .count();
    assert_eq!(lines, 7866);
    let (g, root) = parse_vm(&src).unwrap();
    assert!(g.len() <= 7866);
    let shape = Shape::from_vm(&src).unwrap();
    let ops = shape.ssa_tape().ops();
    assert_eq!(ops.last().map(|o| o.op), Some(tapir::ops::Op::Output));
    // Two inputs (x and y), no z.
    let inputs: Vec<u32> = ops
        .iter()
        .filter(|o| o.op == tapir::ops::Op::Input)
        .map(|o| o.imm)
        .collect();
    assert_eq!(inputs.len(), 2);
    assert!(!inputs.contains(&2));
    // Text on a background: both signs occur, and the tape agrees with the graph.
    let (mut inside, mut outside) = (0, 0);
    for p in points(400, 11) {
        let (x, y) = (p[0] / 1.5, p[1] / 1.5);
        let v = shape.eval_point(x, y, 0.0);
        assert!(same(v, g.eval(root, [x, y, 0.0])));
        if v < 0.0 { inside += 1 } else { outside += 1 }
    }
    assert!(
        inside > 10 && outside > 10,
        "{inside} inside, {outside} outside"
    );
}

fn vm_round_trip(shape: &Shape, pts: &[[f32; 3]]) {
    let text = write_vm(shape.ssa_tape());
    let back = Shape::from_vm(&text).unwrap_or_else(|e| panic!("{}\n{text}", e.render("out.vm")));
    for p in pts {
        let (a, b) = (
            shape.eval_point(p[0], p[1], p[2]),
            back.eval_point(p[0], p[1], p[2]),
        );
        assert!(same(a, b), "at {p:?}: {a} vs {b}\n{text}");
    }
}

#[test]
fn vm_round_trip_prospero() {
    let Some(src) = prospero() else { return };
    let shape = Shape::from_vm(&src).unwrap();
    vm_round_trip(&shape, &points(500, 5));
    // A pruned tape (with copies) too.
    let region = (
        Interval::new(-0.5, 0.0),
        Interval::new(0.0, 0.5),
        Interval::point(0.0),
    );
    let small = shape.simplify(region.0, region.1, region.2);
    let pts: Vec<[f32; 3]> = points(300, 6)
        .iter()
        .map(|p| [-0.25 + p[0] / 6.0, 0.25 + p[1] / 6.0, 0.0])
        .collect();
    vm_round_trip(&small, &pts);
}

#[test]
fn vm_round_trip_random() {
    let pts = points(100, 9);
    for seed in 1..60 {
        let (g, root) = random_graph(seed, 5 + (seed as usize * 7) % 60);
        let shape = Shape::from_graph(&g, root);
        vm_round_trip(&shape, &pts);
        let small = shape.simplify(
            Interval::new(0.0, 1.0),
            Interval::new(-1.0, 0.0),
            Interval::new(0.0, 0.5),
        );
        let inside: Vec<[f32; 3]> = pts
            .iter()
            .map(|p| [p[0].abs() / 1.5, -p[1].abs() / 1.5, p[2].abs() / 3.0])
            .collect();
        vm_round_trip(&small, &inside);
    }
    // Constant and bare-variable tapes.
    for src in ["2.5", "x", "-0", "nan", "-inf"] {
        vm_round_trip(&Shape::from_expr(src).unwrap(), &pts);
    }
}

#[test]
fn vm_writes_floats_exactly() {
    let values = [
        0.1f32,
        -1.0 / 3.0,
        1e-45,
        3.4028235e38,
        -0.0,
        16777217.0,
        1e-7,
        123.456,
    ];
    let mut g = Graph::new();
    let x = g.var(Var::X);
    let mut acc = x;
    for &v in &values {
        let c = g.constant(v);
        acc = g.binary(BinaryOp::Atan2, acc, c);
        let c = g.constant(v);
        acc = g.binary(BinaryOp::Sub, c, acc);
    }
    let shape = Shape::from_graph(&g, acc);
    let text = write_vm(shape.ssa_tape());
    for &v in &values {
        assert!(
            text.contains(&format!(" const {v}\n")),
            "{v} missing:\n{text}"
        );
    }
    vm_round_trip(&shape, &points(50, 1));
}

// ---------------------------------------------------------------- printing

fn print_round_trip(g: &Graph, root: NodeId, pts: &[[f32; 3]]) {
    let text = write_expr(g, root);
    let (g2, root2) =
        parse_expr(&text).unwrap_or_else(|e| panic!("{}\n{text}", e.render("printed.expr")));
    for p in pts {
        let (a, b) = (g.eval(root, *p), g2.eval(root2, *p));
        assert!(same(a, b), "at {p:?}: {a} vs {b}\n{text}");
    }
    let again = write_expr(&g2, root2);
    assert_eq!(again, text, "printing is not stable");
}

#[test]
fn print_round_trip_random() {
    let pts = points(60, 4);
    for seed in 1..150 {
        let (g, root) = random_graph(seed * 31, 3 + (seed as usize * 13) % 120);
        print_round_trip(&g, root, &pts);
    }
}

#[test]
fn print_round_trip_programs() {
    let pts = points(60, 8);
    for src in [
        "x",
        "-x",
        "0.1",
        "-0",
        "-2.5 - x",
        "x - -2.5",
        "x * (-1.5)",
        "-(x * y)",
        "-sin(x)",
        "x - (y - z)",
        "x / (y / z)",
        "(x + y) * (x - y)",
        "x + y + z",
        "x ^ 7",
        "min(x, y, z, 0.5)",
        "atan2(y, x) + mod(x, 0.3) + compare(x, 1) + and(x, y) + or(x, 0)",
        "1e30 * x + 1e-30 + 1.5e-45 + inf * y + nan * z",
        "smooth_union(circle(0.5), translate(box2(0.3, 0.3), 0.4, 0), 0.1)",
        "extrude(hexagon(0.4), 0.2)",
        "star5(0.8, 0.4)",
    ] {
        let (g, root) = parse_expr(src).unwrap();
        print_round_trip(&g, root, &pts);
    }
}

#[test]
fn print_deep_chain() {
    let mut g = Graph::new();
    let x = g.var(Var::X);
    let one = g.constant(1.0);
    let mut acc = x;
    for i in 0..1_000_000 {
        acc = if i % 2 == 0 {
            g.binary(BinaryOp::Add, acc, one)
        } else {
            g.unary(UnaryOp::Neg, acc)
        };
    }
    let text = write_expr(&g, acc);
    assert!(text.lines().all(|l| l.len() < 400));
    let (g2, root2) = parse_expr(&text).unwrap();
    assert!(same(
        g.eval(acc, [0.5, 0.0, 0.0]),
        g2.eval(root2, [0.5, 0.0, 0.0])
    ));
    assert_eq!(write_expr(&g2, root2), text);
}

#[test]
fn print_prospero() {
    let Some(src) = prospero() else { return };
    let (g, root) = parse_vm(&src).unwrap();
    let pts: Vec<[f32; 3]> = points(200, 12)
        .iter()
        .map(|p| [p[0] / 1.5, p[1] / 1.5, 0.0])
        .collect();
    print_round_trip(&g, root, &pts);
}

// ---------------------------------------------------------------- robustness

/// Fragments to build random programs from.
const PIECES: &[&str] = &[
    "x",
    "y",
    "z",
    "1",
    "0.5",
    ".5",
    "2e3",
    "1e99",
    "+",
    "-",
    "*",
    "/",
    "^",
    "(",
    ")",
    ",",
    ";",
    "=",
    "{",
    "}",
    "let",
    "fn",
    "a",
    "b",
    "f",
    "sqrt",
    "min",
    "max",
    "remap",
    "circle",
    "smooth_union",
    "pi",
    "#",
    "//",
    "\n",
    " ",
    "\t",
    "é",
    "$",
    "[",
    "x^y",
    "x^-2",
    "let a = 1;",
    "fn f(a) = a;",
    "f(x)",
    "a(1)",
    "translate(circle(0.5), 1, 0)",
    "0",
    "inf",
    "nan",
    "..",
    "1.2.3",
    "_",
];

#[test]
fn never_panics_on_random_programs() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut ok = 0;
    for _ in 0..600 {
        let n = 1 + rng.below(25);
        let mut src = String::new();
        for _ in 0..n {
            src.push_str(PIECES[rng.below(PIECES.len())]);
            if rng.below(3) == 0 {
                src.push(' ');
            }
        }
        match parse_expr(&src) {
            Ok((g, root)) => {
                ok += 1;
                let _ = g.eval(root, [0.5, 0.5, 0.5]);
                let text = write_expr(&g, root);
                parse_expr(&text).unwrap_or_else(|e| panic!("{src:?} printed as {text:?}: {e}"));
            }
            Err(e) => {
                assert!(e.line >= 1 && e.col >= 1);
                assert!(!e.message.is_empty());
                let _ = e.render("fuzz.expr");
            }
        }
    }
    assert!(ok > 0);
}

#[test]
fn never_panics_on_mutated_programs() {
    let seeds = [
        "let r = 0.5;\nfn ring2(a, t) { let d = circle(a); abs(d) - t }\nsmooth_union(ring2(r, 0.1), translate(box2(0.2, 0.3), 0.4, -0.2), 0.05)",
        "fn f(a, b) = a * b + x^3;\nmin(f(x, y), f(y, z), -2^-2)",
        "remap(sqrt(x*x + y*y) - 1, x / 2, y, z) # comment",
    ];
    let mut rng = Rng(42);
    let alphabet: Vec<char> = "xyz0123456789.+-*/^(),;={}# \nabcdefglnrt_é"
        .chars()
        .collect();
    for i in 0..600 {
        let mut chars: Vec<char> = seeds[i % seeds.len()].chars().collect();
        for _ in 0..1 + rng.below(4) {
            let pos = rng.below(chars.len() + 1);
            match rng.below(3) {
                0 if pos < chars.len() => {
                    chars.remove(pos);
                }
                1 if pos < chars.len() => chars[pos] = alphabet[rng.below(alphabet.len())],
                _ => chars.insert(pos, alphabet[rng.below(alphabet.len())]),
            }
        }
        let src: String = chars.into_iter().collect();
        if let Err(e) = parse_expr(&src) {
            assert!(e.line >= 1 && e.col >= 1, "{src:?}");
            let _ = e.render("fuzz.expr");
        }
    }
}

#[test]
fn never_panics_on_random_vm() {
    let mut rng = Rng(99);
    let words = [
        "_0", "_1", "_2", "a", "var-x", "var-y", "var-z", "const", "add", "neg", "min", "copy",
        "1.5", "nan", "-inf", "#", "frob", "sqrt", "atan2", "",
    ];
    for _ in 0..500 {
        let mut src = String::new();
        for _ in 0..rng.below(6) {
            for _ in 0..rng.below(5) {
                src.push_str(words[rng.below(words.len())]);
                src.push(if rng.below(5) == 0 { '\t' } else { ' ' });
            }
            src.push('\n');
        }
        match parse_vm(&src) {
            Ok((g, root)) => {
                let _ = g.eval(root, [0.1, 0.2, 0.3]);
            }
            Err(e) => assert!(e.line >= 1 && e.col >= 1),
        }
    }
}

#[test]
fn program_step_limit() {
    // 10^2 calls of 10^2 calls of 10^2 calls of a 1,001-step body (no memo
    // hits: the arguments differ): 10^9 steps, stopped at the limit.
    let mut src = format!("fn f0(a) = min({});\n", vec!["a"; 1000].join(", "));
    for i in 1..4 {
        let calls: Vec<String> = (1..=100).map(|k| format!("f{}(a + {k})", i - 1)).collect();
        src.push_str(&format!("fn f{i}(a) = {};\n", calls.join(" + ")));
    }
    src.push_str("let s = circle(1);\nf3(x)");
    let e = parse_expr(&src).unwrap_err();
    assert!(e.message.contains("too large"), "{}", e.message);
    // Reported at the outermost call, in the user's text.
    assert_eq!((e.line, e.col), (6, 1), "{}", e.message);
    assert!(
        e.message.contains("inside this call of `f3`"),
        "{}",
        e.message
    );
}

#[test]
#[ignore = "slow in debug builds (builds millions of nodes)"]
fn program_node_limit() {
    // Each function doubles the shape through remap: caught, not exhausted.
    let mut src = String::from("fn f0(s) = min(remap(s, x + 1, y, z), remap(s, x - 1, y, z));\n");
    for i in 1..40 {
        src.push_str(&format!(
            "fn f{i}(s) = f{0}(min(remap(s, x + {i}, y, z), remap(s, y, x, z)));\n",
            i - 1
        ));
    }
    src.push_str("f39(sin(x) + cos(y))");
    let e = parse_expr(&src).unwrap_err();
    assert!(e.message.contains("too large"), "{}", e.message);
}

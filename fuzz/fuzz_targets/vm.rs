//! `.vm` tapes: parsing never panics; a tape that parses compiles and passes
//! every evaluator check (`tapir_fuzz::check`, `tapir_fuzz::check_render`),
//! and writing its SSA tape (`write_vm`) gives a tape that parses back to
//! the same values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tapir::Dispatch;
use tapir::Shape;
use tapir::lang::{parse_vm, write_vm};
use tapir_fuzz::{Region, check, check_render, same};

fuzz_target!(|data: &[u8]| {
    if data.len() > 8192 {
        return;
    }
    let src = String::from_utf8_lossy(data);
    let Ok((g, root)) = parse_vm(&src) else {
        return;
    };
    let limit = 2 + usize::from(data[0]) % 255;
    let region = Region::new(
        [(-1.0, 1.0), (-0.5, 0.75), (0.0, 0.125)],
        &[[40, 200, 0], [100, 30, 255], [7, 7, 7]],
    );
    check(&g, root, limit, &region);
    check_render(
        &g,
        root,
        &region,
        Dispatch::ALL[usize::from(data[0] / 3) % 3],
    );
    let shape = Shape::from_graph(&g, root);
    let text = write_vm(shape.ssa_tape());
    let (g2, root2) = match parse_vm(&text) {
        Ok(r) => r,
        Err(e) => panic!("the written tape does not parse: {e}\n--- written:\n{text}"),
    };
    let again = Shape::from_graph(&g2, root2);
    for p in &region.points {
        let (a, b) = (
            shape.eval_point(p[0], p[1], p[2]),
            again.eval_point(p[0], p[1], p[2]),
        );
        assert!(
            same(a, b),
            "written tape differs at {p:?}: {b} != {a}\n--- written:\n{text}"
        );
        assert!(
            same(g2.eval(root2, *p), a),
            "reference evaluation of the written tape differs at {p:?}"
        );
    }
});

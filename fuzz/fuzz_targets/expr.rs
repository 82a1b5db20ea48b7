//! `.expr` source text: parsing never panics; a program that parses
//! compiles and passes every evaluator check (`tapir_fuzz::check`) over two
//! boxes, and printing it (`write_expr`) gives a program that parses back
//! to the same values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tapir::lang::{parse_expr, write_expr};
use tapir_fuzz::{Region, check, same};

/// Beyond this many graph nodes only parsing is checked, to keep runs fast.
const MAX_CHECKED_NODES: usize = 4000;

fuzz_target!(|data: &[u8]| {
    if data.len() > 8192 {
        return;
    }
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((g, root)) = parse_expr(src) else {
        return;
    };
    if g.len() > MAX_CHECKED_NODES {
        return;
    }
    // The register limit comes from the input too, so spills get exercised.
    let limit = 2 + data.iter().fold(0usize, |h, &b| {
        h.wrapping_mul(31).wrapping_add(usize::from(b))
    }) % 255;
    let boxes = [
        Region::new(
            [(-1.0, 1.0), (-1.0, 1.0), (0.0, 0.0)],
            &[[40, 200, 0], [100, 30, 0]],
        ),
        Region::new(
            [(0.25, 0.3), (-0.2, -0.1875), (-0.5, 0.5)],
            &[[64, 192, 17]],
        ),
    ];
    for region in &boxes {
        check(&g, root, limit, region);
    }
    let text = write_expr(&g, root);
    let (g2, root2) = match parse_expr(&text) {
        Ok(r) => r,
        Err(e) => panic!("the printed program does not parse: {e}\n--- printed:\n{text}"),
    };
    for region in &boxes {
        for p in &region.points {
            let (a, b) = (g.eval(root, *p), g2.eval(root2, *p));
            assert!(
                same(a, b),
                "printed program differs at {p:?}: {b} != {a}\n--- printed:\n{text}"
            );
        }
    }
});

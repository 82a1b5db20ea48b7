// Example shapes: the files of shapes/examples/ (copied by build.sh into
// pkg/examples/ with an index.json), or these few built in when there are none.

export const BUILTIN_EXAMPLES = [
  {
    name: 'two discs.expr',
    src: `# Two discs blended together (see shapes/std/ for the library).
let r = 0.45;
smooth_union(translate(circle(r), -0.3, 0.1), translate(circle(r * 0.8), 0.4, -0.15), 0.15)
`,
  },
  {
    name: 'plate.expr',
    src: `# A rounded plate with a ring cut out of it.
difference(rounded_rect(1.5, 1.0, 0.2), ring(0.3, 0.06))
`,
  },
  {
    name: 'grid of dots.expr',
    src: `# A grid of dots, clipped to a disc.
intersection(repeat(circle(0.07), 0.2, 0.2), circle(0.85))
`,
  },
  {
    name: 'triangle.expr',
    src: `# A rotated equilateral triangle with rounded corners.
rotate(equilateral_triangle(0.5), 0.3) - 0.05
`,
  },
];

/**
 * The shape timed at start-up to pick a dispatch style, as a Fidget .vm tape
 * (so it needs no standard library): 48 discs on a spiral, joined by `min`,
 * about 380 instructions — enough work per pixel for the dispatch style to
 * matter, and enough choices for the pruning to matter as in real shapes.
 */
export function calibrationVm() {
  const lines = ['# calibration: 48 discs on a spiral', '_x var-x', '_y var-y'];
  let acc = null;
  for (let i = 0; i < 48; i++) {
    const a = i * 0.5, rad = 0.1 + 0.8 * i / 48;
    const cx = (rad * Math.cos(a)).toFixed(4), cy = (rad * Math.sin(a)).toFixed(4);
    const r = (0.05 + 0.1 * ((i * 7) % 5) / 5).toFixed(3);
    lines.push(
      `c${i}x const ${cx}`, `c${i}y const ${cy}`, `c${i}r const ${r}`,
      `d${i}x sub _x c${i}x`, `d${i}y sub _y c${i}y`,
      `s${i}x square d${i}x`, `s${i}y square d${i}y`, `s${i} add s${i}x s${i}y`,
      `l${i} sqrt s${i}`, `f${i} sub l${i} c${i}r`);
    if (acc === null) acc = `f${i}`;
    else { lines.push(`u${i} min ${acc} f${i}`); acc = `u${i}`; }
  }
  return lines.join('\n') + '\n';
}

/**
 * Loads the example list: [{name, src}], from pkg/examples/ when build.sh
 * put any there, else the built-in ones. Never throws.
 */
export async function loadExamples(base) {
  try {
    const res = await fetch(new URL('pkg/examples/index.json', base));
    if (!res.ok) throw new Error(res.statusText);
    const { examples } = await res.json();
    if (!Array.isArray(examples) || examples.length === 0) throw new Error('no examples');
    const loaded = await Promise.all(examples.map(async (name) => {
      const r = await fetch(new URL(`pkg/examples/${encodeURIComponent(name)}`, base));
      if (!r.ok) throw new Error(`${name}: ${r.statusText}`);
      return { name, src: await r.text() };
    }));
    return { examples: loaded, builtin: false };
  } catch (e) {
    return { examples: BUILTIN_EXAMPLES, builtin: true };
  }
}

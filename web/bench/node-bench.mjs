// Times one render of a shape with the wasm build in Node, for each dispatch
// style: the same call the page's workers make (Compiled.render_tile over
// the whole image), single-threaded.
//
// Usage: node web/bench/node-bench.mjs [SHAPE_FILE] [--size N] [--mode bitmap|field]
//          [--reps N] [--dispatch tail,match,trampoline] [--pkg DIR]
// (--pkg: another wasm-bindgen output directory than web/pkg/, e.g. a build
// with other target features.)
// Default shape: /work/shared/models/prospero.vm; 1024², bitmap, 5 reps.
// Prints the best and median time of each style (after one warm-up render).

import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const size = Number(opt('--size', '1024'));
const mode = opt('--mode', 'bitmap');
const reps = Number(opt('--reps', '5'));
const dispatches = opt('--dispatch', 'tail,match').split(',');
const pkg = opt('--pkg', fileURLToPath(new URL('../pkg/', import.meta.url)));
const file = args[0] || '/work/shared/models/prospero.vm';

const { initSync, compile } = await import(pathToFileURL(resolve(pkg, 'tapir_web.js')).href);
initSync({ module: readFileSync(resolve(pkg, 'tapir_web_bg.wasm')) });

const src = readFileSync(file, 'utf8');
let t0 = performance.now();
const shape = compile(src);
const compileMs = performance.now() - t0;
if (!shape.ok) {
  console.error(`${file}:${shape.error_line}:${shape.error_col}: ${shape.error_message}`);
  process.exit(1);
}
console.log(`node ${process.version}, ${file} (.${shape.format}, ${shape.tape_len} instructions, compiled in ${compileMs.toFixed(1)} ms)`);
console.log(`${size}x${size} ${mode}, 1 thread, pruning on, best/median of ${reps} after a warm-up`);

function render(d) {
  const t0 = performance.now();
  const t = shape.render_tile(size, size, -1, 1, -1, 1, 0, 0, size, size, mode, d);
  const ms = performance.now() - t0;
  if (!t.ok) throw new Error(t.error);
  const inside = t.inside;
  t.free();
  return { ms, inside };
}

const results = {};
for (const d of dispatches) { render(d); results[d] = []; }
for (let r = 0; r < reps; r++) {
  for (const d of dispatches) results[d].push(render(d));
}
for (const d of dispatches) {
  const ms = results[d].map((x) => x.ms).sort((a, b) => a - b);
  const median = ms[Math.floor(ms.length / 2)];
  console.log(`  ${d.padEnd(10)} best ${ms[0].toFixed(1).padStart(7)} ms   median ${median.toFixed(1).padStart(7)} ms   inside ${results[d][0].inside}`);
}

// A render worker: its own instance of the wasm module, one compiled shape at
// a time, tiles rendered on request.
//
// Messages in (from pool.js), handled strictly in order:
//   {type: 'init', module}                 a compiled WebAssembly.Module
//   {type: 'shape', gen, src, format}      compile; later tiles use it
//   {type: 'tile', id, gen, params, width, height, bounds: [xmin, xmax, ymin, ymax],
//                  x0, y0, w, h, mode, dispatch}
//   {type: 'band', id, gen, params, width, height, depth, view (8 numbers),
//                  y0, rows, dispatch}       rows of a 3D view
//   {type: 'calibrate', id, src, size, reps, mode, dispatches, kind: '2d' | '3d'}
//   {type: 'mesh', id, src, format, params, depth, format3d, bounds}
// `params` are the shape's parameter values in declaration order: set on the
// compiled shape (tape inputs), never a recompilation.
// Messages out:
//   {type: 'ready'} | {type: 'fatal', message}
//   {type: 'tile', id, ok, error, inside, ms, pixels}  (pixels transferred)
//   {type: 'band', id, ok, error, inside, ms, hits, normals}  (transferred)
//   {type: 'calibrate', id, ok, error, times: {dispatch: best ms}}
//   {type: 'mesh-progress', id, done, total} … {type: 'mesh', id, ok, error, bytes, triangles, ms}

import init, { compile, compile_as } from './pkg/tapir_web.js';

let shape = null;   // the current Compiled
let shapeGen = -1;  // its generation number
let queue = Promise.resolve();

self.onmessage = (ev) => {
  const msg = ev.data;
  // Chain every message so a slow 'init' never lets a 'tile' run first.
  queue = queue.then(() => handle(msg)).catch((e) => {
    self.postMessage({ type: 'fatal', message: String(e && e.message || e) });
  });
};

async function handle(msg) {
  switch (msg.type) {
    case 'init':
      await init({ module_or_path: msg.module });
      self.postMessage({ type: 'ready' });
      return;
    case 'shape':
      setShape(msg.gen, msg.src, msg.format || 'auto');
      return;
    case 'tile':
      return renderTile(msg);
    case 'band':
      return renderBand(msg);
    case 'mesh':
      return mesh(msg);
    case 'calibrate':
      return calibrate(msg);
    default:
      throw new Error(`unknown message ${msg.type}`);
  }
}

function setShape(gen, src, format) {
  if (shape) shape.free();
  shape = compile_as(src, format);
  shapeGen = gen;
  shapeParams = '';
}

let shapeParams = '';  // the values last set on `shape`, as a string

/** Sets the parameter values on the current shape; an error message or ''. */
function setParams(values) {
  const key = (values || []).join(',');
  if (key === shapeParams) return '';
  const err = shape.set_params(new Float32Array(values || []));
  if (!err) shapeParams = key;
  return err;
}

/** An error message when this worker cannot render the piece `m`, or ''. */
function refuse(m) {
  if (m.gen !== shapeGen || !shape) return `worker has shape ${shapeGen}, not ${m.gen}`;
  return setParams(m.params);
}

function renderBand(m) {
  const refused = refuse(m);
  if (refused) {
    self.postMessage({ type: 'band', id: m.id, ok: false, error: refused });
    return;
  }
  const t0 = performance.now();
  const band = shape.render_band(m.width, m.height, m.depth, new Float64Array(m.view),
                                 m.y0, m.rows, m.dispatch);
  const ok = band.ok;
  const error = band.error;
  const inside = band.covered;
  const hits = ok ? band.take_hits() : null;
  const normals = ok ? band.take_normals() : null;
  band.free();
  const ms = performance.now() - t0;
  self.postMessage({ type: 'band', id: m.id, ok, error, inside, ms, hits, normals },
                   ok ? [hits.buffer, normals.buffer] : []);
}

function renderTile(m) {
  const refused = refuse(m);
  if (refused) {
    self.postMessage({ type: 'tile', id: m.id, ok: false, error: refused });
    return;
  }
  const t0 = performance.now();
  const [xmin, xmax, ymin, ymax] = m.bounds;
  const tile = shape.render_tile(m.width, m.height, xmin, xmax, ymin, ymax,
                                 m.x0, m.y0, m.w, m.h, m.mode, m.dispatch);
  const ok = tile.ok;
  const error = tile.error;
  const inside = tile.inside;
  const pixels = ok ? tile.take_pixels() : null;  // a copy owned by JS
  tile.free();
  const ms = performance.now() - t0;
  const reply = { type: 'tile', id: m.id, ok, error, inside, ms, pixels };
  self.postMessage(reply, pixels ? [pixels.buffer] : []);
}

// Times each dispatch style on the same small render: one warm-up each,
// then `reps` rounds alternating between styles; keeps the best time of each.
function calibrate(m) {
  const c = compile(m.src);
  try {
    if (!c.ok) {
      self.postMessage({ type: 'calibrate', id: m.id, ok: false,
                         error: `${c.error_line}:${c.error_col}: ${c.error_message}` });
      return;
    }
    // 3D: the whole frame as one band, seen from above at an angle.
    const view = new Float64Array([0, 0, 0, 1, 30, 20, 0, 0]);
    const run = (d) => {
      const t0 = performance.now();
      const t = m.kind === '3d'
        ? c.render_band(m.size, m.size, m.size, view, 0, m.size, d)
        : c.render_tile(m.size, m.size, -1, 1, -1, 1, 0, 0, m.size, m.size, m.mode, d);
      const ms = performance.now() - t0;
      const err = t.error;
      t.free();
      if (err) throw new Error(err);
      return ms;
    };
    const times = {};
    for (const d of m.dispatches) { run(d); times[d] = Infinity; }
    for (let r = 0; r < m.reps; r++) {
      for (const d of m.dispatches) times[d] = Math.min(times[d], run(d));
    }
    self.postMessage({ type: 'calibrate', id: m.id, ok: true, times });
  } finally {
    c.free();
  }
}

// Meshes the shape (compiled afresh here) and writes the file, by the
// library's mesher and writers, reporting progress between the stages
// (compile, mesh, write: each message reaches the page while the next stage
// runs).
function mesh(m) {
  const t0 = performance.now();
  const progress = (done) => self.postMessage({ type: 'mesh-progress', id: m.id, done, total: 3 });
  const fail = (error) => self.postMessage({ type: 'mesh', id: m.id, ok: false, error });
  progress(0);
  const c = compile_as(m.src, m.format || 'auto');
  try {
    if (!c.ok) return fail(`${c.error_line}:${c.error_col}: ${c.error_message}`);
    const err = c.set_params(new Float32Array(m.params || []));
    if (err) return fail(err);
    progress(1);
    const built = c.mesh(m.depth, new Float64Array(m.bounds));
    try {
      if (!built.ok) return fail(built.error);
      progress(2);
      const bytes = built.write(m.format3d);
      if (!built.ok) return fail(built.error);
      const triangles = built.triangles;
      self.postMessage({ type: 'mesh', id: m.id, ok: true, triangles, bytes,
                         ms: performance.now() - t0 }, [bytes.buffer]);
    } finally {
      built.free();
    }
  } finally {
    c.free();
  }
}

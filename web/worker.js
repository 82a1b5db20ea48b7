// A render worker: its own instance of the wasm module, one compiled shape at
// a time, tiles rendered on request.
//
// Messages in (from pool.js), handled strictly in order:
//   {type: 'init', module}                 a compiled WebAssembly.Module
//   {type: 'shape', gen, src, format}      compile; later tiles use it
//   {type: 'tile', id, gen, width, height, bounds: [xmin, xmax, ymin, ymax],
//                  x0, y0, w, h, mode, dispatch}
//   {type: 'calibrate', id, src, size, reps, mode, dispatches}
// Messages out:
//   {type: 'ready'} | {type: 'fatal', message}
//   {type: 'tile', id, ok, error, inside, ms, pixels}  (pixels transferred)
//   {type: 'calibrate', id, ok, error, times: {dispatch: best ms}}

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
}

function renderTile(m) {
  if (m.gen !== shapeGen || !shape) {
    self.postMessage({ type: 'tile', id: m.id, ok: false, error: `worker has shape ${shapeGen}, not ${m.gen}` });
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
    const run = (d) => {
      const t0 = performance.now();
      const t = c.render_tile(m.size, m.size, -1, 1, -1, 1, 0, 0, m.size, m.size, m.mode, d);
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

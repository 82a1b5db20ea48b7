// A pool of render workers (worker.js), each with its own wasm instance.
//
// No SharedArrayBuffer: tiles go out as small messages and come back as
// transferred pixel buffers, so the page needs no special headers.
//
// A render is a list of pieces handed out one at a time to whichever worker
// is free: square tiles of a 2D view, or bands of rows (the full width) of a
// 3D view, whose depths and normals come back to be stacked and shaded on
// the page. Starting a new render supersedes the running one: its pieces not
// yet handed out are dropped and late results are ignored.

export class Pool {
  /**
   * @param {WebAssembly.Module} module the compiled tapir_web module
   * @param {number} size number of workers
   */
  constructor(module, size) {
    this.size = size;
    this.workers = [];
    this.renderId = 0;
    this.current = null;     // the render in progress
    this.nextCalib = 0;
    this.calibrations = new Map();
    this.meshes = new Map();
    const url = new URL('./worker.js', import.meta.url);
    const readies = [];
    for (let i = 0; i < size; i++) {
      const worker = new Worker(url, { type: 'module', name: `tapir-${i}` });
      const slot = { worker, gen: -1, busy: null, calibrating: false };
      readies.push(new Promise((resolve, reject) => {
        worker.onmessage = (ev) => {
          if (ev.data.type === 'ready') resolve();
          else if (ev.data.type === 'fatal') reject(new Error(ev.data.message));
          else this.onMessage(slot, ev.data);
        };
        worker.onerror = (ev) => reject(new Error(`worker ${i}: ${ev.message || 'failed to start'}`));
      }).then(() => {
        slot.worker.onmessage = (ev) => this.onMessage(slot, ev.data);
      }));
      worker.postMessage({ type: 'init', module });
      this.workers.push(slot);
    }
    this.ready = Promise.all(readies);
  }

  /**
   * Renders `job` in tiles; calls `onTile(tile)` for each finished tile with
   * {x0, y0, w, h, pixels (Uint8Array), inside, ms}. Resolves with
   * {cancelled, error, tiles, inside, ms} when all tiles are in, or when a
   * newer render replaces this one (cancelled: true).
   *
   * job (2D): {gen, src, format, params, width, height, bounds, mode, dispatch, tile}
   * job (3D): {kind: '3d', gen, src, format, params, width, height, depth,
   *            view (8 numbers, see view3d.js), dispatch, band (rows per band)}
   * A 3D piece comes back as {x0: 0, y0, w, h, hits (Float32Array),
   * normals (Float32Array, 3 per pixel), inside (pixels hit), ms}.
   */
  render(job, onTile) {
    if (this.current) this.finish(this.current, { cancelled: true });
    const tiles = job.kind === '3d' ? bandOrder(job.width, job.height, job.band)
      : tileOrder(job.width, job.height, job.tile);
    const r = {
      id: ++this.renderId, job, onTile, queue: tiles, pending: 0,
      count: tiles.length, inside: 0, error: null, t0: performance.now(),
    };
    const done = new Promise((resolve) => { r.resolve = resolve; });
    this.current = r;
    for (const slot of this.workers) this.feed(slot);
    return done;
  }

  /** Hands the next tile of the current render to `slot` if it is idle. */
  feed(slot) {
    const r = this.current;
    if (slot.busy || slot.calibrating || !r || r.queue.length === 0) return;
    const t = r.queue.shift();
    const { job } = r;
    if (slot.gen !== job.gen) {
      slot.worker.postMessage({ type: 'shape', gen: job.gen, src: job.src, format: job.format });
      slot.gen = job.gen;
    }
    slot.busy = { render: r, tile: t };
    r.pending++;
    if (job.kind === '3d') {
      slot.worker.postMessage({
        type: 'band', id: r.id, gen: job.gen, params: job.params, width: job.width,
        height: job.height, depth: job.depth, view: job.view, y0: t.y0, rows: t.h,
        dispatch: job.dispatch,
      });
      return;
    }
    slot.worker.postMessage({
      type: 'tile', id: r.id, gen: job.gen, params: job.params, width: job.width, height: job.height,
      bounds: job.bounds, x0: t.x0, y0: t.y0, w: t.w, h: t.h,
      mode: job.mode, dispatch: job.dispatch,
    });
  }

  onMessage(slot, msg) {
    if (msg.type === 'calibrate') {
      const c = this.calibrations.get(msg.id);
      this.calibrations.delete(msg.id);
      slot.calibrating = false;
      if (c) c(msg);
      this.feed(slot);
      return;
    }
    if (msg.type === 'fatal') {
      // A trap or a JS error in the worker: fail this render (or its mesh),
      // and have the worker compile the shape afresh before its next tile.
      if (slot.mesh !== undefined && this.meshes.has(slot.mesh)) {
        const m = this.meshes.get(slot.mesh);
        this.meshes.delete(slot.mesh);
        slot.mesh = undefined;
        slot.calibrating = false;
        m.resolve({ ok: false, error: `worker failed: ${msg.message}` });
        slot.gen = -1;
        this.feed(slot);
        return;
      }
      const r = this.current;
      if (r) this.finish(r, { error: `worker failed: ${msg.message}` });
      slot.busy = null;
      slot.gen = -1;
      return;
    }
    if (msg.type === 'mesh' || msg.type === 'mesh-progress') {
      const m = this.meshes.get(msg.id);
      if (!m) return;
      if (msg.type === 'mesh-progress') { m.progress(msg.done, msg.total); return; }
      this.meshes.delete(msg.id);
      slot.calibrating = false;
      slot.mesh = undefined;
      m.resolve(msg);
      this.feed(slot);
      return;
    }
    if (msg.type !== 'tile' && msg.type !== 'band') return;
    const busy = slot.busy;
    slot.busy = null;
    const r = busy && busy.render;
    if (r && r === this.current && msg.id === r.id) {
      r.pending--;
      if (!msg.ok) {
        r.queue.length = 0;
        this.finish(r, { error: msg.error });
      } else {
        r.inside += msg.inside;
        const t = busy.tile;
        r.onTile({ ...t, pixels: msg.pixels, hits: msg.hits, normals: msg.normals,
                   inside: msg.inside, ms: msg.ms });
        if (r.queue.length === 0 && r.pending === 0) this.finish(r, {});
      }
    }
    this.feed(slot);
  }

  finish(r, { cancelled = false, error = null }) {
    if (r.resolve === null) return;
    const resolve = r.resolve;
    r.resolve = null;
    r.queue.length = 0;
    if (this.current === r) this.current = null;
    resolve({
      cancelled, error, tiles: r.count, inside: r.inside,
      ms: performance.now() - r.t0,
    });
  }

  /**
   * Times the dispatch styles on one worker (an idle one if there is one;
   * that worker takes no tiles meanwhile). Resolves with {ok, error, times: {dispatch: ms}}.
   */
  calibrate(src, size, reps, mode, dispatches, kind = '2d') {
    const id = ++this.nextCalib;
    const slot = this.workers.find((s) => !s.busy && !s.calibrating) || this.workers[0];
    return new Promise((resolve) => {
      this.calibrations.set(id, resolve);
      slot.calibrating = true;
      slot.worker.postMessage({ type: 'calibrate', id, src, size, reps, mode, dispatches, kind });
    });
  }

  /**
   * Meshes a shape on one worker (which takes no tiles meanwhile), calling
   * `progress(done, total)` as it goes. Resolves with the worker's reply
   * {ok, error, bytes (Uint8Array of the file), triangles, ms}.
   *
   * req: {src, format, params, depth, format3d: 'stl' | '3mf', bounds: [6 numbers]}
   */
  mesh(req, progress) {
    const id = ++this.nextCalib;
    const slot = this.workers.find((s) => !s.busy && !s.calibrating) || this.workers[0];
    return new Promise((resolve) => {
      this.meshes.set(id, { resolve, progress });
      slot.calibrating = true;
      slot.mesh = id;
      slot.gen = -1;  // it compiles the shape afresh for the mesh
      slot.worker.postMessage({ type: 'mesh', id, ...req });
    });
  }

  terminate() {
    for (const s of this.workers) s.worker.terminate();
    this.workers = [];
  }
}

/**
 * The bands of a `width × height` 3D view, `rows` rows each (fewer at the
 * bottom), nearest the middle first.
 */
export function bandOrder(width, height, rows) {
  const bands = [];
  for (let y0 = 0; y0 < height; y0 += rows) {
    const h = Math.min(rows, height - y0);
    bands.push({ x0: 0, y0, w: width, h, d: Math.abs(y0 + h / 2 - height / 2) });
  }
  bands.sort((a, b) => a.d - b.d || a.y0 - b.y0);
  return bands.map(({ x0, y0, w, h }) => ({ x0, y0, w, h }));
}

/**
 * The tiles of a `width × height` image, `size` pixels square (smaller at
 * the right and bottom edges), nearest the centre first so a render fills in
 * from the middle.
 */
export function tileOrder(width, height, size) {
  const tiles = [];
  for (let y0 = 0; y0 < height; y0 += size) {
    for (let x0 = 0; x0 < width; x0 += size) {
      const w = Math.min(size, width - x0);
      const h = Math.min(size, height - y0);
      const dx = x0 + w / 2 - width / 2;
      const dy = y0 + h / 2 - height / 2;
      tiles.push({ x0, y0, w, h, d: dx * dx + dy * dy });
    }
  }
  tiles.sort((a, b) => a.d - b.d || a.y0 - b.y0 || a.x0 - b.x0);
  return tiles.map(({ x0, y0, w, h }) => ({ x0, y0, w, h }));
}

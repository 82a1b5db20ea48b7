// The tapir viewer: an editor for a shape's source, a live 2D view rendered
// in tiles by a pool of Web Workers, each running the wasm build of tapir.
//
// URL parameters (all optional): size=256|512|1024, mode=bitmap|field,
// dispatch=auto|tail|match|trampoline, workers=N, tile=N (tile edge in
// pixels), example=NAME, shape=URL (load the source from there),
// format=auto|expr|vm, view=cx,cy,r. test=URL runs the end-to-end test spec
// at URL (see testmode.js); bench=1 runs the benchmark (bench/).

import init, { compile_as, version } from './pkg/tapir_web.js';
import { Pool } from './pool.js';
import { calibrationVm, loadExamples } from './examples.js';
import { View2D } from './view2d.js';

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);

export class App {
  constructor() {
    this.pool = null;
    this.gen = 0;             // bumps whenever the source or format changes
    this.compiled = null;     // {ok, gen, src, format, tapeLen, error}
    this.calibration = null;  // {times: {tail, match}, best}
    this.good = null;         // the last source that compiled (what the view shows)
    this.debounce = null;     // timer of the pending recompile
    this.superseded = null;   // resolves the promise of a recompile that was replaced
    this.pending = null;      // promise of the render requested for the next frame
    this.noAnimationFrames = false;
    this.lastRender = null;   // what the last finished render reported
    this.examples = [];
  }

  async start() {
    this.status('loading the wasm module…');
    const module = await loadModule(new URL('pkg/tapir_web_bg.wasm', import.meta.url));
    await init({ module_or_path: module });
    $('version').textContent = `tapir-web ${version()}`;
    const cores = navigator.hardwareConcurrency || 2;
    const workers = clampInt(params.get('workers'), 1, 16, Math.min(Math.max(cores, 1), 8));
    this.pool = new Pool(module, workers);

    this.view = new View2D($('canvas'), () => this.requestRender());
    this.setupControls();
    this.setupEditor();

    const [{ examples, builtin }] = await Promise.all([loadExamples(document.baseURI), this.pool.ready]);
    this.examples = examples;
    this.fillExamples(builtin);

    await this.calibrate();
    this.setSourceDone = this.loadInitialSource();
    await this.setSourceDone;
  }

  // ---- controls ------------------------------------------------------------

  setupControls() {
    const size = $('size'), mode = $('mode'), dispatch = $('dispatch'), format = $('format');
    setSelect(size, params.get('size'));
    setSelect(mode, params.get('mode'));
    setSelect(dispatch, params.get('dispatch'));
    setSelect(format, params.get('format'));
    this.view.setSize(Number(size.value));
    const v = (params.get('view') || '').split(',').map(Number);
    if (v.length === 3 && v.every(Number.isFinite) && v[2] > 0) this.view.setView(v[0], v[1], v[2]);
    size.onchange = () => { this.view.setSize(Number(size.value)); this.requestRender(); };
    mode.onchange = () => this.requestRender();
    dispatch.onchange = () => this.requestRender();
    format.onchange = () => this.sourceChanged(0);
    $('reset-view').onclick = () => { this.view.setView(0, 0, 1); this.requestRender(); };
    $('example').onchange = () => {
      const ex = this.examples[Number($('example').value)];
      if (ex) this.setSource(ex.src);
    };
    // The 3D tab: a place for the 3D view once tapir has a 3D renderer (see
    // view3d in index.html); until then the button stays disabled.
    $('tab-2d').onclick = () => this.showTab('2d');
    $('tab-3d').onclick = () => this.showTab('3d');
  }

  showTab(which) {
    $('tab-2d').classList.toggle('active', which === '2d');
    $('tab-3d').classList.toggle('active', which === '3d');
    $('view2d').hidden = which !== '2d';
    $('view3d').hidden = which !== '3d';
  }

  fillExamples(builtin) {
    const sel = $('example');
    sel.textContent = '';
    const none = document.createElement('option');
    none.value = '';
    none.textContent = builtin ? '(built-in examples)' : 'choose…';
    sel.append(none);
    this.examples.forEach((ex, i) => {
      const o = document.createElement('option');
      o.value = String(i);
      o.textContent = ex.name.replace(/\.expr$/, '');
      sel.append(o);
    });
  }

  /** Shows the first shape; resolves when it has rendered. */
  async loadInitialSource() {
    const url = params.get('shape');
    if (url) {
      let src;
      try {
        const res = await fetch(url);
        if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
        src = await res.text();
      } catch (e) {
        src = `# could not load ${url}: ${e.message}\ncircle(0.5)\n`;
      }
      return this.setSource(src);
    }
    const name = params.get('example');
    let i = name ? this.examples.findIndex((e) => e.name === name || e.name === `${name}.expr`) : 0;
    if (i < 0) i = 0;
    $('example').value = String(i);
    return this.setSource(this.examples[i] ? this.examples[i].src : 'circle(0.5)\n');
  }

  // ---- editor --------------------------------------------------------------

  setupEditor() {
    const ta = $('source');
    ta.addEventListener('input', () => { this.updateGutter(); this.sourceChanged(150); });
    ta.addEventListener('scroll', () => this.syncScroll());
    ta.addEventListener('keydown', (ev) => {
      if (ev.key === 'Tab' && !ev.shiftKey && !ev.ctrlKey && !ev.metaKey) {
        ev.preventDefault();
        ta.setRangeText('    ', ta.selectionStart, ta.selectionEnd, 'end');
        ta.dispatchEvent(new Event('input'));
      }
    });
  }

  /** Replaces the editor text and re-renders at once. */
  setSource(src) {
    $('source').value = src;
    $('source').scrollTop = 0;
    this.updateGutter();
    return this.sourceChanged(0);
  }

  updateGutter() {
    const n = $('source').value.split('\n').length;
    const g = $('gutter');
    if (g.childElementCount !== n) {
      const frag = document.createDocumentFragment();
      for (let i = 1; i <= n; i++) {
        const d = document.createElement('div');
        d.textContent = String(i);
        frag.append(d);
      }
      g.textContent = '';
      g.append(frag);
    }
    this.markError();
  }

  syncScroll() {
    const ta = $('source');
    $('gutter').scrollTop = ta.scrollTop;
    this.markError();
  }

  /** Compiles after `delay` ms of quiet; returns a promise of the render. */
  sourceChanged(delay) {
    clearTimeout(this.debounce);
    if (this.superseded) this.superseded({ cancelled: true });
    return new Promise((resolve) => {
      this.superseded = resolve;
      this.debounce = setTimeout(() => {
        this.superseded = null;
        resolve(this.update());
      }, delay);
    });
  }

  /** Compiles the editor's text here (for errors), then renders it. */
  update() {
    const src = $('source').value;
    const format = $('format').value;
    const c = compile_as(src, format);
    const info = {
      ok: c.ok, gen: ++this.gen, src, format, detected: c.format, tapeLen: c.tape_len,
      error: c.ok ? null : {
        line: c.error_line, col: c.error_col, message: c.error_message, text: c.error_line_text,
      },
    };
    c.free();
    this.compiled = info;
    this.showError(info.error);
    if (!info.ok) {
      this.status(`error at ${info.error.line}:${info.error.col}; showing the last good shape`);
      return Promise.resolve({ error: info.error });
    }
    this.good = info;
    return this.requestRender();
  }

  showError(err) {
    const box = $('error');
    if (!err) {
      box.hidden = true;
      box.textContent = '';
    } else {
      box.hidden = false;
      box.textContent = '';
      const head = document.createElement('div');
      head.className = 'error-head';
      head.textContent = `${err.line}:${err.col}: ${err.message}`;
      const pre = document.createElement('pre');
      const caret = err.text.slice(0, Math.max(0, err.col - 1)).replace(/[^\t]/g, ' ');
      pre.textContent = `${err.text}\n${caret}^`;
      box.append(head, pre);
    }
    this.markError();
  }

  /** Marks the error's line number and highlights its line in the editor. */
  markError() {
    const err = this.compiled && this.compiled.error;
    const g = $('gutter');
    for (const el of g.querySelectorAll('.err')) el.classList.remove('err');
    const hl = $('highlight');
    if (!err) { hl.hidden = true; return; }
    const row = g.children[err.line - 1];
    if (row) row.classList.add('err');
    const ta = $('source');
    const lh = parseFloat(getComputedStyle(ta).lineHeight) || 20;
    const pad = parseFloat(getComputedStyle(ta).paddingTop) || 0;
    hl.hidden = false;
    hl.style.top = `${pad + (err.line - 1) * lh - ta.scrollTop}px`;
    hl.style.height = `${lh}px`;
  }

  // ---- rendering -----------------------------------------------------------

  dispatch() {
    const d = $('dispatch').value;
    if (d !== 'auto') return { name: d, auto: false };
    return { name: this.calibration ? this.calibration.best : 'tail', auto: true };
  }

  /**
   * Renders the last good shape with the current view and settings.
   * Coalesces requests to one per animation frame; returns a promise of
   * the render's report.
   */
  requestRender() {
    if (!this.good) return Promise.resolve(null);
    if (!this.pending) {
      this.pending = new Promise((resolve) => {
        const go = () => { this.pending = null; resolve(this.renderNow()); };
        // rAF does not run in hidden tabs, nor while keepAlive holds
        // Chromium's virtual time still: a timer keeps renders going there.
        if (document.hidden || this.noAnimationFrames) setTimeout(go, 0);
        else requestAnimationFrame(go);
      });
    }
    return this.pending;
  }

  async renderNow() {
    const shape = this.good;
    const n = this.view.size;
    const mode = $('mode').value;
    const dispatch = this.dispatch();
    // A quarter of the view per tile side: 16 tiles keep every worker busy,
    // while each tile, pruned from the full tape on its own, stays large
    // enough that pruning pays (small tiles would each redo the costly first
    // levels).
    const tile = this.tileOverride || clampInt(params.get('tile'), 8, 4096, Math.max(64, n >> 2));
    const bounds = this.view.bounds();
    this.view.beginFrame();
    const job = {
      gen: shape.gen, src: shape.src, format: shape.format, width: n, height: n, bounds,
      mode, dispatch: dispatch.name, tile,
    };
    const r = await this.pool.render(job, (t) => {
      if (this.view.size === n) this.view.putTile(t);  // (a resize may have just happened)
    });
    if (r.cancelled) return { cancelled: true };
    if (r.error) {
      this.status(`render failed: ${r.error}`);
      return { error: r.error };
    }
    this.view.endFrame();
    const report = {
      size: n, mode, dispatch: dispatch.name, auto: dispatch.auto, tiles: r.tiles,
      workers: this.pool.size, ms: r.ms, inside: r.inside, tapeLen: shape.tapeLen,
      format: shape.detected, bounds,
    };
    this.lastRender = report;
    const err = this.compiled && this.compiled.error;
    this.status(
      `${n}×${n} ${mode} · ${fmtMs(r.ms)} · ${r.tiles} tiles on ${this.pool.size} workers · ` +
      `dispatch ${dispatch.name}${dispatch.auto ? ' (auto)' : ''} · ${r.inside} px inside · ` +
      `${shape.tapeLen} instructions (.${shape.detected})` +
      (err ? ` · source has an error at ${err.line}:${err.col}; showing the last good shape` : ''));
    return report;
  }

  // ---- dispatch calibration ------------------------------------------------

  /** Times tail-call and match dispatch on a small render; 'auto' uses the faster. */
  async calibrate() {
    this.status('timing the dispatch styles…');
    // 256² in field mode (every pixel evaluated): a few ms per render, so
    // the browser's coarse clock still tells the styles apart.
    const size = 256, reps = 5, mode = 'field';
    const r = await this.pool.calibrate(calibrationVm(), size, reps, mode, ['tail', 'match']);
    const el = $('calibration');
    if (!r.ok) {
      this.calibration = { times: {}, best: 'tail' };
      el.textContent = `calibration failed (${r.error}); auto uses tail`;
      return;
    }
    const { tail, match } = r.times;
    const best = match < tail ? 'match' : 'tail';
    this.calibration = { times: r.times, best };
    el.textContent =
      `calibration (${size}² ${mode}, best of ${reps}): tail ${fmtMs(tail)}, match ${fmtMs(match)} → auto uses ${best}` +
      (tail === match ? ' (a tie: the clock may be frozen)' : '');
    const opt = $('dispatch').querySelector('option[value="auto"]');
    if (opt) opt.textContent = `auto (${best})`;
  }

  status(text) {
    $('status').textContent = text;
  }
}

/** Compiles the wasm module once (it is then sent to every worker). */
async function loadModule(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot load ${url}: ${res.status} ${res.statusText}`);
  if ((res.headers.get('Content-Type') || '').startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(res);
  }
  return WebAssembly.compile(await res.arrayBuffer());
}

/**
 * Keeps a request to the test server's /hold pending while `running()`, for
 * at most about `maxMs` of real time; then calls `onTimeout`. (Virtual time
 * hardly moves meanwhile, so animation frames are off: see requestRender.)
 */
export async function keepAlive(app, running, maxMs = 120000, onTimeout = () => {}) {
  app.noAnimationFrames = true;
  const step = 100;
  for (let waited = 0; running(); waited += step) {
    if (waited >= maxMs) { onTimeout(); return; }
    try {
      await fetch(`/hold?ms=${step}`, { cache: 'no-store' });
    } catch (e) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function setSelect(sel, value) {
  if (value !== null && [...sel.options].some((o) => o.value === value)) sel.value = value;
}

function clampInt(s, lo, hi, dflt) {
  const n = Number.parseInt(s ?? '', 10);
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : dflt;
}

export function fmtMs(ms) {
  if (!Number.isFinite(ms)) return '–';
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`;
}

const app = new App();
window.tapirApp = app;
const started = app.start().catch((e) => {
  app.status(`failed to start: ${e.message}`);
  throw e;
});

// hold=1 (for screenshots): keep a request to the test server's /hold
// pending until the first render is done, so Chromium's virtual time does
// not run out while the workers start and render.
if (params.get('hold')) {
  let held = true;
  started.finally(() => { held = false; });
  keepAlive(app, () => held);
}
if (params.get('test')) {
  import('./testmode.js').then((m) => m.runTests(app, started, params.get('test')));
}
if (params.get('bench')) {
  import('./bench/bench.js').then((m) => m.runBench(app, started, params));
}

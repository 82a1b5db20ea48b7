// The tapir viewer: an editor for a shape's source, a live 2D view rendered
// in tiles and a 3D view rendered in bands of rows by a pool of Web Workers,
// each running the wasm build of tapir; a slider per `param` of the shape.
//
// URL parameters (all optional): size=256|512|1024, mode=bitmap|field,
// mode3d=shaded|normals|depth, ssao=0|1, dispatch=auto|tail|match|trampoline,
// workers=N, tile=N (tile edge in pixels), example=NAME, shape=URL (load the
// source from there), format=auto|expr|vm, view=cx,cy,r, tab=2d|3d.
// test=URL runs the end-to-end test spec at URL (see testmode.js); bench=1
// runs the benchmark (bench/).
//
// The URL fragment (#src=…&p=…&tab=…&cam=…) keeps the source, the parameter
// values, the tab and the 3D camera, so that a view can be shared as a link;
// it wins over example= and shape= when present.

import init, { compile_as, version, shade, check_view2d, check_view3d } from './pkg/tapir_web.js';
import { Pool } from './pool.js';
import { calibrationVm, loadExamples } from './examples.js';
import { View2D } from './view2d.js';
import { View3D, DEFAULT_CAMERA, cameraArray, copyCamera, headerCamera } from './view3d.js';

/** A 3D frame rendered while the user drags is this many times smaller a side. */
export const REDUCE = 4;
/** Quiet time (ms) after the last drag or wheel step before the full frame. */
export const REST_MS = 150;

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
    this.tab = '2d';
    this.params = [];         // the good shape's parameters: [{name, default, lo, hi}]
    this.values = new Map();  // parameter values by name (what the sliders show)
    this.pendingValues = null; // values from the URL fragment, for the first compile
    this.resetCamera = false; // the next good compile sets the 3D camera from the source
    this.calibration3d = null;
    this.r3 = { running: null, want: null, rest: null, waiters: [], reduced: 0 };
    this.lastRender3d = null;
    this.fragmentTimer = null;
    this.sizeOverride = null; // a size not in the select (tests)
    this.meshBusy = false;
    this.dropped = null;      // promise of the render of the last file opened
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
    this.view3d = new View3D($('canvas3d'), (interactive) => {
      if (interactive) this.interact3d();
      else this.request3d(false);
      this.scheduleFragment();
    });
    this.setupControls();
    this.setupEditor();
    this.setupFiles();

    const [{ examples, builtin }] = await Promise.all([loadExamples(document.baseURI), this.pool.ready]);
    this.examples = examples;
    this.fillExamples(builtin);

    await this.calibrate();
    this.setSourceDone = this.loadInitialSource();
    await this.setSourceDone;
    // A shared link pasted into this tab changes only the fragment.
    window.addEventListener('hashchange', () => {
      const fr = App.parseFragment(location.hash);
      if (fr && fr.src !== (this.good && this.good.src) || fr && fr.camera) this.applyFragment(fr);
    });
  }

  /** The view's side in pixels. */
  size() {
    return this.sizeOverride || Number($('size').value);
  }

  // ---- controls ------------------------------------------------------------

  setupControls() {
    const size = $('size'), mode = $('mode'), dispatch = $('dispatch'), format = $('format');
    setSelect(size, params.get('size'));
    setSelect(mode, params.get('mode'));
    setSelect($('mode3d'), params.get('mode3d'));
    if (params.get('ssao') !== null) $('ssao').checked = params.get('ssao') !== '0';
    setSelect(dispatch, params.get('dispatch'));
    setSelect(format, params.get('format'));
    this.view.setSize(Number(size.value));
    const v = (params.get('view') || '').split(',').map(Number);
    if (v.length === 3 && v.every(Number.isFinite) && v[2] > 0) this.view.setView(v[0], v[1], v[2]);
    size.onchange = () => { this.sizeOverride = null; this.view.setSize(Number(size.value)); this.requestRender(); };
    mode.onchange = () => this.requestRender();
    $('mode3d').onchange = () => this.requestRender();
    $('ssao').onchange = () => this.requestRender();
    dispatch.onchange = () => this.requestRender();
    format.onchange = () => this.sourceChanged(0);
    $('reset-view').onclick = () => {
      if (this.tab === '3d') this.view3d.reset();
      else this.view.setView(0, 0, 1);
      this.scheduleFragment();
      this.requestRender();
    };
    $('example').onchange = () => {
      const ex = this.examples[Number($('example').value)];
      if (ex) this.setSource(ex.src, { name: ex.name });
    };
    $('tab-2d').onclick = () => { this.showTab('2d'); this.requestRender(); };
    $('tab-3d').onclick = () => { this.showTab('3d'); this.requestRender(); };
    if (params.get('tab') === '3d') this.showTab('3d');
  }

  showTab(which) {
    this.tab = which;
    $('tab-2d').classList.toggle('active', which === '2d');
    $('tab-3d').classList.toggle('active', which === '3d');
    $('view2d').hidden = which !== '2d';
    $('view3d').hidden = which !== '3d';
    for (const el of document.querySelectorAll('.only2d')) el.hidden = which !== '2d';
    for (const el of document.querySelectorAll('.only3d')) el.hidden = which !== '3d';
    this.scheduleFragment();
  }

  // ---- files ---------------------------------------------------------------

  setupFiles() {
    const input = $('open-file');
    $('open').onclick = () => input.click();
    input.onchange = () => {
      if (input.files && input.files[0]) this.dropped = this.openFile(input.files[0]);
      input.value = '';
    };
    // Drop a file anywhere on the page.
    document.addEventListener('dragover', (ev) => {
      if (ev.dataTransfer && [...ev.dataTransfer.types].includes('Files')) {
        ev.preventDefault();
        document.body.classList.add('dropping');
      }
    });
    document.addEventListener('dragleave', (ev) => {
      if (ev.target === document.documentElement || ev.relatedTarget === null) document.body.classList.remove('dropping');
    });
    document.addEventListener('drop', (ev) => {
      document.body.classList.remove('dropping');
      const f = ev.dataTransfer && ev.dataTransfer.files && ev.dataTransfer.files[0];
      if (!f) return;
      ev.preventDefault();
      this.dropped = this.openFile(f);
    });
    $('save-png').onclick = () => { this.savePng(); };
    $('save-stl').onclick = () => this.saveMesh('stl');
    $('save-3mf').onclick = () => this.saveMesh('3mf');
  }

  /** Loads a local .expr or .vm file into the editor (the format from its name). */
  async openFile(file) {
    if (file.size > 16 << 20) {
      this.status(`${file.name} is ${(file.size / 1048576).toFixed(0)} MiB: too large for a shape source`);
      return { error: 'too large' };
    }
    const text = await file.text();
    const ext = (/\.([a-z0-9]+)$/i.exec(file.name) || [])[1];
    $('format').value = ext && ext.toLowerCase() === 'vm' ? 'vm' : ext && ext.toLowerCase() === 'expr' ? 'expr' : 'auto';
    $('example').value = '';
    return this.setSource(text, { name: file.name });
  }

  /** The base name for downloads. */
  baseName() {
    return (this.sourceName || 'shape').replace(/\.(expr|vm)$/i, '').replace(/[^A-Za-z0-9._-]+/g, '_') || 'shape';
  }

  /** The picture shown, as a PNG blob (a promise). */
  pngBlob() {
    const canvas = this.tab === '3d' ? $('canvas3d') : $('canvas');
    return new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  }

  async savePng() {
    const blob = await this.pngBlob();
    if (blob) download(blob, `${this.baseName()}${this.tab === '3d' ? '-3d' : ''}.png`);
  }

  /**
   * Meshes the shape on a worker at octree depth `depth` over the home 3D
   * view's box (centre ± scale) and writes it as `kind` ('stl' or '3mf'),
   * showing progress. Resolves with {ok, error, bytes, triangles, ms}.
   */
  async meshFile(kind, depth) {
    if (!this.good) return { ok: false, error: 'no shape' };
    if (this.meshBusy) return { ok: false, error: 'a mesh is being made already' };
    this.meshBusy = true;
    const prog = $('mesh-progress'), note = $('mesh-status');
    prog.hidden = false;
    prog.removeAttribute('value');
    note.textContent = `meshing at depth ${depth}…`;
    const h = this.view3d.home;
    const bounds = [0, 1, 2].flatMap((k) => [h.center[k] - h.scale, h.center[k] + h.scale]);
    try {
      const r = await this.pool.mesh({
        src: this.good.src, format: this.good.format, params: this.paramValues(), depth,
        format3d: kind, bounds,
      }, (done, total) => {
        prog.max = total;
        prog.value = done;
        const stage = ['compiling', 'meshing', 'writing'][done] || 'working';
        note.textContent = `${stage} (depth ${depth}, step ${done + 1} of ${total})…`;
      });
      note.textContent = r.ok
        ? `${kind.toUpperCase()}: ${r.triangles} triangles, ${(r.bytes.length / 1024).toFixed(0)} KiB in ${fmtMs(r.ms)}`
        : `mesh not made: ${r.error}`;
      return r;
    } finally {
      prog.hidden = true;
      this.meshBusy = false;
    }
  }

  /** Meshes at the chosen depth and downloads the file. */
  async saveMesh(kind) {
    const r = await this.meshFile(kind, Number($('mesh-depth').value));
    if (r.ok) {
      const type = kind === 'stl' ? 'model/stl' : 'model/3mf';
      download(new Blob([r.bytes], { type }), `${this.baseName()}.${kind}`);
    }
    return r;
  }

  // ---- parameters ----------------------------------------------------------

  /** The parameter values in declaration order (what workers set). */
  paramValues() {
    return this.params.map((p) => (this.values.has(p.name) ? this.values.get(p.name) : p.default));
  }

  /** Takes the parameters of a freshly compiled shape; rebuilds the sliders when they changed. */
  takeParams(list) {
    const same = list.length === this.params.length &&
      list.every((p, i) => ['name', 'default', 'lo', 'hi'].every((k) => p[k] === this.params[i][k]));
    const pending = this.pendingValues;
    this.pendingValues = null;
    const next = new Map();
    for (const p of list) {
      let v = p.default;
      const pv = pending ? pending.get(p.name) : undefined;
      if (Number.isFinite(pv) && pv >= p.lo && pv <= p.hi) v = pv;
      else if (!pending && this.values.has(p.name)) {
        const old = this.values.get(p.name);
        if (old >= p.lo && old <= p.hi) v = old;
      }
      next.set(p.name, v);
    }
    this.params = list;
    this.values = next;
    if (!same || pending) this.buildSliders();
  }

  buildSliders() {
    const box = $('params');
    box.textContent = '';
    box.hidden = this.params.length === 0;
    for (const p of this.params) {
      const row = document.createElement('label');
      row.className = 'param';
      const name = document.createElement('span');
      name.className = 'param-name';
      name.textContent = p.name;
      const input = document.createElement('input');
      input.type = 'range';
      input.min = String(p.lo);
      input.max = String(p.hi);
      input.step = 'any';
      input.value = String(this.values.get(p.name));
      input.dataset.param = p.name;
      const out = document.createElement('output');
      out.textContent = fmtValue(this.values.get(p.name));
      const range = document.createElement('span');
      range.className = 'param-range';
      range.textContent = `[${fmtValue(p.lo)}, ${fmtValue(p.hi)}]`;
      input.addEventListener('input', () => {
        const v = Math.min(p.hi, Math.max(p.lo, Number(input.value)));
        this.values.set(p.name, v);
        out.textContent = fmtValue(v);
        this.scheduleFragment();
        if (this.tab === '3d') this.interact3d();
        else this.requestRender();
      });
      row.append(name, input, out, range);
      box.append(row);
    }
  }

  // ---- URL fragment --------------------------------------------------------

  /** Writes the source, parameter values, tab and camera into the fragment, soon. */
  scheduleFragment() {
    clearTimeout(this.fragmentTimer);
    this.fragmentTimer = setTimeout(() => this.writeFragment(), 250);
  }

  fragment() {
    const f = new URLSearchParams();
    if (this.good) f.set('src', this.good.src);
    const format = $('format').value;
    if (format !== 'auto') f.set('fmt', format);
    const p = this.params.map((q) => `${q.name}=${this.values.get(q.name)}`);
    if (p.length) f.set('p', p.join(','));
    if (this.tab === '3d') f.set('tab', '3d');
    const c = this.view3d.camera;
    f.set('cam', [c.yaw, c.pitch, c.roll, ...c.center, c.scale, c.perspective].join(','));
    return f.toString();
  }

  writeFragment() {
    clearTimeout(this.fragmentTimer);
    this.fragmentTimer = null;
    if (!this.good) return;
    history.replaceState(null, '', `${location.pathname}${location.search}#${this.fragment()}`);
  }

  /** Reads a fragment written by writeFragment: {src, format, values, tab, camera}, or null. */
  static parseFragment(hash) {
    const f = new URLSearchParams(hash.replace(/^#/, ''));
    if (!f.has('src')) return null;
    const values = new Map();
    for (const kv of (f.get('p') || '').split(',')) {
      const [k, v] = kv.split('=');
      if (k && v !== undefined && Number.isFinite(Number(v))) values.set(k, Number(v));
    }
    let camera = null;
    const c = (f.get('cam') || '').split(',').map(Number);
    if (c.length === 8 && c.every(Number.isFinite) && c[6] > 0) {
      camera = { yaw: c[0], pitch: c[1], roll: c[2], center: c.slice(3, 6), scale: c[6], perspective: c[7] };
    }
    return { src: f.get('src'), format: f.get('fmt') || 'auto', values, tab: f.get('tab') || '2d', camera };
  }

  /** Shows what a fragment holds; resolves with the render's report. */
  applyFragment(fr) {
    setSelect($('format'), fr.format);
    this.pendingValues = fr.values;
    this.showTab(fr.tab === '3d' ? '3d' : '2d');
    const done = this.setSource(fr.src, { camera: fr.camera });
    return done;
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
    const fr = App.parseFragment(location.hash);
    if (fr) return this.applyFragment(fr);
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
      return this.setSource(src, { name: url.split('/').pop() });
    }
    const name = params.get('example');
    let i = name ? this.examples.findIndex((e) => e.name === name || e.name === `${name}.expr`) : 0;
    if (i < 0) i = 0;
    $('example').value = String(i);
    const ex = this.examples[i];
    return this.setSource(ex ? ex.src : 'circle(0.5)\n', { name: ex && ex.name });
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

  /**
   * Replaces the editor text and re-renders at once. A new source (not an
   * edit) also moves the 3D camera to its `# view:` header (or to
   * `opts.camera`).
   */
  setSource(src, opts = {}) {
    this.resetCamera = opts.camera || true;
    // A new source starts from its declared parameter values (a fragment's
    // values come in pendingValues).
    this.values = new Map();
    this.params = [];
    if (opts.name !== undefined) this.sourceName = opts.name;
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
    const list = [];
    for (let i = 0; i < (c.ok ? c.param_count : 0); i++) {
      list.push({ name: c.param_name(i), default: c.param_default(i), lo: c.param_lo(i), hi: c.param_hi(i) });
    }
    c.free();
    this.compiled = info;
    this.showError(info.error);
    if (!info.ok) {
      this.status(`error at ${info.error.line}:${info.error.col}; showing the last good shape`);
      return Promise.resolve({ error: info.error });
    }
    this.good = info;
    this.takeParams(list);
    const home = headerCamera(src) || DEFAULT_CAMERA;
    this.view3d.setHome(home);
    if (this.resetCamera) {
      this.view3d.setCamera(this.resetCamera === true ? home : this.resetCamera);
      this.resetCamera = false;
    }
    this.scheduleFragment();
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
    const c = this.tab === '3d' ? this.calibration3d : this.calibration;
    return { name: c ? c.best : 'tail', auto: true };
  }

  /**
   * Renders the last good shape with the current view and settings.
   * Coalesces requests to one per animation frame; returns a promise of
   * the render's report.
   */
  requestRender() {
    if (!this.good) return Promise.resolve(null);
    if (this.tab === '3d') return this.request3d(false);
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
    if (this.tab === '3d') return this.request3d(false);
    const shape = this.good;
    const n = this.size();
    const refused = check_view2d(n, n);
    if (refused) {
      this.status(`render refused: ${refused}`);
      return { error: refused };
    }
    if (this.view.size !== n) this.view.setSize(n);
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
      gen: shape.gen, src: shape.src, format: shape.format, params: this.paramValues(),
      width: n, height: n, bounds, mode, dispatch: dispatch.name, tile,
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
      tab: '2d', size: n, mode, dispatch: dispatch.name, auto: dispatch.auto, tiles: r.tiles,
      workers: this.pool.size, ms: r.ms, inside: r.inside, tapeLen: shape.tapeLen,
      format: shape.detected, bounds, params: this.paramValues(),
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

  // ---- 3D ------------------------------------------------------------------

  /**
   * Asks for a 3D frame: `reduced` while the user drags, else full
   * resolution. One render runs at a time; asking meanwhile renders once
   * more, with the latest camera and values, when it ends. The promise of a
   * full request resolves with the report of the full frame that follows
   * the last request (when nothing newer is waiting).
   */
  request3d(reduced) {
    if (!this.good) return Promise.resolve(null);
    const r3 = this.r3;
    if (!reduced) {
      clearTimeout(r3.rest);
      r3.rest = null;
    }
    r3.want = reduced ? 'reduced' : 'full';
    const done = reduced ? Promise.resolve(null) : new Promise((resolve) => r3.waiters.push(resolve));
    if (!r3.running) r3.running = this.loop3d();
    return done;
  }

  /** A drag, wheel or slider step in 3D: a reduced frame now, the full one at rest. */
  interact3d() {
    const r3 = this.r3;
    this.request3d(true);
    clearTimeout(r3.rest);
    r3.rest = setTimeout(() => { r3.rest = null; this.request3d(false); }, REST_MS);
  }

  /** Resolves with the report of the next full 3D frame once the view is at rest. */
  settled3d() {
    const r3 = this.r3;
    if (!r3.running && !r3.rest && !r3.want) return Promise.resolve(this.lastRender3d);
    return new Promise((resolve) => r3.waiters.push(resolve));
  }

  async loop3d() {
    const r3 = this.r3;
    try {
      while (r3.want) {
        const reduced = r3.want === 'reduced';
        r3.want = null;
        let report;
        try {
          report = await this.render3dNow(reduced);
        } catch (e) {
          report = { error: String(e && e.message || e) };
          this.status(`3D render failed: ${report.error}`);
        }
        if (reduced && report && !report.error && !report.cancelled) r3.reduced++;
        const final = !reduced || (report && report.error);
        if (final && !r3.want && !r3.rest) {
          const w = r3.waiters;
          r3.waiters = [];
          for (const f of w) f(report);
        }
      }
    } finally {
      r3.running = null;
    }
  }

  /** Rows per band: about three bands per worker, a multiple of 8 rows. */
  bandRows(height) {
    const per = Math.ceil(height / (3 * this.pool.size));
    return Math.max(8, Math.ceil(per / 8) * 8);
  }

  async render3dNow(reduced) {
    const shape = this.good;
    const n = this.size();
    const m = reduced ? Math.max(32, Math.round(n / REDUCE)) : n;
    const depth = m;
    const refused = check_view3d(n, n, n);
    if (refused) {
      this.status(`render refused: ${refused}`);
      return { error: refused };
    }
    const camera = copyCamera(this.view3d.camera);
    const dispatch = this.dispatch();
    const mode = $('mode3d').value, ssao = $('ssao').checked;
    const band = this.bandRows(m);
    const hits = new Float32Array(m * m), normals = new Float32Array(m * m * 3);
    const t0 = performance.now();
    const r = await this.pool.render({
      kind: '3d', gen: shape.gen, src: shape.src, format: shape.format, params: this.paramValues(),
      width: m, height: m, depth, view: cameraArray(camera), dispatch: dispatch.name, band,
    }, (t) => {
      hits.set(t.hits, t.y0 * m);
      normals.set(t.normals, t.y0 * m * 3);
    });
    if (r.cancelled) return { cancelled: true };
    if (r.error) {
      this.status(`render failed: ${r.error}`);
      return { error: r.error };
    }
    const t1 = performance.now();
    const pic = shade(m, m, depth, hits, normals, mode, ssao);
    if (!pic.ok) {
      const error = pic.error;
      pic.free();
      this.status(`render failed: ${error}`);
      return { error };
    }
    const hash = pic.hash;
    const rgba = pic.take_rgba();
    pic.free();
    this.view3d.show(rgba, m, m);
    const t2 = performance.now();
    const report = {
      tab: '3d', size: m, full: n, reduced, depth, mode, ssao, dispatch: dispatch.name,
      auto: dispatch.auto, bands: r.tiles, workers: this.pool.size, ms: t2 - t0,
      renderMs: t1 - t0, shadeMs: t2 - t1, covered: r.inside, hash, camera,
      params: this.paramValues(), tapeLen: shape.tapeLen, format: shape.detected,
    };
    this.lastRender3d = report;
    if (!reduced) this.lastRender = report;
    const err = this.compiled && this.compiled.error;
    this.status(
      `${m}×${m}×${depth} ${mode}${mode === 'shaded' && ssao ? ' + AO' : ''}` +
      `${reduced ? ` (reduced while moving, full ${n}²)` : ''} · ${fmtMs(report.ms)} ` +
      `(render ${fmtMs(report.renderMs)}, shade ${fmtMs(report.shadeMs)}) · ${r.tiles} bands on ` +
      `${this.pool.size} workers · dispatch ${dispatch.name}${dispatch.auto ? ' (auto)' : ''} · ` +
      `${(100 * r.inside / (m * m)).toFixed(1)}% covered · ${shape.tapeLen} instructions (.${shape.detected})` +
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
    // 3D: a 96² frame (96 samples per ray) of the same shape seen at an
    // angle, on another worker at the same time.
    const [r, r3] = await Promise.all([
      this.pool.calibrate(calibrationVm(), size, reps, mode, ['tail', 'match']),
      this.pool.calibrate(calibrationVm(), 96, reps, '3d', ['tail', 'match'], '3d'),
    ]);
    const pick = (res) => {
      if (!res.ok) return { times: {}, best: 'tail', error: res.error };
      const { tail, match } = res.times;
      return { times: res.times, best: match < tail ? 'match' : 'tail' };
    };
    this.calibration = pick(r);
    this.calibration3d = pick(r3);
    const line = (what, c) => c.error ? `${what}: calibration failed (${c.error}); auto uses tail`
      : `${what}: tail ${fmtMs(c.times.tail)}, match ${fmtMs(c.times.match)} → auto uses ${c.best}` +
        (c.times.tail === c.times.match ? ' (a tie: the clock may be frozen)' : '');
    $('calibration').textContent = `calibration (best of ${reps}) · ` +
      line(`2D ${size}² ${mode}`, this.calibration) + ' · ' + line('3D 96³', this.calibration3d);
    const opt = $('dispatch').querySelector('option[value="auto"]');
    if (opt) opt.textContent = `auto (2D ${this.calibration.best}, 3D ${this.calibration3d.best})`;
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

/** Starts a download of `blob` as `name`. */
function download(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

/** A parameter value for the sliders' labels: up to 4 significant digits. */
function fmtValue(v) {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
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

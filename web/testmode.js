// Test mode (index.html?test=SPEC_URL): runs the steps of a JSON spec through
// the viewer exactly as a user would (source typed into the editor, settings
// picked in the selects), and writes what the page shows into <pre id=result>,
// one line per step:
//
//   step=0 status=ok size=256 mode=bitmap dispatch=tail tiles=16 workers=2
//     inside=1234 hash=89abcdef canvas_hash=89abcdef marked=0 error=
//
// (all on one line; `error=` comes last and runs to the end of the line).
// hash is FNV-1a (32 bits) of the finished image's RGBA bytes, canvas_hash the
// same of the pixels read back from the canvas. marked is the line number
// highlighted in the editor's gutter (0 for none). The last line is `done`.
//
// Spec: {"steps": [{"src": "...", "format": "auto", "size": 256,
//         "mode": "bitmap", "dispatch": "tail", "bounds": [xmin, xmax, ymin, ymax],
//         "tile": 64}, ...]}   (every field optional)
//
// 3D and parameters (also optional):
//   "tab": "2d" | "3d", "mode3d": "shaded" | "normals" | "depth", "ssao": bool,
//   "camera": {yaw, pitch, roll, center: [x, y, z], scale, perspective}
//             (with src: the camera the new source is shown with),
//   "set": {NAME: value}     moves the sliders (an `input` event each),
//   "events": [{"drag": [dx, dy], "at": [fx, fy], "button": 0 | 2, "shift": bool,
//               "steps": n} | {"wheel": deltaY, "at": [fx, fy]} | {"dblclick": true}]
//             pointer events on the 3D canvas (at: fractions of its box),
//   "fragment": true          reloads the view from the page's URL fragment,
//   "drop": {"name": "x.vm", "text": "..."}   drops a file on the page,
//   "png": true               adds png_hash: the RGBA of the PNG download, decoded,
//   "mesh": {"kind": "stl" | "3mf", "depth": N}   adds mesh_hash (FNV-1a of the
//                             file), mesh_bytes, triangles, or mesh_error.
// A step without src keeps the shape. A 3D step's line has tab=3d, bands, covered
// (pixels hit), hash (FNV-1a of the native picture's bytes, as computed by
// the module), rgba_hash/canvas_hash (the RGBA shown, and read back from the
// canvas), reduced (reduced frames rendered during the step), cam (yaw, pitch,
// roll, cx, cy, cz, scale, perspective, exactly), params (the values used).
//
// Chromium's --virtual-time-budget could otherwise run out while the page
// waits for its workers, so a request to the test server's /hold is kept
// pending for as long as the steps run.

import { keepAlive } from './app.js';

export async function runTests(app, started, specUrl) {
  const lines = [];
  let running = true;
  keepAlive(app, () => running, 240000, () => {
    lines.push('fatal error=the test page gave up after 240 s');
    publish(lines, true);
  });
  try {
    await started;
    const spec = await (await fetch(specUrl)).json();
    for (let i = 0; i < spec.steps.length; i++) {
      lines.push(await runStep(app, i, spec.steps[i]));
      publish(lines, false);
    }
    lines.push('done');
  } catch (e) {
    lines.push(`fatal error=${String(e && e.stack || e).replace(/\n/g, ' | ')}`);
  } finally {
    running = false;
    publish(lines, true);
  }
}

async function runStep(app, i, step) {
  const set = (id, v) => {
    if (v === undefined) return;
    const sel = document.getElementById(id);
    if (![...sel.options].some((o) => o.value === String(v))) throw new Error(`step ${i}: no ${id} ${v}`);
    sel.value = String(v);
  };
  const sizes = [...document.getElementById('size').options].map((o) => o.value);
  if (step.size !== undefined && !sizes.includes(String(step.size))) app.sizeOverride = step.size;
  else { app.sizeOverride = null; set('size', step.size); }
  set('mode', step.mode);
  set('mode3d', step.mode3d);
  if (step.ssao !== undefined) document.getElementById('ssao').checked = !!step.ssao;
  set('dispatch', step.dispatch);
  set('format', step.format);
  if (step.tab) app.showTab(step.tab);
  if (app.sizeOverride === null) app.view.setSize(Number(document.getElementById('size').value));
  if (step.bounds) app.view.setBounds(step.bounds);
  app.tileOverride = step.tile;
  const reduced0 = app.r3.reduced;
  let report;
  if (step.src !== undefined) report = await app.setSource(step.src, { camera: step.camera });
  else if (step.camera) app.view3d.setCamera(step.camera);
  if (step.drop) {
    // A file dropped on the editor, as a user would (DataTransfer + drop).
    const dt = new DataTransfer();
    dt.items.add(new File([step.drop.text], step.drop.name, { type: 'text/plain' }));
    const target = document.getElementById('source');
    target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }));
    target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
    report = await app.dropped;
  }
  if (step.fragment) {
    app.writeFragment();
    const fr = app.constructor.parseFragment(location.hash);
    if (!fr) throw new Error(`step ${i}: no fragment in ${location.href}`);
    report = await app.applyFragment(fr);
  }
  if (step.set) {
    for (const [name, v] of Object.entries(step.set)) {
      const input = document.querySelector(`#params input[data-param="${name}"]`);
      if (!input) throw new Error(`step ${i}: no slider for ${name}`);
      input.value = String(v);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }
  }
  if (step.events) await play(app, step.events);
  if (step.set || step.events) {
    // Slider and pointer steps: the full frame that follows once they rest.
    report = app.tab === '3d' ? await app.settled3d() : await app.requestRender();
  } else if (step.src === undefined && !step.fragment && !step.drop) {
    report = await app.requestRender();
  }
  const png = step.png ? await pngHash(app) : null;
  let line = app.tab === '3d' ? line3d(app, i, report, app.r3.reduced - reduced0)
    : await line2d(app, i, report);
  if (png) line = line.replace(' error=', ` png_hash=${png} format=${document.getElementById('format').value} error=`);
  if (step.mesh) {
    const m = await app.meshFile(step.mesh.kind, step.mesh.depth);
    const extra = m.ok ? `mesh_hash=${fnv1a(m.bytes)} mesh_bytes=${m.bytes.length} triangles=${m.triangles}`
      : `mesh_error=${String(m.error).replace(/\s+/g, '_')}`;
    line = line.replace(' error=', ` ${extra} error=`);
  }
  return line;
}

/** FNV-1a of the RGBA pixels of the page's PNG download, decoded again. */
async function pngHash(app) {
  const blob = await app.pngBlob();
  const bmp = await createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  const c = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(bmp, 0, 0);
  return fnv1a(ctx.getImageData(0, 0, bmp.width, bmp.height).data);
}

async function line2d(app, i, report) {
  const errBox = document.getElementById('error');
  const shown = errBox.hidden ? '' : errBox.querySelector('.error-head').textContent;
  const marked = document.querySelector('#gutter .err');
  const fields = {
    step: i,
    status: report && report.error ? (typeof report.error === 'string' ? 'render-error' : 'error') : 'ok',
  };
  if (report && !report.error && !report.cancelled) {
    const n = report.size;
    const ctx = document.getElementById('canvas').getContext('2d');
    Object.assign(fields, {
      size: n, mode: report.mode, dispatch: report.dispatch, tiles: report.tiles,
      workers: report.workers, inside: report.inside, hash: fnv1a(app.view.frame),
      canvas_hash: fnv1a(ctx.getImageData(0, 0, n, n).data),
      params: (report.params || []).join(',') || '-',
    });
  } else if (report && report.cancelled) {
    fields.status = 'cancelled';
  }
  fields.marked = marked ? marked.textContent : '0';
  const err = shown || (report && typeof report.error === 'string' ? report.error : '');
  const head = Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ');
  return `${head} error=${err.replace(/\n/g, ' ')}`;
}

/** The result line of a 3D step. */
function line3d(app, i, report, reduced) {
  const errBox = document.getElementById('error');
  const shown = errBox.hidden ? '' : errBox.querySelector('.error-head').textContent;
  const marked = document.querySelector('#gutter .err');
  const fields = { step: i, tab: '3d' };
  fields.status = report && report.error ? (typeof report.error === 'string' ? 'render-error' : 'error')
    : report && report.cancelled ? 'cancelled' : report ? 'ok' : 'none';
  if (fields.status === 'ok') {
    const v = app.view3d;
    const n = v.frame.width;
    const ctx = v.canvas.getContext('2d');
    const c = report.camera;
    Object.assign(fields, {
      size: report.size, depth: report.depth, mode: report.mode, ssao: report.ssao ? 1 : 0,
      dispatch: report.dispatch, bands: report.bands, workers: report.workers,
      covered: report.covered, hash: report.hash, rgba_hash: fnv1a(v.frame.rgba),
      canvas_hash: fnv1a(ctx.getImageData(0, 0, n, v.frame.height).data), reduced,
      cam: [c.yaw, c.pitch, c.roll, ...c.center, c.scale, c.perspective].join(','),
      params: report.params.join(',') || '-',
    });
  }
  fields.marked = marked ? marked.textContent : '0';
  const err = shown || (report && typeof report.error === 'string' ? report.error : '');
  const head = Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ');
  return `${head} error=${err.replace(/\n/g, ' ')}`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Plays synthetic pointer and wheel events on the 3D canvas. */
async function play(app, events) {
  const canvas = app.view3d.canvas;
  for (const ev of events) {
    const rect = canvas.getBoundingClientRect();
    const [fx, fy] = ev.at || [0.5, 0.5];
    const x = rect.left + fx * rect.width, y = rect.top + fy * rect.height;
    const base = { bubbles: true, cancelable: true, clientX: x, clientY: y, pointerId: 7, isPrimary: true };
    if (ev.drag) {
      const button = ev.button || 0, shiftKey = !!ev.shift;
      const buttons = button === 2 ? 2 : 1;
      canvas.dispatchEvent(new PointerEvent('pointerdown', { ...base, button, buttons, shiftKey }));
      const steps = ev.steps || 4;
      for (let k = 1; k <= steps; k++) {
        await sleep(30);
        canvas.dispatchEvent(new PointerEvent('pointermove', {
          ...base, button: -1, buttons, shiftKey,
          clientX: x + ev.drag[0] * k / steps, clientY: y + ev.drag[1] * k / steps,
        }));
      }
      canvas.dispatchEvent(new PointerEvent('pointerup', {
        ...base, button, buttons: 0, shiftKey, clientX: x + ev.drag[0], clientY: y + ev.drag[1],
      }));
    } else if (ev.wheel !== undefined) {
      canvas.dispatchEvent(new WheelEvent('wheel', { ...base, deltaY: ev.wheel, deltaMode: 0 }));
    } else if (ev.dblclick) {
      canvas.dispatchEvent(new MouseEvent('dblclick', { ...base, button: 0, detail: 2 }));
    }
    await sleep(30);
  }
}

function publish(lines, done) {
  const pre = document.getElementById('result');
  pre.textContent = lines.join('\n') + '\n';
  pre.hidden = false;
  if (done) pre.dataset.done = '1';
}

/** FNV-1a, 32 bits, as 8 hex digits. */
export function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

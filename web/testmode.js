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
//         "tile": 64}, ...]}   (every field but src optional)
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
  set('size', step.size);
  set('mode', step.mode);
  set('dispatch', step.dispatch);
  set('format', step.format);
  app.view.setSize(Number(document.getElementById('size').value));
  if (step.bounds) app.view.setBounds(step.bounds);
  app.tileOverride = step.tile;
  const report = await app.setSource(step.src);

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
    });
  } else if (report && report.cancelled) {
    fields.status = 'cancelled';
  }
  fields.marked = marked ? marked.textContent : '0';
  const err = shown || (report && typeof report.error === 'string' ? report.error : '');
  const head = Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ');
  return `${head} error=${err.replace(/\n/g, ' ')}`;
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

// Benchmark mode (index.html?bench=1&benchshape=URL[&benchsize=N][&reps=N]
// [&benchmode=bitmap|field][&dispatches=tail,match]): times renders of one
// shape in this browser, writes the numbers into <pre id="result"> and POSTs
// them to the test server's /report. Run by web/bench/run.sh in headless
// Chromium with real time (e2e/run.sh report), so performance.now() runs.
//
// Measured, for tail-call and match dispatch:
//   main  one render_tile call over the whole image on the page's thread
//         (the same call as node-bench.mjs: 1 thread, pruning on)
//   pool  the viewer's path: tiles on the worker pool, pixels transferred back
//
// With bench3d=1 (web/bench/run3d.sh), 3D frames instead (benchsize³, the
// default camera as `tapir bench --3d`, or cam=yaw,pitch,scale):
//   main3d     one render_band over the whole frame on the page's thread
//              (1 thread, pruning on): the same work as a native
//              single-thread `render3d` of the frame (geometry, no shading)
//   reduced    the viewer's frames while dragging: app.render3dNow(true) on
//              the worker pool (bands, stacking, shading with occlusion),
//              the camera turning 2° between frames

import { compile_as } from '../pkg/tapir_web.js';

export async function runBench(app, started, params) {
  const out = [];
  const pre = document.getElementById('result');
  const show = () => { pre.textContent = out.join('\n') + '\n'; pre.hidden = false; };
  try {
    await started;
    const url = params.get('benchshape') || 'pkg/examples/' + (app.examples[0] || {}).name;
    const src = await (await fetch(url)).text();
    const size = Number(params.get('benchsize') || 1024);
    const reps = Number(params.get('reps') || 5);
    const dispatches = (params.get('dispatches') || 'tail,match').split(',');
    const mode = params.get('benchmode') || 'bitmap';

    const now = () => performance.now();

    const c = compile_as(src, 'auto');
    if (!c.ok) throw new Error(`${url}:${c.error_line}:${c.error_col}: ${c.error_message}`);
    if (params.get('bench3d')) {
      await bench3d(app, c, src, url, size, reps, dispatches, params, out, show);
      c.free();
      out.push('done');
      return;
    }
    out.push(`${navigator.userAgent}`);
    out.push(`${url}: .${c.format}, ${c.tape_len} instructions; ${size}x${size} ${mode}, best/median of ${reps} after a warm-up`);
    show();

    const main = async (d) => {
      const t0 = now();
      const t = c.render_tile(size, size, -1, 1, -1, 1, 0, 0, size, size, mode, d);
      const t1 = now();
      if (!t.ok) throw new Error(t.error);
      const inside = t.inside;
      t.free();
      return { ms: t1 - t0, inside };
    };
    // One generation for all pool renders: workers compile the shape once,
    // as when the user pans and zooms.
    const gen = 1e9;
    const pool = async (d) => {
      const job = { gen, src, format: 'auto', width: size, height: size,
                    bounds: [-1, 1, -1, 1], mode, dispatch: d, tile: 256 };
      const t0 = now();
      const r = await app.pool.render(job, () => {});
      const t1 = now();
      if (r.error || r.cancelled) throw new Error(r.error || 'cancelled');
      return { ms: t1 - t0, inside: r.inside };
    };
    for (const [name, fn, what] of [['main', main, '1 thread (page thread)'],
                                     ['pool', pool, `${app.pool.size} workers, 256² tiles`]]) {
      const times = {};
      for (const d of dispatches) { await fn(d); times[d] = []; }
      for (let r = 0; r < reps; r++) for (const d of dispatches) times[d].push(await fn(d));
      for (const d of dispatches) {
        const ms = times[d].map((x) => x.ms).sort((a, b) => a - b);
        out.push(`  ${name} ${d.padEnd(10)} best ${ms[0].toFixed(1).padStart(7)} ms   median ${ms[Math.floor(ms.length / 2)].toFixed(1).padStart(7)} ms   inside ${times[d][0].inside}   (${what})`);
      }
      show();
    }
    c.free();
    out.push('done');
  } catch (e) {
    out.push(`error: ${e && e.stack || e}`);
  } finally {
    show();
    await fetch('/report', { method: 'POST', body: pre.textContent }).catch(() => {});
  }
}

async function bench3d(app, c, src, url, size, reps, dispatches, params, out, show) {
  const now = () => performance.now();
  const [yaw, pitch, scale] = (params.get('cam') || '0,0,1').split(',').map(Number);
  const view = new Float64Array([0, 0, 0, scale, yaw, pitch, 0, 0]);
  out.push(`${navigator.userAgent}`);
  out.push(`${url}: .${c.format}, ${c.tape_len} instructions; ${size}x${size}x${size} 3D, yaw ${yaw} pitch ${pitch} scale ${scale}; best/median of ${reps} after a warm-up`);
  show();
  const main = (d) => {
    const t0 = now();
    const b = c.render_band(size, size, size, view, 0, size, d);
    const t1 = now();
    if (!b.ok) throw new Error(b.error);
    const covered = b.covered;
    b.free();
    return { ms: t1 - t0, covered };
  };
  const times = {};
  for (const d of dispatches) { main(d); times[d] = []; }
  for (let r = 0; r < reps; r++) for (const d of dispatches) times[d].push(main(d));
  for (const d of dispatches) {
    const ms = times[d].map((x) => x.ms).sort((a, b) => a - b);
    out.push(`  main3d ${d.padEnd(8)} best ${ms[0].toFixed(1).padStart(7)} ms   median ${ms[Math.floor(ms.length / 2)].toFixed(1).padStart(7)} ms   covered ${times[d][0].covered}   (1 thread, page thread)`);
    show();
  }
  // The viewer while dragging: reduced frames on the pool, the camera turning.
  app.showTab('3d');
  app.sizeOverride = size;
  await app.setSource(src, { camera: { center: [0, 0, 0], scale, yaw, pitch, roll: 0, perspective: 0 } });
  for (const d of dispatches) {
    document.getElementById('dispatch').value = d;
    const frames = [];
    for (let r = 0; r < 3 * reps + 1; r++) {
      app.view3d.camera.yaw += 2;
      const rep = await app.render3dNow(true);
      if (rep.error) throw new Error(rep.error);
      if (r > 0) frames.push(rep);
    }
    const ms = frames.map((f) => f.ms).sort((a, b) => a - b);
    const rms = frames.map((f) => f.renderMs).sort((a, b) => a - b);
    const f0 = frames[0];
    out.push(`  reduced ${d.padEnd(7)} best ${ms[0].toFixed(1).padStart(7)} ms   median ${ms[Math.floor(ms.length / 2)].toFixed(1).padStart(7)} ms   (bands only: median ${rms[Math.floor(rms.length / 2)].toFixed(1)} ms)   ${f0.size}x${f0.size}x${f0.depth}, ${f0.bands} bands on ${f0.workers} workers, shaded + AO`);
    show();
  }
}

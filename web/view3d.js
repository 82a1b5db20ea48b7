// The 3D view: a canvas showing the shape through a turntable camera, the
// same camera as `tapir render3d` (src/render/view.rs):
//
//   model = centre + scale · R(yaw, pitch, roll) · (u, v, w)
//
// with image space (u, v) across the picture (the shorter side spans
// [-1, 1]) and w along the view direction. Controls:
//   left-drag          rotate: the model turns with the pointer (dragging
//                      right lowers yaw, dragging down raises pitch)
//   right- or shift-drag  pan: the model follows the pointer
//   wheel              zoom towards the point under the cursor (scale
//                      shrinks when scrolling up, the centre moves towards
//                      that point)
//   double-click       back to the home camera (the shape's `# view:`
//                      header, or the default)
//
// Every change calls onChange(true) (interactive); the app renders reduced
// frames meanwhile and a full one once the pointer rests.

/** Degrees of turn per CSS pixel of drag. */
const DEG_PER_PX = 0.4;

export const DEFAULT_CAMERA = Object.freeze({
  center: [0, 0, 0], scale: 1, yaw: 30, pitch: 20, roll: 0, perspective: 0,
});

export function copyCamera(c) {
  return { ...c, center: c.center.slice() };
}

/** The camera as the 8 numbers Compiled.render_band takes. */
export function cameraArray(c) {
  return [c.center[0], c.center[1], c.center[2], c.scale, c.yaw, c.pitch, c.roll, c.perspective];
}

/**
 * Reads a `# view: --yaw 30 --pitch 20 --scale 1.25 --center=0,0.5,0` header
 * line (as used by scripts/render3d-examples.sh); null when there is none.
 */
export function headerCamera(src) {
  const m = /^#\s*view:(.*)$/m.exec(src);
  if (!m) return null;
  const cam = copyCamera(DEFAULT_CAMERA);
  Object.assign(cam, { yaw: 0, pitch: 0 });
  const words = m[1].trim().split(/\s+/).flatMap((w) => w.split('='));
  for (let i = 0; i + 1 < words.length; i += 2) {
    const [k, v] = [words[i].replace(/^--/, ''), words[i + 1]];
    if (k === 'center') {
      const c = v.split(',').map(Number);
      if (c.length === 3 && c.every(Number.isFinite)) cam.center = c;
    } else if (['yaw', 'pitch', 'roll', 'scale', 'perspective'].includes(k)) {
      const n = Number(v);
      if (Number.isFinite(n)) cam[k] = n;
    }
  }
  if (!(cam.scale > 0)) cam.scale = 1;
  return cam;
}

/** R(yaw, pitch, roll) as in View::rotation: Ry(yaw) · Rx(−pitch) · Rz(roll), rows. */
export function rotation(c) {
  const r = Math.PI / 180;
  const mul = (a, b) => a.map((row) => [0, 1, 2].map((j) => row[0] * b[0][j] + row[1] * b[1][j] + row[2] * b[2][j]));
  const [cy, sy] = [Math.cos(c.yaw * r), Math.sin(c.yaw * r)];
  const [cp, sp] = [Math.cos(-c.pitch * r), Math.sin(-c.pitch * r)];
  const [cr, sr] = [Math.cos(c.roll * r), Math.sin(c.roll * r)];
  const ry = [[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]];
  const rx = [[1, 0, 0], [0, cp, -sp], [0, sp, cp]];
  const rz = [[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]];
  return mul(mul(ry, rx), rz);
}

export class View3D {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {(interactive: boolean) => void} onChange called when the user moves the camera
   */
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.onChange = onChange;
    this.home = copyCamera(DEFAULT_CAMERA);
    this.camera = copyCamera(DEFAULT_CAMERA);
    this.frame = null;   // {rgba, width, height} of the last picture shown
    this.listen();
  }

  setHome(cam) {
    this.home = copyCamera(cam);
  }

  reset() {
    this.camera = copyCamera(this.home);
  }

  setCamera(cam) {
    this.camera = copyCamera(cam);
  }

  /** Shows a finished picture (RGBA, width × height). */
  show(rgba, width, height) {
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    const px = new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.length);
    this.ctx.putImageData(new ImageData(px, width, height), 0, 0);
    this.frame = { rgba: px, width, height };
  }

  /** Image-space (u, v) of a pointer event (the canvas is square on screen). */
  imagePoint(ev) {
    const rect = this.canvas.getBoundingClientRect();
    const u = ((ev.clientX - rect.left) / rect.width) * 2 - 1;
    const v = 1 - ((ev.clientY - rect.top) / rect.height) * 2;
    return [u, v];
  }

  /** Rotates by a drag of (dx, dy) CSS pixels. */
  rotate(dx, dy) {
    const c = this.camera;
    c.yaw = wrapDegrees(c.yaw - dx * DEG_PER_PX);
    c.pitch = Math.max(-90, Math.min(90, c.pitch + dy * DEG_PER_PX));
  }

  /** Pans by a drag of (dx, dy) CSS pixels: the model follows the pointer. */
  pan(dx, dy) {
    const rect = this.canvas.getBoundingClientRect();
    const c = this.camera;
    const du = (2 * dx) / rect.width, dv = (-2 * dy) / rect.height;
    const m = rotation(c);
    for (let k = 0; k < 3; k++) c.center[k] -= c.scale * (du * m[k][0] + dv * m[k][1]);
  }

  /** Scales by `f` keeping the model point under (u, v) (on the plane w = 0) fixed. */
  zoomAt([u, v], f) {
    const c = this.camera;
    const k = Math.min(Math.max(f, 1e-4 / c.scale), 1e4 / c.scale);
    const next = c.scale * k;
    const m = rotation(c);
    for (let i = 0; i < 3; i++) c.center[i] += (c.scale - next) * (u * m[i][0] + v * m[i][1]);
    c.scale = next;
  }

  listen() {
    const c = this.canvas;
    let drag = null;
    c.addEventListener('contextmenu', (ev) => ev.preventDefault());
    c.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0 && ev.button !== 2) return;
      ev.preventDefault();
      try { c.setPointerCapture(ev.pointerId); } catch (e) { /* synthetic events have no live pointer */ }
      drag = { x: ev.clientX, y: ev.clientY, pan: ev.button === 2 || ev.shiftKey };
      c.classList.add('dragging');
    });
    c.addEventListener('pointermove', (ev) => {
      if (!drag) return;
      const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      drag.x = ev.clientX;
      drag.y = ev.clientY;
      if (dx === 0 && dy === 0) return;
      if (drag.pan) this.pan(dx, dy);
      else this.rotate(dx, dy);
      this.onChange(true);
    });
    const end = (ev) => {
      if (!drag) return;
      drag = null;
      c.classList.remove('dragging');
      try { if (c.hasPointerCapture(ev.pointerId)) c.releasePointerCapture(ev.pointerId); } catch (e) { /* as above */ }
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      const unit = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? 400 : 1;
      const f = Math.exp(Math.max(-300, Math.min(300, ev.deltaY * unit)) * 0.0015);
      this.zoomAt(this.imagePoint(ev), f);
      this.onChange(true);
    }, { passive: false });
    c.addEventListener('dblclick', (ev) => {
      ev.preventDefault();
      this.reset();
      this.onChange(false);
    });
  }
}

function wrapDegrees(a) {
  // Keeps yaw in (-180, 180] so that numbers stay readable.
  let r = ((a + 180) % 360 + 360) % 360 - 180;
  if (r === -180) r = 180;
  return r;
}

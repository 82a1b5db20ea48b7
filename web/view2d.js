// The 2D view: a canvas showing the plane z = 0 over bounds
// [xmin, xmax] × [ymin, ymax], panned by dragging and zoomed with the wheel
// around the cursor.
//
// Tiles arrive in any order and are drawn as they come; the finished image
// is also kept as RGBA bytes (`frame`, for the tests' hash) and as a
// snapshot that is drawn stretched and shifted at the start of the next
// frame, so panning and zooming show something at once.

export class View2D {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {() => void} onChange called when the user moves the view
   */
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.onChange = onChange;
    this.size = canvas.width;
    this.b = [-1, 1, -1, 1];
    this.frame = new Uint8ClampedArray(this.size * this.size * 4);
    this.snapshot = document.createElement('canvas');
    this.snapBounds = null;
    this.listen();
  }

  /** Square pixel count per side (the canvas's resolution, not its CSS size). */
  setSize(n) {
    if (n === this.size) return;
    this.size = n;
    this.canvas.width = n;
    this.canvas.height = n;
    this.frame = new Uint8ClampedArray(n * n * 4);
  }

  /** Centres the view on (cx, cy), showing `r` on each side. */
  setView(cx, cy, r) {
    this.b = [cx - r, cx + r, cy - r, cy + r];
  }

  setBounds(b) {
    this.b = b.slice();
  }

  /** [xmin, xmax, ymin, ymax] */
  bounds() {
    return this.b.slice();
  }

  /** Shows the last finished image moved to the current view. */
  beginFrame() {
    const n = this.size;
    const s = this.snapBounds;
    if (s && (s.join() !== this.b.join() || s.size !== n)) {
      const [x0, x1, y0, y1] = this.b;
      const w = x1 - x0, h = y1 - y0;
      const ctx = this.ctx;
      ctx.save();
      ctx.fillStyle = '#8a8f98';
      ctx.fillRect(0, 0, n, n);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(this.snapshot,
        (s[0] - x0) / w * n, (y1 - s[3]) / h * n,
        (s[1] - s[0]) / w * n, (s[3] - s[2]) / h * n);
      ctx.restore();
    }
  }

  /** Draws one tile {x0, y0, w, h, pixels} and copies it into `frame`. */
  putTile(t) {
    const px = new Uint8ClampedArray(t.pixels.buffer, t.pixels.byteOffset, t.pixels.length);
    this.ctx.putImageData(new ImageData(px, t.w, t.h), t.x0, t.y0);
    const n = this.size;
    for (let j = 0; j < t.h; j++) {
      const src = px.subarray(j * t.w * 4, (j + 1) * t.w * 4);
      this.frame.set(src, ((t.y0 + j) * n + t.x0) * 4);
    }
  }

  /** Keeps the finished image for the next frame's preview. */
  endFrame() {
    const n = this.size;
    if (this.snapshot.width !== n) {
      this.snapshot.width = n;
      this.snapshot.height = n;
    }
    this.snapshot.getContext('2d').putImageData(new ImageData(this.frame, n, n), 0, 0);
    this.snapBounds = Object.assign(this.b.slice(), { size: n });
  }

  listen() {
    const c = this.canvas;
    let drag = null;
    c.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0) return;
      c.setPointerCapture(ev.pointerId);
      drag = { x: ev.clientX, y: ev.clientY };
      c.classList.add('dragging');
    });
    c.addEventListener('pointermove', (ev) => {
      this.showCoords(ev);
      if (!drag) return;
      const rect = c.getBoundingClientRect();
      const [x0, x1, y0, y1] = this.b;
      const dx = (ev.clientX - drag.x) / rect.width * (x1 - x0);
      const dy = (ev.clientY - drag.y) / rect.height * (y1 - y0);
      drag = { x: ev.clientX, y: ev.clientY };
      if (dx === 0 && dy === 0) return;
      this.b = [x0 - dx, x1 - dx, y0 + dy, y1 + dy];
      this.onChange();
    });
    const end = (ev) => {
      if (!drag) return;
      drag = null;
      c.classList.remove('dragging');
      if (c.hasPointerCapture(ev.pointerId)) c.releasePointerCapture(ev.pointerId);
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      const unit = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? 400 : 1;
      const f = Math.exp(Math.max(-300, Math.min(300, ev.deltaY * unit)) * 0.0015);
      this.zoomAt(ev, f);
    }, { passive: false });
    c.addEventListener('pointerleave', () => { document.getElementById('coords').textContent = ''; });
  }

  /** Scales the view by `f` keeping the point under the cursor fixed. */
  zoomAt(ev, f) {
    const rect = this.canvas.getBoundingClientRect();
    const u = (ev.clientX - rect.left) / rect.width;
    const v = (ev.clientY - rect.top) / rect.height;
    const [x0, x1, y0, y1] = this.b;
    const w = x1 - x0, h = y1 - y0;
    // Keep the view between 1e-5 and 1e5 wide (f32 pixel centres stay distinct).
    const k = Math.min(Math.max(f, 1e-5 / Math.min(w, h)), 1e5 / Math.max(w, h));
    const wx = x0 + u * w, wy = y1 - v * h;
    const nx0 = wx - u * w * k, ny1 = wy + v * h * k;
    this.b = [nx0, nx0 + w * k, ny1 - h * k, ny1];
    this.onChange();
  }

  showCoords(ev) {
    const el = document.getElementById('coords');
    if (!el) return;
    const rect = this.canvas.getBoundingClientRect();
    const [x0, x1, y0, y1] = this.b;
    const x = x0 + (ev.clientX - rect.left) / rect.width * (x1 - x0);
    const y = y1 - (ev.clientY - rect.top) / rect.height * (y1 - y0);
    const digits = Math.max(2, Math.ceil(-Math.log10((x1 - x0) / 1000)));
    el.textContent = `x ${x.toFixed(digits)}  y ${y.toFixed(digits)}`;
  }
}

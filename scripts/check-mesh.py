#!/usr/bin/env python3
"""Loads tapir's meshes in an independent reader, Python's trimesh, and
checks them: watertight, consistently wound, outward (positive volume), the
expected Euler characteristic, and the volume against the analytic one.

Usage:
  scripts/check-mesh.py [--tapir PATH] [--depth N] [--keep DIR]
      meshes a sphere, a half sphere capped by the region, a torus and a box
      with `tapir mesh`, writing STL, OBJ, PLY and 3MF each, and checks
      every file;
  scripts/check-mesh.py --file PATH:VOLUME:EULER [--file ...]
      checks files written by other means (the test suite uses this on
      meshes built by hand, to check the writers on their own).

trimesh, numpy, lxml and networkx (3MF) are installed with
`python3 -m pip install --user` when missing. Exit codes: 0 all checks
passed; 1 a check failed; 77 the checks could not run (no pip, no network),
which the test suite reports as skipped.
"""

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
PACKAGES = ["trimesh", "numpy", "lxml", "networkx"]


def ensure_packages():
    """Imports trimesh, installing the packages with pip if needed."""
    try:
        import trimesh  # noqa: F401
        import lxml  # noqa: F401
        import networkx  # noqa: F401
        return
    except ImportError:
        pass
    print("check-mesh: installing " + " ".join(PACKAGES) + " with pip --user", file=sys.stderr)
    base = [sys.executable, "-m", "pip", "install", "--user", "--quiet"]
    for extra in ([], ["--break-system-packages"]):
        r = subprocess.run(base + extra + PACKAGES, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode == 0:
            break
    else:
        print(r.stdout.decode(errors="replace")[-2000:], file=sys.stderr)
        print("check-mesh: skipped: cannot install " + " ".join(PACKAGES), file=sys.stderr)
        sys.exit(SKIP)
    import site
    import importlib

    importlib.invalidate_caches()
    user_site = site.getusersitepackages()
    if user_site not in sys.path:
        sys.path.append(user_site)
    try:
        import trimesh  # noqa: F401
    except ImportError as e:
        print(f"check-mesh: skipped: trimesh installed but cannot be imported: {e}", file=sys.stderr)
        sys.exit(SKIP)


# (name, expression, bounds, analytic volume, Euler characteristic)
R = 0.6
TORUS = (0.55, 0.22)
BOX = (0.5, 0.35, 0.25)
SHAPES = [
    ("sphere", f"sqrt(x*x + y*y + z*z) - {R}", None, 4.0 / 3.0 * math.pi * R**3, 2),
    # The region cuts the sphere in half: the mesh is capped at z = 0.
    ("half-sphere", f"sqrt(x*x + y*y + z*z) - {R}", "-1,1,-1,1,0,1", 2.0 / 3.0 * math.pi * R**3, 2),
    (
        "torus",
        f"sqrt((sqrt(x*x + y*y) - {TORUS[0]})^2 + z*z) - {TORUS[1]}",
        None,
        2.0 * math.pi**2 * TORUS[0] * TORUS[1] ** 2,
        0,
    ),
    (
        "box",
        f"max(max(abs(x) - {BOX[0]}, abs(y) - {BOX[1]}), abs(z) - {BOX[2]})",
        None,
        8.0 * BOX[0] * BOX[1] * BOX[2],
        2,
    ),
]
FORMATS = ["stl", "obj", "ply", "3mf"]


def check_file(path, volume, euler, tolerance):
    """Loads `path` with trimesh; returns (row, failures)."""
    import trimesh

    m = trimesh.load(path, force="mesh", process=True)
    failures = []
    if len(m.faces) == 0:
        failures.append("no triangles")
    if not m.is_watertight:
        failures.append("not watertight")
    if not m.is_winding_consistent:
        failures.append("winding inconsistent")
    got = float(m.volume)
    err = got / volume - 1.0 if volume else float("nan")
    if got <= 0:
        failures.append(f"volume {got:.6f} not positive (inside out?)")
    if volume and abs(err) > tolerance:
        failures.append(f"volume off by {100 * err:+.3f}% (allowed ±{100 * tolerance:g}%)")
    if euler is not None and m.euler_number != euler:
        failures.append(f"Euler characteristic {m.euler_number}, expected {euler}")
    row = [
        os.path.basename(path),
        str(len(m.vertices)),
        str(len(m.faces)),
        "yes" if m.is_watertight else "NO",
        "yes" if m.is_winding_consistent else "NO",
        f"{got:.6f}",
        f"{volume:.6f}",
        f"{100 * err:+.3f}%",
        str(m.euler_number),
    ]
    return row, failures


def print_table(rows):
    head = ["file", "vertices", "triangles", "watertight", "winding", "volume", "analytic", "error", "euler"]
    rows = [head] + rows
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for k, r in enumerate(rows):
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if k == 0:
            print("  ".join("-" * w for w in widths))


def find_tapir(given):
    if given:
        return given
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for build in ("release", "debug"):
        p = os.path.join(root, "target", build, "tapir")
        if os.access(p, os.X_OK):
            return p
    return shutil.which("tapir") or "tapir"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tapir", help="the tapir binary (default: target/release or target/debug)")
    ap.add_argument("--depth", type=int, default=7, help="octree depth (default 7)")
    ap.add_argument("--tolerance", type=float, default=0.01, help="allowed relative volume error (default 0.01)")
    ap.add_argument("--keep", help="write the meshes into this folder and keep them")
    ap.add_argument("--file", action="append", default=[], help="PATH:VOLUME:EULER of a mesh to check")
    args = ap.parse_args()
    ensure_packages()

    rows, failed = [], []
    if args.file:
        for spec in args.file:
            path, volume, euler = spec.rsplit(":", 2)
            row, f = check_file(path, float(volume), int(euler), args.tolerance)
            rows.append(row)
            failed += [f"{path}: {x}" for x in f]
    else:
        tapir = find_tapir(args.tapir)
        folder = args.keep or tempfile.mkdtemp(prefix="tapir-check-mesh-")
        os.makedirs(folder, exist_ok=True)
        try:
            for name, expr, bounds, volume, euler in SHAPES:
                src = os.path.join(folder, name + ".expr")
                with open(src, "w") as f:
                    f.write(f"# {name} (scripts/check-mesh.py)\n{expr}\n")
                for ext in FORMATS:
                    out = os.path.join(folder, f"{name}.{ext}")
                    cmd = [tapir, "mesh", src, "-o", out, "--depth", str(args.depth)]
                    if bounds:
                        cmd.append("--bounds=" + bounds)
                    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                    err = r.stderr.decode(errors="replace").strip()
                    if r.returncode != 0:
                        if "not built yet" in err:
                            print(f"check-mesh: skipped: {err}", file=sys.stderr)
                            sys.exit(SKIP)
                        failed.append(f"{' '.join(cmd)}: exit {r.returncode}: {err}")
                        continue
                    row, f = check_file(out, volume, euler, args.tolerance)
                    rows.append(row)
                    failed += [f"{name}.{ext}: {x}" for x in f]
        finally:
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
    print_table(rows)
    if failed:
        print("\nFAILED:", file=sys.stderr)
        for f in failed:
            print("  " + f, file=sys.stderr)
        sys.exit(1)
    print(f"\nall {len(rows)} meshes watertight, consistently wound, volumes within {100 * args.tolerance:g}%")


if __name__ == "__main__":
    main()

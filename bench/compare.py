#!/usr/bin/python3
"""Compares two dctwin results files series by series (data, not bytes).

    bench/compare.py A.h5 B.h5 [--only PREFIX ...] [--top N]

For every numeric dataset present in both files with the same shape, prints the largest
absolute difference and where it is (row, column), and the largest difference relative to
the series' largest magnitude; series that differ in shape are named. Exit status 0 when
every series is identical, 1 otherwise. Needs Debian's python3-h5py.
"""
import sys

import h5py
import numpy as np


def series(f):
    out = {}
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset) and obj.dtype.kind in "fiu" and obj.ndim >= 1:
            out[name] = obj
    f.visititems(visit)
    return out


def main(argv):
    args = [a for a in argv[1:]]
    only, top = [], 200
    while "--only" in args:
        i = args.index("--only")
        only.append(args[i + 1]); del args[i:i + 2]
    if "--top" in args:
        i = args.index("--top")
        top = int(args[i + 1]); del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    fa, fb = h5py.File(args[0], "r"), h5py.File(args[1], "r")
    sa, sb = series(fa), series(fb)
    rows, same = [], True
    for name in sorted(set(sa) | set(sb)):
        if only and not any(name.startswith(p) for p in only):
            continue
        if name not in sa or name not in sb:
            rows.append((float("inf"), f"{name}: only in {'A' if name in sa else 'B'}"))
            same = False
            continue
        a, b = sa[name][()], sb[name][()]
        if a.shape != b.shape:
            rows.append((float("inf"), f"{name}: shape {a.shape} against {b.shape}"))
            same = False
            continue
        a = a.astype(float); b = b.astype(float)
        both_nan = np.isnan(a) & np.isnan(b)
        d = np.where(both_nan, 0.0, np.abs(a - b))
        d = np.where(np.isnan(d), np.inf, d)
        if d.size == 0 or d.max() == 0.0:
            continue
        same = False
        k = np.unravel_index(np.argmax(d), d.shape)
        scale = np.nanmax(np.abs(b)) if np.isfinite(np.nanmax(np.abs(b))) else 1.0
        rel = d.max() / scale if scale > 0 else float("inf")
        rows.append((rel, f"{name}: max |A-B| {d.max():.3g} at {tuple(int(i) for i in k)}, relative {rel:.3g}"))
    rows.sort(key=lambda r: -r[0])
    for _, line in rows[:top]:
        print(line)
    print("identical" if same else f"{len(rows)} series differ")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

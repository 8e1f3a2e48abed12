#!/usr/bin/env python3
"""The peer of `rig analyze` for bench_longrun: a straightforward numpy/scipy
re-analysis of a run folder's samples.bin, computing the record's windowed
measurements (puncture rate, protrusion depth, baseline-corrected strike force,
loop-timing p99) and the whole run's lateness histogram, loading included.

Prints one line: samples, wall and CPU seconds (from before loading to the
end), and the largest |rate difference| in % against the record (a check that it computed the same measurement). Prints a line starting
with SKIPPED when it cannot read the file's format.

Usage: scipy_reanalysis.py RUN_DIR
"""
import json
import os
import sys
import time

import numpy as np
from scipy.signal import find_peaks

HYSTERESIS_MM = 0.05   # rig/analysis/strokes.hpp
SLOWEST_RATE_HZ = 50.0 # DESIGN §1: 50-200 strokes per second
TOP_BAND_MM = 0.3      # no-contact baseline band of the strike force
LATENESS_EDGES_US = [0, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]

SAMPLE = np.dtype([("t_ns", "<i8"), ("lateness_ns", "<i8"), ("position_mm", "<f8"), ("force_n", "<f8"),
                   ("current_a", "<f8"), ("setpoint_hz", "<f8"), ("flags", "<u4"), ("step", "<u4")])


def main(run_dir):
    with open(os.path.join(run_dir, "record.json")) as f:
        rec = json.load(f)
    path = os.path.join(run_dir, rec["samples"]["file"])
    t_start = time.perf_counter()
    cpu_start = time.process_time()
    with open(path, "rb") as f:
        head = f.read(16)
    if head[:8] != b"PENRIGS2" or int.from_bytes(head[8:12], "little") != SAMPLE.itemsize:
        print("SKIPPED: samples format %r is not the one this script reads (penrig-samples/2)" % head[:8])
        return 0
    count = (os.path.getsize(path) - 32) // SAMPLE.itemsize
    s = np.fromfile(path, dtype=SAMPLE, count=count, offset=16)
    t = s["t_ns"]
    x = s["position_mm"]
    force = s["force_n"]

    # Strokes: BDCs are peaks of prominence > hysteresis, troughs likewise.
    # The prominence is searched within two of the slowest strokes (wlen):
    # without it scipy scans from each peak to a higher one, 500x slower here.
    wlen = int(2 * rec["timing"]["sample_rate_hz"] / SLOWEST_RATE_HZ) + 1
    peaks, _ = find_peaks(x, prominence=HYSTERESIS_MM, wlen=wlen)
    troughs, _ = find_peaks(-x, prominence=HYSTERESIS_MM, wlen=wlen)
    peaks = peaks[(peaks > 0) & (peaks < len(x) - 1)]
    # Sub-sample BDC: vertex of the parabola through the peak and its neighbours.
    ta = (t[peaks - 1] - t[peaks]).astype(np.float64)
    tb = (t[peaks + 1] - t[peaks]).astype(np.float64)
    y0, y1, y2 = x[peaks - 1], x[peaks], x[peaks + 1]
    d1 = (y1 - y0) / (0.0 - ta)
    d2 = (y2 - y1) / tb
    c2 = (d2 - d1) / (tb - ta)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(c2 < 0, 0.5 * ta - d1 / (2.0 * c2), 0.0)
    t_bdc = t[peaks].astype(np.float64) + u
    depth = np.where(c2 < 0, y0 + d1 * (u - ta) + c2 * (u - ta) * u, y1)
    # Strike force per stroke (trough to trough): peak minus the mean force
    # while the needle is within TOP_BAND_MM of the stroke's top.
    seg_max = np.maximum.reduceat(force, troughs)[:-1]
    seg_top = np.minimum.reduceat(x, troughs)[:-1]
    stroke_of = np.repeat(np.arange(len(troughs) - 1), np.diff(troughs))
    xs = x[troughs[0]:troughs[-1]]
    fs = force[troughs[0]:troughs[-1]]
    near_top = xs <= seg_top[stroke_of] + TOP_BAND_MM
    base = np.bincount(stroke_of, weights=fs * near_top) / np.maximum(np.bincount(stroke_of, weights=near_top), 1)
    strike = seg_max - base
    stroke_t = t[troughs[:-1]]

    # The record's windows.
    rate_diff = 0.0
    results = {}
    for m in rec["measurements"]:
        w = m.get("window") or {}
        if "start_s" not in w:
            continue
        b = int(round(w["start_s"] * 1e9))
        e = int(round(w["end_s"] * 1e9))
        kind = m.get("kind", m.get("name"))
        if kind == "puncture_rate":
            sel = t_bdc[(t_bdc >= b) & (t_bdc < e)]
            value = float(np.mean(1e9 / np.diff(sel)))
            if m.get("value") is not None:
                rate_diff = max(rate_diff, abs(value - m["value"]) / m["value"] * 100.0)
        elif kind == "protrusion_depth":
            value = float(np.mean(depth[(t_bdc >= b) & (t_bdc < e)]))
        elif kind == "strike_force":
            value = float(np.mean(strike[(stroke_t >= b) & (stroke_t < e)]))
        elif kind == "loop_timing":
            i0, i1 = np.searchsorted(t, [b, e])
            value = float(np.percentile(s["lateness_ns"][i0:i1], 99)) / 1e3
        else:
            continue
        results[m["id"]] = value
    # The whole run's timing health.
    late_us = s["lateness_ns"] / 1e3
    hist, _ = np.histogram(late_us, bins=LATENESS_EDGES_US + [np.inf])
    _ = (np.percentile(late_us, [50, 99]), late_us.max(), np.diff(t).mean(), hist)
    wall = time.perf_counter() - t_start
    cpu = time.process_time() - cpu_start
    print("%d %.3f %.3f %.6f" % (count, wall, cpu, rate_diff))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

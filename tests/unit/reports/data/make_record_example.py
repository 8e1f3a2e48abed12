#!/usr/bin/env python3
"""Writes record_example.json: a hand-made run record (until the runner writes
real ones) that exercises every part of the report. The signals are smooth
closed-form profiles, so the stats written beside each measurement are the
exact answers for these profiles. Deterministic (fixed seed).

Story of the run: power on at 0 s, 100 Hz at 0.75 mm; step to 150 Hz at 2 s
(overshoot 12 %, above its 10 % limit: FAIL); depth dial to 1.00 mm at 3 s
(the pen protrudes 1.18 mm: FAIL), load cell saturates in part of that window
(strike force: ERROR); brake at 4.2 s, stall protection cuts at 4.38 s
(PASS), release at 4.6 s, firmware restarts at 4.7 s; end at 5.5 s.
"""
import hashlib, json, math, random, sys

random.seed(7)
ZETA, WN = 0.559, 28.0

def step2(t):  # unit step response of a 2nd-order system
    if t <= 0: return 0.0
    wd = WN * math.sqrt(1 - ZETA ** 2)
    return 1 - math.exp(-ZETA * WN * t) * (math.cos(wd * t) + ZETA / math.sqrt(1 - ZETA ** 2) * math.sin(wd * t))

def rate(t):
    if t < 0.05: return 0.0
    if t < 2.0: return 100.0 * (1 - math.exp(-(t - 0.05) / 0.07))
    if t < 3.0: return 100.0 + 50.0 * step2(t - 2.0)
    if t < 4.2: return 150.0 - 4.8 * (1 - math.exp(-(t - 3.0) / 0.05))  # loaded deeper: slower
    if t < 4.215: return 145.2 * (1 - (t - 4.2) / 0.015)
    if t < 4.7: return 0.0
    return 145.2 * (1 - math.exp(-(t - 4.7) / 0.07))

# Stroke BDC times by integrating the rate.
strokes = {"t_s": [], "depth_mm": [], "force_n": [], "rate_hz": []}
t, phase, dt = 0.0, 0.0, 1e-5
last_bdc = None
while t < 5.5:
    r = rate(t)
    phase += r * dt
    t += dt
    if phase >= 1.0 and r > 5.0:
        phase -= 1.0
        strokes["t_s"].append(round(t, 6))
        deep = t >= 3.0
        strokes["depth_mm"].append(round((1.18 if deep else 0.752) + random.gauss(0, 0.004), 4))
        sat = deep and t < 4.2 and random.random() < 0.14
        strokes["force_n"].append(None if sat else round((2.62 if deep else 1.91) + random.gauss(0, 0.04), 3))
        strokes["rate_hz"].append(None if last_bdc is None else round(1.0 / (t - last_bdc), 3))
        last_bdc = t
    elif r <= 5.0:
        phase = 0.0
        last_bdc = None if t - (last_bdc or t) > 0.05 else last_bdc

# Exact step-response answers of the profile (fine grid).
grid = [2.0 + i * 1e-5 for i in range(100001)]
resp = [rate(x) for x in grid]
t10 = next(x for x, v in zip(grid, resp) if v >= 105.0)
t90 = next(x for x, v in zip(grid, resp) if v >= 145.0)
peak = max(resp)
settled = next(grid[i] for i in range(len(grid)) if all(abs(v - 150.0) <= 3.0 for v in resp[i:]))

# Stall trace: needle position and motor current at 1 kHz around the stall.
trace = {"t_s": [], "position_mm": [], "current_a": []}
ph = 0.0
for i in range(500):
    tt = 4.15 + i * 1e-3
    ph += rate(tt) * 1e-3
    pos = 1.18 * 0.5 * (1 - math.cos(2 * math.pi * ph)) if tt < 4.215 else 1.18 * 0.5 * (1 - math.cos(2 * math.pi * ph))
    cur = 0.21 if tt < 4.2 else (0.21 + 0.7 * (1 - math.exp(-(tt - 4.2) / 0.01)) if tt < 4.38 else 0.0)
    trace["t_s"].append(round(tt, 4))
    trace["position_mm"].append(round(pos, 4))
    trace["current_a"].append(round(cur + random.gauss(0, 0.01), 4))

def text_file(path, text, **extra):
    d = {"path": path, "sha256": hashlib.sha256(text.encode()).hexdigest(), "text": text}
    d.update(extra)
    return d

scenario_text = """id: level-step-stall
version: "3"
title: Level, rate step, depth change and stall
steps:
  - power: on
  - rate: 100 Hz
  - depth: 0.75 mm
  - hold: 2 s
  - step: {rate: 150 Hz}
  - hold: 1 s
  - depth: 1.00 mm
  - hold: 1.2 s
  - stall: {brake: on, hold: 400 ms}
  - release: brake
  - hold: 900 ms
"""
spec_text = """id: NP-200-spec
version: "2.1"
model: NeedlePro 200
rate: {tolerance: 5 %}
depth: {tolerance: 0.15 mm}
step: {overshoot_max: 10 %, rise_max: 100 ms, settling_max: 400 ms}
stall: {cutoff_latency_max: 200 ms}
"""
fixture_text = """name: sim-01
backend: sim
sample_rate: 10 kHz
calibration:
  - {instrument: load_cell, id: LC-0042, due: 2026-03-31}
  - {instrument: encoder, id: ENC-0007, due: 2025-10-31}
"""

def m(id, name, value, unit, step, line, t0, t1, outcome, reqs, low=None, high=None, src="inline", **kw):
    d = {"id": id, "name": name, "value": value, "unit": unit, "outcome": outcome, "step": step, "line": line,
         "window": {"start_s": t0, "end_s": t1}, "requirements": reqs, "limits_source": src}
    if low is not None: d["low"] = low
    if high is not None: d["high"] = high
    d.update(kw)
    return d

n_level1 = sum(1 for x in strokes["t_s"] if 0.5 <= x <= 2.0)
meas = [
    m("startup", "startup_time", 0.324, "s", 0, 3, 0.0, 2.0, "PASS", ["REQ-PERF-004"], high=0.5, src="spec:startup.max",
      label="power on to rate within ±2 % and staying", truth=0.3238, error=0.0002),
    m("rate_level1", "puncture_rate", 100.01, "Hz", 3, 6, 0.5, 2.0, "PASS", ["REQ-PERF-001", "21CFR878.4430(b)(2)(i)"],
      low=95.0, high=105.0, src="spec:rate.tolerance", label="level rate 100 Hz", truth=100.0, error=0.01,
      stats={"mean": 100.01, "sd": 0.04, "min": 99.93, "max": 100.09}),
    m("depth_level1", "protrusion_depth", 0.7521, "mm", 3, 6, 0.5, 2.0, "PASS", ["REQ-PERF-002", "21CFR878.4430(b)(2)(i)"],
      low=0.6, high=0.9, src="spec:depth.tolerance", label="depth at dial 0.75 mm", truth=0.752, error=0.0001),
    m("force_level1", "strike_force", 1.912, "N", 3, 6, 0.5, 2.0, "PASS", ["REQ-PERF-003"], low=1.0, high=3.0,
      src="inline", label="peak strike force"),
    m("rise1", "rise_time", round(t90 - t10, 5), "s", 4, 7, 2.0, 3.0, "PASS", ["REQ-PERF-005"], high=0.1,
      src="spec:step.rise_max", stats={"t0_s": 2.0, "initial_hz": 100.0, "final_hz": 150.0, "t10_s": round(t10, 5),
                                       "t90_s": round(t90, 5), "settled_s": round(settled, 5), "peak_hz": round(peak, 3)}),
    m("overshoot1", "overshoot", round((peak - 150.0) / 50.0 * 100.0, 3), "%", 4, 7, 2.0, 3.0, "FAIL", ["REQ-PERF-005"],
      high=10.0, src="spec:step.overshoot_max"),
    m("settling1", "settling_time", round(settled - 2.0, 5), "s", 4, 7, 2.0, 3.0, "PASS", ["REQ-PERF-005"], high=0.4,
      src="spec:step.settling_max"),
    m("rate_level2", "puncture_rate", 145.21, "Hz", 6, 9, 3.3, 4.2, "PASS", ["REQ-PERF-001", "21CFR878.4430(b)(2)(i)"],
      low=142.5, high=157.5, src="spec:rate.tolerance", label="rate under deeper load", truth=145.2, error=0.01),
    m("depth_level2", "protrusion_depth", 1.1798, "mm", 6, 9, 3.3, 4.2, "FAIL", ["REQ-PERF-002", "21CFR878.4430(b)(2)(i)"],
      low=0.85, high=1.15, src="spec:depth.tolerance", label="depth at dial 1.00 mm", truth=1.18, error=-0.0002),
    m("force_level2", "strike_force", None, "N", 6, 9, 3.3, 4.2, "ERROR", ["REQ-PERF-003"], low=1.0, high=3.0,
      message="load cell saturated in 19 of 139 strokes (sample_force_fault): no valid peak force"),
    m("regulation", "speed_regulation", 3.306, "%", 6, 9, 3.3, 4.2, "PASS", ["REQ-PERF-006"], high=5.0,
      src="spec:regulation.max", label="(150 - 145.2) / 145.2"),
    m("stall1", "stall_latency", 0.165, "s", 8, 11, 4.15, 4.65, "PASS", ["REQ-SAFE-010"], high=0.2,
      src="spec:stall.cutoff_latency_max", truth=0.165, error=0.0,
      stats={"onset_s": 4.215, "cutoff_s": 4.38, "cutoff_a": 0.3, "trace": trace}),
    m("stall1_recovery", "stall_recovery", 0.1, "s", 9, 12, 4.6, 5.5, "PASS", ["REQ-SAFE-011"], high=0.5,
      src="spec:stall.retry", label="brake release to drive re-applied"),
    m("loop", "loop_timing", 182.0, "us", 0, 1, 0.0, 5.5, "PASS", ["RIG-TIMING"], high=200.0, src="fixture:timing.lateness",
      label="acquisition loop lateness p99", stats={"p50": 11.0, "p99": 182.0, "max": 412.0, "late": 9}),
]

events = [
    {"t_s": 0.0, "kind": "power_on", "step": 0},
    {"t_s": 0.0, "kind": "rate_setpoint", "value": 100.0, "step": 1},
    {"t_s": 0.0, "kind": "depth_setpoint", "value": 0.75, "step": 2},
    {"t_s": 2.0, "kind": "rate_setpoint", "value": 150.0, "step": 4},
    {"t_s": 3.0, "kind": "depth_setpoint", "value": 1.0, "step": 6},
    {"t_s": 4.2, "kind": "brake_engaged", "step": 8},
    {"t_s": 4.6, "kind": "brake_released", "step": 9},
    {"t_s": 5.5, "kind": "power_off", "step": 10},
]
steps = [
    {"index": 0, "kind": "power", "line": 4, "start_s": 0.0, "end_s": 0.0},
    {"index": 1, "kind": "rate", "line": 5, "start_s": 0.0, "end_s": 0.0},
    {"index": 2, "kind": "depth", "line": 6, "start_s": 0.0, "end_s": 0.0},
    {"index": 3, "kind": "hold", "line": 7, "start_s": 0.0, "end_s": 2.0},
    {"index": 4, "kind": "step", "line": 8, "start_s": 2.0, "end_s": 2.0, "label": "rate 100 -> 150 Hz"},
    {"index": 5, "kind": "hold", "line": 9, "start_s": 2.0, "end_s": 3.0},
    {"index": 6, "kind": "depth", "line": 10, "start_s": 3.0, "end_s": 3.0},
    {"index": 7, "kind": "hold", "line": 11, "start_s": 3.0, "end_s": 4.2},
    {"index": 8, "kind": "stall", "line": 12, "start_s": 4.2, "end_s": 4.6},
    {"index": 9, "kind": "release", "line": 13, "start_s": 4.6, "end_s": 4.6},
    {"index": 10, "kind": "hold", "line": 14, "start_s": 4.6, "end_s": 5.5},
]
record = {
    "schema": "penrig.run-record/1",
    "run_id": "20251125T101500Z-NP200-A1234",
    "complete": True,
    "verdict": "ERROR",
    "verdict_reason": "1 measurement ERROR (force_level2: load cell saturated); 2 FAIL (overshoot1, depth_level2)",
    "started_utc": "2025-11-25T10:15:00.000Z",
    "ended_utc": "2025-11-25T10:15:05.612Z",
    "software": {"name": "penrig", "version": "0.1.0", "commit": "3d285b8c0ffee0000000000000000000deadbeef"},
    "host": "rig-pi4-02",
    "operator": {"name": "A. Example", "source": "--operator"},
    "dut": {"serial": "NP200-A1234", "lot": "L2025-47"},
    "tags": ["certification", "nightly"],
    "seed": 42,
    "scenario": text_file("scenarios/level-step-stall.yaml", scenario_text, id="level-step-stall", version="3",
                          title="Level, rate step, depth change and stall"),
    "spec": text_file("scenarios/specs/np200.yaml", spec_text, id="NP-200-spec", version="2.1", model="NeedlePro 200"),
    "fixture": text_file("fixtures/sim.yaml", fixture_text, name="sim-01", backend="sim"),
    "calibration": [
        {"instrument": "load_cell", "id": "LC-0042", "scale": 2.384e-7, "offset": -0.0123, "unit": "N",
         "date": "2025-03-31", "due": "2026-03-31", "reference": "M1 weight set W-7, cert 2291", "result": "pass",
         "performed_by": "B. Metrologist", "status": "valid"},
        {"instrument": "encoder", "id": "ENC-0007", "scale": 1e-6, "offset": 0.0, "unit": "m",
         "date": "2024-10-31", "due": "2025-10-31", "reference": "gauge block GB-1.000, cert 88", "result": "pass",
         "performed_by": "B. Metrologist", "status": "expired"},
        {"instrument": "current_sense", "id": "CS-0003", "scale": 1.5e-5, "offset": 0.0, "unit": "A",
         "date": "2025-06-01", "due": "2026-06-01", "reference": "Fluke 8846A, cert 5512", "result": "adjusted",
         "performed_by": "B. Metrologist", "status": "valid"},
    ],
    "measurements": meas,
    "timing": {"sample_rate_hz": 10000.0, "samples": 55000, "mean_period_us": 100.0, "missed_samples": 0,
               "late_samples": 9, "lateness_us": {"p50": 11.0, "p99": 182.0, "max": 412.0}, "budget_us": 200.0,
               "histogram": {"upper_us": [10, 20, 50, 100, 200, 500, 1000],
                             "counts": [26210, 24105, 4012, 591, 73, 9, 0, 0]},
               "outcome": "PASS"},
    "steps": steps,
    "events": events,
    "strokes": strokes,
    "samples": {"file": "samples.bin", "format": "penrig-samples/1", "count": 55000,
                "sha256": "0" * 64},
}
json.dump(record, open(sys.argv[1] if len(sys.argv) > 1 else "record_example.json", "w"), indent=1, sort_keys=True)

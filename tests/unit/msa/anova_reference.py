#!/usr/bin/env python3
"""Independent crossed/nested Gage R&R ANOVA with numpy and scipy.

Reads `design operators parts trials` on the first line, then the values in
(operator, part, trial) order, one per line; prints one line per ANOVA row
`source df ss ms p` and the variance components `var <name> <value>`.
Written from Montgomery, Design and Analysis of Experiments (8th ed.),
sections 13.3 (two-factor random model) and 14.1 (two-stage nested design),
with numpy arrays, independently of rig/msa.
"""
import sys

import numpy as np
from scipy import stats


def main() -> int:
    lines = sys.stdin.read().split()
    design, o, p, r = lines[0], int(lines[1]), int(lines[2]), int(lines[3])
    alpha = float(lines[4])
    y = np.array([float(v) for v in lines[5:]]).reshape(o, p, r)
    g = y.mean()
    cells = y.mean(axis=2)
    ss_t = ((y - g) ** 2).sum()
    ss_e = ((y - cells[:, :, None]) ** 2).sum()
    ss_o = p * r * ((y.mean(axis=(1, 2)) - g) ** 2).sum()
    df_o, df_e = o - 1, o * p * (r - 1)
    ms_e = ss_e / df_e
    out = []
    if design == "crossed":
        ss_p = o * r * ((y.mean(axis=(0, 2)) - g) ** 2).sum()
        ss_i = r * ((cells - g) ** 2).sum() - ss_o - ss_p
        df_p, df_i = p - 1, (o - 1) * (p - 1)
        ms_o, ms_p, ms_i = ss_o / df_o, ss_p / df_p, ss_i / df_i
        p_i = stats.f.sf(ms_i / ms_e, df_i, df_e)
        if p_i > alpha:
            ms_pool = (ss_i + ss_e) / (df_i + df_e)
            den, df_den = ms_pool, df_i + df_e
            s2_e, s2_i = ms_pool, 0.0
        else:
            den, df_den = ms_i, df_i
            s2_e, s2_i = ms_e, max(0.0, (ms_i - ms_e) / r)
        out += [("operator", df_o, ss_o, ms_o, stats.f.sf(ms_o / den, df_o, df_den)),
                ("part", df_p, ss_p, ms_p, stats.f.sf(ms_p / den, df_p, df_den)),
                ("operator*part", df_i, ss_i, ms_i, p_i)]
        s2_o = max(0.0, (ms_o - den) / (p * r))
        s2_p = max(0.0, (ms_p - den) / (o * r))
    else:
        ss_po = r * ((cells - g) ** 2).sum() - ss_o
        df_po = o * (p - 1)
        ms_o, ms_po = ss_o / df_o, ss_po / df_po
        out += [("operator", df_o, ss_o, ms_o, stats.f.sf(ms_o / ms_po, df_o, df_po)),
                ("part(operator)", df_po, ss_po, ms_po, stats.f.sf(ms_po / ms_e, df_po, df_e))]
        s2_e, s2_i = ms_e, 0.0
        s2_o = max(0.0, (ms_o - ms_po) / (p * r))
        s2_p = max(0.0, (ms_po - ms_e) / r)
    out.append(("repeatability", df_e, ss_e, ms_e, -1.0))
    for row in out:
        print("row %s %d %.17g %.17g %.17g" % row)
    for name, v in (("ev", s2_e), ("interaction", s2_i), ("op", s2_o), ("pv", s2_p)):
        print("var %s %.17g" % (name, v))
    return 0


if __name__ == "__main__":
    sys.exit(main())

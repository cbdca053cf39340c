#!/usr/bin/python3
"""The lab's Python/MNE analysis path, as a reference for tests and benchmarks.

Run with Debian's /usr/bin/python3 (python3-mne = MNE 1.3, numpy 1.24):

    reference_analysis.py session --data F.pkl --session K --channels 20,21,23,24 --out DIR [--jobs N]
    reference_analysis.py rat --data F.pkl --rat ID --channels 0,1 --out DIR
    (analysis options: --freq-range 3,8 --n-freqs 20 --n-cycles-factor 3 --window 1.0)

It does what the seed pipeline does: pickle.load the whole file, then per ROI channel
mne.time_frequency.tfr_array_morlet(..., output='power'), z-score each (channel, frequency) row,
average over the ROI, cut 1 s windows around NM events and average them per NM size (docs/method.md §3).
`--jobs N` runs the per-channel MNE calls in N worker processes (multiprocessing), as the seed's
first parallel attempt did. Outputs: freqs.npy, window_times.npy, nm_size_<s>_windows.npy,
nm_size_<s>_mean.npy and summary.json (with timings), in the same layout as eeg-parallel.

Files written by numpy 2.x (numpy._core.*) are read by mapping those module names onto
numpy 1.24's numpy.core; only test fixtures of our own are unpickled here.
"""
import argparse
import json
import os
import pickle
import sys
import time

import numpy as np


class _Numpy2Compat(pickle.Unpickler):
    def find_class(self, module, name):
        if module.startswith("numpy._core"):
            module = "numpy.core" + module[len("numpy._core"):]
        return super().find_class(module, name)


def load_sessions(path):
    with open(path, "rb") as f:
        return _Numpy2Compat(f).load()


def _channel_power(args):
    x, sfreq, freqs, n_cycles = args
    from mne.time_frequency import tfr_array_morlet

    return tfr_array_morlet(x[None, None], sfreq, freqs, n_cycles=n_cycles, zero_mean=True, output="power", verbose=False)[0, 0]


def analyze_session(s, channels, freq_range=(3.0, 8.0), n_freqs=20, factor=3.0, window=1.0, pool=None):
    sfreq = float(s.get("sfreq", 200.0))
    eeg = np.asarray(s["eeg"], dtype=np.float64)
    if eeg.ndim == 1:
        eeg = eeg[None]
    freqs = np.geomspace(freq_range[0], freq_range[1], n_freqs)
    n_cycles = np.maximum(3, freqs * factor)
    jobs = [(np.ascontiguousarray(eeg[c]), sfreq, freqs, n_cycles) for c in channels]
    power = np.stack(pool.map(_channel_power, jobs) if pool else [_channel_power(j) for j in jobs])
    mean = power.mean(axis=-1, keepdims=True)
    std = np.maximum(power.std(axis=-1, keepdims=True), 1e-12)
    roi = ((power - mean) / std).mean(axis=0)
    times = np.asarray(s["eeg_time"], dtype=np.float64).ravel()
    half = window / 2
    w = int(window * sfreq)
    by_size = {}
    for i, (t, size) in enumerate(zip(np.ravel(s["nm_peak_times"]), np.ravel(s["nm_sizes"]))):
        if t - half < times[0] or t + half > times[-1]:
            continue
        start = int(np.searchsorted(times, t - half, side="left"))
        if start + w > times.size:
            continue
        by_size.setdefault(float(size), []).append((i, roi[:, start : start + w]))
    return freqs, np.linspace(-half, half, w), {k: by_size[k] for k in sorted(by_size)}


def label(size):
    return str(int(size)) if float(size).is_integer() else str(size)


def save(out, freqs, window_times, sizes, summary):
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "freqs.npy"), freqs)
    np.save(os.path.join(out, "window_times.npy"), window_times)
    for size, windows in sizes.items():
        stack = np.stack([w for _, w in windows])
        np.save(os.path.join(out, f"nm_size_{label(size)}_windows.npy"), stack)
        np.save(os.path.join(out, f"nm_size_{label(size)}_mean.npy"), stack.mean(axis=0))
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["session", "rat"])
    p.add_argument("--data", required=True)
    p.add_argument("--session", type=int)
    p.add_argument("--rat")
    p.add_argument("--channels", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--freq-range", default="3,8")
    p.add_argument("--n-freqs", type=int, default=20)
    p.add_argument("--n-cycles-factor", type=float, default=3.0)
    p.add_argument("--window", type=float, default=1.0)
    a = p.parse_args(argv)
    params = dict(
        freq_range=tuple(float(x) for x in a.freq_range.split(",")),
        n_freqs=a.n_freqs,
        factor=a.n_cycles_factor,
        window=a.window,
    )
    channels = [int(c) for c in a.channels.split(",")]
    t0 = time.perf_counter()
    sessions = load_sessions(a.data)
    t_load = time.perf_counter() - t0
    pool = None
    if a.jobs > 1:
        import multiprocessing

        pool = multiprocessing.Pool(a.jobs)
    try:
        if a.mode == "session":
            freqs, wt, sizes = analyze_session(sessions[a.session], channels, pool=pool, **params)
            summary = {"sizes": {label(k): {"n_events": len(v), "valid_events": [i for i, _ in v]} for k, v in sizes.items()}}
        else:
            pooled, used = {}, {}
            freqs = wt = None
            for index, s in enumerate(sessions):
                if str(s["rat_id"]) != a.rat:
                    continue
                try:
                    eeg = np.asarray(s["eeg"])
                    if max(channels) >= eeg.shape[0] or not np.isfinite(eeg[channels]).all():
                        continue
                    freqs, wt, sizes = analyze_session(s, channels, pool=pool, **params)
                except ValueError:
                    continue
                for k, v in sizes.items():
                    pooled.setdefault(k, []).extend(v)
                    used.setdefault(k, []).append(index)
            sizes = {k: pooled[k] for k in sorted(pooled)}
            summary = {"sizes": {label(k): {"n_events": len(v), "sessions": used[k]} for k, v in sizes.items()}}
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    summary["timings"] = {"load_seconds": t_load, "total_seconds": time.perf_counter() - t0}
    save(a.out, freqs, wt, sizes, summary)


if __name__ == "__main__":
    main(sys.argv[1:])

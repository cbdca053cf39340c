#!/usr/bin/python3
"""A numpy + MNE reference of the lab's own analysis code (github.com/fylxo/EEG-near_mistakes).

Run with Debian's /usr/bin/python3 (python3-mne = MNE 1.3, numpy 1.24, scipy 1.10):

    lab_reference.py frequencies
        prints the lab's 61 analysis frequencies (comma-separated, exact doubles) after checking them
    lab_reference.py reference --data F.pkl --out DIR [--windows-rois frontal,motor] [--mean-rois NAMES|all]
                               [--freq-grid file|geomspace]
        the lab's computation on a lab-layout pickle (docs/method.md §2): every ROI of data/roi_map.json
        and every electrode e1..e32, NM and ITI events; theta for all, full-resolution per-event windows
        for --windows-rois and means for --mean-rois (default: the named ROIs), index.json
    lab_reference.py make-fixtures --out test/fixtures/lab
        writes the seeded 3 rats x 2 sessions input (lab_sessions.pkl.gz) and its reference outputs

Each step follows the lab's code, cited as (file: function) below; nothing of it is imported or
copied. The lab's pipeline for the published figures is src/core/nm_theta_cross_rats.py:
run_cross_rats_analysis -> process_single_rat_multi_session -> nm_theta_analyzer.run_analysis(mode
'multi', force_baseline_normalization) -> implementations/nm_theta_multi_session.py:
analyze_rat_multi_session_memory_efficient -> implementations/nm_theta_single_basic.py:
analyze_session_nm_theta_roi(use_baseline_normalization=True) for every session of the rat.

Per session, ROI and event kind (docs/method.md §8.1 `pre-event`, the corrected definition):
  Z_c[f, t] = (P_c[f, t] - mean_t P_c[f]) / max(std_t P_c[f], 1e-12)      each ROI channel c, whole session
  R_e       = mean_c Z_c[:, window of event e]                              (n_freqs, window_samples)
  b_e       = mean of R_e over the window samples with b0 <= time <= b1     (n_freqs,)
  m, s      = mean_e b_e, max(std_e b_e (ddof 0), 1e-12)                    per events kind and size
  Z_e       = (R_e - m) / s
Rat: all events of a size concatenated over the rat's sessions (file order), then their mean.
Cross-rat: the mean of the rats' means (rats in sorted string order); the lab then smooths it along
frequency (scipy.ndimage.gaussian_filter1d, sigma 0.8), written separately as mean_smoothed.

Output layout (all arrays float64, C order, numpy .npy v1): see write_outputs and index.json, whose
"files" list names every array with its level, session, rat, roi, events, size, quantity and shape.
"""
import argparse
import csv
import gzip
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_analysis import label, load_sessions  # noqa: E402
import write_lab_pickle  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The lab's fixed sampling rate: analyze_session_nm_theta_roi passes sfreq=200.0 to the transform and
# extract_nm_event_windows sets sfreq = 200.0 "for cross-rat consistency" whatever eeg_time says.
SFREQ = 200.0
# The published configuration (nm_theta_cross_rats.py __main__: freq_min 3, freq_max 7,
# freq_file_path data/config/frequencies.txt, window_duration 2.0; config/analysis_config.py:
# CYCLES_METHOD 'custom' = 5 cycles for every frequency, THETA_MIN_FREQ/THETA_MAX_FREQ 3/7).
FREQ_MIN, FREQ_MAX = 3.0, 7.0
N_CYCLES = 5.0
WINDOW_DURATION = 2.0
BASELINE = (-1.0, -0.5)     # analyze_session_nm_theta_roi -> compute_baseline_statistics(-1.0, -0.5)
THETA_BAND = (3.0, 7.0)     # AnalysisConfig.get_theta_range()
THETA_WINDOW = (-0.2, 0.0)  # export_session_theta_power_csv: time_mask (-0.2 <= t <= 0.0)
STD_FLOOR = 1e-12           # np.maximum(std, 1e-12) in compute_roi_theta_spectrogram and compute_baseline_statistics
SMOOTH_SIGMA = 0.8          # nm_theta_cross_rats.py aggregate_cross_rats_results
MIN_EVENTS = 3              # baseline_normalization.py compute_baseline_statistics: warns below 3 events
EXPECTED_FIRST, EXPECTED_LAST, EXPECTED_COUNT = 2.9797399044036865, 7.087055683135986, 61
EVENT_KINDS = ("nm", "iti")

# Fixture subset (docs in index.json "subset"): every 15th frequency row (both edge frequencies and
# three in the theta band) and every 8th window sample (13 in the baseline, 5 in the theta window).
SUBSET_FREQ_ROWS = list(range(0, 61, 15))
SUBSET_TIME_SAMPLES = list(range(0, 400, 8))


# ----------------------------------------------------------------------------- frequencies
def lab_frequency_file():
    """The 264 values of the lab's data/config/frequencies.txt, as its loader returns them.

    The file is numpy.savetxt of a float32 array 45 * 2**(-k/48), k = 0..263 (1-45 Hz, 48 per
    octave; '%.18e' lines, 4.500000000000000000e+01 down to 1.008832335472106934e+00), and
    nm_theta_cross_rats.py: load_frequencies_from_file reads each line with float(line).
    """
    values = (45.0 * 2.0 ** (-np.arange(264) / 48.0)).astype(np.float32)
    return np.array([float("%.18e" % v) for v in values.astype(np.float64)])


def get_frequencies(freq_min, freq_max, all_frequencies):
    """nm_theta_cross_rats.py: get_frequencies with a file: sort, keep [min, max] (both included),
    and add the nearest value below min and the nearest above max ("extends coverage")."""
    a = np.sort(all_frequencies)
    main = a[(a >= freq_min) & (a <= freq_max)]
    if main.size == 0:
        raise ValueError(f"no frequencies in {freq_min}-{freq_max} Hz")
    below, above = a[a < freq_min], a[a > freq_max]
    parts = ([below[-1:]] if below.size else []) + [main] + ([above[:1]] if above.size else [])
    return np.concatenate(parts)


def lab_frequencies():
    """The 61 frequencies (Hz), checked bit for bit against the values the lab's code prints."""
    freqs = get_frequencies(FREQ_MIN, FREQ_MAX, lab_frequency_file())
    assert freqs.size == EXPECTED_COUNT, freqs.size
    assert freqs[0] == EXPECTED_FIRST and freqs[-1] == EXPECTED_LAST, (freqs[0], freqs[-1])
    # Lines of the lab's file, as stored in its repository.
    for line in ("2.979739904403686523e+00", "5.625000000000000000e+00", "7.087055683135986328e+00",
                 "3.023081302642822266e+00", "6.985450267791748047e+00"):
        assert float(line) in freqs, line
    assert np.all(freqs == freqs.astype(np.float32).astype(np.float64)), "not float32 values"
    return freqs


def analysis_frequencies(grid):
    """`file`: the 61 file values (what eeg-parallel is given with --freqs). `geomspace`: what the
    lab's code actually transforms at: run_cross_rats_analysis passes only (freqs[0], freqs[-1],
    len(freqs)) down, and compute_roi_theta_spectrogram rebuilds np.geomspace(lo, hi, n)."""
    freqs = lab_frequencies()
    return freqs if grid == "file" else np.geomspace(freqs[0], freqs[-1], freqs.size)


# ----------------------------------------------------------------------------- electrodes
def load_roi_map(path=os.path.join(REPO, "data", "roi_map.json")):
    with open(path) as f:
        return {name: [int(e) for e in electrodes] for name, electrodes in json.load(f).items()}


def load_electrode_mappings(path=os.path.join(REPO, "data", "electrode_mappings.csv")):
    """rat id (str) -> electrode numbers per channel index; empty cells dropped, as
    electrode_utils.py: get_channel_indices_from_electrodes does (row[~pd.isna(row)].astype(int))."""
    with open(path, newline="") as f:
        return {row["rat_id"]: [int(float(row[k])) for k in row if k != "rat_id" and row[k] not in ("", "None")]
                for row in csv.DictReader(f)}


def roi_channels(rat_id, electrodes, mappings):
    """electrode_utils.py: get_channels -> get_channel_indices_from_electrodes: the 0-based channel
    indices whose electrode is in the ROI, in channel order."""
    row = mappings[str(rat_id)]
    return [i for i, e in enumerate(row) if e in electrodes]


def analysis_rois(roi_map):
    """The named ROIs, then every electrode as its own ROI 'e<N>' (the lab's per-electrode runs are
    the same pipeline with roi='<N>': nm_theta_analyzer.parse_roi_specification -> [N])."""
    rois = dict(roi_map)
    for e in range(1, 33):
        rois[f"e{e}"] = [e]
    return rois


# ----------------------------------------------------------------------------- session steps
def zscored_channel_power(x, freqs, n_cycles):
    """nm_theta_single_basic.py: compute_roi_theta_spectrogram, one channel: MNE power
    (tfr_array_morlet on (1, 1, n_times), output='power', zero_mean=True) z-scored per frequency
    over the whole session with the population std floored at 1e-12. Returns (z, mean, std, power)."""
    from mne.time_frequency import tfr_array_morlet

    power = tfr_array_morlet(x[np.newaxis, np.newaxis, :], sfreq=SFREQ, freqs=freqs, n_cycles=n_cycles,
                             output="power", zero_mean=True, verbose=False)[0, 0]
    mean = np.mean(power, axis=1)
    std = np.maximum(np.std(power, axis=1), STD_FLOOR)
    return (power - mean[:, np.newaxis]) / std[:, np.newaxis], mean, std, power


def extract_event_windows(power, times, event_times, event_sizes, window_duration):
    """nm_theta_single_basic.py: extract_nm_event_windows on one (n_freqs, n_times) array.

    Returns ({size: (windows (n_events, n_freqs, window_samples), valid event indices)},
    [(index, time, reason)] of dropped events, number of windows trimmed or edge-padded)."""
    half = window_duration / 2
    window_samples = int(window_duration * SFREQ)  # 200 Hz whatever the data's rate
    windows, valid, dropped, adjusted = {}, {}, [], 0
    for i, (t, size) in enumerate(zip(event_times, event_sizes)):
        start_time, end_time = t - half, t + half
        if not (start_time >= times[0] and end_time <= times[-1]):
            dropped.append((i, float(t), "outside recording bounds"))
            continue
        start = int(np.searchsorted(times, start_time))
        end = int(np.searchsorted(times, end_time))
        if not (end <= len(times) and start < end):
            dropped.append((i, float(t), "too close to recording end"))
            continue
        w = power[:, start:end]
        n = end - start
        if n != window_samples:  # an event on a sample time: 401 samples trimmed, or fewer edge-padded
            adjusted += 1
            if n > window_samples:
                a = (n - window_samples) // 2
                b = a + window_samples
                if b > n:
                    b = n
                    a = b - window_samples
                    if a < 0:
                        a, b = 0, min(window_samples, n)
                w = w[:, a:b]
            else:
                pad = window_samples - n
                w = np.pad(w, ((0, 0), (pad // 2, pad - pad // 2)), mode="edge")
        windows.setdefault(size, []).append(w)
        valid.setdefault(size, []).append(i)
    groups = {s: (np.array(windows[s]), valid[s]) for s in np.unique(event_sizes) if s in windows}
    return groups, dropped, adjusted


def baseline_normalize(windows, window_times, baseline):
    """baseline_normalization.py: compute_baseline_statistics + normalize_windows_baseline for one
    size: each event's mean over the baseline samples, their mean and floored std (ddof 0) across
    events, and (windows - m) / s. Returns (normalized, m, s, warnings)."""
    mask = (window_times >= baseline[0]) & (window_times <= baseline[1])
    idx = np.where(mask)[0]
    if idx.size == 0:
        raise ValueError(f"no time points in baseline period {baseline}")
    b = np.mean(windows[:, :, idx], axis=2)
    m = np.mean(b, axis=0)
    s = np.maximum(np.std(b, axis=0), STD_FLOOR)
    warnings = []
    if windows.shape[0] < MIN_EVENTS:
        warnings.append(f"only {windows.shape[0]} events (< {MIN_EVENTS}): statistics may be unstable")
    if s.min() < 1e-6:
        warnings.append(f"very small baseline variability (min std {s.min():.2e})")
    return (windows - m[np.newaxis, :, np.newaxis]) / s[np.newaxis, :, np.newaxis], m, s, warnings


def theta_of_events(windows, freqs, window_times):
    """nm_theta_single_basic.py: export_session_theta_power_csv: per event the mean over the theta
    frequencies, then over the theta window, then the mean over events."""
    fmask = (freqs >= THETA_BAND[0]) & (freqs <= THETA_BAND[1])
    tmask = (window_times >= THETA_WINDOW[0]) & (window_times <= THETA_WINDOW[1])
    per_event = np.mean(np.mean(windows[:, fmask, :], axis=1)[:, tmask], axis=1)
    return float(np.mean(per_event))


def theta_of_mean(mean, freqs, window_times):
    """nm_theta_power_plots.py: extract_theta_power on one (n_freqs, n_times) mean spectrogram."""
    return theta_of_events(mean[np.newaxis], freqs, window_times)


def analyze_session(session, rois, mappings, freqs, window_duration=WINDOW_DURATION, baseline=BASELINE):
    """nm_theta_single_basic.py: analyze_session_nm_theta_roi with use_baseline_normalization=True, for
    every ROI of `rois` and both event kinds; each channel's power is computed once (the same numbers
    as once per ROI). Returns {roi: {"channels", "electrodes", kind: {size: group}}} and the session
    facts; a group holds session_z (R_e), windows (Z_e), mean, session_z_mean, m, s, events, theta.
    An ROI the lab's function would raise on (no channel, a channel out of range, no NM event, no
    valid window) is left out and named in facts["failed_rois"], as the lab skips that session."""
    eeg = session["eeg"]
    times = np.asarray(session["eeg_time"]).flatten()
    n_cycles = np.full_like(freqs, N_CYCLES, dtype=float)  # AnalysisConfig.compute_n_cycles ('custom')
    window_samples = int(window_duration * SFREQ)
    window_times = np.linspace(-window_duration / 2, window_duration / 2, window_samples)
    rat = str(session["rat_id"])
    zpower = {}
    out = {}
    facts = {"dropped": {}, "adjusted_windows": 0, "warnings": [], "failed_rois": {}}
    for name, electrodes in rois.items():
        channels = roi_channels(rat, electrodes, mappings)
        if not channels:
            facts["failed_rois"][name] = "No valid channels found for ROI"
            continue
        if max(channels) >= eeg.shape[0]:
            facts["failed_rois"][name] = f"Invalid channel indices {[c for c in channels if c >= eeg.shape[0]]}"
            continue
        if np.asarray(session["nm_peak_times"]).size == 0:
            facts["failed_rois"][name] = "No NM events found in session"
            continue
        for c in channels:
            if c not in zpower:
                zpower[c] = zscored_channel_power(eeg[c, :], freqs, n_cycles)[0]
        entry = {"channels": channels, "electrodes": [mappings[rat][c] for c in channels]}
        for kind in EVENT_KINDS:
            ev_t = np.asarray(session[f"{kind}_peak_times"], dtype=np.float64).ravel()
            ev_s = np.asarray(session[f"{kind}_sizes"], dtype=np.float64).ravel()
            if ev_t.size == 0:
                continue
            # Windows cut from every ROI channel's z-scored power, then averaged over the channels
            # (analyze_session_nm_theta_roi, baseline branch: np.mean over the channel axis).
            per_channel = [extract_event_windows(zpower[c], times, ev_t, ev_s, window_duration) for c in channels]
            groups, dropped, adjusted = per_channel[0]  # the same events for every channel
            facts["dropped"][kind] = dropped
            facts["adjusted_windows"] = max(facts["adjusted_windows"], adjusted)
            by_size = {}
            for size in groups:
                roi_windows = np.mean(np.array([g[size][0] for g, _, _ in per_channel]), axis=0)
                normalized, m, s, warnings = baseline_normalize(roi_windows, window_times, baseline)
                facts["warnings"] += [f"{name} {kind} size {label(size)}: {w}" for w in warnings]
                by_size[float(size)] = {
                    "session_z": roi_windows, "windows": normalized,
                    "mean": np.mean(normalized, axis=0), "session_z_mean": np.mean(roi_windows, axis=0),
                    "m": m, "s": s, "events": groups[size][1],
                    "theta": theta_of_events(normalized, freqs, window_times),
                }
            entry[kind] = by_size
        if not entry.get("nm"):
            facts["failed_rois"][name] = "No valid NM event windows extracted from any channel"
            continue
        out[name] = entry
    facts["times"] = times
    facts["window_times"] = window_times
    return out, facts


# ----------------------------------------------------------------------------- rat and cross-rat
def pool_rat(session_results, freqs, window_times):
    """nm_theta_multi_session.py: average_session_results: per ROI, kind and size, the windows of the
    rat's sessions (file order) concatenated, their mean, n_events and the contributing sessions.
    session_results: [(session index, analyze_session result)] of one rat."""
    out = {}
    for name in dict.fromkeys(n for _, r in session_results for n in r):
        entry = {}
        for kind in EVENT_KINDS:
            sizes = sorted({s for _, r in session_results for s in r.get(name, {}).get(kind, {})})
            groups = {}
            for size in sizes:
                parts = [(k, r[name][kind][size]["windows"]) for k, r in session_results if size in r.get(name, {}).get(kind, {})]
                windows = np.concatenate([w for _, w in parts], axis=0)
                mean = np.mean(windows, axis=0)
                groups[size] = {"windows": windows, "mean": mean, "n_events": windows.shape[0],
                                "sessions": [k for k, _ in parts], "theta": theta_of_mean(mean, freqs, window_times)}
            entry[kind] = groups
        out[name] = entry
    return out


def cross_rat(rat_results, freqs, window_times):
    """nm_theta_cross_rats.py: aggregate_cross_rats_results (mean over rats of the rats' means, then
    gaussian_filter1d sigma 0.8 along frequency) and nm_theta_power_plots.py: create_theta_power_plots
    (theta: mean and SE (ddof 1) over the rats' theta of their unsmoothed means)."""
    from scipy.ndimage import gaussian_filter1d

    rats = sorted(rat_results)  # discover_rat_ids: sorted(str(rat_id))
    out = {}
    for name in dict.fromkeys(n for r in rats for n in rat_results[r]):
        entry = {}
        for kind in EVENT_KINDS:
            sizes = sorted({s for r in rats for s in rat_results[r].get(name, {}).get(kind, {})})
            groups = {}
            for size in sizes:
                having = [r for r in rats if size in rat_results[r].get(name, {}).get(kind, {})]
                mean = np.mean(np.array([rat_results[r][name][kind][size]["mean"] for r in having]), axis=0)
                thetas = [rat_results[r][name][kind][size]["theta"] for r in having]
                groups[size] = {
                    "mean": mean, "mean_smoothed": gaussian_filter1d(mean, sigma=SMOOTH_SIGMA, axis=0),
                    "rats": having, "n_events": sum(rat_results[r][name][kind][size]["n_events"] for r in having),
                    "theta": float(np.mean(thetas)),
                    "theta_se": float(np.std(thetas, ddof=1) / np.sqrt(len(thetas))) if len(thetas) > 1 else None,
                    "theta_of_mean": theta_of_mean(mean, freqs, window_times),
                }
            entry[kind] = groups
        out[name] = entry
    return out


# ----------------------------------------------------------------------------- self-checks
def check_close(what, ours, ref, tol=1e-12):
    scale = max(float(np.max(np.abs(ref))), 1e-300)
    err = float(np.max(np.abs(np.asarray(ours) - np.asarray(ref))))
    if not err <= tol * scale:
        raise AssertionError(f"{what}: max|diff| {err:.3e} > {tol:g} * {scale:.3e}")
    return err / scale


def morlet_direct(freq, n_cycles, sfreq):
    """docs/method.md §3.2, written out independently of MNE (zero_mean=True)."""
    sigma_t = n_cycles / (2.0 * np.pi * freq)
    m = len(np.arange(0, 5.0 * sigma_t, 1.0 / sfreq))
    t = np.arange(-(m - 1), m) / sfreq
    osc = np.exp(2j * np.pi * freq * t) - np.exp(-2.0 * (np.pi * freq * sigma_t) ** 2)
    w = osc * np.exp(-t ** 2 / (2.0 * sigma_t ** 2))
    return w / (np.sqrt(0.5) * np.linalg.norm(w))


def self_check_session(session, result, facts, freqs, rois, mappings, roi="frontal", rows=(0, 30, 60)):
    """The session-z and pre-event steps recomputed with explicit loops from the definitions in the
    module docstring (eeg-parallel's window rule: start = first sample time >= t - half) on freshly
    computed power, plus MNE's power checked against a direct convolution. Returns the worst relative
    differences."""
    report = {}
    times, wt = facts["times"], facts["window_times"]
    channels = roi_channels(session["rat_id"], rois[roi], mappings)
    n_cycles = np.full_like(freqs, N_CYCLES, dtype=float)
    power = {c: zscored_channel_power(np.asarray(session["eeg"][c, :], dtype=np.float64), freqs, n_cycles)[3] for c in channels}
    c0, f0 = channels[0], rows[1]
    x = np.asarray(session["eeg"][c0, :], dtype=np.float64)
    direct = np.abs(np.convolve(x, morlet_direct(freqs[f0], N_CYCLES, SFREQ), mode="same")) ** 2
    report["power_vs_direct_convolution"] = check_close("MNE power vs direct convolution", power[c0][f0], direct, 1e-9)
    n = times.size
    half = WINDOW_DURATION / 2
    ws = int(WINDOW_DURATION * SFREQ)
    stats = {}
    for c in channels:
        for f in rows:
            p = power[c][f]
            mu = math.fsum(p) / n
            stats[c, f] = (mu, max(math.sqrt(math.fsum((v - mu) ** 2 for v in p) / n), STD_FLOOR))
    base = [j for j in range(ws) if BASELINE[0] <= wt[j] <= BASELINE[1]]
    worst_z = worst_pre = 0.0
    for kind in EVENT_KINDS:
        ev_t = np.asarray(session[f"{kind}_peak_times"], dtype=np.float64).ravel()
        for size, g in result[roi][kind].items():
            starts = [next(i for i in range(n) if times[i] >= ev_t[e] - half) for e in g["events"]]
            loops = np.zeros((len(starts), len(rows), ws))
            for r, f in enumerate(rows):
                for k, start in enumerate(starts):
                    for j in range(ws):
                        loops[k, r, j] = math.fsum((power[c][f][start + j] - stats[c, f][0]) / stats[c, f][1] for c in channels) / len(channels)
            worst_z = max(worst_z, check_close(f"session-z loops {kind} {size}", loops, g["session_z"][:, list(rows), :], 1e-10))
            for r in range(len(rows)):
                b = [math.fsum(loops[k, r, j] for j in base) / len(base) for k in range(len(starts))]
                m = math.fsum(b) / len(b)
                s = max(math.sqrt(math.fsum((v - m) ** 2 for v in b) / len(b)), STD_FLOOR)
                worst_pre = max(worst_pre, check_close(f"pre-event loops {kind} {size}", (loops[:, r, :] - m) / s,
                                                       g["windows"][:, rows[r], :], 1e-9))
    report["session_z_loops"] = worst_z
    report["pre_event_loops"] = worst_pre
    return report


def self_check_aggregates(session_results, rat_results, cross, freqs, wt):
    """Theta the lab's way against M[ix_(band, window)].mean(); a rat's mean against the
    event-weighted mean of its session means; the cross-rat mean against the rats' means.
    session_results: [(session index, rat id, result)]."""
    fmask = (freqs >= THETA_BAND[0]) & (freqs <= THETA_BAND[1])
    tmask = (wt >= THETA_WINDOW[0]) & (wt <= THETA_WINDOW[1])
    assert int(fmask.sum()) == 59 and int(tmask.sum()) == 40, (fmask.sum(), tmask.sum())
    worst_theta = worst_pool = worst_cross = 0.0
    for _, _, r in session_results:
        for entry in r.values():
            for kind in EVENT_KINDS:
                for g in entry.get(kind, {}).values():
                    worst_theta = max(worst_theta, check_close("theta", g["theta"], g["mean"][np.ix_(fmask, tmask)].mean(), 1e-12))
    for rat, rr in rat_results.items():
        mine = [r for _, rid, r in session_results if rid == rat]
        for roi in rr:
            for kind in EVENT_KINDS:
                for size, g in rr[roi][kind].items():
                    parts = [r[roi][kind][size] for r in mine if size in r.get(roi, {}).get(kind, {})]
                    weighted = sum(p["mean"] * p["windows"].shape[0] for p in parts) / sum(p["windows"].shape[0] for p in parts)
                    worst_pool = max(worst_pool, check_close("rat pooling", g["mean"], weighted, 1e-12))
    for roi in cross:
        for kind in EVENT_KINDS:
            for size, g in cross[roi][kind].items():
                ref = sum(rat_results[r][roi][kind][size]["mean"] for r in g["rats"]) / len(g["rats"])
                worst_cross = max(worst_cross, check_close("cross-rat mean", g["mean"], ref, 1e-12))
    return {"theta_vs_ix_mean": worst_theta, "rat_mean_vs_weighted_session_means": worst_pool,
            "cross_rat_mean_vs_rat_means": worst_cross}


# ----------------------------------------------------------------------------- run and write
def run_reference(sessions, freqs):
    """Every session, then each rat's pooled result and the cross-rat means, then the self-checks."""
    mappings = load_electrode_mappings()
    rois = analysis_rois(load_roi_map())
    session_results, session_facts = [], []
    for k, s in enumerate(sessions):
        result, facts = analyze_session(s, rois, mappings, freqs)
        session_results.append((k, str(s["rat_id"]), result))
        session_facts.append(facts)
        print(f"session {k} (rat {s['rat_id']}, {s['session_date']}): {len(result)} ROIs", file=sys.stderr)
    wt = session_facts[0]["window_times"]
    rats = {}
    for k, rat, r in session_results:
        rats.setdefault(rat, []).append((k, r))
    rat_results = {rat: pool_rat(parts, freqs, wt) for rat, parts in rats.items()}
    cross = cross_rat(rat_results, freqs, wt)
    checks = self_check_aggregates(session_results, rat_results, cross, freqs, wt)
    checks.update(self_check_session(sessions[0], session_results[0][2], session_facts[0], freqs, rois, mappings))
    return {"rois": rois, "mappings": mappings, "sessions": [(k, r) for k, _, r in session_results],
            "facts": session_facts, "rats": rat_results, "cross": cross, "window_times": wt, "checks": checks}


def save_npy(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, np.ascontiguousarray(array, dtype=np.float64))


SIZES = (1.0, 2.0, 3.0)


def write_outputs(out, sessions, ref, freqs, selection, subset):
    """Arrays under out/: session_<k>/, rat_<id>/ and cross_rat/, each roi_<name>/<events>_size_<s>_<quantity>.npy
    (quantities: windows, session_z_windows, mean, session_z_mean, baseline = [m; s] (2, n_freqs),
    mean_smoothed), for the ROIs `selection` names: {"mean": rois (every level), "session_z_mean":
    rois (session level, also baseline), "windows": rois, "windows_sessions": session indices or
    None for all}; and theta_<level>.npy /
    n_events_<level>.npy for every ROI and electrode, shape (..., n_rois, 2 event kinds, 3 sizes),
    NaN / 0 where a group is missing. `subset` = (freq rows, time samples) or None (full arrays).
    Returns the file records and the theta tables' axes for index.json."""
    files = []
    cut = (lambda a: a[..., subset[0], :][..., subset[1]]) if subset else (lambda a: a)

    def put(rel, array, quantity, **meta):
        save_npy(os.path.join(out, rel), array)
        files.append(dict(file=rel, quantity=quantity, **meta, shape=list(array.shape),
                          subset=bool(subset) and quantity != "baseline"))

    def wanted(quantity, roi, session=None):
        chosen = selection.get("windows_sessions")
        return roi in selection[quantity] and (session is None or chosen is None or session in chosen)

    roi_names = list(ref["rois"])
    rats = sorted(ref["rats"])
    tables = {"session": np.full((len(sessions), len(roi_names), 2, 3), np.nan),
              "rat": np.full((len(rats), len(roi_names), 2, 3), np.nan),
              "cross_rat": np.full((len(roi_names), 2, 3), np.nan)}
    counts = {level: np.zeros(t.shape) for level, t in tables.items()}

    def note(level, where, roi, kind, size, g, n_events):
        at = (*where, roi_names.index(roi), EVENT_KINDS.index(kind), SIZES.index(size))
        tables[level][at], counts[level][at] = g["theta"], n_events

    for k, r in ref["sessions"]:
        rat = str(sessions[k]["rat_id"])
        for roi, entry in r.items():
            for kind in EVENT_KINDS:
                for size, g in entry.get(kind, {}).items():
                    note("session", (k,), roi, kind, size, g, len(g["events"]))
                    meta = dict(level="session", session=k, rat=rat, roi=roi, events=kind, size=size, n_events=len(g["events"]))
                    base = f"session_{k}/roi_{roi}/{kind}_size_{label(size)}"
                    if wanted("mean", roi):
                        put(f"{base}_mean.npy", cut(g["mean"]), "mean", normalize="pre-event", **meta)
                    if wanted("session_z_mean", roi):
                        put(f"{base}_session_z_mean.npy", cut(g["session_z_mean"]), "session_z_mean", normalize="session-z", **meta)
                        put(f"{base}_baseline.npy", np.stack([g["m"], g["s"]]), "baseline", normalize="pre-event", **meta)
                    if wanted("windows", roi, k):
                        put(f"{base}_windows.npy", cut(g["windows"]), "windows", normalize="pre-event", **meta)
                        put(f"{base}_session_z_windows.npy", cut(g["session_z"]), "session_z_windows", normalize="session-z", **meta)
    for i, rat in enumerate(rats):
        for roi, entry in ref["rats"][rat].items():
            for kind in EVENT_KINDS:
                for size, g in entry[kind].items():
                    note("rat", (i,), roi, kind, size, g, g["n_events"])
                    if wanted("mean", roi):
                        put(f"rat_{rat}/roi_{roi}/{kind}_size_{label(size)}_mean.npy", cut(g["mean"]), "mean", normalize="pre-event",
                            level="rat", rat=rat, roi=roi, events=kind, size=size, n_events=g["n_events"], sessions=g["sessions"])
    for roi, entry in ref["cross"].items():
        for kind in EVENT_KINDS:
            for size, g in entry[kind].items():
                note("cross_rat", (), roi, kind, size, g, g["n_events"])
                if wanted("mean", roi):
                    meta = dict(level="cross_rat", roi=roi, events=kind, size=size, n_events=g["n_events"], rats=g["rats"])
                    base = f"cross_rat/roi_{roi}/{kind}_size_{label(size)}"
                    put(f"{base}_mean.npy", cut(g["mean"]), "mean", normalize="pre-event", **meta)
                    put(f"{base}_mean_smoothed.npy", cut(g["mean_smoothed"]), "mean_smoothed", normalize="pre-event", **meta)
    save_npy(os.path.join(out, "freqs.npy"), freqs)
    save_npy(os.path.join(out, "window_times.npy"), ref["window_times"])
    axes_tail = [roi_names, list(EVENT_KINDS), [int(x) for x in SIZES]]
    theta = {}
    for level, table in tables.items():
        save_npy(os.path.join(out, f"theta_{level}.npy"), table)
        save_npy(os.path.join(out, f"n_events_{level}.npy"), counts[level])
        lead = {"session": [list(range(len(sessions)))], "rat": [rats], "cross_rat": []}[level]
        theta[level] = {"theta_file": f"theta_{level}.npy", "n_events_file": f"n_events_{level}.npy",
                        "shape": list(table.shape), "axes": lead + axes_tail}
    theta["cross_rat"]["theta_se_file"] = "theta_se_cross_rat.npy"
    se = np.full(tables["cross_rat"].shape, np.nan)
    for roi, entry in ref["cross"].items():
        for kind in EVENT_KINDS:
            for size, g in entry[kind].items():
                if g["theta_se"] is not None:
                    se[roi_names.index(roi), EVENT_KINDS.index(kind), SIZES.index(size)] = g["theta_se"]
    save_npy(os.path.join(out, "theta_se_cross_rat.npy"), se)
    return files, theta


def session_summaries(sessions, ref):
    out = []
    for k, s in enumerate(sessions):
        facts = ref["facts"][k]
        r = dict(ref["sessions"])[k]
        any_roi = next(iter(r.values()))
        out.append({
            "index": k, "rat_id": str(s["rat_id"]), "session_date": str(s["session_date"]),
            "eeg_shape": list(np.asarray(s["eeg"]).shape),
            "nm_peak_times": [float(v) for v in np.ravel(s["nm_peak_times"])], "nm_sizes": [float(v) for v in np.ravel(s["nm_sizes"])],
            "iti_peak_times": [float(v) for v in np.ravel(s["iti_peak_times"])], "iti_sizes": [float(v) for v in np.ravel(s["iti_sizes"])],
            "groups": {kind: {label(size): {"n_events": len(g["events"]), "event_indices": [int(i) for i in g["events"]]}
                              for size, g in any_roi.get(kind, {}).items()} for kind in EVENT_KINDS},
            "dropped_events": {kind: [{"index": i, "time": t, "reason": why} for i, t, why in facts["dropped"].get(kind, [])] for kind in EVENT_KINDS},
            "adjusted_windows": facts["adjusted_windows"], "warnings": facts["warnings"], "failed_rois": facts["failed_rois"],
        })
    return out


def parameters(freqs, grid):
    return {
        "sfreq": SFREQ, "freq_grid": grid, "freqs_file": "freqs.npy", "n_freqs": int(freqs.size),
        "freqs": [float(f) for f in freqs],
        "freqs_source": "get_frequencies(3, 7, data/config/frequencies.txt): float32(45*2**(-k/48)), k=0..263, values in [3,7] "
                        "plus the nearest below 3 and above 7" + ("" if grid == "file" else "; then np.geomspace(first, last, 61)"),
        "n_cycles": N_CYCLES, "zero_mean": True, "output": "power",
        "window_duration": WINDOW_DURATION, "window_samples": int(WINDOW_DURATION * SFREQ),
        "window_times": "window_times.npy = np.linspace(-1, 1, 400)",
        "normalize": "pre-event", "baseline": list(BASELINE), "std_floor": STD_FLOOR,
        "theta_band": list(THETA_BAND), "theta_window": list(THETA_WINDOW),
        "cross_rat_smoothing": {"function": "scipy.ndimage.gaussian_filter1d", "sigma": SMOOTH_SIGMA, "axis": "frequency"},
        "events": list(EVENT_KINDS),
    }


def write_index(out, index):
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)


def reference_main(a):
    freqs = analysis_frequencies(a.freq_grid)
    sessions = load_sessions(a.data)
    ref = run_reference(sessions, freqs)
    mean_rois = list(ref["rois"]) if a.mean_rois == "all" else a.mean_rois.split(",")
    selection = {"mean": mean_rois, "session_z_mean": mean_rois, "windows": a.windows_rois.split(","), "windows_sessions": None}
    files, theta = write_outputs(a.out, sessions, ref, freqs, selection, None)
    write_index(a.out, {
        "generator": "scripts/lab_reference.py reference", "data": os.path.abspath(a.data),
        "parameters": parameters(freqs, a.freq_grid), "rois": rois_summary(ref, sessions),
        "sessions": session_summaries(sessions, ref), "self_checks": ref["checks"], "files": files, "theta": theta,
    })


def rois_summary(ref, sessions):
    rats = sorted({str(s["rat_id"]) for s in sessions})
    return {name: {"electrodes": electrodes, "channels": {r: roi_channels(r, electrodes, ref["mappings"]) for r in rats}}
            for name, electrodes in ref["rois"].items()}


# ----------------------------------------------------------------------------- fixture input
FIXTURE_RATS = [("9151", ("070419", "080419")), ("10501", ("110419", "120419")), ("442", ("150419", "160419"))]
FIXTURE_SECONDS = 60.0
FIXTURE_SEED = 20240607
FLAT = (5, 4)  # (session index, electrode): a flat (all-zero) channel, electrode 4 of ROI ss


def fixture_events(rs, n_times, per_size, avoid=()):
    """Event times off the 200 Hz sample grid (a quarter to three quarters of a sample past one, so
    t - 1 and t + 1 are too), at least 1.3 s from the ends, sizes 1, 2, 3 with `per_size` each."""
    t_end = (n_times - 1) / SFREQ
    times = []
    while len(times) < 3 * per_size:
        t = (rs.randint(int(1.3 * SFREQ), int((t_end - 1.3) * SFREQ)) + rs.uniform(0.25, 0.75)) / SFREQ
        if all(abs(t - u) > 0.5 for u in list(times) + list(avoid)):
            times.append(t)
    sizes = np.repeat([1.0, 2.0, 3.0], per_size)
    rs.shuffle(sizes)
    order = np.argsort(times)
    return np.array(times)[order], sizes[order]


def fixture_session(rs, rat_index, session_index, roi_map, mappings, rat):
    """One seeded 32-channel session: per channel a gain, 4 and 8 Hz rhythms, red noise; 6 Hz bursts
    around each NM event growing with size, strongest on frontal channels (weaker after ITI events);
    quantised to 1/128 (like ADC counts) so the gzip of the pickle stays small."""
    from scipy.signal import lfilter

    n = int(FIXTURE_SECONDS * SFREQ)
    t = np.arange(n) / SFREQ
    nm_t, nm_s = fixture_events(rs, n, 4)
    iti_t, iti_s = fixture_events(rs, n, 3, avoid=nm_t)
    if session_index == 0 and rat_index == 0:  # one NM event starting before the recording: dropped
        nm_t, nm_s = np.concatenate([[0.6 + 0.37 / SFREQ], nm_t]), np.concatenate([[2.0], nm_s])
    if session_index == 1 and rat_index == 0:  # one ITI event ending after the recording: dropped
        iti_t, iti_s = np.concatenate([iti_t, [(n - 1) / SFREQ - 0.4 + 0.41 / SFREQ]]), np.concatenate([iti_s, [1.0]])
    frontal = set(roi_channels(rat, roi_map["frontal"], mappings))
    motor = set(roi_channels(rat, roi_map["motor"], mappings))
    eeg = np.empty((32, n))
    for c in range(32):
        gain = math.exp(rs.normal(0.0, 0.5))
        ph = rs.uniform(0, 2 * np.pi, 2)
        red = lfilter([1.0], [1.0, -0.9], rs.standard_normal(n)) * 0.15
        eeg[c] = gain * (0.4 * np.sin(2 * np.pi * 4.0 * t + ph[0]) + 0.25 * np.sin(2 * np.pi * 8.0 * t + ph[1]) + red)
        reach = 1.0 if c in frontal else 0.5 if c in motor else 0.15
        burst_gain = reach * gain * rs.uniform(0.7, 1.3)
        for times, sizes, scale in ((nm_t, nm_s, 0.35), (iti_t, iti_s, 0.08)):
            for te, se in zip(times, sizes):
                eeg[c] += burst_gain * scale * se * np.sin(2 * np.pi * 6.0 * (t - te)) * np.exp(-((t - te - 0.05) ** 2) / (2 * 0.12 ** 2))
    eeg = np.round(eeg * 128.0) / 128.0
    return eeg, t, nm_t, nm_s, iti_t, iti_s


def write_fixture_pickle(path_pkl):
    """Seeded session directories, pickled by scripts/write_lab_pickle.py (the lab's layout)."""
    rs = np.random.RandomState(FIXTURE_SEED)
    roi_map, mappings = load_roi_map(), load_electrode_mappings()
    tmp = tempfile.mkdtemp(prefix="lab-fixture-")
    try:
        dirs = []
        k = 0
        for r, (rat, dates) in enumerate(FIXTURE_RATS):
            for j, date in enumerate(dates):
                eeg, t, nm_t, nm_s, iti_t, iti_s = fixture_session(rs, r, j, roi_map, mappings, rat)
                if k == FLAT[0]:
                    eeg[roi_channels(rat, [FLAT[1]], mappings)[0]] = 0.0
                d = os.path.join(tmp, f"s{k}")
                os.makedirs(d)
                for name, a in (("eeg", eeg), ("eeg_time", t), ("nm_peak_times", nm_t), ("nm_sizes", nm_s),
                                ("iti_peak_times", iti_t), ("iti_sizes", iti_s)):
                    np.save(os.path.join(d, f"{name}.npy"), a)
                with open(os.path.join(d, "meta.json"), "w") as f:
                    json.dump({"rat_id": rat, "session_date": date}, f)
                dirs.append(d)
                k += 1
        write_lab_pickle.main([path_pkl, *dirs])
    finally:
        shutil.rmtree(tmp)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def make_fixtures_main(a):
    out = a.out
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    pkl = os.path.join(tempfile.mkdtemp(prefix="lab-fixture-"), "lab_sessions.pkl")
    write_fixture_pickle(pkl)
    gz = os.path.join(out, "lab_sessions.pkl.gz")
    with open(pkl, "rb") as src, open(gz, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as dst:
            shutil.copyfileobj(src, dst)
    # The grid the lab's code transforms at (what --preset lab-report analyses).
    freqs = analysis_frequencies("geomspace")
    sessions = load_sessions(pkl)
    ref = run_reference(sessions, freqs)
    selection = {"mean": list(load_roi_map()) + ["e2", "e4"], "session_z_mean": ["frontal", "motor"],
                 "windows": ["frontal", "motor", "e2"], "windows_sessions": [0]}
    files, theta = write_outputs(out, sessions, ref, freqs, selection, (SUBSET_FREQ_ROWS, SUBSET_TIME_SAMPLES))
    write_index(out, {
        "generator": "scripts/lab_reference.py make-fixtures",
        "rerun": "/usr/bin/python3 scripts/lab_reference.py make-fixtures --out test/fixtures/lab",
        "versions": versions(),
        "data": {"file": "lab_sessions.pkl.gz", "gzip": True, "sha256_gz": sha256(gz), "sha256_pkl": sha256(pkl),
                 "pkl_bytes": os.path.getsize(pkl), "layout": "docs/method.md §2.1 (scripts/write_lab_pickle.py)",
                 "description": f"{len(FIXTURE_RATS)} rats x 2 sessions, 32 channels, {FIXTURE_SECONDS:g} s at 200 Hz, seed {FIXTURE_SEED}; "
                                "NM: 4 events per size, ITI: 3 per size, every event time off the sample grid; session 0 has one "
                                "NM event starting before the recording, session 1 one ITI event ending after it (both dropped); "
                                f"session {FLAT[0]} has electrode {FLAT[1]} flat (all zeros)"},
        "parameters": parameters(freqs, "geomspace"),
        "subset": {"freq_rows": SUBSET_FREQ_ROWS, "time_samples": SUBSET_TIME_SAMPLES,
                   "meaning": "arrays with subset=true hold a[..., freq_rows, :][..., time_samples] of the full "
                              "(..., 61, 400) array; baseline arrays (2, 61) = [m; s] are full"},
        "rois": rois_summary(ref, sessions), "sessions": session_summaries(sessions, ref),
        "self_checks": ref["checks"],
        "files": files, "theta": theta,
    })
    os.remove(pkl)
    os.rmdir(os.path.dirname(pkl))
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs)
    print(f"{out}: {len(files)} arrays, {total / 1e6:.2f} MB; self-checks {ref['checks']}", file=sys.stderr)


def versions():
    import mne
    import scipy

    return {"mne": mne.__version__, "numpy": np.__version__, "scipy": scipy.__version__, "python": sys.version.split()[0]}


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    fq = sub.add_parser("frequencies", help="the 61 values, comma-separated; --lines: one per line with a header (data/lab_frequencies.txt)")
    fq.add_argument("--freq-grid", choices=["file", "geomspace"], default="file")
    fq.add_argument("--lines", action="store_true")
    r = sub.add_parser("reference")
    r.add_argument("--data", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--windows-rois", default="frontal,motor")
    r.add_argument("--mean-rois", default=",".join(load_roi_map()), help="ROIs and electrodes (e<N>) whose means are written, or all")
    r.add_argument("--freq-grid", choices=["file", "geomspace"], default="file")
    m = sub.add_parser("make-fixtures")
    m.add_argument("--out", required=True)
    a = p.parse_args(argv)
    if a.command == "frequencies":
        freqs = analysis_frequencies(a.freq_grid)
        if a.lines:
            print("# The frequencies (Hz) the lab's code analyses for theta 3-7 Hz: np.geomspace between the first and last")
            print("# of get_frequencies(3, 7, frequencies.txt) (float32(45*2**(-k/48)), k = 0..263: in [3, 7], plus the")
            print("# nearest below and above), 61 values. Written by: /usr/bin/python3 scripts/lab_reference.py frequencies")
            print("# --freq-grid geomspace --lines > data/lab_frequencies.txt (numpy 1.24); read by --preset lab-report.")
            print("\n".join(repr(float(f)) for f in freqs))
        else:
            print(",".join(repr(float(f)) for f in freqs))
    elif a.command == "reference":
        reference_main(a)
    else:
        make_fixtures_main(a)


if __name__ == "__main__":
    main(sys.argv[1:])

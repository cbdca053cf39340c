#!/usr/bin/python3
"""Golden fixtures from MNE-Python 1.3 for eeg-parallel (docs/method.md §2–3).

How to rerun
------------
    /usr/bin/python3 scripts/make_mne_fixtures.py test/fixtures/mne
    (also: npm run fixtures:mne)

Use Debian's /usr/bin/python3 (MNE 1.3.0, numpy 1.24, scipy), never the `python3` found on PATH.
The output directory given as argv[1] is DELETED and rewritten. Everything is deterministic: all
random data comes from `np.random.default_rng(<fixed seed>)`, so a rerun with the same
numpy/scipy/MNE gives the same bytes (up to FFT-library rounding if scipy changes).

File conventions
----------------
* every .npy is float64, little-endian, C order -- except `session/fortran_unsorted_roi_missing_size2/eeg.npy`,
  which is saved Fortran-ordered on purpose (np.save writes fortran_order: True);
* no complex .npy: complex wavelets are stored as (L, 2) float64 [real, imag];
* JSON is written with json.dump(indent=1); Python floats are written with repr, so they round-trip exactly.

Layout (<out> = argv[1])
------------------------
<out>/README.json                       generator versions and the list of cases with one-line descriptions.

1. <out>/tfr/<case>/  -- raw Morlet power, MNE `tfr_array_morlet(x[None], sfreq, freqs, n_cycles, zero_mean,
   output='power')[0]` (or, when MNE refuses because the signal is shorter than the FIRST wavelet, the
   equivalent `cwt(x, morlet(...), use_fft=True, mode='same')` then `(c * c.conj()).real`; the script
   asserts on a long case that both routes agree to 1e-12 relative).
     input.npy     (n_channels, n_times)         the signal
     freqs.npy     (n_freqs,)                     frequencies in the order passed to MNE
     n_cycles.npy  (n_freqs,)                     per-frequency cycles actually used
     power.npy     (n_channels, n_freqs, n_times)
     params.json   {sfreq, freqs, n_cycles (scalar or list, as passed to MNE), zero_mean, n_times,
                    n_channels, mne_call, note, [n_cycles_factor: when n_cycles = max(3, freqs*factor)],
                    max_wavelet_length, first_wavelet_length}
   Cases (see TFR_CASES below for the exact parameters):
     sf200_default_rule_3to8_n20       defaults (docs/method.md §3.1): geomspace(3,8,20), n_cycles=max(3,3f), zero_mean, even n_times
     sf200_odd_ntimes_fixed7_nozm      odd n_times 601, fixed n_cycles 7, zero_mean False, 4-40 Hz
     sf200_shorter_than_wavelet        n_times 301 < longest wavelet (cwt route)
     sf200_ntimes_1                    n_times = 1 (cwt route)
     sf200_ntimes_2                    n_times = 2, per-frequency n_cycles (cwt route)
     sf250_fixed2p5_geom1to45_40freqs  40 freqs 1-45 Hz, n_cycles 2.5, n_times 200 shorter than the low wavelets
     sf250_fixed3_geom2to45_20freqs    20 freqs 2-45 Hz, n_cycles 3, long enough for tfr_array_morlet
     sf512_factor1_geom1p5to45         n_cycles = max(3, 1.0 f) (clamps below 3 Hz), sfreq 512
     sf512_factor0p5_clamp_even1024    n_cycles = max(3, 0.5 f) (clamps below 6 Hz), n_times 1024
     sf1000_fixed7_geom8to45           sfreq 1000, n_cycles 7, 8-45 Hz
     sf1000_percycle_array             sfreq 1000, explicit per-frequency n_cycles
     sf1000_shorter_than_all           sfreq 1000, n_times 100 shorter than every wavelet
     sf200_irregular_unsorted          hand-picked unsorted irregular freqs 1-45 Hz, irregular per-freq cycles
     sf200_unsorted_first_short_quirk  first freq has a short wavelet, a later one is longer than the signal:
                                       MNE tfr_array_morlet accepts it (only warns) -- see QUIRKS
     sf200_32ch_short                  32 channels x 100 samples, default rule (cwt route)
     sf200_dc_offset_zm                +500 DC offset, zero_mean True
     sf200_dc_offset_nozm              +500 DC offset, zero_mean False (DC leaks into low-frequency power)
     sf250_tiny_scale_1e-6             signal x 1e-6 (power ~1e-12): relative tolerance must be used
     sf250_huge_scale_1e6              signal x 1e6 (power ~1e12)
     sf200_single_freq_7p5cycles       1 frequency, n_cycles 7.5, odd n_times
     sf200_factor4_nozm                n_cycles = max(3, 4 f), zero_mean False
     sf200_ncycles1_high_freqs         n_cycles 1 (very short wavelets), 20-45 Hz, n_times 64
     sf200_long_both_routes            n_times 2000: computed by BOTH routes, asserted equal (1e-12 rel)

2. <out>/wavelets/
     cases.json       [{sfreq, freq, n_cycles, zero_mean, length, m, sigma_t, arange_quotient, kind, file}]
                      `arange_quotient` = (5*sigma_t)/(1.0/sfreq) exactly as numpy's arange computes its length
                      (length m = ceil(quotient), L = 2m-1). kind: "grid" (plain combos), "exact-integer"
                      (quotient is exactly an integer), "ceil-trap" (quotient is an integer plus a few ulps, so
                      numpy's arange is one longer than e.g. ceil(5*sigma_t*sfreq) would say).
     <case>_<k>.npy   (L, 2) float64 [real, imag] of mne.time_frequency.morlet(sfreq, freq, n_cycles, zero_mean)
     geomspace.json   [{start, stop, num, values}] values = np.geomspace(start, stop, num).tolist()
     linspace.json    [{start, stop, num, values}] values = np.linspace(start, stop, num).tolist()
     window_samples.json [{window_duration, sfreq, product, window_samples}]: int(wd * sfreq) truncation cases

3. <out>/session/<case>/  -- one session, docs/method.md §3.4–3.5 (ROI z-scored power, event windows by size)
   Inputs:  eeg.npy (n_channels, n_times), eeg_time.npy (1, n_times) = arange(n_times)/sfreq,
            nm_peak_times.npy (n_events,), nm_sizes.npy (n_events,),
            params.json {sfreq, rat_id, roi: {channels: [...]} | {name: ...}, [expected_channels, electrodes],
                         freq_range, n_freqs, n_cycles_factor, window_duration, zero_mean: true, note}
   Outputs: freqs.npy, n_cycles.npy, roi_power.npy (F, T), channel_mean.npy / channel_std.npy (n_roi, F)
            (std after the 1e-12 floor, rows in ROI order), window_times.npy (window_samples,),
            nm_size_<s>_windows.npy (n_valid, F, window_samples), nm_size_<s>_mean.npy (F, window_samples),
            expected.json {window_samples, roi_channels, n_times, sizes: {"<s>": {n_events, valid_events}},
                           invalid_events: [{index, time, size, reason}]}
   invalid reasons: "starts-before-recording" (t - half < times[0]), "ends-after-recording"
   (t + half > times[-1]), "exceeds-samples" (start + window_samples > n_times; unreachable with a
   uniform time axis, so no fixture has it).
   Cases:
     basic_defaults                    sfreq 200, 5 ch x 10 s, ROI [0,1,2,3], defaults (docs/method.md §3.1) (3-8 Hz x 20, factor 3,
                                       1.0 s); unsorted sizes; one invalid at start, one at end; events exactly on
                                       both boundaries (t-half == times[0], t+half == times[-1]) are valid
     fortran_unsorted_roi_missing_size2 eeg saved Fortran-ordered; 5 ch x 8 s; ROI [4,1,3] (unsorted: ROI order
                                       is kept); 4-7 Hz x 10, factor 0.5 (n_cycles clamped to 3 for every freq);
                                       size 2 has only invalid events so it must NOT appear
     odd_window_1p23                   window_duration 1.23 at 200 Hz -> int(246.00000000000003) = 246 samples;
                                       ROI [2,0]; 3 invalid events
     truncating_window_1p15            window_duration 1.15 at 200 Hz -> int(229.99999999999997) = 229 (odd)
                                       samples; factor 2
     sfreq250_zero_channel             sfreq 250, window 0.8 s (200 samples), 3-9 Hz x 6; ROI [1,2,3] where
                                       channel 2 is all zeros (power exactly 0, std 0 -> floor 1e-12 -> z = 0;
                                       the analysis refuses the flat channel, the ROI z-score is checked)
     frontal_by_name_32ch              32 channels x 6 s, rat 9151, ROI {"name": "frontal"} -> channels
                                       [20,21,23,24] via data/electrode_mappings.csv + roi_map.json
                                       (params.json has expected_channels and electrodes); 4-8 Hz x 8, factor 1.5

4. <out>/rat/<case>/  -- multi-session rat analysis (docs/method.md §3.6)
     params.json        {rat_id, roi: {channels}, freq_range, n_freqs, n_cycles_factor, window_duration,
                         zero_mean, n_sessions, note}
     session_<k>/       inputs as in 3 (params.json {sfreq, rat_id, session_date}) plus expected.json: the
                        session's own result as in 3, or {"error": {index, kind, ...}} for a failing session
     freqs.npy, window_times.npy, nm_size_<s>_windows.npy (all windows, sessions in order),
     nm_size_<s>_mean.npy (mean over all those windows),
     expected.json      {rat_id, sessions_ok, sessions_failed: [{index, kind, ...}],
                         sizes: {"<s>": {n_events, n_sessions, sessions, events: [[session, event_index]...]}}}
   Case four_sessions_two_failing (rat 9441, 4 sessions x 3 ch x 10 s @200 Hz, ROI [0,2], 3-8 Hz x 8):
     session 0 ok (sizes 1 and 3); session 1 fails {"kind": "event-window", "reason": "no valid window"}
     (all 3 events invalid); session 2 fails {"kind": "non-finite-data", "channel": 2, "sample": 1234}
     (NaN in ROI channel 2 at sample 1234, an Inf later at 1800 in the same channel); session 3 ok (sizes
     1, 2, 3, plus one invalid event) and has an Inf in NON-ROI channel 1, which must be ignored.

5. <out>/cross_rat/  -- 3 rats x 2 sessions (no failures), each session 3 ch x 8 s @200 Hz, ROI [0,1], 3-8 Hz x 6
     params.json        {rats: [ids in order], roi, freq_range, n_freqs, n_cycles_factor, window_duration,
                         zero_mean, note}
     rat_<id>/session_<k>/  as in 4;  rat_<id>/nm_size_<s>_mean.npy, rat_<id>/freqs.npy, window_times.npy,
                        rat_<id>/expected.json (as in 4)
     freqs.npy, window_times.npy, nm_size_<s>_mean.npy = mean over rats (params order) of each rat's
     per-size mean (only rats having that size), expected.json {rats, sizes: {"<s>": {n_rats, rats}}}
     Rat "10501" has no VALID size-3 event (its only one is too close to the start), so size 3 has n_rats = 2.

QUIRKS of MNE 1.3 worth knowing (also written to README.json):
* tfr_array_morlet only refuses when the FIRST wavelet (freqs[0]) is longer than the signal; if a later
  one is longer it computes anyway and only emits a UserWarning (case sf200_unsorted_first_short_quirk).
* cwt() with a wavelet longer than the signal warns (UserWarning) and computes normally.
* Nyquist: MNE raises only for freqs > sfreq/2 (f == sfreq/2 is accepted). No fixture goes near it.
* tfr_array_morlet's default is zero_mean=False; the default here is True (docs/method.md §3.2).
"""
import csv
import json
import os
import shutil
import sys
import warnings

import numpy as np
import scipy
import mne
from mne.time_frequency import morlet, tfr_array_morlet
from mne.time_frequency.tfr import cwt

mne.set_log_level('WARNING')  # MNE only emits warnings.warn at WARNING level; we capture them

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT_DATA = os.path.normpath(os.path.join(HERE, '..', 'data'))

WARNINGS_SEEN = []  # (context, message) of every MNE warning captured
CASE_LIST = {}      # section -> list of {name, description}


# ----------------------------------------------------------------------------- I/O helpers
def save_npy(path, arr, fortran=False):
    arr = np.asarray(arr)
    assert arr.dtype == np.float64, (path, arr.dtype)
    assert not np.iscomplexobj(arr)
    arr = np.asfortranarray(arr) if fortran else np.ascontiguousarray(arr)
    np.save(path, arr)


def dump_json(path, obj):
    with open(path, 'w') as f:
        json.dump(obj, f, indent=1)
        f.write('\n')


def size_key(s):
    s = float(s)
    return str(int(s)) if s == int(s) else repr(s)


def register(section, name, description):
    CASE_LIST.setdefault(section, []).append({'name': name, 'description': description})


# ----------------------------------------------------------------------------- MNE wrappers
def wavelets(sfreq, freqs, n_cycles, zero_mean):
    return morlet(float(sfreq), np.asarray(freqs, float), n_cycles=n_cycles, zero_mean=bool(zero_mean))


def power_via_tfr_array(x, sfreq, freqs, n_cycles, zero_mean, ctx):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        p = tfr_array_morlet(x[None], float(sfreq), np.asarray(freqs, float), n_cycles=n_cycles,
                             zero_mean=bool(zero_mean), output='power')[0]
    for ww in w:
        WARNINGS_SEEN.append((ctx + ' [tfr_array_morlet]', str(ww.message)))
    return p


def power_via_cwt(x, sfreq, freqs, n_cycles, zero_mean, ctx):
    Ws = wavelets(sfreq, freqs, n_cycles, zero_mean)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        c = cwt(x, Ws, use_fft=True, mode='same')
    for ww in w:
        WARNINGS_SEEN.append((ctx + ' [cwt]', str(ww.message)))
    return (c * c.conj()).real


def mne_power(x, sfreq, freqs, n_cycles, zero_mean, ctx):
    """Power (n_channels, n_freqs, n_times). Route chosen exactly as MNE decides to refuse or not."""
    Ws = wavelets(sfreq, freqs, n_cycles, zero_mean)
    n_times = x.shape[-1]
    if len(Ws[0]) <= n_times:
        return power_via_tfr_array(x, sfreq, freqs, n_cycles, zero_mean, ctx), 'tfr_array_morlet'
    # MNE refuses: make sure it really does, then use cwt.
    try:
        power_via_tfr_array(x, sfreq, freqs, n_cycles, zero_mean, ctx)
    except ValueError as e:
        assert 'longer than the signal' in str(e), e
    else:
        raise AssertionError('expected tfr_array_morlet to refuse for ' + ctx)
    return power_via_cwt(x, sfreq, freqs, n_cycles, zero_mean, ctx), 'cwt'


# ----------------------------------------------------------------------------- independent re-implementation of docs/method.md
def spec_wavelet(sfreq, f, n, zero_mean):
    """docs/method.md §3.2, written from the text (not from MNE)."""
    sigma_t = n / (2.0 * np.pi * f)
    step = 1.0 / sfreq
    m = int(np.ceil((5.0 * sigma_t) / step))
    t = np.arange(m) * step
    t = np.concatenate([-t[::-1], t[1:]])
    osc = np.exp(2j * np.pi * f * t)
    if zero_mean:
        osc = osc - np.exp(-2.0 * (np.pi * f * sigma_t) ** 2)
    env = np.exp(-t ** 2 / (2.0 * sigma_t ** 2))
    w = osc * env
    return w / (np.sqrt(0.5) * np.linalg.norm(w))


def spec_power(x, sfreq, freqs, n_cycles, zero_mean):
    """docs/method.md §3.3 with direct (non-FFT) full linear convolution."""
    freqs = np.asarray(freqs, float)
    ncy = np.broadcast_to(np.asarray(n_cycles, float), freqs.shape)
    out = np.empty((x.shape[0], len(freqs), x.shape[1]))
    n = x.shape[1]
    for j, (f, c) in enumerate(zip(freqs, ncy)):
        w = spec_wavelet(sfreq, f, c, zero_mean)
        half = (len(w) - 1) // 2
        for i in range(x.shape[0]):
            y = np.convolve(x[i], w.real) + 1j * np.convolve(x[i], w.imag)
            y = y[half:half + n]
            out[i, j] = y.real ** 2 + y.imag ** 2
    return out


def worst_row_rel(a, ref):
    """max over (.., row) of max|a-ref| / max|ref| within the row (0/0 -> 0)."""
    d = np.abs(a - ref).max(axis=-1)
    m = np.abs(ref).max(axis=-1)
    r = np.where(m > 0, d / np.where(m > 0, m, 1), np.where(d > 0, np.inf, 0))
    return float(r.max())


# ----------------------------------------------------------------------------- 1. TFR cases
def tfr_signal(rng, n_channels, n_times, sfreq, scale=1.0, dc=0.0):
    t = np.arange(n_times) / sfreq
    x = np.empty((n_channels, n_times))
    nyq = sfreq / 2
    for c in range(n_channels):
        amp_c = rng.uniform(0.5, 5.0)
        sig = np.zeros(n_times)
        for _ in range(3):
            f = rng.uniform(1.0, min(45.0, 0.8 * nyq))
            sig += rng.uniform(0.2, 1.0) * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
        sig += 0.3 * rng.standard_normal(n_times)
        x[c] = amp_c * sig
    return x * scale + dc


def rule(freqs, factor):
    return np.maximum(3, np.asarray(freqs, float) * factor)


G = np.geomspace
TFR_CASES = [
    # name, seed, sfreq, n_ch, n_times, freqs, n_cycles(as passed), zero_mean, factor or None, extra, description
    ('sf200_default_rule_3to8_n20', 101, 200., 1, 1000, G(3, 8, 20), rule(G(3, 8, 20), 3.0), True, 3.0, {},
     'defaults (docs/method.md §3.1): geomspace(3,8,20), n_cycles=max(3,3f), zero_mean, even n_times 1000'),
    ('sf200_odd_ntimes_fixed7_nozm', 102, 200., 2, 601, G(4, 40, 8), 7.0, False, None, {},
     'odd n_times 601, fixed scalar n_cycles 7, zero_mean False, 4-40 Hz'),
    ('sf200_shorter_than_wavelet', 103, 200., 2, 301, G(2, 20, 6), 7.0, True, None, {},
     'n_times 301 shorter than the 2 Hz wavelet (1115 samples): cwt route'),
    ('sf200_ntimes_1', 104, 200., 3, 1, np.array([3., 6., 12., 40.]), 3.0, True, None, {},
     'n_times = 1 (cwt route)'),
    ('sf200_ntimes_2', 105, 200., 2, 2, np.array([5., 45.]), np.array([3., 7.5]), False, None, {},
     'n_times = 2, per-frequency n_cycles, zero_mean False (cwt route)'),
    ('sf250_fixed2p5_geom1to45_40freqs', 106, 250., 1, 200, G(1, 45, 40), 2.5, True, None, {},
     '40 freqs geomspace(1,45), n_cycles 2.5, n_times 200 shorter than the low wavelets (cwt route)'),
    ('sf250_fixed3_geom2to45_20freqs', 107, 250., 1, 640, G(2, 45, 20), 3.0, True, None, {},
     '20 freqs geomspace(2,45), n_cycles 3, sfreq 250, tfr_array_morlet route'),
    ('sf512_factor1_geom1p5to45', 108, 512., 1, 1651, G(1.5, 45, 6), rule(G(1.5, 45, 6), 1.0), True, 1.0, {},
     'sfreq 512, n_cycles=max(3, 1.0 f) (clamped below 3 Hz), odd n_times 1651'),
    ('sf512_factor0p5_clamp_even1024', 109, 512., 1, 1024, G(3, 45, 10), rule(G(3, 45, 10), 0.5), True, 0.5, {},
     'sfreq 512, n_cycles=max(3, 0.5 f) (clamped below 6 Hz), n_times 1024'),
    ('sf1000_fixed7_geom8to45', 110, 1000., 1, 1500, G(8, 45, 5), 7.0, True, None, {},
     'sfreq 1000, n_cycles 7, geomspace(8,45,5)'),
    ('sf1000_percycle_array', 111, 1000., 2, 800, np.array([10., 20., 30., 45.]), np.array([4., 5.5, 7., 12.]),
     True, None, {}, 'sfreq 1000, explicit per-frequency n_cycles [4, 5.5, 7, 12]'),
    ('sf1000_shorter_than_all', 112, 1000., 2, 100, np.array([2., 4.]), 7.0, False, None, {},
     'sfreq 1000, n_times 100 shorter than every wavelet, zero_mean False (cwt route)'),
    ('sf200_irregular_unsorted', 113, 200., 2, 400, np.array([12.0, 3.3, 7.77, 45.0, 1.0, 20.5, 5.0]),
     np.array([5., 3., 4.2, 9., 1., 6.5, 2.5]), True, None, {},
     'hand-picked unsorted irregular freqs (1-45 Hz) with irregular per-frequency n_cycles'),
    ('sf200_unsorted_first_short_quirk', 114, 200., 2, 600, np.array([40., 3., 8.]), 7.0, True, None, {},
     'first freq (40 Hz) has a short wavelet, 3 Hz wavelet (743) > n_times 600: MNE computes it anyway'),
    ('sf200_32ch_short', 115, 200., 32, 100, G(3, 8, 3), rule(G(3, 8, 3), 3.0), True, 3.0, {},
     '32 channels x 100 samples, default rule (cwt route)'),
    ('sf200_dc_offset_zm', 116, 200., 2, 500, G(3, 8, 6), rule(G(3, 8, 6), 3.0), True, 3.0, {'dc': 500.0},
     'signal + 500 DC offset, zero_mean True'),
    ('sf200_dc_offset_nozm', 116, 200., 2, 500, G(3, 8, 6), rule(G(3, 8, 6), 3.0), False, 3.0, {'dc': 500.0},
     'same signal + 500 DC offset, zero_mean False (DC leaks into power)'),
    ('sf250_tiny_scale_1e-6', 117, 250., 2, 500, G(4, 30, 8), 5.0, True, None, {'scale': 1e-6},
     'signal x 1e-6, power ~1e-12: tolerance must be relative'),
    ('sf250_huge_scale_1e6', 117, 250., 2, 500, G(4, 30, 8), 5.0, True, None, {'scale': 1e6},
     'same signal x 1e6, power ~1e12'),
    ('sf200_single_freq_7p5cycles', 118, 200., 3, 777, np.array([6.0]), 7.5, True, None, {},
     'single frequency 6 Hz, n_cycles 7.5, odd n_times 777'),
    ('sf200_factor4_nozm', 119, 200., 1, 800, G(3, 12, 7), rule(G(3, 12, 7), 4.0), False, 4.0, {},
     'n_cycles = max(3, 4 f), zero_mean False, 3-12 Hz, n_times 800 < 1273 (cwt route)'),
    ('sf200_ncycles1_high_freqs', 120, 200., 2, 64, G(20, 45, 5), 1.0, True, None, {},
     'n_cycles 1 (wavelets of 7-15 samples), 20-45 Hz, n_times 64'),
    ('sf200_long_both_routes', 121, 200., 1, 2000, G(3, 8, 3), rule(G(3, 8, 3), 3.0), True, 3.0, {},
     'n_times 2000; computed by tfr_array_morlet AND cwt, asserted equal to 1e-12 relative'),
]


def make_tfr(out):
    root = os.path.join(out, 'tfr')
    report = []
    for (name, seed, sfreq, n_ch, n_times, freqs, n_cycles, zm, factor, extra, desc) in TFR_CASES:
        rng = np.random.default_rng(seed)
        x = tfr_signal(rng, n_ch, n_times, sfreq, scale=extra.get('scale', 1.0), dc=extra.get('dc', 0.0))
        freqs = np.asarray(freqs, float)
        assert (freqs < sfreq / 2).all()
        nc_pass = float(n_cycles) if np.ndim(n_cycles) == 0 else np.asarray(n_cycles, float)
        power, route = mne_power(x, sfreq, freqs, nc_pass, zm, 'tfr/' + name)
        assert power.shape == (n_ch, len(freqs), n_times) and power.dtype == np.float64
        assert np.isfinite(power).all() and (power >= 0).all()
        Ws = wavelets(sfreq, freqs, nc_pass, zm)
        lengths = [len(w) for w in Ws]
        if name == 'sf200_long_both_routes':
            assert route == 'tfr_array_morlet'
            p2 = power_via_cwt(x, sfreq, freqs, nc_pass, zm, 'tfr/' + name)
            r = worst_row_rel(p2, power)
            assert r <= 1e-12, r
            report.append((name, 'routes tfr_array_morlet vs cwt worst row rel diff', r))
        if name == 'sf200_unsorted_first_short_quirk':
            assert route == 'tfr_array_morlet' and max(lengths) > n_times
        # independent check of the method text against MNE
        ref = spec_power(x, sfreq, freqs, nc_pass, zm)
        r = worst_row_rel(ref, power)
        assert r <= 1e-10, (name, r)
        report.append((name, 'direct convolution vs MNE worst row rel diff', r))

        d = os.path.join(root, name)
        os.makedirs(d)
        save_npy(os.path.join(d, 'input.npy'), x)
        save_npy(os.path.join(d, 'freqs.npy'), freqs)
        save_npy(os.path.join(d, 'n_cycles.npy'), np.broadcast_to(np.asarray(nc_pass, float), freqs.shape).copy())
        save_npy(os.path.join(d, 'power.npy'), power)
        params = {
            'sfreq': float(sfreq), 'freqs': freqs.tolist(),
            'n_cycles': nc_pass if isinstance(nc_pass, float) else nc_pass.tolist(),
            'zero_mean': bool(zm), 'n_times': int(n_times), 'n_channels': int(n_ch),
            'mne_call': route, 'note': desc,
            'max_wavelet_length': int(max(lengths)), 'first_wavelet_length': int(lengths[0]),
        }
        if factor is not None:
            params['n_cycles_factor'] = float(factor)
        dump_json(os.path.join(d, 'params.json'), params)
        register('tfr', name, desc + f' [{route}; {n_ch} ch x {n_times}, {len(freqs)} freqs, sfreq {sfreq:g}]')
    return report


# ----------------------------------------------------------------------------- 2. wavelets / grids
def arange_quotient(sfreq, f, n):
    sigma_t = n / (2.0 * np.pi * f)
    return sigma_t, (5.0 * sigma_t) / (1.0 / sfreq)


def make_wavelets(out):
    d = os.path.join(out, 'wavelets')
    os.makedirs(d)
    combos = []  # (case, sfreq, freqs, n_cycles, zero_mean, kind)
    for sfreq in (200., 250., 512., 1000.):
        low = sfreq < 500  # keep the files small: 1-2 Hz long wavelets only at 200/250 Hz
        combos.append((f'sf{int(sfreq)}_n3_zm', sfreq, ([1.] if sfreq == 200 else []) + [3., 8., 20., 45.], 3.0, True,
                       'grid'))
        combos.append((f'sf{int(sfreq)}_n7p5_nozm', sfreq, ([2., 5.5] if low else [8.]) + [13., 45.], 7.5, False,
                       'grid'))
        combos.append((f'sf{int(sfreq)}_n1_zm', sfreq, [1., 4., 10., 45.], 1.0, True, 'grid'))
    combos.append(('sf200_n24_zm', 200., [6., 10., 45.], 24.0, True, 'grid'))
    combos.append(('sf1000_n24_nozm', 1000., [25., 45.], 24.0, False, 'grid'))
    combos.append(('sf250_default_rule', 250., G(3, 8, 3).tolist(), None, True, 'grid'))  # n = max(3, 3f)

    # quotient 5*sigma_t/step exactly integral, and integer + a few ulps ("ceil trap": numpy's arange
    # length is m+1 while ceil(5*sigma_t*sfreq) gives m).
    exact, trap = [], []
    for sfreq in (200., 250., 512., 1000.):
        for f in (1., 3., 5., 6., 8., 10., 20., 45.):
            for m in range(3, 300):
                n = m * 2 * np.pi * f / (5 * sfreq)
                if not (0.8 <= n <= 25):
                    continue
                sig, q = arange_quotient(sfreq, f, n)
                # lengths other formulas would give; a fixture is only interesting when they disagree
                naive = {np.ceil(5 * sig * sfreq), np.ceil(5 * n * sfreq / (2 * np.pi * f))}
                if naive == {np.ceil(q)}:
                    continue
                if q == np.floor(q):
                    exact.append((sfreq, f, n))
                elif q - np.floor(q) < 1e-9:
                    trap.append((sfreq, f, n))
    rng = np.random.default_rng(7)
    pick_exact = [exact[i] for i in sorted(rng.choice(len(exact), 6, replace=False))]
    pick_trap = [trap[i] for i in sorted(rng.choice(len(trap), 6, replace=False))]
    for k, (sfreq, f, n) in enumerate(pick_exact):
        combos.append((f'exact_{k}', sfreq, [f], float(n), k % 2 == 0, 'exact-integer'))
    for k, (sfreq, f, n) in enumerate(pick_trap):
        combos.append((f'ceiltrap_{k}', sfreq, [f], float(n), k % 2 == 1, 'ceil-trap'))

    cases = []
    for (case, sfreq, freqs, n_cycles, zm, kind) in combos:
        freqs = np.asarray(freqs, float)
        ncy = rule(freqs, 3.0) if n_cycles is None else np.full(len(freqs), n_cycles)
        Ws = morlet(sfreq, freqs, n_cycles=(ncy if n_cycles is None else n_cycles), zero_mean=zm)
        for k, (f, n, w) in enumerate(zip(freqs, ncy, Ws)):
            sig, q = arange_quotient(sfreq, f, n)
            m = len(np.arange(0., 5. * sig, 1.0 / sfreq))
            assert len(w) == 2 * m - 1 and m == int(np.ceil(q))
            ws = spec_wavelet(sfreq, f, n, zm)
            assert ws.shape == w.shape and np.abs(ws - w).max() <= 1e-15 * np.abs(w).max() * 10
            fn = f'{case}_{k}.npy'
            save_npy(os.path.join(d, fn), np.stack([w.real, w.imag], axis=1))
            cases.append({'sfreq': float(sfreq), 'freq': float(f), 'n_cycles': float(n), 'zero_mean': bool(zm),
                          'length': int(len(w)), 'm': int(m), 'sigma_t': float(sig),
                          'arange_quotient': float(q), 'kind': kind, 'file': fn})
    dump_json(os.path.join(d, 'cases.json'), cases)
    register('wavelets', 'cases.json', f'{len(cases)} MNE morlet wavelets as (L,2) [re,im] '
             f'({sum(c["kind"] == "exact-integer" for c in cases)} exact-integer, '
             f'{sum(c["kind"] == "ceil-trap" for c in cases)} ceil-trap)')

    geo = []
    for (a, b) in ((3, 8), (1, 45), (0.5, 100), (4, 4.0001)):
        for num in (1, 2, 20, 40):
            if (a, b) == (4, 4.0001) and num == 40:
                continue
            geo.append({'start': float(a), 'stop': float(b), 'num': num,
                        'values': np.geomspace(a, b, num).tolist()})
    geo.append({'start': 45.0, 'stop': 1.0, 'num': 12, 'values': np.geomspace(45.0, 1.0, 12).tolist()})
    geo.append({'start': 3.0, 'stop': 8.0, 'num': 10, 'values': np.geomspace(3.0, 8.0, 10).tolist()})
    geo.append({'start': 3.0, 'stop': 8.0, 'num': 15, 'values': np.geomspace(3.0, 8.0, 15).tolist()})
    dump_json(os.path.join(d, 'geomspace.json'), geo)
    register('wavelets', 'geomspace.json', f'{len(geo)} np.geomspace grids')

    lin = []
    for (a, b, num) in ((-0.5, 0.5, 200), (-0.5, 0.5, 1), (-0.5, 0.5, 2), (-1.25, 1.25, 500),
                        (-0.6, 0.6, 245), (-0.615, 0.615, 246), (-0.575, 0.575, 229), (-0.4, 0.4, 200),
                        (-0.5, 0.5, 201), (0.0, 1.0, 7)):
        lin.append({'start': float(a), 'stop': float(b), 'num': num, 'values': np.linspace(a, b, num).tolist()})
    dump_json(os.path.join(d, 'linspace.json'), lin)
    register('wavelets', 'linspace.json', f'{len(lin)} np.linspace window-time grids')

    ws = []
    for wd in (1.0, 1.23, 1.15, 1.005, 0.29, 0.57, 1.13, 1.11, 0.8, 2.5):
        for sf in (200., 250., 512.):
            ws.append({'window_duration': wd, 'sfreq': sf, 'product': wd * sf, 'window_samples': int(wd * sf)})
    dump_json(os.path.join(d, 'window_samples.json'), ws)
    register('wavelets', 'window_samples.json', 'int(window_duration * sfreq) truncation cases')


# ----------------------------------------------------------------------------- 3-5. session analyses
class SessionError(Exception):
    def __init__(self, kind, **info):
        super().__init__(kind)
        self.kind = kind
        self.info = info


def synth_eeg(rng, n_channels, n_times, sfreq, events, sizes, burst_channels=None):
    """docs/method.md §7 synthetic EEG + a 6 Hz, 0.3 s theta burst (amplitude 0.4*size) starting at each event."""
    t = np.arange(n_times) / sfreq
    eeg = np.empty((n_channels, n_times))
    for c in range(n_channels):
        ph = rng.uniform(0, 2 * np.pi, 3)
        eeg[c] = (0.5 * np.sin(2 * np.pi * 4 * t + ph[0]) + 0.3 * np.sin(2 * np.pi * 8 * t + ph[1])
                  + 0.2 * np.sin(2 * np.pi * 15 * t + ph[2]) + 0.1 * rng.standard_normal(n_times))
    chans = range(n_channels) if burst_channels is None else burst_channels
    for te, s in zip(events, sizes):
        m = (t >= te) & (t < te + 0.3)
        burst = 0.4 * s * np.sin(2 * np.pi * 6 * (t[m] - te)) * np.hanning(m.sum())
        for c in chans:
            eeg[c, m] += burst
    return eeg


def analyze_session(eeg, eeg_time, nm_t, nm_s, sfreq, roi, lo, hi, n_freqs, factor, wd, ctx):
    """docs/method.md §3.4–3.5 exactly as docs/method.md states them. Raises SessionError."""
    roi = [int(c) for c in roi]
    if len(nm_t) == 0:
        raise SessionError('event-window', reason='no events')
    if not roi:
        raise SessionError('roi', reason='ROI resolves to no channel')
    for c in roi:
        if c < 0 or c >= eeg.shape[0]:
            raise SessionError('channel-range', channel=c)
    for c in roi:
        bad = ~np.isfinite(eeg[c])
        if bad.any():
            raise SessionError('non-finite-data', channel=c, sample=int(np.argmax(bad)))
    freqs = np.geomspace(lo, hi, n_freqs)
    n_cycles = np.maximum(3, freqs * factor)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        power = tfr_array_morlet(eeg[None, roi], float(sfreq), freqs, n_cycles=n_cycles, zero_mean=True,
                                 output='power')[0]
    for ww in w:
        WARNINGS_SEEN.append((ctx, str(ww.message)))
    mean = power.mean(axis=-1, keepdims=True)
    std = power.std(axis=-1, keepdims=True)
    std = np.maximum(std, 1e-12)
    z = (power - mean) / std
    roi_power = z.mean(axis=0)

    times = np.asarray(eeg_time).ravel()
    n_times = eeg.shape[1]
    half = wd / 2
    window_samples = int(wd * sfreq)
    valid = {}
    invalid = []
    for i, (t, s) in enumerate(zip(nm_t, nm_s)):
        t, s = float(t), float(s)
        if t - half < times[0]:
            invalid.append({'index': i, 'time': t, 'size': s, 'reason': 'starts-before-recording'})
        elif t + half > times[-1]:
            invalid.append({'index': i, 'time': t, 'size': s, 'reason': 'ends-after-recording'})
        else:
            start = int(np.searchsorted(times, t - half, side='left'))
            end = start + window_samples
            if end > n_times:
                invalid.append({'index': i, 'time': t, 'size': s, 'reason': 'exceeds-samples'})
            else:
                valid.setdefault(s, []).append((i, start))
    if not valid:
        raise SessionError('event-window', reason='no valid window', invalid_events=invalid)
    sizes = {}
    for s in sorted(valid):
        idx = [i for i, _ in valid[s]]
        wins = np.stack([roi_power[:, st:st + window_samples] for _, st in valid[s]])
        sizes[s] = {'valid_events': idx, 'starts': [st for _, st in valid[s]], 'windows': wins,
                    'mean': wins.mean(axis=0)}
    res = {'freqs': freqs, 'n_cycles': n_cycles, 'power': power, 'roi_power': roi_power,
           'channel_mean': mean[..., 0], 'channel_std': std[..., 0], 'window_samples': window_samples,
           'window_times': np.linspace(-half, half, window_samples), 'sizes': sizes, 'invalid': invalid,
           'roi': roi, 'n_times': n_times}
    check_session(res, eeg, times, nm_t, sfreq, roi, wd)
    return res


def check_session(res, eeg, times, nm_t, sfreq, roi, wd):
    F = len(res['freqs'])
    T = eeg.shape[1]
    W = res['window_samples']
    assert res['roi_power'].shape == (F, T)
    assert res['channel_mean'].shape == (len(roi), F) == res['channel_std'].shape
    assert res['window_times'].shape == (W,)
    # direct-convolution power of the ROI channels agrees with MNE
    ref = spec_power(np.ascontiguousarray(eeg[roi]), sfreq, res['freqs'], res['n_cycles'], True)
    assert worst_row_rel(ref, res['power']) <= 1e-10
    # z-score by hand (population std)
    for ci in range(len(roi)):
        for fi in range(F):
            p = res['power'][ci, fi]
            mu = p.sum() / T
            sd = max(np.sqrt(((p - mu) ** 2).sum() / T), 1e-12)
            assert abs(mu - res['channel_mean'][ci, fi]) <= 1e-12 * abs(mu) + 1e-300
            assert abs(sd - res['channel_std'][ci, fi]) <= 1e-12 * sd
    # windows are slices of roi_power; starts by linear scan
    for s, v in res['sizes'].items():
        assert v['windows'].shape == (len(v['valid_events']), F, W)
        for k, (i, st) in enumerate(zip(v['valid_events'], v['starts'])):
            lo_t = float(nm_t[i]) - wd / 2
            st2 = next(j for j in range(len(times)) if times[j] >= lo_t)
            assert st2 == st
            assert np.array_equal(v['windows'][k], res['roi_power'][:, st:st + W])
        assert np.array_equal(v['mean'], v['windows'].mean(axis=0))


def expected_json(res):
    return {
        'window_samples': res['window_samples'], 'roi_channels': res['roi'], 'n_times': res['n_times'],
        'sizes': {size_key(s): {'n_events': len(v['valid_events']), 'valid_events': v['valid_events']}
                  for s, v in res['sizes'].items()},
        'invalid_events': res['invalid'],
    }


def write_session_inputs(d, eeg, sfreq, nm_t, nm_s, params, fortran=False):
    os.makedirs(d, exist_ok=True)
    n_times = eeg.shape[1]
    save_npy(os.path.join(d, 'eeg.npy'), eeg, fortran=fortran)
    save_npy(os.path.join(d, 'eeg_time.npy'), (np.arange(n_times) / sfreq)[None, :])
    save_npy(os.path.join(d, 'nm_peak_times.npy'), np.asarray(nm_t, float))
    save_npy(os.path.join(d, 'nm_sizes.npy'), np.asarray(nm_s, float))
    dump_json(os.path.join(d, 'params.json'), params)


def write_session_outputs(d, res, full=True):
    if full:
        save_npy(os.path.join(d, 'freqs.npy'), res['freqs'])
        save_npy(os.path.join(d, 'n_cycles.npy'), res['n_cycles'])
        save_npy(os.path.join(d, 'roi_power.npy'), res['roi_power'])
        save_npy(os.path.join(d, 'channel_mean.npy'), res['channel_mean'])
        save_npy(os.path.join(d, 'channel_std.npy'), res['channel_std'])
        save_npy(os.path.join(d, 'window_times.npy'), res['window_times'])
    for s, v in res['sizes'].items():
        if full:
            save_npy(os.path.join(d, f'nm_size_{size_key(s)}_windows.npy'), v['windows'])
        save_npy(os.path.join(d, f'nm_size_{size_key(s)}_mean.npy'), v['mean'])
    dump_json(os.path.join(d, 'expected.json'), expected_json(res))


def roi_channels_by_name(rat_id, roi_name):
    with open(os.path.join(PROJECT_DATA, 'roi_map.json')) as f:
        electrodes = json.load(f)[roi_name]
    with open(os.path.join(PROJECT_DATA, 'electrode_mappings.csv')) as f:
        rows = {r['rat_id']: r for r in csv.DictReader(f)}
    row = rows[rat_id]
    rat_row = [int(row[f'ch_{i}']) for i in range(32)]
    return [i for i, e in enumerate(rat_row) if e in electrodes], electrodes


SESSION_CASES = []


def session_case(name, desc, seed, sfreq, n_ch, n_times, events, roi, lo=3.0, hi=8.0, n_freqs=20,
                 factor=3.0, wd=1.0, fortran=False, roi_name=None, rat_id='10501', zero_channel=None,
                 bursts=True):
    SESSION_CASES.append(dict(name=name, desc=desc, seed=seed, sfreq=sfreq, n_ch=n_ch, n_times=n_times,
                              events=events, roi=roi, lo=lo, hi=hi, n_freqs=n_freqs, factor=factor, wd=wd,
                              fortran=fortran, roi_name=roi_name, rat_id=rat_id, zero_channel=zero_channel,
                              bursts=bursts))


def build_session_cases():
    sf = 200.0
    T = 2000  # 10 s
    last = (T - 1) / sf
    # (time, size); input order deliberately unsorted by size
    session_case(
        'basic_defaults', 'sfreq 200, 5 ch x 10 s, ROI [0,1,2,3], defaults (docs/method.md §3.1) (3-8 Hz x 20, factor 3, 1.0 s); '
        'unsorted sizes; invalid at start and end; events exactly on both boundaries '
        '(t-half == times[0], t+half == times[-1]) are valid', 301, sf, 5, T,
        [(3.1234, 2.0), (0.3, 1.0), (5.0, 3.0), (0.5, 1.0), (7.777, 1.0), (last - 0.5, 3.0), (9.9, 2.0),
         (6.05, 2.0)], [0, 1, 2, 3])
    session_case(
        'fortran_unsorted_roi_missing_size2', 'eeg Fortran-ordered; 5 ch x 7 s; ROI [4,1,3] kept in that order; '
        'factor 0.5 (n_cycles clamped to 3 everywhere); 4-7 Hz x 10; size 2 only has invalid events so it must '
        'not appear', 302, sf, 5, 1400,
        [(3.2, 3.0), (0.2, 2.0), (1.05, 1.0), (6.8, 2.0), (5.345, 3.0), (4.0, 1.0), (6.1, 1.0)],
        [4, 1, 3], lo=4.0, hi=7.0, n_freqs=10, factor=0.5, fortran=True)
    session_case(
        'odd_window_1p23', 'window_duration 1.23 at 200 Hz -> int(246.00000000000003) = 246 samples; 3 ch x 8 s; '
        'ROI [2,0]; 3-8 Hz x 8', 303, sf, 3, 1600,
        [(4.4, 1.0), (0.6, 3.0), (6.13, 3.0), (2.3, 1.0), (7.5, 2.0), (1599 / sf - 0.3, 1.0)],
        [2, 0], n_freqs=8, wd=1.23)
    session_case(
        'truncating_window_1p15', 'window_duration 1.15 at 200 Hz -> int(229.99999999999997) = 229 (odd) '
        'samples; 3 ch x 8 s; factor 2; 3-8 Hz x 8', 304, sf, 3, 1600,
        [(2.5, 2.0), (5.7, 1.0), (4.0, 2.0), (7.4, 3.0), (7.45, 3.0), (1.77, 3.0)],
        [0, 1, 2], lo=3.0, hi=8.0, n_freqs=8, factor=2.0, wd=1.15)
    session_case(
        'sfreq250_zero_channel', 'sfreq 250, 4 ch x 8 s, window 0.8 s (200 samples), 3-9 Hz x 6; ROI [1,2,3] '
        'where channel 2 is all zeros (power 0, std floored at 1e-12, z = 0)', 305, 250.0, 4, 2000,
        [(3.0, 1.0), (0.39, 1.0), (5.66, 2.0), (7.0, 3.0), (7.9, 1.0), (4.5, 2.0)],
        [1, 2, 3], lo=3.0, hi=9.0, n_freqs=6, wd=0.8, zero_channel=2)
    session_case(
        'frontal_by_name_32ch', 'rat 9151, 32 channels x 6 s, ROI {"name": "frontal"} -> channels [20,21,23,24] '
        'via electrode_mappings.csv + roi_map.json; 4-8 Hz x 8, factor 1.5', 306, sf, 32, 1200,
        [(1.2, 1.0), (2.5, 2.0), (3.8, 3.0), (4.9, 1.0), (5.8, 2.0)],
        None, lo=4.0, hi=8.0, n_freqs=8, factor=1.5, roi_name='frontal', rat_id='9151')


def make_session_case(out_dir, c):
    rng = np.random.default_rng(c['seed'])
    ev_t = np.array([e[0] for e in c['events']], float)
    ev_s = np.array([e[1] for e in c['events']], float)
    roi = c['roi']
    params_roi = {'channels': roi}
    extra = {}
    if c['roi_name'] is not None:
        roi, electrodes = roi_channels_by_name(c['rat_id'], c['roi_name'])
        assert roi == [20, 21, 23, 24], roi
        params_roi = {'name': c['roi_name']}
        extra = {'expected_channels': roi, 'electrodes': electrodes}
    eeg = synth_eeg(rng, c['n_ch'], c['n_times'], c['sfreq'], ev_t, ev_s)
    if c['zero_channel'] is not None:
        eeg[c['zero_channel']] = 0.0
    times = np.arange(c['n_times']) / c['sfreq']
    res = analyze_session(eeg, times[None], ev_t, ev_s, c['sfreq'], roi, c['lo'], c['hi'], c['n_freqs'],
                          c['factor'], c['wd'], 'session/' + c['name'])
    params = {'sfreq': c['sfreq'], 'rat_id': c['rat_id'], 'roi': params_roi, **extra,
              'freq_range': [c['lo'], c['hi']], 'n_freqs': c['n_freqs'], 'n_cycles_factor': c['factor'],
              'window_duration': c['wd'], 'zero_mean': True, 'note': c['desc']}
    write_session_inputs(out_dir, eeg, c['sfreq'], ev_t, ev_s, params, fortran=c['fortran'])
    write_session_outputs(out_dir, res)
    return res


def make_sessions(out):
    build_session_cases()
    notes = []
    for c in SESSION_CASES:
        d = os.path.join(out, 'session', c['name'])
        res = make_session_case(d, c)
        if c['fortran']:
            with open(os.path.join(d, 'eeg.npy'), 'rb') as f:
                assert b"'fortran_order': True" in f.read(128)
        if c['name'] == 'basic_defaults':
            times = np.arange(c['n_times']) / c['sfreq']
            half = c['wd'] / 2
            t_lo, t_hi = c['events'][3][0], c['events'][5][0]
            assert t_lo - half == times[0] and t_hi + half == times[-1]  # exact boundary equalities
            valid_idx = {i for v in res['sizes'].values() for i in v['valid_events']}
            assert {3, 5} <= valid_idx
        if c['name'] == 'fortran_unsorted_roi_missing_size2':
            assert 2.0 not in res['sizes']
        if c['zero_channel'] is not None:
            zi = res['roi'].index(c['zero_channel'])
            assert (res['power'][zi] == 0).all() and (res['channel_std'][zi] == 1e-12).all()
        reasons = sorted({e['reason'] for e in res['invalid']})
        sizes = {size_key(s): len(v['valid_events']) for s, v in res['sizes'].items()}
        register('session', c['name'], c['desc'] + f' [window_samples {res["window_samples"]}, sizes {sizes}, '
                 f'invalid {len(res["invalid"])} {reasons}]')
        notes.append((c['name'], sizes, len(res['invalid'])))
    return notes


# ----------------------------------------------------------------------------- 4. rat
def run_rat(rat_dir, rat_id, sessions, roi, lo, hi, n_freqs, factor, wd, ctx):
    """sessions: list of dicts {eeg, sfreq, events, sizes, date}. Writes inputs + outputs; returns rat result."""
    ok, failed = [], []
    per_size = {}
    freqs = window_times = None
    for k, s in enumerate(sessions):
        sd = os.path.join(rat_dir, f'session_{k}')
        write_session_inputs(sd, s['eeg'], s['sfreq'], s['events'], s['sizes'],
                             {'sfreq': s['sfreq'], 'rat_id': rat_id, 'session_date': s['date']})
        times = np.arange(s['eeg'].shape[1]) / s['sfreq']
        try:
            res = analyze_session(s['eeg'], times[None], s['events'], s['sizes'], s['sfreq'], roi, lo, hi,
                                  n_freqs, factor, wd, f'{ctx}/session_{k}')
        except SessionError as e:
            info = {'index': k, 'kind': e.kind}
            info.update({kk: v for kk, v in e.info.items() if kk != 'invalid_events'})
            failed.append(info)
            dump_json(os.path.join(sd, 'expected.json'), {'error': info})
            continue
        ok.append(k)
        freqs, window_times = res['freqs'], res['window_times']
        dump_json(os.path.join(sd, 'expected.json'), expected_json(res))
        for size, v in res['sizes'].items():
            per_size.setdefault(size, []).append((k, v))
    assert ok, 'rat must have at least one good session'
    sizes = {}
    for size in sorted(per_size):
        parts = per_size[size]
        wins = np.concatenate([v['windows'] for _, v in parts], axis=0)
        mean = wins.mean(axis=0)
        sizes[size] = {'windows': wins, 'mean': mean,
                       'n_events': int(wins.shape[0]), 'n_sessions': len(parts),
                       'sessions': [k for k, _ in parts],
                       'events': [[k, i] for k, v in parts for i in v['valid_events']]}
    save_npy(os.path.join(rat_dir, 'freqs.npy'), freqs)
    save_npy(os.path.join(rat_dir, 'window_times.npy'), window_times)
    for size, v in sizes.items():
        save_npy(os.path.join(rat_dir, f'nm_size_{size_key(size)}_mean.npy'), v['mean'])
    exp = {'rat_id': rat_id, 'sessions_ok': ok, 'sessions_failed': failed,
           'sizes': {size_key(s): {kk: v[kk] for kk in ('n_events', 'n_sessions', 'sessions', 'events')}
                     for s, v in sizes.items()}}
    dump_json(os.path.join(rat_dir, 'expected.json'), exp)
    return {'sizes': sizes, 'freqs': freqs, 'window_times': window_times, 'expected': exp}


def make_rat(out):
    sf = 200.0
    roi = [0, 2]
    lo, hi, n_freqs, factor, wd = 3.0, 8.0, 8, 3.0, 1.0
    rng = np.random.default_rng(401)
    T = 2000  # 10 s
    ev = [
        [(2.0, 1.0), (5.5, 3.0), (8.25, 1.0), (9.0, 3.0)],              # 0 ok: sizes 1, 3
        [(0.1, 1.0), (9.8, 2.0), (0.45, 3.0)],                          # 1 all invalid -> event-window
        [(4.0, 1.0), (8.0, 2.0), (9.0, 3.0)],                           # 2 NaN in ROI channel
        [(3.3, 2.0), (6.1, 1.0), (8.4, 3.0), (7.2, 2.0), (9.9, 1.0)],   # 3 ok: 1, 2, 3 (+ one invalid)
    ]
    sessions = []
    for k, e in enumerate(ev):
        t = np.array([x[0] for x in e])
        s = np.array([x[1] for x in e])
        eeg = synth_eeg(rng, 3, T, sf, t, s)
        sessions.append({'eeg': eeg, 'sfreq': sf, 'events': t, 'sizes': s, 'date': f'07041{k}'})
    nan_ch, nan_sample = 2, 1234
    sessions[2]['eeg'][nan_ch, nan_sample] = np.nan
    sessions[2]['eeg'][nan_ch, 1800] = np.inf
    sessions[3]['eeg'][1, 500] = np.inf  # not an ROI channel: must be ignored
    d = os.path.join(out, 'rat', 'four_sessions_two_failing')
    os.makedirs(d)
    r = run_rat(d, '9441', sessions, roi, lo, hi, n_freqs, factor, wd, 'rat/four_sessions_two_failing')
    exp = r['expected']
    assert exp['sessions_ok'] == [0, 3]
    assert exp['sessions_failed'][0]['index'] == 1 and exp['sessions_failed'][0]['kind'] == 'event-window'
    assert exp['sessions_failed'][1] == {'index': 2, 'kind': 'non-finite-data', 'channel': nan_ch,
                                         'sample': nan_sample}
    for s, v in r['sizes'].items():
        assert v['windows'].shape[0] == v['n_events']
        save_npy(os.path.join(d, f'nm_size_{size_key(s)}_windows.npy'), v['windows'])
    dump_json(os.path.join(d, 'params.json'), {
        'rat_id': '9441', 'roi': {'channels': roi}, 'freq_range': [lo, hi], 'n_freqs': n_freqs,
        'n_cycles_factor': factor, 'window_duration': wd, 'zero_mean': True, 'n_sessions': len(sessions),
        'note': 'session 1 fails (event-window: every event invalid), session 2 fails (non-finite-data: NaN in ROI '
                'channel 2 at sample 1234, Inf later), session 3 has an Inf in non-ROI channel 1 (ignored)'})
    register('rat', 'four_sessions_two_failing',
             'rat 9441, 4 sessions x 3 ch x 10 s @200 Hz, ROI [0,2], 3-8 Hz x 8; sessions_ok [0,3]; '
             'sizes {' + ', '.join(f"{k}: {v['n_events']} ev/{v['n_sessions']} sess"
                                   for k, v in exp['sizes'].items()) + '}')
    return exp


# ----------------------------------------------------------------------------- 5. cross-rat
def make_cross_rat(out):
    sf = 200.0
    roi = [0, 1]
    lo, hi, n_freqs, factor, wd = 3.0, 8.0, 6, 3.0, 1.0
    T = 1600  # 8 s
    rats = {
        '9151': [[(2.0, 1.0), (6.0, 2.0), (7.0, 3.0)], [(3.0, 3.0), (5.5, 1.0), (7.4, 1.0)]],
        '10501': [[(4.0, 2.0), (7.2, 1.0)], [(2.5, 1.0), (6.5, 2.0), (5.0, 2.0), (0.2, 3.0)]],  # size 3 invalid
        '422': [[(5.0, 3.0), (7.0, 2.0)], [(6.1, 1.0), (2.9, 3.0)]],
    }
    root = os.path.join(out, 'cross_rat')
    os.makedirs(root)
    rng = np.random.default_rng(501)
    rat_results = {}
    for rid, sess in rats.items():
        sessions = []
        for k, e in enumerate(sess):
            t = np.array([x[0] for x in e])
            s = np.array([x[1] for x in e])
            sessions.append({'eeg': synth_eeg(rng, 3, T, sf, t, s), 'sfreq': sf, 'events': t, 'sizes': s,
                             'date': f'0{k + 1}0519'})
        rat_results[rid] = run_rat(os.path.join(root, f'rat_{rid}'), rid, sessions, roi, lo, hi, n_freqs,
                                   factor, wd, f'cross_rat/rat_{rid}')
        assert not rat_results[rid]['expected']['sessions_failed']
    all_sizes = sorted({s for r in rat_results.values() for s in r['sizes']})
    exp_sizes = {}
    for s in all_sizes:
        having = [rid for rid in rats if s in rat_results[rid]['sizes']]
        mean = np.mean(np.stack([rat_results[rid]['sizes'][s]['mean'] for rid in having]), axis=0)
        save_npy(os.path.join(root, f'nm_size_{size_key(s)}_mean.npy'), mean)
        exp_sizes[size_key(s)] = {'n_rats': len(having), 'rats': having}
    assert exp_sizes['3']['n_rats'] == 2
    any_r = next(iter(rat_results.values()))
    save_npy(os.path.join(root, 'freqs.npy'), any_r['freqs'])
    save_npy(os.path.join(root, 'window_times.npy'), any_r['window_times'])
    dump_json(os.path.join(root, 'expected.json'), {'rats': list(rats), 'sizes': exp_sizes})
    dump_json(os.path.join(root, 'params.json'), {
        'rats': list(rats), 'roi': {'channels': roi}, 'freq_range': [lo, hi], 'n_freqs': n_freqs,
        'n_cycles_factor': factor, 'window_duration': wd, 'zero_mean': True,
        'note': 'cross-rat mean = mean over rats (in this order) of each rat mean; rat 10501 has no valid size 3'})
    register('cross_rat', 'cross_rat', '3 rats (9151, 10501, 422) x 2 sessions x 3 ch x 8 s @200 Hz, ROI [0,1], '
             f'3-8 Hz x 6; sizes {exp_sizes}')
    return exp_sizes


# ----------------------------------------------------------------------------- main
def main():
    if len(sys.argv) != 2:
        sys.exit('usage: /usr/bin/python3 scripts/make_mne_fixtures.py OUTPUT_DIR')
    out = sys.argv[1]
    assert mne.__version__.startswith('1.3'), mne.__version__
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    tfr_report = make_tfr(out)
    make_wavelets(out)
    sess_notes = make_sessions(out)
    make_rat(out)
    make_cross_rat(out)

    quirks = [
        'tfr_array_morlet refuses (ValueError) only when the FIRST wavelet (freqs[0]) is longer than the signal; '
        'a longer later wavelet only gives a UserWarning and the result is computed (zero padding) normally.',
        'cwt() with a wavelet longer than the signal warns (UserWarning) and computes normally.',
        'Nyquist check: ValueError only for freqs > sfreq/2 (f == sfreq/2 accepted).',
        'tfr_array_morlet default zero_mean is False; the default here is True (docs/method.md §3.2).',
        'A uniform time axis makes "exceeds-samples" unreachable (t+half <= times[-1] implies start+window_samples '
        '<= n_times), so no fixture exercises it.',
    ]
    uniq = sorted({m.split('(')[0].strip() for _, m in WARNINGS_SEEN})
    dump_json(os.path.join(out, 'README.json'), {
        'generator': 'scripts/make_mne_fixtures.py',
        'rerun': '/usr/bin/python3 scripts/make_mne_fixtures.py test/fixtures/mne',
        'versions': {'mne': mne.__version__, 'numpy': np.__version__, 'scipy': scipy.__version__,
                     'python': sys.version.split()[0]},
        'tolerance': 'max|P_ours - P_mne| <= 1e-9 * max|P_mne| per (channel, frequency) row',
        'cases': CASE_LIST, 'mne_quirks': quirks,
        'mne_warnings_seen': [{'where': w, 'message': m} for w, m in WARNINGS_SEEN],
    })

    for name, what, r in tfr_report:
        print(f'{name:38s} {what}: {r:.3e}')
    print('MNE warnings captured:', len(WARNINGS_SEEN), 'distinct:', uniq)
    for n in sess_notes:
        print('session', n)


if __name__ == '__main__':
    main()

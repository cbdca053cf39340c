#!/usr/bin/python3
"""Golden fixtures for the lab's published analysis (docs/method.md §2.2, §3, §8.1, §8.2), from numpy + MNE 1.3.

How to rerun
------------
    /usr/bin/python3 scripts/make_analysis_fixtures.py [OUTPUT_DIR]      (default: test/fixtures/mne/analysis)

Use Debian's /usr/bin/python3 (MNE 1.3.0, numpy 1.24, scipy 1.10). OUTPUT_DIR is DELETED and rewritten.
Deterministic: all data comes from `np.random.default_rng(<fixed seed>)`.
NOTE: scripts/make_mne_fixtures.py (npm run fixtures:mne) deletes the whole test/fixtures/mne tree, this
directory included: rerun this script after it.

This script is independent of the TypeScript: it follows docs/method.md literally with numpy and MNE, and
checks itself (direct non-FFT convolution vs MNE power to 1e-9 per row, MNE rescale vs the §8.1 table by
hand, pre-event z by explicit loops, theta scalars by explicit loops).

Conventions
-----------
* every .npy is float64, little-endian, C order, written with np.save; JSON with json.dump(indent=1) (floats
  as repr, so they round-trip exactly).
* `<s>` in file names is the size as an integer ("1", "2", "3").
* Paths in params.json ("sessions") and expected.json ("files") are relative to the case directory.

Layout (<out> = OUTPUT_DIR)
---------------------------
<out>/cases.json           generator, versions, the cases with their descriptions, sessions and file lists.
<out>/sessions/main/       the input session shared by every single-session case (one copy instead of nine keeps
                           the fixtures small: 32 ch x 8000 samples x 8 B = 2 MB per session):
                              eeg.npy (32, 8000) = 40 s at 200 Hz, eeg_time.npy (8000,) = arange(8000)/200,
                              nm_peak_times.npy, nm_sizes.npy (11,), iti_peak_times.npy, iti_sizes.npy (10,),
                              meta.json {"rat_id": "9151", "session_date": "010125", "sfreq": 200}
<out>/<case>/params.json   every analysis parameter (below), plus "sessions": [session dirs relative to the case]
<out>/<case>/expected.json window_samples, resolved ROIs, per events kind the valid event indices per size and
                           the invalid events, theta rows, the list of .npy files written (see below)
<out>/<case>/freqs.npy (n_freqs,), n_cycles.npy (n_freqs,) (the per-frequency cycles used), window_times.npy
                           (window_samples,) -- always at the top of the case directory.
Per ROI r (files in `roi_<r>/` when the case has more than one ROI, else in the case directory itself), per events
kind k in params "events" (nm, iti) and each size s having at least one valid event:
    <k>_size_<s>_windows.npy   (n_events, n_freqs, window_samples)   normalised ROI windows, valid events in input order
    <k>_size_<s>_mean.npy      (n_freqs, window_samples)             windows.mean(axis=0)
    nm_minus_iti_size_<s>_mean.npy  = nm mean - iti mean, for sizes present in both kinds
  (windows are omitted where noted; expected.json "files" lists exactly what exists.)

params.json keys: sfreq, rat_id, sessions, freq_range + n_freqs (-> np.geomspace) OR freqs (explicit list),
  n_cycles (fixed number) OR n_cycles_factor (n_cycles = np.maximum(3, freqs * factor)), zero_mean (true),
  window_duration (2.0), normalize ("session-z" | "pre-event" | "pre-event-channel" | "baseline"), baseline
  [b0, b1], baseline_mode (used only by normalize "baseline"), min_events (2: every group of these fixtures
  is used), events (["nm", "iti"] or ["nm"]), rois (names; "all"), theta_band [lo, hi], theta_window [t0, t1],
  note.
expected.json keys: window_samples, n_times, rois {name: {channels, electrodes}} (in analysis order),
  events {k: {sizes: {"<s>": {n_events, valid_events}}, invalid_events: [{index, time, size, reason}]}},
  theta [{roi, events, size, n_events, theta}] (named ROIs, ROI order, events order, sizes ascending),
  electrode_theta [{electrode, channel, events, size, n_events, theta}] (only pre_event_all), files [...].

Cases (all: rat 9151, sfreq 200, 2.0 s windows -> window_samples = int(2.0*200) = 400, zero_mean True)
-----
  session_z_frontal_motor  normalize session-z (§3.4), ROIs frontal [20,21,23,24] + motor [10,17,19,22,25,27]
                           (roi_frontal/, roi_motor/), events nm+iti, geomspace(3, 8, 6), n_cycles_factor 3.0 (the
                           default rule, the only factor case), theta band [3,7] (drops the 8 Hz row), theta window
                           [0.0, 0.5]; windows + means for both ROIs.
  pre_event_frontal        normalize pre-event (§8.1), baseline [-1.0,-0.5], ROI frontal, events nm+iti,
                           geomspace(3, 7, 6), n_cycles 5, theta [3,7] x [-0.2,0]; windows + means.
  pre_event_channel_frontal  normalize pre-event-channel (§8.1), otherwise as pre_event_frontal.
  baseline_<mode>_frontal  for mode in mean, ratio, logratio, percent, zscore, zlogratio: normalize baseline,
                           MNE rescale per event per channel, then the channel mean; ROI frontal, events nm only,
                           explicit freqs [3,4,5,6,7,9], n_cycles 5, baseline [-1.0,-0.5], theta band [4,7] (exact
                           4.0 and 7.0 are on the grid: inclusive ends), theta window [0.1, 0.4];
                           windows + means for zscore, means only for the others.
  pre_event_all            normalize pre-event, ROI "all" = frontal, motor, ss, hippocampus, visual (roi_<name>/)
                           and every electrode N as a one-channel ROI "e<N>"; events nm+iti, geomspace(3,7,6),
                           n_cycles 5, baseline [-1.0,-0.5], theta [3,7] x [-0.2,0]; roi_frontal/ has windows +
                           means, the other named ROIs and roi_e2/ have means (+ contrast) only; electrode_theta
                           rows for all 32 electrodes.
  rat_pre_event            rat 9151, two sessions session_0/ (40 s) and session_1/ (42 s) with their own data
                           and events; pre-event within each session, ROI frontal, events nm+iti, geomspace(3,7,6),
                           n_cycles 5; rat result = mean over the concatenated windows (session order) of all valid
                           events; session_1 has no ITI size 3, so rat ITI size 3 comes from session 0 only.
                           Rat dir: <k>_size_<s>_mean.npy, nm_minus_iti_size_<s>_mean.npy (no rat windows);
                           session_<i>/ holds the inputs plus that session's <k>_size_<s>_mean.npy and expected.json.
                           expected.json: events {k: {sizes: {"<s>": {n_events, n_sessions, sessions,
                           events: [[session, index], ...]}}}}, theta (rat rows), session_theta (rows + "session").

Decisions / ambiguities resolved (a TypeScript implementation must match these)
------------------------------------------------------------------------------
* Events (§3.5): `half = window_duration/2`; valid iff t-half >= times[0] and t+half <= times[-1] (event at
  t = 1.0 exactly is valid with start 0); start = searchsorted(times, t-half, 'left'); window = [start, start+400).
  Invalid events (reasons starts-before-recording / ends-after-recording) are listed and never windowed; they
  take no part in any statistic. Sizes ascending; a size with no valid event does not appear.
* window_times = np.linspace(-half, half, window_samples) = linspace(-1, 1, 400) (step 2/399, no sample at 0).
  Every time mask is computed on this array with both ends inclusive: baseline
  (window_times >= b0) & (window_times <= b1) (b0 = -1.0 equals window_times[0] exactly, so sample 0 is in;
  -> samples 0..99), theta (window_times >= t0) & (window_times <= t1) ([-0.2,0] -> 160..199, [0,0.5] -> 200..299,
  [0.1,0.4] -> 220..279). Frequency mask (freqs >= lo) & (freqs <= hi) (geomspace(3,8,6) with [3,7] -> rows 0..4).
  theta = M[np.ix_(fmask, tmask)].mean() of the (roi, events, size) mean M.
* session-z (§3.4): per channel and frequency over the whole session, mean, std (ddof 0) floored at 1e-12,
  z = (P - mean)/std; ROI = mean over ROI channels (ROI = ascending channel order, §2.2); windows cut from it.
* pre-event (§8.1): the session-z ROI windows R_e (above), then per (events kind, size), within one session,
  over that group's VALID events: b_e = R_e[:, bmask].mean(-1); m = mean_e b_e; s = max(std_e b_e (ddof 0),
  1e-12); Z_e = (R_e - m)/s (broadcast over time). An electrode (a one-channel ROI) likewise.
* pre-event-channel (§8.1): per channel, per (events kind, size), within one session, over that group's VALID
  events: b_e = W_e[:, bmask].mean(-1); m = mean_e b_e; s = max(std_e b_e (ddof 0), 1e-12); Z_e = (W_e - m)/s
  (broadcast over time) on the raw power windows W_e; ROI window = mean over the ROI's channels (ROI order)
  of Z_e. nm and iti are normalised separately (each group uses its own m, s). No fixture has a one-event
  group (std 0 -> floor).
* baseline (§8.1): mne.baseline.rescale(W_e, window_times, (b0, b1), mode=mode, copy=True) per event per
  channel on the raw power window (F, 400); ROI window = mean over channels. (MNE's imin/imax equal the
  inclusive mask above; asserted.) Note MNE's zscore divides by np.std(W - mu over the baseline), which equals
  std(B) up to rounding.
* Per-size mean = windows.mean(axis=0); contrast nm_minus_iti = nm mean - iti mean (same ROI, same size).
* ROI "all": the five named ROIs in data/roi_map.json order, then e1..e32; electrode e<N> -> channel
  rat_row.index(N) (rat 9151: e2 -> 21). expected.json "theta" holds only the five named ROIs; the
  electrodes are in "electrode_theta" (rows by electrode 1..32, then events, then size).
* Rat (§3.6 + §8.1): normalisation within each session; per (kind, size) the rat windows are the sessions'
  windows concatenated in session order; rat mean = their mean (each event weighs the same); rat theta from
  the rat mean; n_events = total valid events.
* Power: MNE tfr_array_morlet(eeg[None], 200., freqs, n_cycles, zero_mean=True, output='power')[0] on all 32
  channels at once (n_cycles passed as the scalar 5.0, or as the array max(3, 3 f)).
* Synthetic data (§7 + bursts): per channel 0.5 sin(2 pi 4 t + p1) + 0.3 sin(2 pi 8 t + p2) + 0.2 sin(2 pi 15 t
  + p3) + 0.1 N(0,1) (random phases), plus after each NM event (t >= t_e) g_c * 0.4 s sin(2 pi 6 (t - t_e))
  exp(-(t - t_e - 0.25)^2 / (2 0.1^2)) with a per-channel gain g_c in [0.3, 1.5]; ITI events have no burst.
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
from mne.baseline import rescale
from mne.time_frequency import morlet, tfr_array_morlet

mne.set_log_level('WARNING')

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..'))
DATA = os.path.join(ROOT, 'data')
DEFAULT_OUT = os.path.join(ROOT, 'test', 'fixtures', 'mne', 'analysis')

SFREQ = 200.0
WD = 2.0
RAT = '9151'
KINDS = ('nm', 'iti')
MODES = ('mean', 'ratio', 'logratio', 'percent', 'zscore', 'zlogratio')
CASES = []        # for cases.json
CHECKS = []       # (what, value) for the summary


# ----------------------------------------------------------------------------- I/O
def save_npy(path, arr):
    arr = np.ascontiguousarray(np.asarray(arr))
    assert arr.dtype == np.float64 and not np.iscomplexobj(arr), (path, arr.dtype)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, arr)


def dump_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f, indent=1)
        f.write('\n')


def size_key(s):
    s = float(s)
    return str(int(s)) if s == int(s) else repr(s)


# ----------------------------------------------------------------------------- ROIs (§2.2)
def rat_row(rat_id):
    with open(os.path.join(DATA, 'electrode_mappings.csv')) as f:
        rows = {r['rat_id']: r for r in csv.DictReader(f)}
    return [int(rows[rat_id][f'ch_{i}']) for i in range(32)]


def roi_map():
    with open(os.path.join(DATA, 'roi_map.json')) as f:
        return json.load(f)  # insertion order = file order


def resolve_rois(rat_id, names):
    """-> list of (name, channels, electrodes); 'all' = five named ROIs then e1..e32."""
    row, rmap = rat_row(rat_id), roi_map()
    out = []
    for n in names:
        if n == 'all':
            out += resolve_rois(rat_id, list(rmap) + [f'e{k}' for k in range(1, 33)])
            continue
        electrodes = [int(n[1:])] if n not in rmap else list(rmap[n])
        chans = [i for i, e in enumerate(row) if e in electrodes]
        assert chans, n
        out.append((n, chans, electrodes))
    return out


# ----------------------------------------------------------------------------- synthetic sessions
def synth_session(seed, n_times, nm, iti, n_ch=32):
    rng = np.random.default_rng(seed)
    t = np.arange(n_times) / SFREQ
    eeg = np.empty((n_ch, n_times))
    for c in range(n_ch):
        ph = rng.uniform(0, 2 * np.pi, 3)
        eeg[c] = (0.5 * np.sin(2 * np.pi * 4 * t + ph[0]) + 0.3 * np.sin(2 * np.pi * 8 * t + ph[1])
                  + 0.2 * np.sin(2 * np.pi * 15 * t + ph[2]) + 0.1 * rng.standard_normal(n_times))
    gain = rng.uniform(0.3, 1.5, n_ch)
    for te, s in nm:
        m = t >= te
        dt = t[m] - te
        burst = 0.4 * s * np.sin(2 * np.pi * 6 * dt) * np.exp(-(dt - 0.25) ** 2 / (2 * 0.1 ** 2))
        eeg[:, m] += gain[:, None] * burst[None, :]
    return {'eeg': eeg, 'eeg_time': t,
            'nm_t': np.array([e[0] for e in nm], float), 'nm_s': np.array([e[1] for e in nm], float),
            'iti_t': np.array([e[0] for e in iti], float), 'iti_s': np.array([e[1] for e in iti], float)}


def write_session(d, s, date):
    save_npy(os.path.join(d, 'eeg.npy'), s['eeg'])
    save_npy(os.path.join(d, 'eeg_time.npy'), s['eeg_time'])
    save_npy(os.path.join(d, 'nm_peak_times.npy'), s['nm_t'])
    save_npy(os.path.join(d, 'nm_sizes.npy'), s['nm_s'])
    save_npy(os.path.join(d, 'iti_peak_times.npy'), s['iti_t'])
    save_npy(os.path.join(d, 'iti_sizes.npy'), s['iti_s'])
    dump_json(os.path.join(d, 'meta.json'), {'rat_id': RAT, 'session_date': date, 'sfreq': int(SFREQ)})


# ----------------------------------------------------------------------------- power (§3) + self-check
def mne_power(eeg, freqs, n_cycles):
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # no warning expected: every wavelet is shorter than the session
        return tfr_array_morlet(eeg[None], SFREQ, freqs, n_cycles=n_cycles, zero_mean=True, output='power')[0]


def direct_power_row(x, f, n):
    """§3.2–3.3 written out: wavelet by the text, full linear convolution with np.convolve (no FFT), centre."""
    sigma_t = n / (2.0 * np.pi * f)
    m = len(np.arange(0.0, 5.0 * sigma_t, 1.0 / SFREQ))
    tk = np.arange(m) / SFREQ
    tt = np.concatenate([-tk[::-1], tk[1:]])
    osc = np.exp(2j * np.pi * f * tt) - np.exp(-2.0 * (np.pi * f * sigma_t) ** 2)
    w = osc * np.exp(-tt ** 2 / (2.0 * sigma_t ** 2))
    w /= np.sqrt(0.5) * np.linalg.norm(w)
    ref = morlet(SFREQ, [f], n_cycles=n, zero_mean=True)[0]
    assert ref.shape == w.shape and np.abs(ref - w).max() <= 1e-14 * np.abs(ref).max()
    y = np.convolve(x, w.real) + 1j * np.convolve(x, w.imag)
    h = (len(w) - 1) // 2
    y = y[h:h + len(x)]
    return y.real ** 2 + y.imag ** 2


def check_power(tag, eeg, power, freqs, ncy, channel):
    worst = 0.0
    for j, (f, n) in enumerate(zip(freqs, ncy)):
        d = direct_power_row(eeg[channel], f, n)
        r = np.abs(d - power[channel, j]).max() / np.abs(power[channel, j]).max()
        assert r <= 1e-9, (tag, j, r)
        worst = max(worst, r)
    CHECKS.append((f'{tag}: direct convolution vs MNE, channel {channel}, all {len(freqs)} freqs, worst row rel', worst))


# ----------------------------------------------------------------------------- events (§3.5)
def event_windows(times, n_times, ev_t, ev_s, ws):
    half = WD / 2
    valid, invalid = {}, []
    for i, (t, s) in enumerate(zip(ev_t, ev_s)):
        t, s = float(t), float(s)
        if not np.isfinite(t):
            invalid.append({'index': i, 'time': t, 'size': s, 'reason': 'non-finite-time'})
        elif not np.isfinite(s):
            invalid.append({'index': i, 'time': t, 'size': s, 'reason': 'non-finite-size'})
        elif t - half < times[0]:
            invalid.append({'index': i, 'time': t, 'size': s, 'reason': 'starts-before-recording'})
        elif t + half > times[-1]:
            invalid.append({'index': i, 'time': t, 'size': s, 'reason': 'ends-after-recording'})
        else:
            start = int(np.searchsorted(times, t - half, side='left'))
            if start + ws > n_times:
                invalid.append({'index': i, 'time': t, 'size': s, 'reason': 'exceeds-samples'})
            else:
                valid.setdefault(s, []).append((i, start))
    return {s: valid[s] for s in sorted(valid)}, invalid


# ----------------------------------------------------------------------------- normalisation (§3.4, §8.1)
def channel_windows(power, c, starts, ws):
    return np.stack([power[c, :, st:st + ws] for st in starts])  # (n_e, F, ws)


def group_baseline_z(W, bmask):
    """(W_e - m) / s over a group's windows W (n_e, F, ws): b_e the baseline means, m, s their mean and std."""
    b = W[:, :, bmask].mean(axis=-1)          # (n_e, F)
    m = b.mean(axis=0)
    s = np.maximum(b.std(axis=0), 1e-12)
    return (W - m[None, :, None]) / s[None, :, None]


def group_baseline_z_by_loops(W, wt, b0, b1):
    n_e, F, ws = W.shape
    out = np.empty_like(W)
    for f in range(F):
        b = [sum(W[e, f, t] for t in range(ws) if b0 <= wt[t] <= b1) / sum(1 for t in range(ws) if b0 <= wt[t] <= b1)
             for e in range(n_e)]
        m = sum(b) / n_e
        s = max(np.sqrt(sum((x - m) ** 2 for x in b) / n_e), 1e-12)
        out[:, f] = (W[:, f] - m) / s
    return out


def baseline_channel(Wc, wt, bl, mode):
    return np.stack([rescale(W, wt, bl, mode=mode, copy=True) for W in Wc])


def baseline_by_hand(W, bmask, mode):
    B = W[:, bmask]
    mu = B.mean(-1, keepdims=True)
    if mode == 'mean':
        return W - mu
    if mode == 'ratio':
        return W / mu
    if mode == 'logratio':
        return np.log10(W / mu)
    if mode == 'percent':
        return (W - mu) / mu
    if mode == 'zscore':
        return (W - mu) / B.std(-1, keepdims=True)
    return np.log10(W / mu) / np.log10(B / mu).std(-1, keepdims=True)


def session_z(power):
    mean = power.mean(axis=-1, keepdims=True)
    std = np.maximum(power.std(axis=-1, keepdims=True), 1e-12)
    return (power - mean) / std


def theta_scalar(M, freqs, wt, band, twin):
    fmask = (freqs >= band[0]) & (freqs <= band[1])
    tmask = (wt >= twin[0]) & (wt <= twin[1])
    v = M[np.ix_(fmask, tmask)].mean()
    acc, n = 0.0, 0  # explicit loops, as a check
    for i in range(M.shape[0]):
        for j in range(M.shape[1]):
            if band[0] <= freqs[i] <= band[1] and twin[0] <= wt[j] <= twin[1]:
                acc += M[i, j]
                n += 1
    assert n == fmask.sum() * tmask.sum() and abs(acc / n - v) <= 1e-12 * max(1.0, abs(v))
    return float(v)


# ----------------------------------------------------------------------------- one session analysis
def analyze(sess, p, rois, tag):
    """Returns {'freqs','ncy','wt','ws','events': {kind: {'valid','invalid'}}, 'roi': {name: {kind: {size: windows}}}}."""
    freqs = (np.asarray(p['freqs'], float) if 'freqs' in p
             else np.geomspace(p['freq_range'][0], p['freq_range'][1], p['n_freqs']))
    if 'n_cycles_factor' in p:
        ncy_pass = np.maximum(3, freqs * p['n_cycles_factor'])
        ncy = ncy_pass
    else:
        ncy_pass = float(p['n_cycles'])
        ncy = np.full(len(freqs), ncy_pass)
    eeg = sess['eeg']
    n_times = eeg.shape[1]
    power = mne_power(eeg, freqs, ncy_pass)
    assert power.shape == (eeg.shape[0], len(freqs), n_times)
    ws = int(p['window_duration'] * SFREQ)
    half = p['window_duration'] / 2
    wt = np.linspace(-half, half, ws)
    b0, b1 = p['baseline']
    bmask = (wt >= b0) & (wt <= b1)
    # MNE rescale's slice equals the inclusive mask
    imin = int(np.where(wt >= b0)[0][0])
    imax = int(np.where(wt <= b1)[0][-1]) + 1
    assert np.array_equal(np.flatnonzero(bmask), np.arange(imin, imax))
    assert ws == 400 and wt[0] == b0 == -1.0 and (imin, imax) == (0, 100)  # exact tie at the first sample
    tm = np.flatnonzero((wt >= p['theta_window'][0]) & (wt <= p['theta_window'][1]))
    assert (tm[0], tm[-1]) in {(160, 199), (200, 299), (220, 279)}, tm

    events = {}
    for k in p['events']:
        valid, invalid = event_windows(sess['eeg_time'], n_times, sess[k + '_t'], sess[k + '_s'], ws)
        events[k] = {'valid': valid, 'invalid': invalid}
    chans = sorted({c for _, ch, _ in rois for c in ch})
    norm = p['normalize']
    if norm in ('session-z', 'pre-event'):
        Z = session_z(power[chans])
        # check one row by hand
        row = power[chans[0], 0]
        mu = row.sum() / n_times
        sd = max(np.sqrt(((row - mu) ** 2).sum() / n_times), 1e-12)
        assert np.allclose(Z[0, 0], (row - mu) / sd, rtol=1e-12, atol=1e-12)
    per_ch = {}  # (c, kind, size) -> (n_e, F, ws)
    for c_i, c in enumerate(chans):
        for k, ev in events.items():
            for s, lst in ev['valid'].items():
                starts = [st for _, st in lst]
                if norm in ('session-z', 'pre-event'):
                    per_ch[(c, k, s)] = np.stack([Z[c_i, :, st:st + ws] for st in starts])
                    continue
                Wc = channel_windows(power, c, starts, ws)
                if norm == 'pre-event-channel':
                    per_ch[(c, k, s)] = group_baseline_z(Wc, bmask)
                elif norm == 'baseline':
                    per_ch[(c, k, s)] = baseline_channel(Wc, wt, (b0, b1), p['baseline_mode'])
                else:
                    raise ValueError(norm)
    # self-checks of the normalisation on the first channel / first group
    c0 = chans[0]
    k0 = p['events'][0]
    s0, lst0 = next(iter(events[k0]['valid'].items()))
    Wc = channel_windows(power, c0, [st for _, st in lst0], ws)
    if norm == 'pre-event-channel':
        assert np.allclose(per_ch[(c0, k0, s0)], group_baseline_z_by_loops(Wc, wt, b0, b1), rtol=1e-10, atol=1e-10)
        CHECKS.append((f'{tag}: pre-event-channel z by loops', 'ok'))
    if norm == 'baseline':
        worst = 0.0
        for e in range(Wc.shape[0]):
            h = baseline_by_hand(Wc[e], bmask, p['baseline_mode'])
            r = np.abs(h - per_ch[(c0, k0, s0)][e]).max() / np.abs(h).max()
            worst = max(worst, r)
        assert worst <= 1e-12, (tag, worst)
        CHECKS.append((f'{tag}: MNE rescale vs §8.1 table, max rel', worst))

    out = {}
    for name, ch, _ in rois:
        out[name] = {}
        for k, ev in events.items():
            out[name][k] = {}
            for s in ev['valid']:
                wins = np.stack([per_ch[(c, k, s)] for c in ch]).mean(axis=0)
                assert wins.shape == (len(ev['valid'][s]), len(freqs), ws)
                if norm == 'pre-event':
                    z = group_baseline_z(wins, bmask)
                    if name == rois[0][0] and k == k0 and s == s0:
                        assert np.allclose(z, group_baseline_z_by_loops(wins, wt, b0, b1), rtol=1e-10, atol=1e-10)
                        CHECKS.append((f'{tag}: pre-event z of the ROI windows by loops', 'ok'))
                    wins = z
                out[name][k][s] = wins
    return {'freqs': freqs, 'ncy': ncy, 'wt': wt, 'ws': ws, 'n_times': n_times, 'events': events, 'roi': out,
            'power': power}


def events_json(events):
    return {k: {'sizes': {size_key(s): {'n_events': len(l), 'valid_events': [i for i, _ in l]}
                          for s, l in ev['valid'].items()},
                'invalid_events': ev['invalid']} for k, ev in events.items()}


def write_roi_files(case_dir, sub, groups, windows, files):
    """groups: {kind: {size: windows}}; writes means (+ windows) + contrasts into case_dir/sub."""
    d = os.path.join(case_dir, sub) if sub else case_dir
    means = {}
    for k, g in groups.items():
        for s, w in g.items():
            m = w.mean(axis=0)
            means[(k, s)] = m
            if windows:
                save_npy(os.path.join(d, f'{k}_size_{size_key(s)}_windows.npy'), w)
                files.append(os.path.join(sub, f'{k}_size_{size_key(s)}_windows.npy') if sub else
                             f'{k}_size_{size_key(s)}_windows.npy')
            save_npy(os.path.join(d, f'{k}_size_{size_key(s)}_mean.npy'), m)
            files.append(os.path.join(sub, f'{k}_size_{size_key(s)}_mean.npy') if sub else
                         f'{k}_size_{size_key(s)}_mean.npy')
    if 'nm' in groups and 'iti' in groups:
        for s in sorted(set(groups['nm']) & set(groups['iti'])):
            fn = f'nm_minus_iti_size_{size_key(s)}_mean.npy'
            save_npy(os.path.join(d, fn), means[('nm', s)] - means[('iti', s)])
            files.append(os.path.join(sub, fn) if sub else fn)
    return means


def theta_rows(p, freqs, wt, name, groups, extra=None):
    rows = []
    for k in p['events']:
        for s, w in groups.get(k, {}).items():
            row = dict(extra or {})
            row.update({'roi': name, 'events': k, 'size': int(s) if s == int(s) else s,
                        'n_events': int(w.shape[0]),
                        'theta': theta_scalar(w.mean(axis=0), freqs, wt, p['theta_band'], p['theta_window'])})
            rows.append(row)
    return rows


def base_params(**kw):
    p = {'sfreq': int(SFREQ), 'rat_id': RAT, 'sessions': ['../sessions/main'],
         'freq_range': [3.0, 7.0], 'n_freqs': 6, 'n_cycles': 5.0, 'zero_mean': True,
         'window_duration': WD, 'normalize': 'pre-event', 'baseline': [-1.0, -0.5], 'baseline_mode': 'zscore',
         'min_events': 2,
         'events': ['nm', 'iti'], 'rois': ['frontal'], 'theta_band': [3.0, 7.0], 'theta_window': [-0.2, 0.0]}
    p.update(kw)
    return {k: v for k, v in p.items() if v is not None}  # None removes a key


def file_bytes(case_dir):
    n, b = 0, 0
    for root, _, fs in os.walk(case_dir):
        for f in fs:
            n += 1
            b += os.path.getsize(os.path.join(root, f))
    return n, b


# ----------------------------------------------------------------------------- single-session cases
def single_case(out, main, name, p, windows_for, desc, electrode_theta=False, extra_means=()):
    """windows_for: set of ROI names whose windows are written ('*' = all); extra_means: electrode ROIs written."""
    d = os.path.join(out, name)
    rois = resolve_rois(RAT, p['rois'])
    res = analyze(main, p, rois, name)
    if name in ('session_z_frontal_motor', 'pre_event_frontal'):
        check_power(name, main['eeg'], res['power'], res['freqs'], res['ncy'], rois[0][1][0])
    named = [r for r in rois if not r[0].startswith('e')]
    multi = len(rois) > 1
    files = ['freqs.npy', 'n_cycles.npy', 'window_times.npy']
    save_npy(os.path.join(d, 'freqs.npy'), res['freqs'])
    save_npy(os.path.join(d, 'n_cycles.npy'), res['ncy'])
    save_npy(os.path.join(d, 'window_times.npy'), res['wt'])
    theta = []
    for rn, ch, el in rois:
        is_named = (rn, ch, el) in named
        if is_named or rn in extra_means:
            write_roi_files(d, f'roi_{rn}' if multi else '', res['roi'][rn],
                            windows_for == '*' or rn in windows_for, files)
        if is_named:
            theta += theta_rows(p, res['freqs'], res['wt'], rn, res['roi'][rn])
    exp = {'window_samples': res['ws'], 'n_times': res['n_times'],
           'rois': {rn: {'channels': ch, 'electrodes': el} for rn, ch, el in rois},
           'events': events_json(res['events']), 'theta': theta}
    if electrode_theta:
        row = rat_row(RAT)
        et = []
        for e in range(1, 33):
            r = theta_rows(p, res['freqs'], res['wt'], f'e{e}', res['roi'][f'e{e}'])
            for x in r:
                et.append({'electrode': e, 'channel': row.index(e), 'events': x['events'], 'size': x['size'],
                           'n_events': x['n_events'], 'theta': x['theta']})
        exp['electrode_theta'] = et
    exp['files'] = files
    dump_json(os.path.join(d, 'expected.json'), exp)
    dump_json(os.path.join(d, 'params.json'), {**p, 'note': desc})
    for f in files:
        assert os.path.exists(os.path.join(d, f)), f
    CASES.append({'name': name, 'description': desc, 'sessions': p['sessions'], 'rois': [r[0] for r in rois],
                  'n_files': len(files)})
    return res, exp


# ----------------------------------------------------------------------------- rat case
def rat_case(out, sessions, p, desc):
    name = 'rat_pre_event'
    d = os.path.join(out, name)
    rois = resolve_rois(RAT, p['rois'])
    assert len(rois) == 1
    rn = rois[0][0]
    pooled = {}   # (k, s) -> list of (session, windows, valid_event_indices)
    session_theta = []
    res0 = None
    for i, sess in enumerate(sessions):
        sd = os.path.join(d, f'session_{i}')
        write_session(sd, sess, f'0{i + 2}0125')
        res = analyze(sess, p, rois, f'{name}/session_{i}')
        if i == 0:
            check_power(name + '/session_0', sess['eeg'], res['power'], res['freqs'], res['ncy'], rois[0][1][0])
            res0 = res
        else:
            assert np.array_equal(res['freqs'], res0['freqs']) and np.array_equal(res['wt'], res0['wt'])
        sfiles = []
        write_roi_files(sd, '', {k: res['roi'][rn][k] for k in p['events']}, False, sfiles)
        rows = theta_rows(p, res['freqs'], res['wt'], rn, res['roi'][rn], extra={'session': i})
        session_theta += rows
        dump_json(os.path.join(sd, 'expected.json'), {
            'window_samples': res['ws'], 'n_times': res['n_times'], 'events': events_json(res['events']),
            'theta': rows, 'files': sfiles})
        for k in p['events']:
            for s, w in res['roi'][rn][k].items():
                pooled.setdefault((k, s), []).append((i, w, [j for j, _ in res['events'][k]['valid'][s]]))
    groups = {k: {} for k in p['events']}
    ev_json = {k: {'sizes': {}} for k in p['events']}
    for (k, s) in sorted(pooled, key=lambda x: (p['events'].index(x[0]), x[1])):
        parts = pooled[(k, s)]
        w = np.concatenate([x[1] for x in parts], axis=0)
        groups[k][s] = w
        ev_json[k]['sizes'][size_key(s)] = {'n_events': int(w.shape[0]), 'n_sessions': len(parts),
                                            'sessions': [x[0] for x in parts],
                                            'events': [[x[0], j] for x in parts for j in x[2]]}
    files = ['freqs.npy', 'n_cycles.npy', 'window_times.npy']
    save_npy(os.path.join(d, 'freqs.npy'), res0['freqs'])
    save_npy(os.path.join(d, 'n_cycles.npy'), res0['ncy'])
    save_npy(os.path.join(d, 'window_times.npy'), res0['wt'])
    write_roi_files(d, '', groups, False, files)
    theta = theta_rows(p, res0['freqs'], res0['wt'], rn, groups)
    exp = {'rat_id': RAT, 'window_samples': res0['ws'],
           'rois': {rn: {'channels': rois[0][1], 'electrodes': rois[0][2]}},
           'events': ev_json, 'theta': theta, 'session_theta': session_theta, 'files': files}
    dump_json(os.path.join(d, 'expected.json'), exp)
    dump_json(os.path.join(d, 'params.json'), {**p, 'note': desc})
    CASES.append({'name': name, 'description': desc, 'sessions': p['sessions'], 'rois': [rn],
                  'n_files': len(files)})
    return exp


# ----------------------------------------------------------------------------- main
def main():
    out = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    assert mne.__version__.startswith('1.3'), mne.__version__
    assert os.path.basename(out.rstrip('/')) == 'analysis', 'refusing to delete a directory not named analysis'
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)

    # shared session: 40 s; NM (time, size) unsorted sizes; invalid: 0.62 (start), 39.3 (end); 1.0 exactly valid
    nm = [(23.417, 2), (0.62, 1), (7.803, 3), (31.255, 1), (12.09, 2), (35.6, 3), (1.0, 1), (29.71, 2),
          (39.3, 3), (17.333, 3), (27.9, 1)]
    iti = [(5.55, 3), (20.2, 1), (33.06, 2), (38.996, 1), (14.41, 2), (36.8, 1), (3.3, 3), (25.6, 2),
           (0.999, 2), (9.12, 3)]
    main_s = synth_session(9001, 8000, nm, iti)
    write_session(os.path.join(out, 'sessions', 'main'), main_s, '010125')

    # 1. session-z, two ROIs, default factor rule
    p = base_params(normalize='session-z', rois=['frontal', 'motor'], freq_range=[3.0, 8.0], n_cycles=None,
                    n_cycles_factor=3.0, theta_window=[0.0, 0.5])
    _, e1 = single_case(out, main_s, 'session_z_frontal_motor', p, '*',
                        'session-z (§3.4), ROIs frontal+motor, nm+iti, geomspace(3,8,6), n_cycles_factor 3, '
                        'theta [3,7] Hz x [0,0.5] s')
    assert e1['events']['nm']['invalid_events'][0]['reason'] == 'starts-before-recording'
    assert [x['index'] for x in e1['events']['nm']['invalid_events']] == [1, 8]
    assert [x['index'] for x in e1['events']['iti']['invalid_events']] == [3, 8]
    assert 6 in e1['events']['nm']['sizes']['1']['valid_events']  # t = 1.0 exactly: t - half == times[0]

    # 2. pre-event frontal
    r2, _ = single_case(out, main_s, 'pre_event_frontal', base_params(), '*',
                        'pre-event (§8.1) baseline [-1,-0.5], ROI frontal, nm+iti, geomspace(3,7,6), n_cycles 5, '
                        'theta [3,7] x [-0.2,0]')
    r2c, _ = single_case(out, main_s, 'pre_event_channel_frontal', base_params(normalize='pre-event-channel'), '*',
                         'pre-event-channel (§8.1) baseline [-1,-0.5], ROI frontal, nm+iti, geomspace(3,7,6), '
                         'n_cycles 5, theta [3,7] x [-0.2,0]')
    # the two pre-event forms differ on an ROI of several channels
    assert not np.allclose(r2['roi']['frontal']['nm'][1.0], r2c['roi']['frontal']['nm'][1.0])
    # 3. baseline modes
    for mode in MODES:
        single_case(out, main_s, f'baseline_{mode}_frontal',
                    base_params(normalize='baseline', baseline_mode=mode, events=['nm'],
                                freqs=[3.0, 4.0, 5.0, 6.0, 7.0, 9.0], theta_band=[4.0, 7.0],
                                theta_window=[0.1, 0.4], freq_range=None, n_freqs=None),
                    '*' if mode == 'zscore' else set(),
                    f'baseline mode {mode}: mne.baseline.rescale per event per channel then channel mean; ROI '
                    f'frontal, nm only, freqs [3,4,5,6,7,9], n_cycles 5, theta [4,7] x [0.1,0.4]')
    # 4. all ROIs + electrodes
    r4, e4 = single_case(out, main_s, 'pre_event_all', base_params(rois=['all']), {'frontal'},
                         'pre-event, ROI all (5 named ROIs + e1..e32), nm+iti, geomspace(3,7,6), n_cycles 5, '
                         'theta [3,7] x [-0.2,0]; windows for frontal only; roi_e2 means; electrode_theta rows',
                         electrode_theta=True, extra_means=('e2',))
    # frontal in pre_event_all must equal pre_event_frontal (same session and parameters)
    for k in KINDS:
        for s in r2['roi']['frontal'][k]:
            assert np.array_equal(r2['roi']['frontal'][k][s], r4['roi']['frontal'][k][s])
    assert len(e4['electrode_theta']) == 32 * 6 and e4['rois']['e2']['channels'] == [21]

    # 5. rat: two sessions
    s0 = synth_session(9002, 8000,
                       [(4.2, 1), (15.73, 3), (9.9, 2), (22.05, 1), (30.4, 2), (35.5, 3), (0.5, 2), (26.66, 3),
                        (12.345, 1), (18.2, 2)],
                       [(6.6, 2), (13.1, 1), (24.4, 3), (33.3, 1), (2.2, 3), (28.75, 2), (39.5, 1)])
    s1 = synth_session(9003, 8400,
                       [(11.11, 2), (3.7, 1), (37.9, 3), (19.5, 3), (25.25, 1), (41.3, 2), (8.08, 2), (31.6, 1)],
                       [(14.8, 1), (5.05, 2), (27.7, 1), (22.2, 2), (34.9, 2)])
    e5 = rat_case(out, [s0, s1], base_params(sessions=['session_0', 'session_1']),
                  'rat 9151, 2 sessions (40 s, 42 s), pre-event within each session, ROI frontal, nm+iti, '
                  'geomspace(3,7,6), n_cycles 5, theta [3,7] x [-0.2,0]; session_1 has no ITI size 3')
    assert e5['events']['iti']['sizes']['3']['sessions'] == [0]

    # every group has >= 2 valid events (so no pre-event std is floored; min_events 2 keeps them all)
    for root, _, fs in os.walk(out):
        if 'expected.json' in fs:
            with open(os.path.join(root, 'expected.json')) as f:
                ev = json.load(f)['events']
            assert all(g['n_events'] >= 2 for k in ev.values() for g in k['sizes'].values()), root
    versions = {'mne': mne.__version__, 'numpy': np.__version__, 'scipy': scipy.__version__,
                'python': sys.version.split()[0]}
    for c in CASES:
        c['n_files_on_disk'], c['bytes'] = file_bytes(os.path.join(out, c['name']))
    dump_json(os.path.join(out, 'cases.json'), {
        'generator': 'scripts/make_analysis_fixtures.py',
        'rerun': '/usr/bin/python3 scripts/make_analysis_fixtures.py test/fixtures/mne/analysis',
        'versions': versions, 'tolerance': 'max|ours - ref| <= 1e-9 * max|ref| per (freq) row',
        'shared_sessions': ['sessions/main'], 'cases': CASES})

    # summary
    print('versions', versions)
    for what, v in CHECKS:
        print(f'  check {what}: {v if isinstance(v, str) else f"{v:.3e}"}')
    tot_n, tot_b = file_bytes(out)
    n, b = file_bytes(os.path.join(out, 'sessions'))
    print(f'sessions/main: {n} files, {b / 1e6:.2f} MB')
    for c in CASES:
        print(f"{c['name']:28s} {c['n_files_on_disk']:3d} files {c['bytes'] / 1e6:6.2f} MB  rois {len(c['rois'])}")
    print(f'TOTAL {tot_n} files, {tot_b / 1e6:.2f} MB')
    for name in ('pre_event_frontal', 'pre_event_channel_frontal', 'session_z_frontal_motor', 'rat_pre_event'):
        with open(os.path.join(out, name, 'expected.json')) as f:
            for r in json.load(f)['theta']:
                print(f"  {name} theta {r['roi']} {r['events']} size {r['size']} n={r['n_events']}: {r['theta']:.6f}")


if __name__ == '__main__':
    main()

#!/usr/bin/python3
"""Write a large session pickle in the lab's layout, for benchmarks of the lazy reader (not committed).

    /usr/bin/python3 scripts/make_large_pickle.py N_SESSIONS OUT.pkl [--protocol 4|5] [--channels 32]
                                                   [--times 255000] [--seed 0]

Example: 40 sessions x 32 x 255,000 Fortran float64 is about 2.6 GB.

The file is exactly what `pickle.dump(sessions, f, protocol=P)` writes for a list of session dicts
(keys as in docs/method.md §2: eeg Fortran-ordered via np.asfortranarray, eeg_time (1, n), ...), except that
the list's items are added one by one (APPEND) instead of in batches (APPENDS), so that only one
session is in memory at a time. Sessions are generated and written one at a time with one pickler
(pure-Python `pickle._Pickler`, which allows saving objects between hand-written opcodes) whose
memo is shared across sessions, so memo indices stay consistent; after each session the memo's
references to its big arrays are replaced by placeholders (memo length unchanged, arrays freed).
Every third rat is 9442 with 28 channels, like the real data.
"""

import argparse
import pickle
import sys
import time

import numpy as np


def make_session(rng, k, n_channels, n_times, sfreq=200.0):
    rat = ['10501', '9151', '9442', '422'][k % 4]
    nch = 28 if rat == '9442' else n_channels
    eeg = np.asfortranarray((rng.standard_normal((n_times, nch)) * 50.0).T)  # like the converter's .T
    dur = n_times / sfreq
    n_ev = 50
    vel_n = n_times // 4
    return {
        'rat_id': rat,
        'session_date': f'{(k % 28) + 1:02d}{(k // 28) % 12 + 1:02d}19',
        'eeg': eeg,
        'eeg_time': (np.arange(n_times) / sfreq)[None, :],
        'nm_peak_times': np.sort(rng.uniform(10.0, dur - 10.0, n_ev)),
        'nm_sizes': rng.choice([1.0, 2.0, 3.0], n_ev),
        'iti_peak_times': np.sort(rng.uniform(10.0, dur - 10.0, n_ev)),
        'iti_sizes': rng.choice([1.0, 2.0, 3.0], n_ev),
        'velocity_trace': rng.standard_normal(vel_n),
        'velocity_time': (np.arange(vel_n) / 50.0)[None, :],
        'file_path': f'/data/lab/rat{rat}/session_{k:03d}.h5',
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('n_sessions', type=int)
    ap.add_argument('out')
    ap.add_argument('--protocol', type=int, default=4, choices=[2, 3, 4, 5])
    ap.add_argument('--channels', type=int, default=32)
    ap.add_argument('--times', type=int, default=255_000)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    if a.times < 200 * 25:
        sys.exit('--times must be at least 5000 (events are placed 10 s from either end)')

    rng = np.random.default_rng(a.seed)
    t0 = time.time()
    with open(a.out, 'wb') as f:
        p = pickle._Pickler(f, protocol=a.protocol)
        # What _Pickler.dump does, with the list written item by item.
        p.write(pickle.PROTO + bytes([a.protocol]))
        if a.protocol >= 4:
            p.framer.start_framing()
        p.write(pickle.EMPTY_LIST)
        root = []  # stands for the list in the memo; kept alive so its id is never reused
        p.memoize(root)
        dead = 0
        for k in range(a.n_sessions):
            s = make_session(rng, k, a.channels, a.times)
            p.save(s)
            p.write(pickle.APPEND)
            # Free the session: keep memo length (indices) but drop references to its objects.
            for key in list(p.memo):
                if not isinstance(key, tuple):
                    idx, _ = p.memo.pop(key)
                    p.memo[('dead', dead)] = (idx, None)
                    dead += 1
            del s
            if (k + 1) % 10 == 0 or k + 1 == a.n_sessions:
                print(f'{k + 1}/{a.n_sessions} sessions, {f.tell() / 1e9:.2f} GB, {time.time() - t0:.0f} s', flush=True)
        p.write(pickle.STOP)
        if a.protocol >= 4:
            p.framer.end_framing()


if __name__ == '__main__':
    main()

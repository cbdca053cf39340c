#!/usr/bin/python3
"""Pickle sessions saved as .npy directories into one file of the lab's layout (docs/method.md §2.1).

    write_lab_pickle.py OUT.pkl SESSION_DIR [SESSION_DIR ...] [--protocol 4]

Each SESSION_DIR holds eeg.npy (n_channels, n_times), eeg_time.npy, nm_peak_times.npy,
nm_sizes.npy, optionally iti_peak_times.npy and iti_sizes.npy, and meta.json {"rat_id",
"session_date"}. As the lab's converter does, eeg is stored
Fortran-ordered (the transpose of an HDF5 (n_times, n_channels) array), eeg_time as (1, n_times),
sizes as floats and ids as str. Used by the benchmarks to turn eeg-parallel's seeded synthetic
sessions into the exact file layout the Python pipeline reads.
"""
import json
import os
import pickle
import sys

import numpy as np


def optional(d, name):
    """An optional event array (ITI control events): empty when the directory lacks it."""
    path = os.path.join(d, name)
    return np.load(path).astype(np.float64) if os.path.exists(path) else np.zeros(0)


def load(d):
    meta = json.load(open(os.path.join(d, "meta.json")))
    eeg = np.load(os.path.join(d, "eeg.npy"))
    n = eeg.shape[1]
    times = np.load(os.path.join(d, "eeg_time.npy")).reshape(1, n)
    return {
        "rat_id": str(meta["rat_id"]),
        "session_date": str(meta["session_date"]),
        "eeg": np.asfortranarray(eeg),
        "eeg_time": times,
        "nm_peak_times": np.load(os.path.join(d, "nm_peak_times.npy")).astype(np.float64),
        "nm_sizes": np.load(os.path.join(d, "nm_sizes.npy")).astype(np.float64),
        "iti_peak_times": optional(d, "iti_peak_times.npy"),
        "iti_sizes": optional(d, "iti_sizes.npy"),
        "velocity_trace": np.zeros(0),
        "velocity_time": np.zeros(0),
        "file_path": f"/synthetic/{meta['rat_id']}/{meta['session_date']}.h5",
    }


def main(argv):
    protocol = 4
    if "--protocol" in argv:
        i = argv.index("--protocol")
        protocol = int(argv[i + 1])
        del argv[i : i + 2]
    out, dirs = argv[0], argv[1:]
    with open(out + ".tmp", "wb") as f:
        pickle.dump([load(d) for d in dirs], f, protocol=protocol)
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/python3
"""Golden fixtures for the statistics core (docs/method.md §8.3) from MNE 1.3 / SciPy / numpy.

How to rerun
------------
    /usr/bin/python3 scripts/make_stats_fixtures.py test/fixtures/mne/stats

Use Debian's /usr/bin/python3 (MNE 1.3.0, numpy 1.24, scipy 1.10), never the `python3` found on
PATH. The output directory (argv[1]) is DELETED and rewritten. All data come from
`np.random.default_rng(<fixed seed>)`, so a rerun gives the same bytes.

Layout (<out> = argv[1])
------------------------
<out>/README.json            versions and the cases with one-line descriptions.
<out>/<case>/                one `mne.stats.permutation_cluster_1samp_test(X, threshold, n_permutations,
                             tail, out_type='mask', seed=0)` call (defaults otherwise):
    X.npy          (n, n_freqs, n_times) float64    the data
    t_obs.npy      (n_freqs, n_times) float64       MNE's t map
    masks.npy      (n_clusters, n_freqs, n_times) uint8, MNE's clusters in MNE's order
    sums.npy       (n_clusters,) float64            each cluster's sum of t (computed with np.sum(t_obs[mask]))
    p_values.npy   (n_clusters,) float64            MNE's cluster p-values
    H0.npy         (len,) float64                   MNE's H0 (only for exact cases: Monte-Carlo draws
                                                    use numpy's RandomState and are not reproduced)
    params.json    {n_observations, n_freqs, n_times, tail, threshold (as passed: null = MNE's default),
                    threshold_used, n_permutations (as passed), exact, n_h0, seed, description}
<out>/ttest_1samp.json       [{values, t, p, df}]: scipy.stats.ttest_1samp(values, 0) (two-sided)
<out>/polyfit_slope.json     [{xs, ys, slope}]: numpy.polyfit(xs, ys, 1)[0]
"""
import json
import shutil
import sys
from pathlib import Path

import mne
import numpy as np
import scipy
from scipy import stats

mne.set_log_level('ERROR')


def blob(n_freqs, n_times, f0, t0, sf, st):
    f = np.arange(n_freqs)[:, None]
    t = np.arange(n_times)[None, :]
    return np.exp(-((f - f0) ** 2) / (2 * sf ** 2) - ((t - t0) ** 2) / (2 * st ** 2))


def make_x(seed, n, n_freqs, n_times, effects, noise=1.0):
    """Noise plus Gaussian blobs: effects = [(amplitude, f0, t0, sigma_f, sigma_t)]."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, n_freqs, n_times)) * noise
    for amp, f0, t0, sf, st in effects:
        # each observation gets the effect scaled by a factor around 1, so the t map varies smoothly
        scale = 1 + 0.3 * rng.standard_normal((n, 1, 1))
        x += amp * scale * blob(n_freqs, n_times, f0, t0, sf, st)[None]
    return x


# name, description, X args, test kwargs
CASES = [
    ('n3_tail0_exact', 'n=3, tail 0, default threshold (t(0.025, 2) = 4.30), exact: 4 entries',
     dict(seed=1, n=3, n_freqs=6, n_times=40, effects=[(6.0, 2, 12, 1.5, 5), (-6.0, 4, 30, 1.2, 4)], noise=0.6),
     dict(tail=0, n_permutations=10000)),
    ('n5_tail1_exact', 'n=5, tail 1, default threshold, exact: 32 entries (the observed labelling twice)',
     dict(seed=2, n=5, n_freqs=6, n_times=40, effects=[(2.5, 3, 20, 1.5, 6), (2.0, 0, 5, 1.0, 3)]),
     dict(tail=1, n_permutations=10000)),
    ('n5_tail-1_exact', 'n=5, tail -1, default threshold, exact: 32 entries',
     dict(seed=3, n=5, n_freqs=6, n_times=40, effects=[(-2.5, 2, 10, 1.5, 6), (-2.5, 4, 33, 1.0, 4), (2.5, 1, 25, 1, 3)]),
     dict(tail=-1, n_permutations=10000)),
    ('n5_no_cluster', 'n=5, tail 0, pure noise under a high explicit threshold: no cluster, empty H0',
     dict(seed=4, n=5, n_freqs=6, n_times=40, effects=[]),
     dict(tail=0, threshold=50.0, n_permutations=10000)),
    ('n8_tail0_both_signs', 'n=8, tail 0, default threshold, positive and negative clusters, exact: 128 entries',
     dict(seed=5, n=8, n_freqs=6, n_times=40, effects=[(1.8, 1, 10, 1.5, 5), (-1.8, 4, 28, 1.5, 5), (1.5, 5, 35, 1, 2)]),
     dict(tail=0, n_permutations=10000)),
    ('n8_tail0_threshold1p5', 'n=8, tail 0, explicit threshold 1.5 (more, larger clusters), exact',
     dict(seed=6, n=8, n_freqs=6, n_times=40, effects=[(1.2, 2, 15, 2, 8), (-1.0, 4, 32, 1, 5)]),
     dict(tail=0, threshold=1.5, n_permutations=10000)),
    ('n8_tail-1_threshold_neg2', 'n=8, tail -1, explicit threshold -2.0, exact: 256 entries',
     dict(seed=7, n=8, n_freqs=6, n_times=40, effects=[(-1.5, 3, 20, 2, 6), (1.5, 0, 5, 1, 3)]),
     dict(tail=-1, threshold=-2.0, n_permutations=10000)),
    ('n8_tail0_montecarlo', 'n=8, tail 0, 50 permutations (Monte-Carlo: t map, masks and sums only)',
     dict(seed=8, n=8, n_freqs=6, n_times=40, effects=[(1.8, 2, 20, 1.5, 6), (-1.6, 5, 8, 1, 4)]),
     dict(tail=0, n_permutations=50)),
    ('n14_tail0_exact', 'n=14 (the lab rats), tail 0, default threshold (2.1604), exact: 8192 entries',
     dict(seed=9, n=14, n_freqs=6, n_times=40, effects=[(1.0, 2, 12, 1.5, 6), (-1.0, 4, 30, 1.5, 5), (0.8, 5, 36, 1, 3)]),
     dict(tail=0, n_permutations=10000)),
    ('n14_tail1_exact', 'n=14, tail 1, default threshold, exact: 16384 entries',
     dict(seed=10, n=14, n_freqs=6, n_times=40, effects=[(1.0, 3, 20, 1.5, 8), (0.9, 0, 3, 1, 3)]),
     dict(tail=1, n_permutations=20000)),
    ('n4_tail1_large_cluster', 'n=4, tail 1, 24 x 600 lattice, one 14400-point cluster (np.sum: pairwise in blocks of 8192), exact',
     dict(seed=13, n=4, n_freqs=24, n_times=600, effects=[(8.0, 10, 250, 1e6, 1e6)], noise=0.5),
     dict(tail=1, n_permutations=10000)),
]


def pairwise_sum(a):
    """numpy's pairwise_sum_DOUBLE without the 8192-element buffer blocks (to check a fixture tells them apart)."""
    n = len(a)
    if n < 8:
        res = 0.0
        for v in a:
            res += v
        return res
    if n <= 128:
        r = list(a[:8])
        i = 8
        while i < n - n % 8:
            for j in range(8):
                r[j] += a[i + j]
            i += 8
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for v in a[i:]:
            res += v
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return pairwise_sum(a[:n2]) + pairwise_sum(a[n2:])


def run_case(out, name, description, xargs, kwargs):
    x = make_x(**xargs)
    n, n_freqs, n_times = x.shape
    tail = kwargs['tail']
    threshold = kwargs.get('threshold')
    if threshold is None:
        # MNE's _check_fun
        threshold_used = -stats.t.ppf(0.05 / (1 + (tail == 0)), n - 1)
        if tail < 0:
            threshold_used = -threshold_used
    else:
        threshold_used = threshold
    t_obs, clusters, p_values, h0 = mne.stats.permutation_cluster_1samp_test(
        x, threshold=threshold, n_permutations=kwargs['n_permutations'], tail=tail, out_type='mask', seed=0)
    exact = kwargs['n_permutations'] >= 2 ** (n - (tail == 0))
    d = out / name
    d.mkdir(parents=True)
    np.save(d / 'X.npy', x)
    np.save(d / 't_obs.npy', t_obs)
    masks = np.array([c for c in clusters], dtype=np.uint8).reshape(len(clusters), n_freqs, n_times)
    np.save(d / 'masks.npy', masks)
    sums = np.array([np.sum(t_obs[c]) for c in clusters], dtype=np.float64)
    if name == 'n4_tail1_large_cluster':
        # np.sum adds pairwise within blocks of 8192 values: this case must tell that from plain pairwise.
        assert sums[0] != 0.0 + pairwise_sum(list(t_obs[clusters[0]])), 'the large cluster does not test the blocks'
    np.save(d / 'sums.npy', sums)
    np.save(d / 'p_values.npy', np.asarray(p_values, dtype=np.float64))
    if exact:
        np.save(d / 'H0.npy', np.asarray(h0, dtype=np.float64))
    params = dict(n_observations=n, n_freqs=n_freqs, n_times=n_times, tail=tail, threshold=threshold,
                  threshold_used=float(threshold_used), n_permutations=kwargs['n_permutations'], exact=bool(exact),
                  n_h0=int(len(h0)), seed=0, description=description)
    with open(d / 'params.json', 'w') as f:
        json.dump(params, f, indent=1)
    signs = ''.join('+' if s > 0 else '-' for s in sums)
    print(f'{name}: {len(clusters)} clusters ({signs}), p={np.round(p_values, 4).tolist()}, H0 {len(h0)}')


def ttest_cases():
    rng = np.random.default_rng(100)
    vectors = [
        rng.standard_normal(14) * 0.3 + 0.2,
        rng.standard_normal(14) * 0.3 - 0.05,
        rng.standard_normal(3) + 1.0,
        np.array([0.5, -0.25]),
        rng.standard_normal(9) * 1e6 + 3e5,
        rng.standard_normal(30) * 1e-7,
        rng.standard_normal(200) + 0.1,
        np.array([1.0, 2.0, 3.0, 4.0, 100.0]),
    ]
    out = []
    for v in vectors:
        r = stats.ttest_1samp(v, 0)
        out.append(dict(values=v.tolist(), t=float(r.statistic), p=float(r.pvalue), df=int(len(v) - 1)))
    return out


def slope_cases():
    rng = np.random.default_rng(101)
    out = []
    sizes = np.array([1.0, 2.0, 3.0])
    for _ in range(6):
        ys = rng.standard_normal(3) * rng.choice([1e-3, 1.0, 50.0])
        out.append(dict(xs=sizes.tolist(), ys=ys.tolist(), slope=float(np.polyfit(sizes, ys, 1)[0])))
    xs = np.sort(rng.uniform(-5, 5, 12))
    ys = 0.7 * xs + rng.standard_normal(12)
    out.append(dict(xs=xs.tolist(), ys=ys.tolist(), slope=float(np.polyfit(xs, ys, 1)[0])))
    out.append(dict(xs=[1.0, 2.0], ys=[3.0, -1.0], slope=float(np.polyfit([1.0, 2.0], [3.0, -1.0], 1)[0])))
    return out


def main():
    out = Path(sys.argv[1])
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for name, description, xargs, kwargs in CASES:
        run_case(out, name, description, xargs, kwargs)
    with open(out / 'ttest_1samp.json', 'w') as f:
        json.dump(ttest_cases(), f, indent=1)
    with open(out / 'polyfit_slope.json', 'w') as f:
        json.dump(slope_cases(), f, indent=1)
    readme = dict(
        generator='scripts/make_stats_fixtures.py',
        rerun='/usr/bin/python3 scripts/make_stats_fixtures.py test/fixtures/mne/stats',
        versions=dict(mne=mne.__version__, numpy=np.__version__, scipy=scipy.__version__,
                      python=sys.version.split()[0]),
        call="mne.stats.permutation_cluster_1samp_test(X, threshold, n_permutations, tail, out_type='mask', seed=0)",
        cases={name: description for name, description, _, _ in CASES},
    )
    with open(out / 'README.json', 'w') as f:
        json.dump(readme, f, indent=1)


if __name__ == '__main__':
    main()

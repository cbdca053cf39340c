#!/usr/bin/python3
"""Small session pickles, shaped like the lab's `all_eeg_data.pkl`, for the TypeScript pickle reader.

How to rerun
------------
    /usr/bin/python3 scripts/make_pickle_fixtures.py [test/fixtures/pickle]

Use Debian's /usr/bin/python3 (numpy 1.24), not the `python3` on PATH. The output directory is
emptied of *.pkl / *.json and rewritten. Deterministic: all data comes from
`np.random.default_rng(<seed>)`, so a rerun gives the same bytes.

Good files (each with `<name>.expected.json`)
---------------------------------------------
A list of session dicts with the converter's keys: rat_id, session_date (str), eeg (float64
(n_channels, n_times), Fortran-ordered via np.asfortranarray, as after the converter's `.T`),
eeg_time (1, n_times), nm_peak_times, nm_sizes (1.0/2.0/3.0), iti_peak_times, iti_sizes,
velocity_trace, velocity_time, file_path (str).

  lab_p4.pkl        protocol 4 (Python 3.8+ default): 3 sessions, rats 10501 (x2) and 9442 with 28 channels
  lab_p2.pkl        protocol 2: bytes spelled _codecs.encode(latin1 text); includes a session with no
                    NM/ITI events (empty arrays, spelled bytes())
  lab_p5.pkl        protocol 5 in-band (plain pickle.dumps): arrays via numpy.core.numeric._frombuffer
                    with BYTEARRAY8 payloads
  np2_p4.pkl        numpy 2.x spelling (numpy._core.multiarray._reconstruct / .scalar), protocol 4
  np2_p5.pkl        numpy 2.x spelling (numpy._core.numeric._frombuffer), protocol 5
  strscalars_p4.pkl rat_id / session_date / file_path as numpy str scalars (np.str_)
  mixed_p4.pkl      big-endian '>f8' eeg; float32 eeg; C-ordered eeg with eeg_time (n,) and sfreq=250.0;
                    int16 eeg (C order); nm arrays as float32 / (1, n) shape

numpy 2.x output is emulated with numpy 1.24: fake modules `numpy._core.multiarray` and
`numpy._core.numeric` are put in sys.modules and a Pickler.reducer_override swaps numpy's
callables for same-named stand-ins, so pickle writes the numpy 2 global names. The opcode stream
is otherwise exactly numpy's own (checked against numpy 2.4 output by hand).

expected.json: {"file", "protocol", "sessions": [{rat_id, session_date, file_path, n_channels,
n_times, sfreq, n_events {label: count}, arrays: {key: {shape, dtype, fortran, byte_order,
sum, sha256, first, last}}, eeg_channel_sha256: [...], eeg_samples: [[channel, sample, value], ...]}]}
where `sha256` is the hex SHA-256 of the array converted to float64, C order, little-endian
(`np.ascontiguousarray(a, dtype='<f8').tobytes()`), and eeg_channel_sha256[c] the same for eeg row c.

Bad files (`bad_manifest.json` lists each with the error class expected and when)
------------------------------------------------------------------------------
truncated, not a pickle, empty, top-level dict, list of ints, missing key, os.system global
(crafted bytes; nothing is executed), object array, complex dtype, shape/byte-count mismatch,
protocol 1, out-of-band buffer (NEXT_BUFFER), unsupported opcode (NEWOBJ on an allowed global),
non-latin-1 protocol 2 payload.
"""

import hashlib
import io
import json
import os
import pickle
import struct
import sys
import types

import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'pickle')

SFREQ = 200.0


def session(rng, rat_id, date, n_channels, n_times, n_events, *, eeg_dtype='<f8', fortran=True,
            time_shape='row', sfreq=None, nm_dtype='<f8', nm_row=False):
    """One session dict like the lab converter's output."""
    eeg = rng.standard_normal((n_channels, n_times)) * 50.0
    if np.dtype(eeg_dtype).kind == 'i':
        eeg = np.round(eeg)
    eeg = eeg.astype(eeg_dtype)
    eeg = np.asfortranarray(eeg) if fortran else np.ascontiguousarray(eeg)
    t = np.arange(n_times, dtype=np.float64) / (sfreq or SFREQ)
    eeg_time = t[None, :] if time_shape == 'row' else t
    dur = n_times / (sfreq or SFREQ)
    peaks = np.sort(rng.uniform(0.5, dur - 0.5, n_events))
    sizes = rng.choice([1.0, 2.0, 3.0], n_events)
    nm_peak = peaks.astype(nm_dtype)
    nm_sizes = sizes.astype(nm_dtype)
    if nm_row:
        nm_peak, nm_sizes = nm_peak[None, :], nm_sizes[None, :]
    n_vel = n_times // 4
    s = {
        'rat_id': rat_id,
        'session_date': date,
        'eeg': eeg,
        'eeg_time': eeg_time,
        'nm_peak_times': nm_peak,
        'nm_sizes': nm_sizes,
        'iti_peak_times': np.sort(rng.uniform(0.5, dur - 0.5, n_events)),
        'iti_sizes': rng.choice([1.0, 2.0, 3.0], n_events),
        'velocity_trace': rng.standard_normal(n_vel),
        'velocity_time': (np.arange(n_vel) / 50.0)[None, :],
        'file_path': f'/data/lab/rat{rat_id}/{date}/session.h5',
    }
    if sfreq is not None:
        s['sfreq'] = sfreq
    return s


def f64c(a):
    return np.ascontiguousarray(np.asarray(a), dtype='<f8')


def sha(a):
    return hashlib.sha256(f64c(a).tobytes()).hexdigest()


def size_label(v):
    return str(int(v)) if float(v).is_integer() else repr(float(v)).replace('-', 'm')


def expected(name, protocol, sessions):
    out = []
    for s in sessions:
        eeg = s['eeg']
        e = {
            'rat_id': str(s['rat_id']),
            'session_date': str(s['session_date']),
            'file_path': str(s['file_path']),
            'n_channels': int(eeg.shape[0]),
            'n_times': int(eeg.shape[1]),
            'sfreq': float(s.get('sfreq', SFREQ)),
            'n_events': {},
            'arrays': {},
            'eeg_channel_sha256': [sha(eeg[c]) for c in range(eeg.shape[0])],
            'eeg_samples': [],
        }
        for v in f64c(s['nm_sizes']).ravel():
            e['n_events'][size_label(v)] = e['n_events'].get(size_label(v), 0) + 1
        for k, v in s.items():
            if not isinstance(v, np.ndarray):
                continue
            flat = f64c(v).ravel()
            e['arrays'][k] = {
                'shape': list(v.shape),
                'dtype': v.dtype.name,
                'fortran': bool(v.ndim > 1 and v.flags.f_contiguous and not v.flags.c_contiguous),
                'byte_order': '|' if v.dtype.itemsize == 1 else ('>' if v.dtype.byteorder == '>' else '<'),
                'sum': float(flat.sum()),
                'sha256': sha(v),
                'first': [float(x) for x in flat[:3]],
                'last': float(flat[-1]) if flat.size else None,
            }
        n = eeg.shape[1]
        for c in sorted({0, eeg.shape[0] // 2, eeg.shape[0] - 1}):
            for i in sorted({0, 1, n // 2, n - 1}):
                e['eeg_samples'].append([c, i, float(eeg[c, i])])
        out.append(e)
    return {'file': name, 'protocol': protocol, 'numpy_version': np.__version__, 'sessions': out}


def write(name, data, protocol=None, sessions=None):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)
    if sessions is not None:
        with open(os.path.join(OUT, name.replace('.pkl', '.expected.json')), 'w') as f:
            json.dump(expected(name, protocol, sessions), f, indent=1)
            f.write('\n')


# ---- numpy 2.x spelling, emulated ------------------------------------------------------------

def _fake(module, name):
    mod = sys.modules.get(module)
    if mod is None:
        mod = types.ModuleType(module)
        sys.modules[module] = mod

    def stand_in(*args):  # never called: only its name is pickled
        raise RuntimeError('stand-in')
    stand_in.__module__ = module
    stand_in.__name__ = stand_in.__qualname__ = name
    setattr(mod, name, stand_in)
    return stand_in


def numpy2_dumps(obj, protocol):
    assert not np.__version__.startswith('2'), 'run with numpy 1.x (Debian python3)'
    sys.modules.setdefault('numpy._core', types.ModuleType('numpy._core'))
    swap = {
        np.core.multiarray._reconstruct: _fake('numpy._core.multiarray', '_reconstruct'),
        np.core.multiarray.scalar: _fake('numpy._core.multiarray', 'scalar'),
        np.core.numeric._frombuffer: _fake('numpy._core.numeric', '_frombuffer'),
    }

    class P(pickle.Pickler):
        def reducer_override(self, o):
            if isinstance(o, (np.ndarray, np.generic)):
                rv = o.__reduce_ex__(protocol)
                return (swap.get(rv[0], rv[0]),) + tuple(rv[1:])
            return NotImplemented

    buf = io.BytesIO()
    P(buf, protocol=protocol).dump(obj)
    return buf.getvalue()


# ---- crafted arrays for bad files ------------------------------------------------------------

class RawArray:
    """Pickles as numpy's _reconstruct + __setstate__ with an arbitrary (possibly wrong) state."""

    def __init__(self, state):
        self.state = state


def dumps_raw(obj, protocol=4):
    class P(pickle.Pickler):
        def reducer_override(self, o):
            if isinstance(o, RawArray):
                return (np.core.multiarray._reconstruct, (np.ndarray, (0,), b'b'), o.state)
            return NotImplemented

    buf = io.BytesIO()
    P(buf, protocol=protocol).dump(obj)
    return buf.getvalue()


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith('.pkl') or f.endswith('.json'):
            os.remove(os.path.join(OUT, f))

    # -- good files
    rng = np.random.default_rng(20240501)
    lab = [
        session(rng, '10501', '070419', 32, 400, 6),
        session(rng, '10501', '080419', 32, 300, 4),
        session(rng, '9442', '110519', 28, 350, 5),
    ]
    write('lab_p4.pkl', pickle.dumps(lab, protocol=4), 4, lab)

    rng = np.random.default_rng(7)
    p2 = [session(rng, '422', '010119', 16, 200, 3), session(rng, '422', '020119', 16, 250, 0)]
    write('lab_p2.pkl', pickle.dumps(p2, protocol=2), 2, p2)

    rng = np.random.default_rng(55)
    p5 = [session(rng, '9151', '150319', 32, 300, 5), session(rng, '9442', '160319', 28, 250, 2)]
    write('lab_p5.pkl', pickle.dumps(p5, protocol=5), 5, p5)

    rng = np.random.default_rng(2)
    n2 = [session(rng, '10501', '300120', 8, 200, 3), session(rng, '9151', '310120', 6, 220, 2)]
    for k in n2:
        k['rat_id'] = np.str_(k['rat_id'])  # numpy str scalars go through multiarray.scalar
    write('np2_p4.pkl', numpy2_dumps(n2, 4), 4, n2)
    write('np2_p5.pkl', numpy2_dumps(n2, 5), 5, n2)

    rng = np.random.default_rng(3)
    ss = [session(rng, '10501', '070419', 4, 200, 4), session(rng, '9442', '080419', 3, 260, 2)]
    for k in ss:
        for key in ('rat_id', 'session_date', 'file_path'):
            k[key] = np.str_(k[key])
    write('strscalars_p4.pkl', pickle.dumps(ss, protocol=4), 4, ss)

    rng = np.random.default_rng(4)
    mixed = [
        session(rng, '10501', '010219', 8, 240, 4, eeg_dtype='>f8'),
        session(rng, '10501', '020219', 8, 240, 3, eeg_dtype='<f4'),
        session(rng, '9151', '030219', 5, 250, 3, fortran=False, time_shape='flat', sfreq=250.0),
        session(rng, '9151', '040219', 4, 220, 2, eeg_dtype='<i2', fortran=False, nm_dtype='<f4', nm_row=True),
    ]
    write('mixed_p4.pkl', pickle.dumps(mixed, protocol=4), 4, mixed)

    # -- bad files
    bad = []

    def add_bad(name, data, error, when='open', session_index=None, channels=None, message=None):
        write(name, data)
        entry = {'file': name, 'error': error, 'when': when}
        if session_index is not None:
            entry['session'] = session_index
        if channels is not None:
            entry['channels'] = channels
        if message is not None:
            entry['message'] = message
        bad.append(entry)

    good = open(os.path.join(OUT, 'lab_p4.pkl'), 'rb').read()
    add_bad('bad_truncated.pkl', good[: len(good) * 6 // 10], 'ArrayFormatError', message='truncated')
    add_bad('bad_truncated_header.pkl', good[:5], 'ArrayFormatError', message='truncated')
    add_bad('bad_not_pickle.pkl', b'rat_id,session_date\n10501,070419\n', 'ArrayFormatError',
            message='not a pickle')
    add_bad('bad_empty.pkl', b'', 'ArrayFormatError', message='empty')
    add_bad('bad_top_dict.pkl', pickle.dumps({'sessions': 1, 'eeg': np.zeros(3)}, protocol=4),
            'SessionDataError', message='top-level object is a dict')
    add_bad('bad_list_of_ints.pkl', pickle.dumps([1, 2, 3], protocol=4), 'SessionDataError',
            message='item 0 of the top-level list is an int 1')

    rng = np.random.default_rng(9)
    mk = [session(rng, '10501', '070419', 4, 220, 2), session(rng, '10501', '080419', 4, 220, 2)]
    del mk[1]['eeg_time']
    add_bad('bad_missing_key.pkl', pickle.dumps(mk, protocol=4), 'SessionDataError', when='read',
            session_index=1, message="missing key 'eeg_time'")

    # os.system via a crafted REDUCE inside an otherwise valid session (bytes only, never executed).
    rng = np.random.default_rng(10)
    s = session(rng, '10501', '070419', 2, 220, 1)
    s['notes'] = 'PLACEHOLDER_NOTES'
    data = pickle.dumps([s], protocol=2)
    needle = b'X\x11\x00\x00\x00PLACEHOLDER_NOTES'
    assert data.count(needle) == 1
    evil = b'cos\nsystem\nX\x04\x00\x00\x00true\x85R'
    add_bad('bad_global_os_system.pkl', data.replace(needle, evil), 'ArrayFormatError',
            message="global 'os.system'")
    # the same with protocol 4 STACK_GLOBAL, at top level
    add_bad('bad_global_stack.pkl',
            b'\x80\x04\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x04true\x94\x85\x94R\x94.',
            'ArrayFormatError', message="global 'posix.system'")

    rng = np.random.default_rng(11)
    s = session(rng, '10501', '070419', 2, 220, 1)
    s['eeg'] = np.empty((2, 3), dtype=object)
    s['eeg'][:] = 1.5
    s['eeg_time'] = s['eeg_time'][:, :3]
    add_bad('bad_object_array.pkl', pickle.dumps([s], protocol=4), 'ArrayFormatError', when='read',
            session_index=0, message="object arrays (dtype 'O') are not supported")

    rng = np.random.default_rng(12)
    s = session(rng, '10501', '070419', 2, 220, 1)
    s['eeg'] = np.asfortranarray(s['eeg'].astype(np.complex128))
    add_bad('bad_complex_dtype.pkl', pickle.dumps([s], protocol=4), 'ArrayFormatError', when='read',
            session_index=0, message='complex128 is not supported')

    rng = np.random.default_rng(13)
    s = session(rng, '10501', '070419', 2, 220, 1)
    raw = s['eeg'].T.tobytes()
    s['eeg'] = RawArray((1, (2, 221), np.dtype('<f8'), True, raw))  # 2 x 221 needs 3536 bytes, has 3520
    add_bad('bad_shape_mismatch.pkl', dumps_raw([s]), 'ArrayFormatError', message='needs 3536')

    add_bad('bad_protocol1.pkl', pickle.dumps([1, 2], protocol=1), 'ArrayFormatError',
            message='not a pickle of protocol 2')
    # protocol 5 out-of-band buffer: NEXT_BUFFER instead of in-band bytes
    oob = []
    data = pickle.dumps([np.arange(4.0)], protocol=5, buffer_callback=oob.append)
    add_bad('bad_out_of_band.pkl', data, 'ArrayFormatError', message='out-of-band')
    # NEWOBJ on an allowed global (numpy.ndarray) is still refused
    add_bad('bad_newobj.pkl', b'\x80\x04\x8c\x05numpy\x8c\x07ndarray\x93)\x81.', 'ArrayFormatError',
            message='creating instances')
    # protocol 2 bytes whose text is not latin-1
    add_bad('bad_latin1.pkl',
            b'\x80\x02c_codecs\nencode\nX\x03\x00\x00\x00\xe2\x82\xacX\x06\x00\x00\x00latin1\x86R.',
            'ArrayFormatError', message='not latin-1')

    with open(os.path.join(OUT, 'bad_manifest.json'), 'w') as f:
        json.dump({'files': bad}, f, indent=1)
        f.write('\n')

    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f'wrote {len(os.listdir(OUT))} files, {total} bytes, to {OUT}')


if __name__ == '__main__':
    main()

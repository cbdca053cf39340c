#!/usr/bin/python3
"""Write small .npy fixtures with real NumPy for the TypeScript .npy reader tests.

Run with Debian's interpreter (it has numpy):

    /usr/bin/python3 scripts/make_npy_fixtures.py [test/fixtures/npy]

Writes one .npy file per case plus ``manifest.json``. Each manifest entry has
``file``, ``descr`` (the header's dtype string), ``dtype`` (reader's dtype name),
``shape``, ``fortran_order``, ``version`` and either ``values`` (flattened in C order;
JSON numbers, or the strings "nan", "inf", "-inf" for non-finite floats) or
``error: true`` for dtypes the reader must reject. The output is deterministic.
"""

import json
import os
import sys

import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'npy')

DTYPE_NAMES = {
    'f8': 'float64', 'f4': 'float32',
    'i1': 'int8', 'i2': 'int16', 'i4': 'int32', 'i8': 'int64',
    'u1': 'uint8', 'u2': 'uint16', 'u4': 'uint32', 'u8': 'uint64',
    'b1': 'bool',
}


def json_value(v):
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, int):
        assert abs(v) < 2 ** 53, v
        return v
    if isinstance(v, float):
        if np.isnan(v):
            return 'nan'
        if np.isinf(v):
            return 'inf' if v > 0 else '-inf'
        return v
    raise TypeError(type(v))


def ramp(shape, dtype, scale=1.0, offset=0.0):
    n = int(np.prod(shape))
    return (np.arange(n, dtype=np.float64) * scale + offset).reshape(shape).astype(dtype)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith('.npy') or f == 'manifest.json':
            os.remove(os.path.join(OUT, f))

    cases = []  # (file, array, version or None)

    def add(name, arr, fortran=False, version=None):
        arr = arr.copy(order='F' if fortran else 'C')  # (ascontiguousarray would make 0-d arrays 1-d)
        if fortran and arr.ndim >= 2:
            assert not arr.flags['C_CONTIGUOUS']
        cases.append((name, arr, version))

    # float64: 1/2/3 dims, C and Fortran order, non-finite values, big-endian.
    add('f8_1d.npy', np.array([0.5, -1.25, 3.0, 1e-300, -2.5e300], dtype='<f8'))
    add('f8_2d_c.npy', ramp((3, 4), '<f8', 0.5, -1.0))
    add('f8_2d_f.npy', ramp((3, 4), '<f8', 0.5, -1.0), fortran=True)
    add('f8_3d_c.npy', ramp((2, 3, 4), '<f8', 1.5, -7.0))
    add('f8_3d_f.npy', ramp((2, 3, 4), '<f8', 1.5, -7.0), fortran=True)
    add('f8_nonfinite.npy', np.array([[np.nan, np.inf], [-np.inf, -0.0]], dtype='<f8'))
    add('f8_be_2d_c.npy', ramp((2, 3), '>f8', 0.1, 0.3))
    add('f8_be_2d_f.npy', ramp((2, 3), '>f8', 0.1, 0.3), fortran=True)
    add('f8_0d.npy', np.array(3.75, dtype='<f8'))
    add('f8_empty_0x3.npy', np.zeros((0, 3), dtype='<f8'))
    add('f8_v2.npy', ramp((2, 2), '<f8', 2.0), version=(2, 0))
    add('f8_v3.npy', ramp((2, 2), '<f8', 3.0), version=(3, 0))
    # float32 (values exactly representable after the cast are what tolist() returns).
    add('f4_2d_c.npy', ramp((3, 2), '<f4', 0.1, -0.2))
    add('f4_2d_f.npy', ramp((3, 2), '<f4', 0.1, -0.2), fortran=True)
    add('f4_be_1d.npy', ramp((4,), '>f4', 0.3))
    # integers, including extremes of each type.
    add('i1_1d.npy', np.array([-128, -1, 0, 1, 127], dtype='|i1'))
    add('u1_2d_f.npy', ramp((2, 3), '|u1', 40.0, 15.0), fortran=True)
    add('i2_2d_c.npy', np.array([[-32768, -2, 0], [5, 300, 32767]], dtype='<i2'))
    add('i2_be_2d_f.npy', np.array([[-32768, -2, 0], [5, 300, 32767]], dtype='>i2'), fortran=True)
    add('u2_1d.npy', np.array([0, 1, 65535, 4096], dtype='<u2'))
    add('i4_3d_f.npy', ramp((2, 2, 3), '<i4', -100000.0, 7.0), fortran=True)
    add('i4_be_1d.npy', np.array([-2147483648, -5, 0, 2147483647], dtype='>i4'))
    add('u4_2d_c.npy', np.array([[0, 4294967295], [123456789, 1]], dtype='<u4'))
    add('i8_2d_c.npy', np.array([[-(2 ** 53 - 1), -3], [0, 2 ** 53 - 1]], dtype='<i8'))
    add('i8_be_2d_f.npy', np.array([[-(2 ** 40), 9], [17, 2 ** 41 + 1]], dtype='>i8'), fortran=True)
    add('u8_1d.npy', np.array([0, 1, 2 ** 53 - 1, 2 ** 32], dtype='<u8'))
    add('u8_be_1d.npy', np.array([5, 2 ** 52 + 3], dtype='>u8'))
    # bool.
    add('bool_2d_c.npy', np.array([[True, False, True], [False, False, True]]))
    add('bool_2d_f.npy', np.array([[True, False, True], [False, False, True]]), fortran=True)

    manifest = []
    for name, arr, version in cases:
        path = os.path.join(OUT, name)
        if version is None:
            np.save(path, arr)
        else:
            with open(path, 'wb') as fh:
                np.lib.format.write_array(fh, arr, version=version)
        back = np.load(path)
        assert back.dtype == arr.dtype and back.shape == arr.shape
        descr = np.lib.format.dtype_to_descr(arr.dtype)
        with open(path, 'rb') as fh:  # what numpy actually wrote in the header
            file_version = np.lib.format.read_magic(fh)
            h_shape, fortran_order, h_dtype = np.lib.format._read_array_header(fh, file_version)
        assert h_shape == arr.shape and h_dtype == arr.dtype
        assert version is None or file_version == version
        manifest.append({
            'file': name,
            'descr': descr,
            'dtype': DTYPE_NAMES[descr[1:]],
            'shape': list(arr.shape),
            'fortran_order': fortran_order,
            'version': list(file_version),
            'values': [json_value(v) for v in arr.ravel(order='C').tolist()],
        })

    # Unsupported dtypes: the reader must reject these with a message naming the dtype.
    errors = [
        ('err_complex128.npy', np.array([1 + 2j, 3 - 4j], dtype='<c16'), False),
        ('err_object.npy', np.array([1, 'a', None], dtype=object), True),
        ('err_unicode.npy', np.array(['ab', 'cde'], dtype='<U3'), False),
    ]
    for name, arr, pickle in errors:
        path = os.path.join(OUT, name)
        np.save(path, arr, allow_pickle=pickle)
        manifest.append({
            'file': name,
            'descr': np.lib.format.dtype_to_descr(arr.dtype),
            'dtype': str(arr.dtype),
            'shape': list(arr.shape),
            'fortran_order': False,
            'version': [1, 0],
            'error': True,
        })

    with open(os.path.join(OUT, 'manifest.json'), 'w') as fh:
        json.dump({'numpy_version': np.__version__, 'files': manifest}, fh, indent=1)
        fh.write('\n')
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print('wrote %d fixtures (%d bytes) to %s' % (len(manifest), total, OUT))


if __name__ == '__main__':
    main()

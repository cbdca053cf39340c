/** Electrode layout files (src/io/electrode-layout.ts): the shipped default, good files, and every problem named by file, line and value. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { InputFileError, InvalidParameterError } from '../../src/errors.js';
import { defaultLayoutPath, parseElectrodeLayout, readElectrodeLayout } from '../../src/io/electrode-layout.js';
import { packagePath } from '../../src/paths.js';
import { tempDir } from '../helpers.js';

describe('readElectrodeLayout', () => {
  test('the default is data/h32_layout.csv: 32 sites, the left ones mirroring the right ones', () => {
    assert.equal(defaultLayoutPath(), packagePath('data', 'h32_layout.csv'));
    const layout = readElectrodeLayout(defaultLayoutPath());
    assert.equal(layout.path, defaultLayoutPath());
    assert.deepEqual([...layout.sites.keys()].sort((a, b) => a - b), Array.from({ length: 32 }, (_, i) => i + 1));
    assert.deepEqual(layout.sites.get(9), { x: 1.2, y: 3.6 });
    // Pairs as drawn (data/h32_layout.md): 8↔9, …, 1↔16, 24↔25, …, 17↔32.
    const pairs = [...Array.from({ length: 8 }, (_, i) => [8 - i, 9 + i]), ...Array.from({ length: 8 }, (_, i) => [24 - i, 25 + i])];
    for (const [left, right] of pairs) {
      const l = layout.sites.get(left!)!;
      const r = layout.sites.get(right!)!;
      assert.deepEqual([l.x, l.y], [-r.x, r.y], `site ${left} mirrors site ${right}`);
    }
  });

  test('a good file: CRLF, a BOM, spaces and blank lines are accepted; sites in file order', () => {
    const path = join(tempDir(), 'my layout.csv');
    writeFileSync(path, '\uFEFFsite, x_mm ,y_mm\r\n3,-1.5,2\r\n\r\n1, 0.25 ,-3e0\r\n32,4,-7\r\n\r\n');
    const layout = readElectrodeLayout(path);
    assert.equal(layout.path, path);
    assert.deepEqual([...layout.sites], [
      [3, { x: -1.5, y: 2 }],
      [1, { x: 0.25, y: -3 }],
      [32, { x: 4, y: -7 }],
    ]);
  });

  test('a missing file is an InputFileError naming it', () => {
    const path = join(tempDir(), 'missing.csv');
    assert.throws(() => readElectrodeLayout(path), (e: unknown) => e instanceof InputFileError && e.message.includes(path) && /no such file/.test(e.message));
  });

  const bad: { what: string; text: string; line: number; value: RegExp }[] = [
    { what: 'a wrong header', text: 'electrode,x,y\n1,0,0\n', line: 1, value: /'electrode,x,y'/ },
    { what: 'a header with a column missing', text: 'site,x_mm\n1,0\n', line: 1, value: /'site,x_mm'/ },
    { what: 'an empty file', text: '', line: 1, value: /header ''/ },
    { what: 'no rows', text: 'site,x_mm,y_mm\n', line: 2, value: /no site rows/ },
    { what: 'site 0', text: 'site,x_mm,y_mm\n1,0,0\n0,1,1\n', line: 3, value: /site '0'/ },
    { what: 'site 33', text: 'site,x_mm,y_mm\n33,1,1\n', line: 2, value: /site '33'/ },
    { what: 'a fractional site', text: 'site,x_mm,y_mm\n2.5,1,1\n', line: 2, value: /site '2\.5'/ },
    { what: 'a site that is no number', text: 'site,x_mm,y_mm\n\nE4,1,1\n', line: 3, value: /site 'E4'/ },
    { what: 'a negative site', text: 'site,x_mm,y_mm\n-1,1,1\n', line: 2, value: /site '-1'/ },
    { what: 'a duplicate site', text: 'site,x_mm,y_mm\n4,1,1\n5,1,1\n4,2,2\n', line: 4, value: /site '4' is already given on line 2/ },
    { what: 'NaN', text: 'site,x_mm,y_mm\n1,NaN,0\n', line: 2, value: /x_mm 'NaN'/ },
    { what: 'Infinity', text: 'site,x_mm,y_mm\n1,0,-Infinity\n', line: 2, value: /y_mm '-Infinity'/ },
    { what: 'an overflowing number', text: 'site,x_mm,y_mm\n1,1e999,0\n', line: 2, value: /x_mm '1e999'/ },
    { what: 'an empty coordinate', text: 'site,x_mm,y_mm\n1,,0\n', line: 2, value: /x_mm ''/ },
    { what: 'text for a coordinate', text: 'site,x_mm,y_mm\n1,1.2mm,0\n', line: 2, value: /x_mm '1\.2mm'/ },
    { what: 'too many fields', text: 'site,x_mm,y_mm\n1,0,0,9\n', line: 2, value: /'1,0,0,9' has 4 fields/ },
    { what: 'too few fields', text: 'site,x_mm,y_mm\n1,0\n', line: 2, value: /'1,0' has 2 fields/ },
  ];
  for (const { what, text, line, value } of bad) {
    test(`${what}: an InvalidParameterError naming the file, line ${line} and the value`, () => {
      const path = join(tempDir(), 'layout.csv');
      writeFileSync(path, text);
      assert.throws(
        () => readElectrodeLayout(path),
        (e: unknown) => {
          assert.ok(e instanceof InvalidParameterError, String(e));
          assert.ok(e.message.startsWith(`electrode layout ${path}: line ${line}: `), e.message);
          assert.match(e.message, value);
          assert.ok(!e.message.includes('\n'), 'one line');
          return true;
        },
      );
    });
  }

  test('parseElectrodeLayout names the path it is given', () => {
    assert.throws(() => parseElectrodeLayout('site,x_mm,y_mm\n1,a,0\n', 'somewhere.csv'), /^InvalidParameterError: electrode layout somewhere\.csv: line 2: x_mm 'a'/);
  });
});

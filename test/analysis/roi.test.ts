/** ROI resolution (SPEC 2.2, src/analysis/roi.ts): named, electrode and channel ROIs, custom tables. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadDefaultElectrodeTable, parseElectrodeTable, parseRoiMap, resolveRoi, RoiError } from '../../src/index.js';

describe('ROI resolution', () => {
  test('frontal → channels [20, 21, 23, 24] for every rat in the table', () => {
    for (const rat of loadDefaultElectrodeTable().keys()) {
      const r = resolveRoi({ name: 'frontal' }, rat);
      assert.deepEqual(r.channels, [20, 21, 23, 24], `rat ${rat}`);
      assert.deepEqual(r.electrodes, [29, 2, 31, 32]);
    }
  });
  test('electrode lists resolve in channel order, not in the order given', () => {
    const r = resolveRoi({ electrodes: [32, 2] }, '9151');
    assert.deepEqual(r.channels, [21, 24]);
  });
  test('channel ROIs keep their order and carry electrodes of known rats', () => {
    const r = resolveRoi({ channels: [3, 0] }, '9151');
    assert.deepEqual(r.channels, [3, 0]);
    assert.deepEqual(r.electrodes, [13, 10]);
    assert.equal(resolveRoi({ channels: [1] }, 'unknown-rat').electrodes, null);
    assert.throws(() => resolveRoi({ channels: [1, 1] }, '9151'), /duplicates/);
    assert.throws(() => resolveRoi({ channels: [-1] }, '9151'), /channel index -1 is invalid/);
  });
  test('electrode ROI for a rat missing from the table names the known rats', () => {
    assert.throws(() => resolveRoi({ name: 'frontal' }, '123'), /rat '123' is not in the electrode table.*known rats: 9151/);
  });
  test('custom tables', () => {
    const roiMap = parseRoiMap('{"a": [1, 2]}');
    const electrodeTable = parseElectrodeTable('rat_id,ch_0,ch_1,ch_2\n7,2,3,1\n');
    assert.deepEqual(resolveRoi({ name: 'a' }, '7', { roiMap, electrodeTable }).channels, [0, 2]);
    assert.throws(() => parseRoiMap('{"a": [0]}'), RoiError);
    assert.throws(() => parseRoiMap('[1]'), /JSON object/);
    assert.throws(() => parseElectrodeTable('rat,ch_0\n1,2'), /expected header/);
    assert.throws(() => parseElectrodeTable('rat_id,ch_0\n1,40'), /electrode 40 is outside 1–32/);
  });
});

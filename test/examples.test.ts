/** The examples of examples/ run as a user would run them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { packagePath } from '../src/paths.js';
import { runNode } from './helpers.js';

test('examples/quickstart.mjs runs', () => {
  const r = runNode(packagePath('examples', 'quickstart.mjs'), []);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /NM size 1: \d+ events/);
});

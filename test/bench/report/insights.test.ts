/** The data-driven parts of the benchmark report (src/bench/report/insights.ts): best performers, break-even, recommendations, scalability. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bestPerformers, breakEven, groupRuns, recommendations, scalability } from '../../../src/bench/report/insights.js';
import { benchReportFixture } from '../../helpers.js';

const fixture = benchReportFixture();

test('best performers, break-even and recommendations follow the numbers', () => {
  const runs = fixture.runs.map((r) => ({ ...r, valid: true, problem: null }));
  for (const g of groupRuns(runs)) {
    const { fastest, leanest } = bestPerformers(g);
    assert.equal(fastest.wallSeconds, Math.min(...g.runs.map((r) => r.wallSeconds)));
    if (leanest !== null) assert.equal(leanest.peakRssBytes, Math.min(...g.runs.filter((r) => r.strategy !== 'sequential').map((r) => r.peakRssBytes)));
  }
  // Make one method 10× slower everywhere: it must never be recommended and never "pay".
  const slow = runs.map((r) => (r.method === 'channels/threads/j2' ? { ...r, wallSeconds: r.wallSeconds * 10, speedup: r.speedup / 10 } : r));
  assert.ok(!recommendations(slow, 4).some((line) => line.includes('use channels/threads/j2 ')));
  assert.equal(breakEven(groupRuns(slow)).find((b) => b.method === 'channels/threads/j2')?.smallestWinningPoints ?? null, null);
  const sc = scalability(groupRuns(runs));
  assert.ok(sc.rows.length > 0 && sc.nsPerPoint.every((x) => x > 0));
});

/**
 * The run plan (src/compute/plan.ts): the auto rule choosing a strategy, the plan's pool (workers
 * only, or the calling thread computing too) and task counts, and the sessions strategy refused
 * for one recording.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  AUTO_MIN_TF_POINTS,
  chooseStrategy,
  computeRoiThetaSpectrogram,
  shutdownPools,
  syntheticSession,
  type AutoChoice,
  type ProblemSize,
} from '../../src/index.js';
import { planRun } from '../../src/compute/plan.js';

after(() => shutdownPools());

describe('the auto rule', () => {
  const problem = (over: Partial<ProblemSize>): ProblemSize => ({ nChannels: 8, nFreqs: 20, nTimes: 100_000, nSessions: 1, output: 'windows', ...over });
  const choose = (over: Partial<ProblemSize>, jobs = 2, maxMemoryBytes = 4 * 1024 ** 3, callerComputes = false) =>
    chooseStrategy(problem(over), { jobs, maxMemoryBytes, callerComputes });
  test('each rule, in order', () => {
    assert.equal(choose({}, 1).strategy, 'sequential');
    assert.deepEqual(pick(choose({}, 2, 4 * 1024 ** 3, true)), ['frequencies', 10], 'the calling thread computes: one batch per thread');
    assert.deepEqual(pick(choose({ output: 'channelPower' }, 2, 4 * 1024 ** 3, true)), ['frequencies', 10]);
    assert.equal(choose({ nChannels: 1, nFreqs: 2, nTimes: AUTO_MIN_TF_POINTS / 2 - 1 }).strategy, 'sequential');
    assert.deepEqual(pick(choose({ nSessions: 3, output: 'roiPower' })), ['sessions', 1]);
    assert.deepEqual(pick(choose({ output: 'roiPower' })), ['frequencies', 10]);
    assert.deepEqual(pick(choose({ output: 'roiPower' }, 3)), ['frequencies', 7]);
    assert.deepEqual(pick(choose({})), ['channels', null]);
    assert.deepEqual(pick(choose({ nChannels: 3 })), ['frequencies', 10]);
    assert.deepEqual(pick(choose({ output: 'channelPower' })), ['channels', null]);
    assert.deepEqual(pick(choose({ output: 'channelPower' }, 2, 40e6)), ['frequencies', 10], 'three channels of power rows exceed 40 MB');
    for (const output of ['roiPower', 'windows', 'channelPower'] as const) {
      assert.deepEqual(pick(choose({ nFreqs: 1, nTimes: 1_000_000, output }, 2, 4 * 1024 ** 3, true)), ['channels', null], `one frequency, 8 channels, ${output}`);
    }
    assert.deepEqual(pick(choose({ nChannels: 1, nFreqs: 1, nTimes: 1_000_000 }, 2, 4 * 1024 ** 3, true)), ['frequencies', 1], 'one frequency of one channel: one task');
    assert.deepEqual(pick(choose({ nFreqs: 1, nTimes: 1_000_000, output: 'channelPower' }, 2, 20e6, true)), ['frequencies', 1], "three channels' row exceed 20 MB");
  });
  const pick = (c: AutoChoice) => [c.strategy, c.batchSize];
});

describe('pool lifecycle and options', () => {
  test("the plan's pool: workers only for channels adding full-power ROI rows in turns and for runs with more tasks than threads", () => {
    const problem = (output: ProblemSize['output'], nChannels = 2): ProblemSize => ({ nChannels, nFreqs: 20, nTimes: 100_000, nSessions: 1, output });
    const plan = (strategy: 'channels' | 'frequencies', output: ProblemSize['output'], nChannels = 2, jobs = 2, batchSize?: number) =>
      planRun(problem(output, nChannels), { strategy, jobs, ...(batchSize !== undefined && { batchSize }) });
    assert.equal(plan('channels', 'roiPower').pool!.callerComputes, false);
    assert.equal(plan('channels', 'windows').pool!.callerComputes, true);
    assert.equal(plan('channels', 'windows', 3).pool!.callerComputes, false, 'more tasks than threads');
    assert.equal(plan('frequencies', 'roiPower').pool!.callerComputes, true);
    assert.equal(plan('frequencies', 'roiPower', 2, 2, 5).pool!.callerComputes, false, 'more tasks than threads');
    assert.equal(plan('frequencies', 'roiPower', 2, 1, 5).pool!.callerComputes, true, 'one job: no worker to keep waiting');
    assert.equal(sequentialPool(), null);
    // A stream of unknown length (a rat's sessions): workers only, but for one job.
    const sessions = (jobs: number) => planRun({ ...problem('windows'), nSessions: 4, unit: 'sessions' }, { strategy: 'sessions', jobs }).pool!;
    assert.equal(sessions(2).callerComputes, false);
    assert.equal(sessions(1).callerComputes, true);
    assert.throws(() => planRun(problem('windows'), { strategy: 'sessions' }), /parallelises across sessions/);
    // The task counts: one per channel, one per batch of rows.
    assert.equal(plan('channels', 'windows', 8).nTasks, 8);
    assert.equal(plan('frequencies', 'windows', 8).nTasks, 2);
    assert.equal(plan('frequencies', 'windows', 8, 3).nTasks, 3);
    assert.equal(plan('frequencies', 'windows', 8, 2, 5).nTasks, 4);
    assert.equal(plan('frequencies', 'windows', 8, 2, 30).nTasks, 1);
    assert.equal(plan('frequencies', 'windows', 8, 2, 30).batchSize, 20, 'a batch is at most every row');
    function sequentialPool() {
      return planRun(problem('windows'), { strategy: 'sequential' }).pool;
    }
  });

  test('the sessions strategy on one recording is a clear error', async () => {
    const s = syntheticSession({ seed: 3, nChannels: 2, nTimes: 2000 });
    await assert.rejects(computeRoiThetaSpectrogram(s, [0], { strategy: 'sessions' }), /parallelises across sessions/);
  });
});

describe('workers are capped at the tasks and the memory budget', () => {
  const problem = (nChannels: number): ProblemSize => ({ nChannels, nFreqs: 20, nTimes: 100_000, nSessions: 1, output: 'channelPower' });

  test('no more workers than tasks', () => {
    let plan = planRun(problem(4), { strategy: 'channels', jobs: 1000 });
    assert.equal(plan.jobs, 4);
    assert.equal(plan.pool!.jobs, 4);
    plan = planRun({ ...problem(4), nSessions: 3, unit: 'sessions' }, { strategy: 'sessions', jobs: 64, backend: 'processes' });
    assert.equal(plan.pool!.jobs, 3, 'one worker per session');
    plan = planRun(problem(4), { strategy: 'frequencies', jobs: 2 });
    assert.equal(plan.pool!.jobs, 2, 'not capped when every worker has a task');
  });

  test('no more workers than the memory budget holds', () => {
    const plan = planRun(problem(32), { strategy: 'channels', jobs: 32, backend: 'processes', maxMemoryBytes: 200 * 2 ** 20 });
    assert.equal(plan.pool!.jobs, 3, '200 MiB holds three child processes');
  });

  test('the warning names the requested and the actual jobs', async () => {
    const seen: string[] = [];
    const listener = (w: Error): void => void seen.push(w.message);
    process.on('warning', listener);
    planRun(problem(5), { strategy: 'channels', jobs: 777 });
    await new Promise((r) => setImmediate(r));
    process.off('warning', listener);
    assert.ok(seen.some((m) => /jobs=777 lowered to 5: the run has 5 tasks/.test(m)), seen.join('\n'));
  });
});

describe('the calling thread kept free, and whole channels', () => {
  const problem = (output: ProblemSize['output']): ProblemSize => ({ nChannels: 4, nFreqs: 20, nTimes: 100_000, nSessions: 1, output });

  test('callerComputes false: a sequential run is one task in one worker, every row of every channel', () => {
    const rows = planRun(problem('windows'), { strategy: 'sequential', callerComputes: false });
    assert.deepEqual([rows.strategy, rows.batchSize, rows.nTasks, rows.pool], ['frequencies', 20, 1, { backend: 'threads', jobs: 1, callerComputes: false }]);
    const whole = planRun(problem('channelWindows'), { strategy: 'sequential', callerComputes: false, jobs: 4 });
    assert.deepEqual([whole.strategy, whole.pool?.jobs, whole.pool?.callerComputes], ['channels', 1, false]);
    assert.equal(planRun(problem('windows'), { strategy: 'sequential' }).pool, null, 'by default the calling thread computes it');
  });

  test("'frequencies' is refused where each channel's windows are needed whole", () => {
    assert.throws(() => planRun(problem('channelWindows'), { strategy: 'frequencies' }), /needs? whole channels: use channels, sequential or auto/);
    assert.equal(planRun(problem('channelWindows'), { strategy: 'auto', jobs: 2 }).strategy, 'channels');
  });
});

describe('callerTaskLimit: the calling thread computes only short tasks', () => {
  const problem: ProblemSize = { nChannels: 4, nFreqs: 20, nTimes: 100_000, nSessions: 1, output: 'windows' };

  test('a sequential run above the limit is one task in one worker; below it, the calling thread computes it', () => {
    const big = planRun(problem, { strategy: 'sequential', callerTaskLimit: 1e6 });
    assert.deepEqual([big.strategy, big.batchSize, big.pool?.jobs, big.pool?.callerComputes], ['frequencies', 20, 1, false]);
    const small = planRun(problem, { strategy: 'sequential', callerTaskLimit: 1e7 });
    assert.deepEqual([small.strategy, small.pool], ['sequential', null]);
  });

  test('parallel tasks above the limit run in workers only', () => {
    assert.equal(planRun(problem, { strategy: 'frequencies', jobs: 2, callerTaskLimit: 1e6 }).pool!.callerComputes, false);
    assert.equal(planRun(problem, { strategy: 'frequencies', jobs: 2, callerTaskLimit: 4e6 }).pool!.callerComputes, true, '4 × 10 × 100,000 points per task');
    assert.throws(() => planRun(problem, { callerTaskLimit: 0 }), /callerTaskLimit must be > 0/);
  });
});

test('with a task time limit every task runs in a worker (the calling thread cannot be stopped)', () => {
  const problem: ProblemSize = { nChannels: 2, nFreqs: 4, nTimes: 400, nSessions: 1, output: 'channelPower' };
  assert.equal(planRun(problem, { strategy: 'channels', jobs: 2, taskTimeoutSeconds: 1 }).pool!.callerComputes, false);
  assert.equal(planRun(problem, { strategy: 'channels', jobs: 2 }).pool!.callerComputes, true);
  const sequential = planRun(problem, { strategy: 'sequential', taskTimeoutSeconds: 1 });
  assert.deepEqual([sequential.strategy, sequential.pool?.jobs, sequential.pool?.callerComputes], ['frequencies', 1, false]);
});

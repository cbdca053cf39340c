/**
 * Worker thread of the parallel-ceiling measurement (ceiling.ts): builds the kernel for the given
 * workload, warms it up, answers `ready`, then for each message n runs n bare paired transforms
 * and answers with the time they took, ms.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { resolveTfrParams } from '../analysis/roi-spectrogram.js';
import { createWaveletBank } from '../dsp/convolve.js';
import { morletKernel } from '../dsp/kernel.js';
import type { CeilingWorkload } from './ceiling.js';

const { nTimes, sfreq, nFreqs, freqRange } = workerData as CeilingWorkload;
const kernel = morletKernel();
kernel.prepare(createWaveletBank(resolveTfrParams({ nFreqs, freqRange }, sfreq), nTimes));
for (let i = 0; i < 1000; i++) kernel.benchmarkTransform();
parentPort!.on('message', (transforms: number) => {
  const t0 = performance.now();
  for (let i = 0; i < transforms; i++) kernel.benchmarkTransform();
  parentPort!.postMessage(performance.now() - t0);
});
parentPort!.postMessage('ready');

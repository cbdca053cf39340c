// Runnable API tour (also run by the test suite): `node examples/quickstart.mjs` after `npm ci`.
import {
  syntheticSession,
  computeRoiThetaSpectrogram,
  analyzeSession,
  computeTfrPower,
  resolveTfrParams,
  shutdownPools,
} from 'eeg-parallel';

// A seeded synthetic 32-channel session: 60 s at 200 Hz, theta bursts after each NM event.
const session = syntheticSession({ seed: 1, nChannels: 32, nTimes: 12_000, thetaBursts: true });

// 1. Morlet power like MNE tfr_array_morlet(..., output='power'): (n_channels, n_freqs, n_times).
const params = resolveTfrParams({ freqRange: [3, 8], nFreqs: 20 }, 200);
const power = await computeTfrPower(session.eeg.subarray(0, 2 * 12_000), 2, params);
console.log('power values:', power.length, '= 2 channels × 20 freqs × 12000 samples');

// 2. Z-scored ROI spectrogram, frontal electrodes of rat 9151 → channels [20, 21, 23, 24].
const roi = await computeRoiThetaSpectrogram(session, [20, 21, 23, 24], { strategy: 'channels', jobs: 2 });
console.log('ROI power (n_freqs × n_times):', roi.freqs.length, '×', roi.roiPower.length / roi.freqs.length);

// 3. The whole session analysis: windows around NM events, grouped by size.
const analysis = await analyzeSession(session, { roi: { name: 'frontal' }, strategy: 'auto' });
for (const s of analysis.sizes) {
  console.log(`NM size ${s.label}: ${s.nEvents} events, mean spectrogram ${analysis.freqs.length} × ${analysis.windowSamples}`);
}

await shutdownPools(); // workers are long-lived; stop them before exit

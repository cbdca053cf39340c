/**
 * The benchmark report: report.json (docs/method.md §6 keys), report.md, one report per ROI configuration,
 * scalability tables, and report.html. All files are written atomically.
 */
import { mkdirSync } from 'node:fs';
import { cpus, totalmem, availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { ParallelCeiling } from '../ceiling.js';
import type { BenchRun } from '../runner.js';
import { cpuModel } from '../proc.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { VERSION } from '../../version.js';
import type { BenchReport, MachineInfo } from './types.js';
import { bestPerformers, breakEven, fmtBytes, fmtSeconds, groupRuns, recommendations, scalability, type RunGroup } from './insights.js';

export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpuModel(),
    cores: availableParallelism(),
    logicalCpus: cpus().length,
    memoryBytes: totalmem(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

export function buildReport(runs: BenchRun[], parameters: Record<string, unknown>, command: string, machine = machineInfo()): BenchReport {
  // Invalid runs first: they are what a reader must see.
  const ordered = [...runs.filter((r) => !r.valid), ...runs.filter((r) => r.valid)];
  return {
    tool: 'eeg-parallel',
    version: VERSION,
    createdAt: new Date().toISOString(),
    command,
    machine,
    parameters,
    runs: ordered,
    recommendations: recommendations(runs, machine.cores),
    valid: runs.every((r) => r.valid),
  };
}

/** A Markdown table row; `|` inside a cell is escaped so it does not split the cell. */
const mdRow = (cells: (string | number)[]): string => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;

function runTable(runs: readonly BenchRun[]): string[] {
  return [
    mdRow(['method', 'time (median)', 'min–max', 'speedup', 'peak RSS', 'CPU %', 'max |diff|', 'valid']),
    mdRow(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---']),
    ...runs.map((r) =>
      mdRow([
        r.method,
        fmtSeconds(r.wallSeconds),
        `${fmtSeconds(r.wallSecondsMin)}–${fmtSeconds(r.wallSecondsMax)}`,
        `${r.speedup.toFixed(2)}×`,
        fmtBytes(r.peakRssBytes),
        `${(r.cpuUtilization * 100).toFixed(0)}%`,
        r.maxAbsDiff.toExponential(1),
        r.valid ? 'yes' : `**NO** (${r.problem})`,
      ]),
    ),
  ];
}

function groupSection(g: RunGroup): string[] {
  const { fastest, leanest } = bestPerformers(g);
  const first = g.runs[0]!;
  return [
    `## ${g.key}`,
    '',
    `${first.nChannels} ROI channels × ${first.nFreqs} frequencies × ${first.nTimes} samples${first.nSessions > 1 ? ` × ${first.nSessions} sessions` : ''}; ${first.repeats} timed repeats per method.`,
    '',
    ...runTable([...g.runs.filter((r) => !r.valid), ...g.runs.filter((r) => r.valid)]),
    '',
    `Fastest: **${fastest.method}** (${fmtSeconds(fastest.wallSeconds)}, ${fastest.speedup.toFixed(2)}×).` +
      (leanest === null ? '' : ` Most memory-efficient parallel: **${leanest.method}** (${fmtBytes(leanest.peakRssBytes)}).`),
    '',
  ];
}

function header(report: BenchReport, title: string): string[] {
  const m = report.machine;
  return [
    `# ${title}`,
    '',
    `eeg-parallel ${report.version}, ${report.createdAt}. Command: \`${report.command}\``,
    '',
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${fmtBytes(m.memoryBytes)} RAM, Node ${m.node} (${m.platform}).`,
    '',
    ...(m.parallelCeiling === undefined ? [] : [ceilingLine(m.parallelCeiling), '']),
    report.valid ? 'All runs are **valid** (parallel results equal sequential within the tolerance).' : '**INVALID RUNS** — see the first rows below.',
    '',
  ];
}

/** The machine's parallel ceiling, and what it means for the speedups below it. */
function ceilingLine(c: ParallelCeiling): string {
  return (
    `Parallel ceiling of this machine: the kernel's bare FFT loop does **${c.median.toFixed(2)}×** the work on ${c.threads} threads at once that it does on one ` +
    `(median of ${c.samples.length} samples taken over the rounds, ${c.min.toFixed(2)}–${c.max.toFixed(2)}×; ${c.threads}× on a machine whose cores do not slow each other down). ` +
    `No ${c.threads}-job speedup can be expected above it.`
  );
}

/** A run's speedup as a fraction of the ceiling, for runs with as many jobs as the ceiling's threads. */
function ofCeiling(run: BenchRun, ceiling: ParallelCeiling | undefined): string {
  return ceiling === undefined || run.jobs !== ceiling.threads ? '—' : (run.speedup / ceiling.median).toFixed(2);
}

export function renderMarkdown(report: BenchReport, title = 'eeg-parallel benchmark report'): string {
  const groups = groupRuns(report.runs);
  const invalid = report.runs.filter((r) => !r.valid);
  const lines = header(report, title);
  if (invalid.length > 0) {
    lines.push('## Invalid runs', '', ...runTable(invalid), '');
  }
  const ceiling = report.machine.parallelCeiling;
  const columns = ceiling === undefined ? ['workload', 'ROI', 'sequential', 'fastest', 'speedup', 'valid'] : ['workload', 'ROI', 'sequential', 'fastest', 'speedup', 'of ceiling', 'valid'];
  lines.push('## Summary', '', mdRow(columns), mdRow(columns.map((c) => (c === 'sequential' || c === 'speedup' || c === 'of ceiling' ? '---:' : '---'))));
  for (const g of groups) {
    const seq = g.runs.find((r) => r.strategy === 'sequential')!;
    const { fastest } = bestPerformers(g);
    const speedup = `${fastest.speedup.toFixed(2)}×`;
    const valid = g.runs.every((r) => r.valid) ? 'yes' : '**NO**';
    const cells = [g.workload, g.roiLabel, fmtSeconds(seq.wallSeconds), fastest.method, speedup];
    lines.push(mdRow(ceiling === undefined ? [...cells, valid] : [...cells, ofCeiling(fastest, ceiling), valid]));
  }
  lines.push('', '## Recommendations', '', ...report.recommendations.map((r) => `- ${r}`), '');
  for (const g of groups) lines.push(...groupSection(g));
  return lines.join('\n');
}

export function renderScalability(report: BenchReport): string {
  const groups = groupRuns(report.runs);
  const sc = scalability(groups);
  const lines = header(report, 'eeg-parallel scalability');
  lines.push(
    '## Time and speedup vs channels × samples',
    '',
    mdRow(['channels', 'samples', 'freqs', 'sequential', 'ns / tf-point', 'fastest', 'time', 'speedup']),
    mdRow(['---:', '---:', '---:', '---:', '---:', '---', '---:', '---:']),
    ...sc.rows.map((r, i) =>
      mdRow([r.nChannels, r.nTimes, r.nFreqs, fmtSeconds(r.sequentialSeconds), sc.nsPerPoint[i]!.toFixed(1), r.best, fmtSeconds(r.bestSeconds), `${r.speedup.toFixed(2)}×`]),
    ),
    '',
    '## Cost growth (sequential)',
    '',
    `- per doubling of samples: ×${sc.growthPerSampleDoubling?.toFixed(2) ?? 'n/a'} (2.00 = linear)`,
    `- per doubling of channels: ×${sc.growthPerChannelDoubling?.toFixed(2) ?? 'n/a'} (2.00 = linear)`,
    '',
    '## Where each parallel method starts to pay',
    '',
    mdRow(['method', 'smallest winning size (tf-points)', 'sizes measured']),
    mdRow(['---', '---:', '---:']),
    ...breakEven(groups).map((b) => mdRow([b.method, b.smallestWinningPoints?.toLocaleString('en-US') ?? 'never', b.measuredSizes])),
    '',
  );
  return lines.join('\n');
}

/** A file-name-safe slug. */
const slug = (s: string): string => s.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '');

/**
 * Writes report.json, report.md, report.html, scalability.md, and report_<roi>.md per ROI
 * configuration into `dir`. Returns the paths written.
 */
export async function writeReport(dir: string, report: BenchReport): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  // The chart renderer (vega) takes ~0.3 s to load: only when a report is written.
  const { renderHtml } = await import('./html.js');
  const files: [string, string][] = [
    ['report.json', JSON.stringify(report, null, 1) + '\n'],
    ['report.md', renderMarkdown(report)],
    ['report.html', renderHtml(report)],
    ['scalability.md', renderScalability(report)],
  ];
  const byRoi = new Map<string, BenchRun[]>();
  for (const r of report.runs) byRoi.set(r.roiLabel, [...(byRoi.get(r.roiLabel) ?? []), r]);
  for (const [roi, runs] of byRoi) {
    files.push([`report_${slug(roi)}.md`, renderMarkdown({ ...report, runs, valid: runs.every((r) => r.valid) }, `eeg-parallel benchmark report — ROI ${roi}`)]);
  }
  const written: string[] = [];
  for (const [name, text] of files) {
    const path = join(dir, name);
    await writeFileAtomic(path, text);
    written.push(path);
  }
  return written;
}

/** Human-readable output of `slurm submit` and `slurm status` (the --json forms are the objects themselves). */
import type { SlurmStatus } from './status.js';
import type { SubmitOutcome } from './submit.js';

function ratsLine(o: SubmitOutcome): string {
  const p = o.plan;
  return `rats: ${p.rats.length} (${p.rats.join(', ')}); ${p.complete.length} complete, ${p.toRun.length} to run`;
}

/** The --dry-run listing: every file that would be written, then the sbatch command lines. */
export function formatDryRun(o: SubmitOutcome): string {
  const out = ['# eeg-parallel slurm submit --dry-run: nothing written, nothing submitted', `# ${ratsLine(o)}`];
  for (const w of o.warnings) out.push(`# warning: ${w}`);
  if (o.commands.length === 0) {
    out.push('# every rat and cross_rat are complete: nothing to submit');
    return out.join('\n') + '\n';
  }
  const section = (title: string, text: string | null): void => {
    if (text !== null) out.push(`# ===== ${title}`, text.trimEnd());
  };
  section(`${o.files.ratsFile} (array index k = line k+1)`, o.texts.ratsFile);
  section(o.files.arrayScript, o.texts.arrayScript);
  section(o.files.aggregateScript, o.texts.aggregateScript);
  section('sbatch command lines', o.commands.join('\n'));
  return out.join('\n') + '\n';
}

/** What was submitted. */
export function formatSubmitted(o: SubmitOutcome, outputDir: string): string {
  const out = [ratsLine(o)];
  if (o.arrayJobId !== null) {
    out.push(`submitted array job ${o.arrayJobId}: ${o.plan.toRun.length} tasks (${o.files.arrayScript}), logs in ${outputDir}/slurm/logs`);
  }
  if (o.aggregateJobId !== null) {
    out.push(
      o.arrayJobId !== null
        ? `submitted aggregation job ${o.aggregateJobId}, to start when array job ${o.arrayJobId} has succeeded (${o.files.aggregateScript})`
        : `every rat is complete: submitted aggregation job ${o.aggregateJobId} only (${o.files.aggregateScript})`,
    );
    out.push(`follow it with: eeg-parallel slurm status --output-dir ${outputDir}`);
  } else {
    out.push('every rat and cross_rat are complete: nothing to submit');
  }
  return out.join('\n') + '\n';
}

/** One line per rat, with the log tail under failed ones. */
export function formatStatus(s: SlurmStatus): string {
  const order = ['done', 'running', 'pending', 'failed', 'unknown', 'not-submitted'] as const;
  const counts = order.filter((k) => s.counts[k] !== undefined).map((k) => `${s.counts[k]} ${k}`).join(', ');
  const sched = `squeue ${s.scheduler.squeue ? 'yes' : 'no'}, sacct ${s.scheduler.sacct ? 'yes' : 'no'}`;
  const out = [
    `${s.output_dir}: ${s.rats.length} rats: ${counts}`,
    `scheduler: ${sched}${s.scheduler.notes.length > 0 ? ` (${s.scheduler.notes.join('; ')})` : ''}`,
  ];
  const rows = [
    ...s.rats.map((r) => ({ name: `rat ${r.rat}`, st: r })),
    { name: 'aggregate', st: { ...s.aggregate } },
  ];
  const w = Math.max(...rows.map((r) => r.name.length));
  const wj = Math.max(3, ...rows.map((r) => (r.st.job_id ?? '').length));
  for (const { name, st } of rows) {
    out.push(`${name.padEnd(w)}  ${st.state.padEnd(13)}  ${(st.job_id ?? '').padEnd(wj)}  ${st.detail}`);
    if (st.state === 'failed' || st.state === 'unknown') {
      if (st.log !== null) out.push(`    log: ${st.log}`);
      for (const line of st.log_tail) out.push(`    | ${line}`);
    }
  }
  return out.join('\n') + '\n';
}

import { code, escapeCell, escapeText, link, mermaid, mermaidLabel, table } from '../markdown.ts';
import type { Outcome, Phase } from './engine.ts';
import { describeSplit, type Split } from './traffic.ts';

/** The job summary of a blue-green step: what happened, the traffic before and after, every phase. */

function splitChart(before: Split, after: Split): string {
  // Two bars per color: a reader sees at a glance where traffic went.
  const lines = [
    'xychart-beta',
    '  title "Traffic share (%)"',
    '  x-axis ["blue before", "blue after", "green before", "green after"]',
    '  y-axis "percent" 0 --> 100',
    `  bar [${before.blue}, ${after.blue}, ${before.green}, ${after.green}]`,
  ];
  return mermaid(lines.join('\n'));
}

function phasesFlow(phases: readonly Phase[]): string {
  const nodes = phases.map((phase, index) => `  p${index}["${mermaidLabel(`${phase.phase}: ${phase.detail}`).slice(0, 80)}"]${phase.ok ? '' : ':::failed'}`);
  const edges = phases.slice(1).map((_, index) => `  p${index} --> p${index + 1}`);
  return mermaid(['flowchart TD', ...nodes, ...edges, '  classDef failed fill:#ffebe9,stroke:#cf222e'].join('\n'));
}

export function renderSummary(options: {
  action: string;
  environment: string;
  router: string;
  outcome?: Outcome | undefined;
  failure?: string | undefined;
  phases: readonly Phase[];
  deploymentUrl?: string | undefined;
}): string {
  const { outcome, failure } = options;
  const title = failure ? `❌ ${options.action} on ${options.environment} failed` : `✅ ${options.action} on ${options.environment}: ${outcome?.headline ?? 'done'}`;
  const facts: string[][] = [
    ['Environment', escapeCell(options.environment)],
    ['Router', code(options.router)],
  ];
  if (outcome?.version) facts.push(['Version', escapeCell(outcome.version)]);
  if (outcome?.color) facts.push(['Color', code(outcome.color)]);
  if (outcome?.previousColor) facts.push(['Previous color', code(outcome.previousColor)]);
  if (outcome) facts.push(['Traffic', `${escapeCell(describeSplit(outcome.splitBefore))} → **${escapeCell(describeSplit(outcome.split))}**`]);
  if (outcome?.deploymentId) facts.push(['Deployment', options.deploymentUrl ? link(String(outcome.deploymentId), options.deploymentUrl) : String(outcome.deploymentId)]);
  const parts = [`### ${escapeText(title)}`, table(['', ''], facts)];
  if (failure) parts.push(`**Why:** ${escapeText(failure)}`);
  if (outcome?.noop) parts.push(`**Nothing to do:** ${escapeText(outcome.noop)}`);
  if (options.phases.length > 0) {
    parts.push(table(['Time (UTC)', 'Phase', 'Detail'], options.phases.map((phase) => [phase.at.slice(11, 19), `${phase.ok ? '' : '❌ '}${escapeCell(phase.phase)}`, escapeCell(phase.detail)])));
    parts.push(phasesFlow(options.phases));
  }
  if (outcome && !outcome.noop) parts.push(splitChart(outcome.splitBefore, outcome.split));
  return parts.join('\n\n');
}

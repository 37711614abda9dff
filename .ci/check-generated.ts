/**
 * npm run check-dist / check-docs: regenerate from scratch, then fail when the result differs from
 * what is committed (changed, added or deleted files), showing the difference and, on a runner,
 * putting it in the job summary.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { build, ROOT } from './build.ts';
import { generateDocs } from './docs.ts';

const targets: Record<string, { folder: string; regenerate: () => unknown; fix: string }> = {
  dist: { folder: 'dist', regenerate: () => build(), fix: 'npm run build' },
  docs: { folder: 'action-docs', regenerate: () => generateDocs(), fix: 'npm run docs' },
};

const name = process.argv[2] ?? '';
const target = targets[name];
if (!target) {
  console.error(`usage: node .ci/check-generated.ts ${Object.keys(targets).join('|')}`);
  process.exit(2);
}

target.regenerate();
const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout;
const status = git('status', '--porcelain', '--untracked-files=all', '--', target.folder).trim();
if (status === '') {
  console.log(`${target.folder}/ matches its sources.`);
  process.exit(0);
}
const diff = git('diff', '--stat', '--', target.folder);
const report = `${target.folder}/ differs from what its sources generate (run \`${target.fix}\` and commit):\n\n${status}\n\n${diff}`;
console.error(report);
const summary = process.env['GITHUB_STEP_SUMMARY'];
if (summary) appendFileSync(summary, `### ${target.folder}/ is stale\n\n\`\`\`\n${report}\n\`\`\`\n`);
process.exit(1);

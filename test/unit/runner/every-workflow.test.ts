import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ROOT } from '../../harness/run-action.ts';

/**
 * Every workflow of the repository runs on the runner double in a workflow test: a new workflow or
 * starter without one fails here (the tests are in test/integration/workflows/).
 */
test('every file in .github/workflows/ and workflows/ is run by a test in test/integration/workflows/', () => {
  const tests = readdirSync(join(ROOT, 'test/integration/workflows'))
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => readFileSync(join(ROOT, 'test/integration/workflows', name), 'utf8'))
    .join('\n');
  const workflows = [
    ...readdirSync(join(ROOT, '.github/workflows')).map((name) => `.github/workflows/${name}`),
    ...readdirSync(join(ROOT, 'workflows')).filter((name) => /\.ya?ml$/.test(name)).map((name) => `workflows/${name}`),
  ];
  expect(workflows.length).toBeGreaterThan(0);
  // Each workflow test names the file it runs (its header says which).
  for (const path of workflows) expect(tests.includes(path), path).toBe(true);
});

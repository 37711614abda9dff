import { describe, expect, test } from 'vitest';
import { auditWorkflow } from '../../../actions/scan/src/workflows/audit.ts';
import { isUntrusted } from '../../../actions/scan/src/workflows/expressions.ts';

/** Cases modelled on the public test data of zizmor (the reference auditor) for the same audits. */

const PINNING = { owner: 'acme', allowTags: [] };
const SHA = '11bd71901bbe5b1630ceea73d27597364c9af683';
const rules = (yaml: string) => auditWorkflow('.github/workflows/w.yml', yaml, PINNING).map((finding) => `${finding.line} ${finding.ruleId}`);
const workflow = (on: string, steps: string) => `on: ${on}\npermissions: {}\njobs:\n  job:\n    runs-on: ubuntu-latest\n    steps:\n${steps}`;

describe('which event fields a contributor controls', () => {
  test.each([
    'github.event.pull_request.title',
    'github.event.pull_request.head.ref',
    'github.event.pull_request.head.repo.default_branch',
    'github.event.changes.new_discussion.labels.*.name',
    'github.event.changes.new_discussion.labels.0.name',
    'github.event.release.body',
    'github.event.client_payload.command',
    'github.event.workflow_run.pull_requests.0.head.ref',
    'github.event.commits.0.message',
    'github.event',
    'github.head_ref',
  ])('%s is untrusted', (path) => expect(isUntrusted(path)).toBe(true));
  test.each([
    'github.event.pull_request.head.sha',
    'github.event.pull_request.base.sha',
    'github.event.pull_request.head.repo.fork',
    'github.event.pull_request.number',
    'github.event.workflow_run.pull_requests.*.base.repo.id',
    'github.event.issue.html_url',
    'github.event.sender.login',
    'github.event.repository.full_name',
    'github.event.release.tag_name',
    'github.event.inputs.version',
    'github.server_url',
    'github.action_path',
    'github.job',
    'env.COMMENT_ID',
  ])('%s is not', (path) => expect(isUntrusted(path)).toBe(false));
});

describe('template injection', () => {
  test('into run, and into action inputs that are run as code', () => {
    const yaml = workflow(
      'pull_request',
      [
        '      - run: echo "${{ github.event.pull_request.head.sha }} ${{ github.event.pull_request.number }}"',
        '      - run: echo "${{ github.event.changes.new_discussion.labels[0].name }}"',
        `      - uses: mikefarah/yq@${SHA}`,
        '        with:',
        '          cmd: ${{ github.event.pull_request.title }}',
        `      - uses: Amadevus/pwsh-script@${SHA}`,
        '        with:',
        '          script: Write-Host "${{ github.event.pull_request.body }}"',
        `      - uses: some/action@${SHA}`,
        '        with:',
        '          title: ${{ github.event.pull_request.title }}',
        '',
      ].join('\n'),
    );
    expect(rules(yaml)).toEqual(['8 workflows/template-injection', '11 workflows/template-injection', '14 workflows/template-injection']);
  });
});

describe('where an injection is reported', () => {
  test('on the line of the expression inside a literal block, so that a PR annotation lands on the changed line', () => {
    const yaml = workflow('pull_request', ['      - run: |', '          echo start', '', '          echo "${{ github.event.pull_request.title }}"', '      - run: >', '          echo ${{ github.event.issue.body }}', ''].join('\n'));
    expect(rules(yaml)).toEqual(['10 workflows/template-injection', '11 workflows/template-injection']);
  });
});

describe('spoofable bot conditions', () => {
  test('in every spelling of the context', () => {
    const yaml = `on: pull_request_target\npermissions: {}\njobs:\n  job:\n    runs-on: ubuntu-latest\n    if: github['actor'] == 'dependabot[bot]'\n    steps:\n      - run: echo\n        if: github.ACTOR == 'mystery[bot]'\n      - run: echo\n        if: github.actor == 'notabot'\n`;
    expect(rules(yaml).filter((rule) => rule.endsWith('spoofable-bot-condition'))).toEqual(['6 workflows/spoofable-bot-condition', '9 workflows/spoofable-bot-condition']);
  });
});

describe('cache poisoning in publishing workflows', () => {
  const step = (uses: string, inputs = '') => `      - uses: ${uses}@${SHA}\n${inputs}`;
  test.each([
    ['Swatinem/rust-cache (on by default)', step('Swatinem/rust-cache'), true],
    ['actions/setup-go (on by default)', step('actions/setup-go'), true],
    ['actions/setup-go with cache: false', step('actions/setup-go', '        with:\n          cache: false\n'), false],
    ['actions/setup-node without cache', step('actions/setup-node'), false],
    ['actions/setup-node with cache: npm', step('actions/setup-node', '        with:\n          cache: npm\n'), true],
    ['ruby/setup-ruby with bundler-cache', step('ruby/setup-ruby', '        with:\n          bundler-cache: true\n'), true],
    ['actions/cache', step('actions/cache'), true],
  ])('%s', (_name, steps, poisoned) => {
    for (const on of ['release', '{ push: { tags: ["v*"] } }']) {
      expect(rules(workflow(on, steps)).some((rule) => rule.endsWith('cache-poisoning')), on).toBe(poisoned);
    }
    expect(rules(workflow('{ push: { branches: [main] } }', steps)).some((rule) => rule.endsWith('cache-poisoning'))).toBe(false);
  });
});

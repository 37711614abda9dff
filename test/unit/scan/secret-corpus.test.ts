import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { SecretDetector } from '../../../actions/scan/src/secrets/detect.ts';
import { ripgrepPattern } from '../../../actions/scan/src/secrets/ripgrep-patterns.ts';
import { SECRET_RULES } from '../../../actions/scan/src/secrets/rules.ts';
import { FAMILIES, scoreReports, secretCorpus, type Corpus, type Report } from '../../harness/secret-corpus.ts';
import { seeded } from '../../sandbox/history.ts';
import { writeFiles } from '../../harness/files.ts';

function detectorReports(corpus: Corpus): Report[] {
  const detector = new SecretDetector();
  return [...corpus.files].flatMap(([path, text]) => detector.detect(text).map((hit) => ({ path, line: hit.line })));
}

describe('the labelled corpus (real formats, random values, decoys)', () => {
  test.each([1, 2, 3])('seed %i: every planted secret found, no decoy or ordinary line reported', (seed) => {
    const corpus = secretCorpus(seed, 5);
    const scores = scoreReports(corpus, detectorReports(corpus));
    expect(scores.map((score) => score.family)).toEqual([...FAMILIES, ...(scores.length > FAMILIES.length ? ['unlabelled lines'] : [])]);
    for (const score of scores) {
      expect({ family: score.family, missed: score.missed, falselyReported: score.falselyReported, falseReports: score.falseReports }).toEqual({ family: score.family, missed: [], falselyReported: [], falseReports: 0 });
    }
    expect(scores.reduce((sum, score) => sum + score.planted, 0)).toBeGreaterThan(400);
  });

  test('the scorer counts misses and false reports (so a perfect score means something)', () => {
    const corpus = secretCorpus(1, 1);
    const secret = corpus.labels.find((label) => label.kind === 'secret') as (typeof corpus.labels)[number];
    const decoy = corpus.labels.find((label) => label.kind === 'decoy') as (typeof corpus.labels)[number];
    const reports = detectorReports(corpus).filter((report) => !(report.path === secret.path && report.line === secret.startLine));
    reports.push({ path: decoy.path, line: decoy.startLine }, { path: decoy.path, line: 1 });
    const scores = scoreReports(corpus, reports);
    expect(scores.find((score) => score.family === secret.family)?.missed).toEqual([secret.name]);
    expect(scores.find((score) => score.family === decoy.family)?.falselyReported).toEqual([decoy.name]);
    expect(scores.find((score) => score.family === 'unlabelled lines')?.falseReports).toBe(1);
  });
});

describe('the keyword pre-filter', () => {
  const rule = (id: string, keyword: string) => ({ id, title: id, severity: 'low' as const, keywords: [keyword], pattern: /x/g });
  const detector = new SecretDetector([rule('short', 'pass'), rule('long', 'password'), rule('sk', 'sk'), rule('mailgun', 'key-')]);
  const candidates = (text: string) => detector.candidateRules(text).map((candidate) => candidate.id);

  test('a keyword inside a longer one still selects its rules', () => {
    expect(candidates('db_password=')).toEqual(['short', 'long']);
  });
  test('overlapping keywords are both found', () => {
    expect(candidates('askey-')).toEqual(['sk', 'mailgun']);
  });
  test('no keyword, no rule', () => {
    expect(candidates('nothing to see')).toEqual([]);
  });
  test('case does not matter', () => {
    expect(candidates('DB_PASSWORD=')).toEqual(['short', 'long']);
  });

  // String.prototype.includes is the oracle for the automaton.
  test('on random texts it selects exactly the rules whose keywords occur', () => {
    const random = seeded(42);
    const alphabet = 'abcdeKEY-_.sp';
    const word = (length: number) => Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    for (let round = 0; round < 200; round++) {
      const rules = Array.from({ length: 1 + Math.floor(random() * 8) }, (_, index) => ({ ...rule(`r${index}`, word(1 + Math.floor(random() * 4)).toLowerCase()), keywords: [word(1 + Math.floor(random() * 4)).toLowerCase(), word(2).toLowerCase()] }));
      const text = word(Math.floor(random() * 60));
      const expected = rules.filter((candidate) => candidate.keywords.some((keyword) => text.toLowerCase().includes(keyword))).map((candidate) => candidate.id);
      expect(new SecretDetector(rules).candidateRules(text).map((candidate) => candidate.id), `${JSON.stringify(rules.map((r) => r.keywords))} in ${text}`).toEqual(expected);
    }
  });
});

describe('the patterns exported for ripgrep', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rg-patterns-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const corpus = secretCorpus(7, 2);
  writeFiles(dir, corpus.files);

  // ripgrep's PCRE2 is the oracle: it must find exactly what the JavaScript regex finds, where it finds it.
  test.each(SECRET_RULES.map((rule) => [rule.id, rule] as const))('%s: ripgrep matches what JavaScript matches', (_id, rule) => {
    const result = spawnSync('rg', ['--pcre2', '--multiline', '--hidden', '--no-config', '--json', '-e', ripgrepPattern(rule), dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(result.status, result.stderr).toBeLessThanOrEqual(1);
    const fromRipgrep = result.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type: string; data: { path: { text: string }; absolute_offset: number; submatches: Array<{ start: number; match: { text: string } }> } })
      .filter((event) => event.type === 'match')
      .flatMap((event) => event.data.submatches.map((submatch) => `${relative(dir, event.data.path.text)}@${event.data.absolute_offset + submatch.start}:${submatch.match.text}`));
    const fromJavaScript = [...corpus.files].flatMap(([path, text]) => [...text.matchAll(new RegExp(rule.pattern.source, rule.pattern.flags))].map((match) => `${path}@${match.index}:${match[0]}`));
    expect(fromRipgrep.sort()).toEqual(fromJavaScript.sort());
  });
});

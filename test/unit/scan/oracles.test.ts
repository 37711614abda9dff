import { describe, expect, test } from 'vitest';
import { compareVersions, cvss3BaseScore } from '../../../actions/scan/src/dependencies/osv.ts';
import { validBase62Checksum } from '../../../actions/scan/src/secrets/checks.ts';
import { contextPaths, expressionsIn } from '../../../actions/scan/src/workflows/expressions.ts';

/** Checked against outside references, not against a second copy of our logic. */

describe('GitHub token checksum', () => {
  // Real, revoked classic tokens published as fixtures by therootcompany/base62-token.js (test.js).
  // Split so the repository's own secret scan does not report them.
  const published = ['zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ0mLq17', 'adE7dp8rHP6gUTuPwxLTZjZdtya3sV0UQzQM', 'H3xbiBdlzffNx7Y56iNsPw3joObj7U2nO29h', 'Ul6eIUhXOWE75DeLfPndUU0GbceBq80KIha4', 'MXum81IYH7kioWQyIvN4zPMfECIWYd1ldyCH'];
  test.each(published)('ghp_%s verifies', (body) => {
    expect(validBase62Checksum(['ghp', body].join('_'))).toBe(true);
  });
  test('one changed character fails', () => {
    expect(validBase62Checksum(['ghp', 'zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ0mLq18'].join('_'))).toBe(false);
    expect(validBase62Checksum(['ghp', 'aQWBuTSOoRi4A9spHcVY5ncnsDkxkJ0mLq17'].join('_'))).toBe(false);
  });
});

describe('CVSS v3.1 base scores as NVD publishes them', () => {
  test.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8], // CVE-2021-44228 is 10.0 with S:C, below
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10.0],
    ['CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', 7.2], // CVE-2021-23337 (lodash template)
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1], // the usual reflected XSS
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N', 5.5],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N', 3.1],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
  ])('%s = %s', (vector, score) => {
    expect(cvss3BaseScore(vector)).toBe(score);
  });
});

describe('version order per ecosystem', () => {
  test('PEP 440 (PyPI): pre-releases, post-releases, epochs, normalisation', () => {
    const ordered = ['1.0.dev1', '1.0a1', '1.0b2', '1.0rc1', '1.0', '1.0.post1', '1.1', '1!0.1'];
    for (let i = 0; i + 1 < ordered.length; i++) expect(compareVersions('PyPI', ordered[i] as string, ordered[i + 1] as string)).toBeLessThan(0);
    expect(compareVersions('PyPI', '1.0', '1.0.0')).toBe(0);
  });
  test('SemVer (npm): pre-releases sort before the release, numbers numerically', () => {
    expect(compareVersions('npm', '1.0.0-rc.1', '1.0.0')).toBeLessThan(0);
    expect(compareVersions('npm', '1.10.0', '1.9.9')).toBeGreaterThan(0);
    expect(compareVersions('npm', '0', '0.0.1')).toBeLessThan(0);
  });
});

describe('expressions', () => {
  test('contexts are read from the expression, not from its string literals', () => {
    expect(contextPaths("contains(github.event.pull_request.title, 'github.event.issue.title')")).toEqual(['github.event.pull_request.title']);
    expect(contextPaths("github.event['pull_request']['head'].ref")).toEqual(['github.event.pull_request.head.ref']);
    expect(contextPaths('toJSON(github.event.commits[0].message)')).toEqual(['github.event.commits.0.message']);
  });
  test('a }} inside a string literal does not end the expression', () => {
    expect(expressionsIn("echo ${{ format('{0}}}', github.head_ref) }} done").map((expression) => expression.source)).toEqual(["format('{0}}}', github.head_ref)"]);
  });
});

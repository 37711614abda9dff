/**
 * The secret rules' regexes for ripgrep: `npm run --silent scan-patterns > patterns.txt`, then
 * `rg --pcre2 --multiline -f patterns.txt <dir>`. The benchmark measures the scanner against ripgrep
 * running exactly these, and a test checks that ripgrep finds what the JavaScript regexes find.
 *
 * PCRE2 reads JavaScript's syntax as is (lookarounds, \b, classes), except that one pattern list
 * cannot name two groups alike: the names are dropped (the groups stay, so nothing else shifts).
 * Flags become inline modifiers. Patterns span lines (private keys) as they do on a whole file in
 * JavaScript, hence --multiline.
 */
import { SECRET_RULES, type SecretRule } from './rules.ts';

export function ripgrepPattern(rule: Pick<SecretRule, 'pattern'>): string {
  const source = rule.pattern.source.replace(/\(\?<([A-Za-z]\w*)>/g, '(');
  const modifiers = ['i', 'm'].filter((flag) => rule.pattern.flags.includes(flag)).join('');
  return modifiers ? `(?${modifiers})${source}` : source;
}

export function ripgrepPatterns(rules: SecretRule[] = SECRET_RULES): string[] {
  return rules.map(ripgrepPattern);
}

if (import.meta.main) process.stdout.write(`${ripgrepPatterns().join('\n')}\n`);

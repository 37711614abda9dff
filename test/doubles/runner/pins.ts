import { join } from 'node:path';

/**
 * The third-party actions our workflows may use: exactly the pins of the team's list
 * (../shared/docs/pinned-actions.md, "Third-party actions, pinned"), each run by a local double of
 * that version's documented inputs and outputs. A `uses:` naming any other ref of these actions, or
 * any other action, is refused, as an organisation's SHA-pinning policy would refuse it; a listed pin
 * without a double here is refused with that reason (none of our workflows uses it yet).
 */

export interface Pin {
  action: string;
  version: string;
  sha: string;
  /** The folder of the double (an action.yml and its script), when there is one. */
  double?: string;
}

const DOUBLES = join(import.meta.dirname, 'actions');

export const PINS: Pin[] = [
  { action: 'actions/checkout', version: 'v7.0.1', sha: '3d3c42e5aac5ba805825da76410c181273ba90b1', double: join(DOUBLES, 'checkout') },
  { action: 'actions/setup-node', version: 'v7.0.0', sha: '820762786026740c76f36085b0efc47a31fe5020', double: join(DOUBLES, 'setup-node') },
  { action: 'actions/upload-artifact', version: 'v7.0.0', sha: 'bbbca2ddaa5d8feaa63e36b76fdaad77386f024f', double: join(DOUBLES, 'upload-artifact') },
  { action: 'actions/download-artifact', version: 'v8.0.1', sha: '3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c', double: join(DOUBLES, 'download-artifact') },
  { action: 'actions/cache', version: 'v5.0.5', sha: '27d5ce7f107fe9357f9df03efb73ab90386fccae' },
  { action: 'github/codeql-action/upload-sarif', version: 'v4.36.2', sha: '8aad20d150bbac5944a9f9d289da16a4b0d87c1e' },
  { action: 'docker/login-action', version: 'v4.1.0', sha: '4907a6ddec9925e35a0a9e82d7399ccc52663121' },
  { action: 'docker/build-push-action', version: 'v7.3.0', sha: '53b7df96c91f9c12dcc8a07bcb9ccacbed38856a' },
  { action: 'actions/attest-build-provenance', version: 'v4.1.0', sha: 'a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32' },
];

/** The pin a `uses: owner/repo[/path]@ref` names, or why it is refused. */
export function pinFor(uses: string): { pin: Pin } | { refused: string } {
  const at = uses.lastIndexOf('@');
  const action = uses.slice(0, at);
  const ref = uses.slice(at + 1);
  const known = PINS.filter((pin) => pin.action === action);
  if (known.length === 0) return { refused: `${uses}: not an action of the pinned list (pinned-actions.md); the runner double runs only those` };
  const pin = known.find((candidate) => candidate.sha === ref);
  if (!pin) return { refused: `${uses}: ${action} is pinned at ${known.map((candidate) => `${candidate.sha} (${candidate.version})`).join(', ')}; ${ref} is not that pin` };
  if (!pin.double) return { refused: `${uses}: pinned (${pin.version}), but the runner double has no double of ${action} yet` };
  return { pin };
}

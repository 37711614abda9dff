import { InputError } from '../../../shared/errors.ts';
import { Inputs, runnerInputs, type InputSource } from '../../../shared/inputs.ts';
import { SCANNERS, THRESHOLDS, type ScannerName, type Threshold } from './findings.ts';
import { DEFAULT_POLICY_PATH } from './policy.ts';

export interface ScanConfig {
  scanners: Set<ScannerName>;
  path: string;
  /** undefined: the policy file's threshold (or high). */
  failOn?: Threshold;
  environment?: string;
  policyFile: string;
  /** The policy file was named explicitly: a missing file is then an error. */
  policyFileExplicit: boolean;
  history: boolean;
  newOnly: boolean;
  baseRef?: string;
  osvUrl: string;
  osvOfflineDir?: string;
  sarifFile?: string;
  reportFile?: string;
  uploadSarif: boolean;
  category: string;
  annotations: boolean;
  summary: boolean;
  token?: string;
}

export function readConfig(source: InputSource = runnerInputs): { config: ScanConfig; inputs: Inputs } {
  const inputs = new Inputs(source, { secret: ['token'] });
  const listed = inputs.list('scanners').map((item) => item.toLowerCase());
  const scanners = new Set<ScannerName>(listed.length === 0 || (listed.length === 1 && listed[0] === 'all') ? SCANNERS : inputs.choices('scanners', SCANNERS));
  const failOnText = inputs.string('fail-on');
  const failOn = failOnText === undefined ? undefined : inputs.choice('fail-on', THRESHOLDS);
  const history = inputs.boolean('history', false);
  const newOnly = inputs.boolean('new-only', false);
  const uploadSarif = inputs.boolean('upload-sarif', false);
  const token = inputs.string('token');
  if (uploadSarif && !token) throw new InputError('token', 'is required when upload-sarif is true (security-events: write)');
  const category = inputs.string('category') ?? 'deploy-actions-scan';
  if (!/^[\w./-]{1,100}$/.test(category)) inputs.fail('category', category, 'letters, digits, ".", "_", "-" and "/" (up to 100 characters)');
  const osvUrl = inputs.urlAsWritten('osv-url') ?? 'https://api.osv.dev';
  return {
    inputs,
    config: {
      scanners,
      path: inputs.string('path') ?? '.',
      ...(failOn ? { failOn } : {}),
      ...(inputs.string('environment') ? { environment: inputs.string('environment') as string } : {}),
      policyFile: inputs.string('policy-file') ?? DEFAULT_POLICY_PATH,
      // The runner passes the default as if it were set: only another path is a file the user named.
      policyFileExplicit: (inputs.string('policy-file') ?? DEFAULT_POLICY_PATH) !== DEFAULT_POLICY_PATH,
      history,
      newOnly,
      ...(inputs.string('base-ref') ? { baseRef: inputs.string('base-ref') as string } : {}),
      osvUrl,
      ...(inputs.string('osv-offline-dir') ? { osvOfflineDir: inputs.string('osv-offline-dir') as string } : {}),
      ...(inputs.string('sarif-file') ? { sarifFile: inputs.string('sarif-file') as string } : {}),
      ...(inputs.string('report-file') ? { reportFile: inputs.string('report-file') as string } : {}),
      uploadSarif,
      category,
      annotations: inputs.boolean('annotations', true),
      summary: inputs.boolean('summary', true),
      ...(token ? { token } : {}),
    },
  };
}

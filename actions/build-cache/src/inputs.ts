import { InputError } from '../../../shared/errors.ts';
import { Inputs, runnerInputs, type InputSource } from '../../../shared/inputs.ts';
import { ECOSYSTEM_IDS, type EcosystemId } from './ecosystems.ts';
import { KEY_PART } from './keys.ts';

export interface BuildCacheConfig {
  /** undefined: detect from the repository. */
  ecosystems: EcosystemId[] | 'auto';
  /** Custom folders (build outputs), with the globs whose content keys them. */
  paths: string[];
  keyFiles: string[];
  workingDirectory: string;
  prefix: string;
  salt?: string | undefined;
  partialRestore: boolean;
  lookupOnly: boolean;
  failOnMiss: boolean;
  save: boolean;
  refresh: boolean;
  prune: boolean;
  pruneKeep: number;
  failOnSaveError: boolean;
  token?: string | undefined;
  summary: boolean;
}

const KEY_PART_ACCEPTED = 'letters, digits, ".", "_" and "-" (no commas, no "~")';

export function readConfig(source: InputSource = runnerInputs): { config: BuildCacheConfig; inputs: Inputs } {
  const inputs = new Inputs(source, { secret: ['token'] });
  const listed = inputs.list('ecosystems').map((item) => item.toLowerCase());
  let ecosystems: BuildCacheConfig['ecosystems'];
  if (listed.length === 0 || (listed.length === 1 && listed[0] === 'auto')) ecosystems = 'auto';
  else if (listed.length === 1 && listed[0] === 'none') ecosystems = [];
  else ecosystems = inputs.choices('ecosystems', ECOSYSTEM_IDS);

  const paths = inputs.list('paths');
  const keyFiles = inputs.list('key-files');
  if (paths.length > 0 && keyFiles.length === 0) {
    throw new InputError('key-files', 'is required when paths is set: the globs of the files whose content keys those paths (e.g. **/*.ts)');
  }
  if (keyFiles.length > 0 && paths.length === 0) throw new InputError('paths', 'is required when key-files is set: the folders to cache');
  if (ecosystems !== 'auto' && ecosystems.length === 0 && paths.length === 0) {
    throw new InputError('ecosystems', '"none" leaves nothing to cache; give paths and key-files too');
  }

  const keyPart = (name: string, fallback?: string) => {
    const value = inputs.string(name) ?? fallback;
    if (value !== undefined && !KEY_PART.test(value)) inputs.fail(name, value, KEY_PART_ACCEPTED);
    return value;
  };

  const prune = inputs.boolean('prune', false);
  const token = inputs.string('token');
  if (prune && !token) throw new InputError('token', 'is required with prune: true (a token with actions: write deletes the old entries)');

  return {
    inputs,
    config: {
      ecosystems,
      paths,
      keyFiles,
      workingDirectory: inputs.string('working-directory') ?? '.',
      prefix: keyPart('prefix', 'build-cache') as string,
      salt: keyPart('salt'),
      partialRestore: inputs.boolean('partial-restore', true),
      lookupOnly: inputs.boolean('lookup-only', false),
      failOnMiss: inputs.boolean('fail-on-miss', false),
      save: inputs.boolean('save', true),
      refresh: inputs.boolean('refresh', false),
      prune,
      pruneKeep: inputs.integer('prune-keep', { fallback: 1, min: 1, max: 100 }) as number,
      failOnSaveError: inputs.boolean('fail-on-save-error', false),
      token,
      summary: inputs.boolean('summary', true),
    },
  };
}

export interface SaveStepConfig {
  /** undefined: as the restore step was told. */
  failOnSaveError?: boolean | undefined;
  token?: string | undefined;
  summary: boolean;
}

export function readSaveConfig(source: InputSource = runnerInputs): { config: SaveStepConfig; inputs: Inputs } {
  const inputs = new Inputs(source, { secret: ['token'] });
  return {
    inputs,
    config: {
      failOnSaveError: inputs.isSet('fail-on-save-error') ? inputs.boolean('fail-on-save-error', false) : undefined,
      token: inputs.string('token'),
      summary: inputs.boolean('summary', true),
    },
  };
}

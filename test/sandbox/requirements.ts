/**
 * The Debian packages the tests, the demo and the benchmark start for real, in one list. Missing ones
 * are installed with apt-get when running as root (saying so); otherwise the exact command is given
 * and nothing runs, so `npm test` and `npm run demo` stay the whole set-up on a fresh machine.
 *
 *   node test/sandbox/requirements.ts [test|demo|bench]
 */
import { spawnSync } from 'node:child_process';
import { which } from './servers.ts';

export const PROGRAMS: Record<string, { package: string; neededBy: Array<'test' | 'demo' | 'bench'> }> = {
  haproxy: { package: 'haproxy', neededBy: ['test', 'demo', 'bench'] },
  nginx: { package: 'nginx', neededBy: ['test', 'bench'] },
  sshd: { package: 'openssh-server', neededBy: ['test', 'bench'] },
  'ssh-keygen': { package: 'openssh-client', neededBy: ['test', 'bench'] },
  pkill: { package: 'procps', neededBy: ['test', 'bench'] },
  openssl: { package: 'openssl', neededBy: ['test'] },
  prometheus: { package: 'prometheus', neededBy: ['test', 'demo', 'bench'] },
  wrk: { package: 'wrk', neededBy: ['bench'] },
  // The package managers build-cache is tested with (the JavaScript ones come from npm).
  go: { package: 'golang-go', neededBy: ['test'] },
  cargo: { package: 'cargo', neededBy: ['test'] },
  gradle: { package: 'gradle', neededBy: ['test'] },
  mvn: { package: 'maven', neededBy: ['test'] },
  bundle: { package: 'ruby-bundler', neededBy: ['test'] },
  composer: { package: 'composer', neededBy: ['test'] },
  unzip: { package: 'unzip', neededBy: ['test'] },
  poetry: { package: 'python3-poetry', neededBy: ['test'] },
  pip: { package: 'python3-pip', neededBy: ['test'] },
  zstd: { package: 'zstd', neededBy: ['test', 'bench'] },
  // The oracle for the secret patterns the scanner exports, and its speed reference.
  rg: { package: 'ripgrep', neededBy: ['test', 'bench'] },
  // GNU time: the peak memory of a peer tool in the scan benchmark.
  time: { package: 'time', neededBy: ['bench'] },
  // dora-metrics: the push goes to a real Pushgateway; the SQL oracle of the four keys is SQLite's shell.
  'prometheus-pushgateway': { package: 'prometheus-pushgateway', neededBy: ['test'] },
  sqlite3: { package: 'sqlite3', neededBy: ['test'] },
};

export function missingPackages(purpose: 'test' | 'demo' | 'bench'): string[] {
  return [
    ...new Set(
      Object.entries(PROGRAMS)
        .filter(([program, spec]) => spec.neededBy.includes(purpose) && !which(program))
        .map(([, spec]) => spec.package),
    ),
  ];
}

export function ensurePackages(purpose: 'test' | 'demo' | 'bench'): void {
  const missing = missingPackages(purpose);
  if (missing.length === 0) return;
  const install = ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing];
  if (process.getuid?.() !== 0) {
    throw new Error(`missing Debian packages for the ${purpose}s: ${missing.join(', ')}. Install them first:\n  sudo apt-get update && sudo ${install.join(' ')}`);
  }
  console.log(`Installing the Debian packages the ${purpose}s start for real, with apt-get (running as root): ${missing.join(', ')}`);
  for (const args of [['update', '-qq'], install.slice(1)]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${result.status})`);
  }
}

if (import.meta.main) {
  const purpose = (process.argv[2] ?? 'test') as 'test' | 'demo' | 'bench';
  try {
    ensurePackages(purpose);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpDouble, type RecordedRequest, type Reply } from './http-double.ts';

/**
 * An npm registry with a few small packages, enough for npm, pnpm, Yarn (1 and berry) and Bun to
 * install from it for real: packuments at /<name>, tarballs at /<name>/-/<name>-<version>.tgz, with
 * the integrity (sha512) and shasum every client checks. The tarballs are made by `tar` from a
 * package folder, as `npm pack` lays them out (everything under package/).
 */

interface Published {
  version: string;
  tarball: Buffer;
  integrity: string;
  shasum: string;
}

export class NpmRegistryDouble extends HttpDouble {
  readonly #packages = new Map<string, Published[]>();
  /** While true every request gets 503: the registry is unreachable for the job. */
  down = false;

  constructor() {
    super((request) => this.#route(request));
  }

  /** Publishes a package whose index.js exports `value`. */
  publish(name: string, version: string, value: string): void {
    const dir = mkdtempSync(join(tmpdir(), 'npm-registry-'));
    try {
      mkdirSync(join(dir, 'package'));
      writeFileSync(join(dir, 'package', 'package.json'), JSON.stringify({ name, version, main: 'index.js', license: 'MIT' }));
      writeFileSync(join(dir, 'package', 'index.js'), `module.exports = ${JSON.stringify(value)};\n`);
      execFileSync('tar', ['-czf', join(dir, 'package.tgz'), '-C', dir, 'package']);
      const tarball = readFileSync(join(dir, 'package.tgz'));
      const published: Published = {
        version,
        tarball,
        integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
        shasum: createHash('sha1').update(tarball).digest('hex'),
      };
      this.#packages.set(name, [...(this.#packages.get(name) ?? []), published]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  #route(request: RecordedRequest): Reply {
    if (this.down) return { status: 503, body: { error: 'the registry is down' } };
    if (request.method !== 'GET') return { status: 405, body: { error: 'method not allowed' } };
    const path = decodeURIComponent(request.path);
    const tarball = /^\/(.+)\/-\/[^/]+-(\d+\.\d+\.\d+)\.tgz$/.exec(path);
    if (tarball) {
      const found = this.#packages.get(tarball[1] as string)?.find((published) => published.version === tarball[2]);
      if (!found) return { status: 404, body: { error: 'not found' } };
      return { status: 200, bytes: found.tarball };
    }
    const name = path.slice(1);
    const versions = this.#packages.get(name);
    if (!versions) return { status: 404, body: { error: 'not found' } };
    // Publication times a year back: package managers that hold back fresh releases (Yarn's
    // npmMinimalAgeGate, pnpm's minimumReleaseAge) read them from here.
    const published = '2025-01-01T00:00:00.000Z';
    return {
      status: 200,
      body: {
        name,
        'dist-tags': { latest: versions.at(-1)?.version },
        time: { created: published, modified: published, ...Object.fromEntries(versions.map((entry) => [entry.version, published])) },
        versions: Object.fromEntries(
          versions.map((published) => [
            published.version,
            {
              name,
              version: published.version,
              main: 'index.js',
              license: 'MIT',
              dist: { tarball: `${this.url}/${name}/-/${name.split('/').at(-1)}-${published.version}.tgz`, integrity: published.integrity, shasum: published.shasum },
            },
          ]),
        ),
      },
    };
  }
}

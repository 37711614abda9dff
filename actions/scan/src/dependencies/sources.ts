import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../../../shared/errors.ts';
import { normalisePypiName, type Package } from './lockfiles.ts';
import type { OsvRecord } from './osv.ts';

/** Where OSV records come from: the OSV API or a folder of records. */
export interface VulnerabilitySource {
  /** Candidate records for each package, in order. */
  candidates(packages: Package[]): Promise<OsvRecord[][]>;
}

const BATCH = 1000;

/**
 * The OSV API: POST /v1/querybatch (up to 1,000 queries; the answer lists ids only), then
 * GET /v1/vulns/{id} once per distinct id for the ranges and severity.
 */
export function osvApi(baseUrl: string, fetcher: typeof fetch = fetch): VulnerabilitySource {
  const base = baseUrl.replace(/\/+$/, '');
  const request = async (path: string, init?: RequestInit): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetcher(`${base}${path}`, { ...init, headers: { 'content-type': 'application/json', 'user-agent': 'deploy-actions-scan' }, signal: AbortSignal.timeout(60_000) });
    } catch (error) {
      throw new UserError(`the OSV API at ${base} cannot be reached (${(error as Error).message}); set osv-url, or osv-offline-dir to a folder of OSV records`);
    }
    if (!response.ok) throw new UserError(`the OSV API at ${base} answered ${response.status} to ${init?.method ?? 'GET'} ${path}`);
    return response.json();
  };
  return {
    async candidates(packages) {
      const ids: string[][] = [];
      for (let start = 0; start < packages.length; start += BATCH) {
        const slice = packages.slice(start, start + BATCH);
        const answer = (await request('/v1/querybatch', {
          method: 'POST',
          body: JSON.stringify({ queries: slice.map((pkg) => ({ package: { name: pkg.name, ecosystem: pkg.ecosystem }, version: pkg.version })) }),
        })) as { results?: Array<{ vulns?: Array<{ id: string }>; next_page_token?: string }> };
        if (!Array.isArray(answer.results) || answer.results.length !== slice.length) throw new UserError(`the OSV API at ${base} answered querybatch with ${answer.results?.length ?? 'no'} results for ${slice.length} queries`);
        for (const result of answer.results) ids.push((result.vulns ?? []).map((vuln) => vuln.id));
      }
      const distinct = [...new Set(ids.flat())];
      const records = new Map<string, OsvRecord>();
      // A few at a time: the API is shared, and most scans name only a handful of records.
      for (let start = 0; start < distinct.length; start += 8) {
        await Promise.all(distinct.slice(start, start + 8).map(async (id) => records.set(id, (await request(`/v1/vulns/${encodeURIComponent(id)}`)) as OsvRecord)));
      }
      return ids.map((list) => list.map((id) => records.get(id)).filter((record): record is OsvRecord => record !== undefined));
    },
  };
}

/** A folder of OSV JSON records (one per file, in any subfolder), as OSV's exports unpack. */
export function osvFolder(dir: string): VulnerabilitySource {
  return {
    async candidates(packages) {
      const byPackage = new Map<string, OsvRecord[]>();
      const files = await readdir(dir, { recursive: true }).catch(() => {
        throw new UserError(`osv-offline-dir ${JSON.stringify(dir)} cannot be read`);
      });
      for (const file of files.filter((name) => name.endsWith('.json'))) {
        let record: OsvRecord;
        try {
          record = JSON.parse(await readFile(join(dir, file), 'utf8')) as OsvRecord;
        } catch (error) {
          throw new UserError(`${join(dir, file)}: not an OSV JSON record (${(error as Error).message})`);
        }
        for (const affected of record.affected ?? []) {
          const ecosystem = affected.package?.ecosystem?.split(':')[0];
          const name = affected.package?.name;
          if (!ecosystem || !name) continue;
          const key = `${ecosystem}|${ecosystem === 'PyPI' ? normalisePypiName(name) : name}`;
          const list = byPackage.get(key) ?? [];
          if (!list.includes(record)) list.push(record);
          byPackage.set(key, list);
        }
      }
      return packages.map((pkg) => byPackage.get(`${pkg.ecosystem}|${pkg.name}`) ?? []);
    },
  };
}

import { HttpDouble, type RecordedRequest, type Reply } from './http-double.ts';

/**
 * The OSV API (https://google.github.io/osv.dev/api/) for the records it is given, in OSV's published
 * format: POST /v1/querybatch answers ids per query, GET /v1/vulns/{id} the whole record. Requests
 * outside the API's rules (over 1,000 queries, a query without a version or package, an unknown
 * path) are refused with 400/404, as the service does, and recorded as violations.
 *
 * Version filtering is left to the records: an affected entry that enumerates its `versions` (OSV
 * does for ECOSYSTEM ranges) matches only those; one that does not matches every version, a superset
 * the client narrows with the ranges, as it must for an offline folder anyway.
 */
interface OsvRecord {
  id: string;
  modified?: string;
  affected?: Array<{ package?: { ecosystem?: string; name?: string }; versions?: string[] }>;
}

interface Query {
  package?: { name?: string; ecosystem?: string; purl?: string };
  version?: string;
  commit?: string;
}

/** OSV compares PyPI names as PEP 503 normalises them (Django = django); other ecosystems exactly. */
function samePackage(ecosystem: string, a: string, b: string): boolean {
  const pep503 = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');
  return ecosystem === 'PyPI' ? pep503(a) === pep503(b) : a === b;
}

export class OsvDouble extends HttpDouble {
  readonly #records: OsvRecord[];

  constructor(records: OsvRecord[]) {
    super((request) => this.#answer(request));
    this.#records = records;
  }

  #refuse(status: number, message: string, request: RecordedRequest): Reply {
    this.violations.push(`${request.method} ${request.path}: ${message}`);
    return { status, body: { code: status === 404 ? 5 : 3, message } };
  }

  #answer(request: RecordedRequest): Reply {
    if (request.method === 'POST' && request.path === '/v1/querybatch') {
      const queries = (request.body as { queries?: Query[] } | undefined)?.queries;
      if (!Array.isArray(queries)) return this.#refuse(400, 'queries must be a list', request);
      if (queries.length > 1000) return this.#refuse(400, 'Too many queries.', request);
      const results = [];
      for (const query of queries) {
        if (!query.package?.name || !query.package.ecosystem) return this.#refuse(400, 'Invalid query: package name and ecosystem are required', request);
        if (!query.version && !query.commit) return this.#refuse(400, 'Invalid query: a version or commit is required', request);
        const vulns = this.#records
          .filter((record) =>
            (record.affected ?? []).some(
              (affected) =>
                affected.package?.ecosystem === query.package?.ecosystem &&
                samePackage(query.package?.ecosystem as string, affected.package?.name ?? '', query.package?.name as string) &&
                (!affected.versions || affected.versions.includes(query.version as string)),
            ),
          )
          .map((record) => ({ id: record.id, modified: record.modified ?? '2024-01-01T00:00:00Z' }));
        // OSV leaves an empty result as {}.
        results.push(vulns.length > 0 ? { vulns } : {});
      }
      return { status: 200, body: { results } };
    }
    const vuln = /^\/v1\/vulns\/([^/]+)$/.exec(request.path);
    if (request.method === 'GET' && vuln) {
      const record = this.#records.find((candidate) => candidate.id === decodeURIComponent(vuln[1] as string));
      return record ? { status: 200, body: record } : { status: 404, body: { code: 5, message: 'Bug not found.' } };
    }
    return this.#refuse(404, 'Not Found', request);
  }
}

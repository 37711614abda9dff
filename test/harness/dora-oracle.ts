import { spawnSync } from 'node:child_process';
import type { GitHubDouble } from '../doubles/github/server.ts';

/**
 * The four keys by SQL over the same records, in SQLite (Debian's sqlite3), as an oracle for
 * dora-metrics: written from the definitions (docs/dora-metrics.md, issue 16), not from the
 * action's code. The records go in as they are (payloads as JSON, statuses with their
 * descriptions, commits with their parents); shares, "went live", failures, the previous success
 * and the commits between two deployments (ancestors of one minus ancestors of the other, by a
 * recursive query) are all worked out in SQL.
 */

export interface OracleKeys {
  environment: string;
  service: string;
  deployments: number;
  perDay: number;
  perWeek: number;
  leadTime: { count: number; median: number | null; p90: number | null };
  changeFailure: { live: number; failed: number; rate: number | null; canaryCaught: number };
  timeToRestore: { count: number; median: number | null; p90: number | null; unrestored: number };
}

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;
const value = (item: string | number | null) => (item === null ? 'NULL' : typeof item === 'number' ? String(item) : quote(item));
/** Times go in as epoch milliseconds, the window's bounds too, so no rounding hides an instant. */
const ms = (iso: string) => Date.parse(iso);

function insert(table: string, rows: Array<Array<string | number | null>>): string {
  const statements: string[] = [];
  for (let start = 0; start < rows.length; start += 500) {
    const chunk = rows.slice(start, start + 500);
    statements.push(`INSERT INTO ${table} VALUES ${chunk.map((row) => `(${row.map(value).join(', ')})`).join(',\n')};`);
  }
  return statements.join('\n');
}

/** The records of the double as SQL: deployments (payload JSON), statuses in order, commits, parents. */
export function recordsSql(github: GitHubDouble): string {
  const deployments = github.deployments.map((deployment) => [deployment.id, deployment.environment, ms(deployment.createdAt), deployment.sha, JSON.stringify(deployment.payload ?? {})]);
  const statuses = github.deployments.flatMap((deployment) => deployment.statuses.map((status, index) => [status.id, deployment.id, index, status.state, status.description, ms(status.createdAt)]));
  const commits = github.git.all().map((commit) => [commit.oid, ms(commit.committedDate)]);
  const parents = github.git.all().flatMap((commit) => commit.parents.map((parent) => [commit.oid, parent]));
  return [
    'CREATE TABLE deployments (id INTEGER PRIMARY KEY, environment TEXT, created_at INTEGER, sha TEXT, payload TEXT);',
    'CREATE TABLE statuses (id INTEGER, deployment_id INTEGER, seq INTEGER, state TEXT, description TEXT, created_at INTEGER);',
    'CREATE TABLE commits (oid TEXT PRIMARY KEY, committed_at INTEGER);',
    'CREATE TABLE parents (oid TEXT, parent TEXT);',
    insert('deployments', deployments),
    insert('statuses', statuses),
    insert('commits', commits),
    insert('parents', parents),
    'CREATE INDEX statuses_deployment ON statuses (deployment_id, seq);',
    'CREATE INDEX parents_oid ON parents (oid);',
  ].join('\n');
}

/** The four keys of every environment and service over [since, until) (epoch ms), by SQL alone. */
export function keysSql(options: { environments: string[]; defaultService: string; since: number; until: number }): string {
  const { since, until } = options;
  const environments = options.environments.map(quote).join(', ');
  return `
-- Ours: the payload carries deployActions 1. No service field: the default service.
CREATE TEMP TABLE ours AS
SELECT id, environment, created_at, sha,
       COALESCE(json_extract(payload, '$.service'), ${quote(options.defaultService)}) AS service,
       json_extract(payload, '$.rollbackOf') AS rollback_of
FROM deployments
WHERE json_extract(payload, '$.deployActions') = 1 AND environment IN (${environments});

-- The share of traffic a status records: success 100; "takes N%" and "canary N%:" N; "healthy:
-- shifting N% of traffic" N when a later status of the deployment says the traffic went back.
CREATE TEMP TABLE shares AS
SELECT s.deployment_id, s.seq, s.state, s.created_at,
  CASE
    WHEN s.state = 'success' THEN 100.0
    WHEN s.description LIKE '%takes %\\%%' ESCAPE '\\' THEN CAST(substr(s.description, instr(s.description, 'takes ') + 6) AS REAL)
    WHEN s.description LIKE 'canary %\\%:%' ESCAPE '\\' THEN CAST(substr(s.description, 8) AS REAL)
    WHEN s.description LIKE '%healthy: shifting %\\% of traffic%' ESCAPE '\\'
         AND EXISTS (SELECT 1 FROM statuses later WHERE later.deployment_id = s.deployment_id AND later.seq > s.seq AND later.description LIKE '%traffic back on%')
      THEN CAST(substr(s.description, instr(s.description, 'shifting ') + 9) AS REAL)
    ELSE 0.0
  END AS share
FROM statuses s JOIN ours o ON o.id = s.deployment_id;

CREATE TEMP TABLE facts AS
SELECT o.*,
  (SELECT created_at FROM shares s WHERE s.deployment_id = o.id AND s.share > 0 ORDER BY s.seq LIMIT 1) AS went_live_at,
  (SELECT MAX(share) FROM shares s WHERE s.deployment_id = o.id) AS max_share,
  (SELECT created_at FROM shares s WHERE s.deployment_id = o.id AND s.state = 'success' ORDER BY s.seq LIMIT 1) AS success_at,
  (SELECT state FROM shares s WHERE s.deployment_id = o.id ORDER BY s.seq DESC LIMIT 1) AS final_state
FROM ours o;

-- Failed: went live, then ended failure or was named by a rollback.
CREATE TEMP TABLE failed AS
SELECT f.* FROM facts f
WHERE f.went_live_at IS NOT NULL
  AND (f.final_state = 'failure' OR f.id IN (SELECT rollback_of FROM ours WHERE rollback_of IS NOT NULL));

-- The previous successful deployment of the same environment and service, in success order.
CREATE TEMP TABLE successes AS
SELECT id, environment, service, sha, success_at,
       ROW_NUMBER() OVER (PARTITION BY environment, service ORDER BY success_at, id) AS n
FROM facts WHERE success_at IS NOT NULL;

CREATE TEMP TABLE pairs AS
SELECT cur.id, cur.environment, cur.service, cur.success_at, cur.sha AS head, prev.sha AS previous
FROM successes cur JOIN successes prev
  ON prev.environment = cur.environment AND prev.service = cur.service AND prev.n = cur.n - 1
WHERE cur.success_at >= ${since} AND cur.success_at < ${until};

-- Ancestors (the commit itself included) of every commit a pair names.
CREATE TEMP TABLE ancestors AS
WITH RECURSIVE walk(start, oid) AS (
  SELECT head, head FROM pairs UNION SELECT previous, previous FROM pairs
  UNION
  SELECT walk.start, parents.parent FROM walk JOIN parents ON parents.oid = walk.oid
)
SELECT start, oid FROM walk;
CREATE INDEX ancestors_start ON ancestors (start, oid);

-- Lead time of each commit shipped: reachable from the deployment, not from the previous one.
CREATE TEMP TABLE lead AS
SELECT p.environment, p.service, (p.success_at - c.committed_at) / 1000.0 AS value
FROM pairs p
JOIN ancestors a ON a.start = p.head
JOIN commits c ON c.oid = a.oid
WHERE NOT EXISTS (SELECT 1 FROM ancestors b WHERE b.start = p.previous AND b.oid = a.oid);

-- Time to restore: from a failure going live to the first later success of another deployment.
CREATE TEMP TABLE restores AS
SELECT f.environment, f.service, f.id,
  ((SELECT MIN(s.success_at) FROM successes s
    WHERE s.environment = f.environment AND s.service = f.service AND s.id <> f.id AND s.success_at > f.went_live_at) - f.went_live_at) / 1000.0 AS value
FROM failed f WHERE f.went_live_at >= ${since} AND f.went_live_at < ${until};

-- Median (mean of the two middle values) and p90 (nearest rank: ceil(0.9 n), as (9n + 9) / 10).
CREATE TEMP TABLE lead_ranked AS
SELECT environment, service, value, ROW_NUMBER() OVER (PARTITION BY environment, service ORDER BY value) AS r, COUNT(*) OVER (PARTITION BY environment, service) AS n FROM lead;
CREATE TEMP TABLE restore_ranked AS
SELECT environment, service, value, ROW_NUMBER() OVER (PARTITION BY environment, service ORDER BY value) AS r, COUNT(*) OVER (PARTITION BY environment, service) AS n FROM restores WHERE value IS NOT NULL;

CREATE TEMP TABLE groups AS SELECT DISTINCT environment, service FROM ours;

SELECT g.environment, g.service,
  (SELECT COUNT(*) FROM facts f WHERE f.environment = g.environment AND f.service = g.service AND f.success_at >= ${since} AND f.success_at < ${until}) AS deployments,
  (SELECT COUNT(*) FROM facts f WHERE f.environment = g.environment AND f.service = g.service AND f.success_at >= ${since} AND f.success_at < ${until}) * 1.0 / ((${until} - ${since}) / 86400000.0) AS per_day,
  (SELECT COUNT(*) FROM facts f WHERE f.environment = g.environment AND f.service = g.service AND f.success_at >= ${since} AND f.success_at < ${until}) * 1.0 / (((${until} - ${since}) / 86400000.0) / 7.0) AS per_week,
  (SELECT COUNT(*) FROM lead_ranked l WHERE l.environment = g.environment AND l.service = g.service) AS lead_count,
  (SELECT AVG(value) FROM lead_ranked l WHERE l.environment = g.environment AND l.service = g.service AND l.r IN ((l.n + 1) / 2, (l.n + 2) / 2)) AS lead_median,
  (SELECT value FROM lead_ranked l WHERE l.environment = g.environment AND l.service = g.service AND l.r = (9 * l.n + 9) / 10) AS lead_p90,
  (SELECT COUNT(*) FROM facts f WHERE f.environment = g.environment AND f.service = g.service AND f.went_live_at >= ${since} AND f.went_live_at < ${until}) AS live,
  (SELECT COUNT(*) FROM failed f WHERE f.environment = g.environment AND f.service = g.service AND f.went_live_at >= ${since} AND f.went_live_at < ${until}) AS failed,
  (SELECT COUNT(*) FROM failed f WHERE f.environment = g.environment AND f.service = g.service AND f.went_live_at >= ${since} AND f.went_live_at < ${until} AND f.max_share <= 50) AS canary_caught,
  (SELECT COUNT(*) FROM failed f WHERE f.environment = g.environment AND f.service = g.service AND f.went_live_at >= ${since} AND f.went_live_at < ${until}) * 1.0
    / NULLIF((SELECT COUNT(*) FROM facts f WHERE f.environment = g.environment AND f.service = g.service AND f.went_live_at >= ${since} AND f.went_live_at < ${until}), 0) AS failure_rate,
  (SELECT COUNT(*) FROM restore_ranked r WHERE r.environment = g.environment AND r.service = g.service) AS restore_count,
  (SELECT AVG(value) FROM restore_ranked r WHERE r.environment = g.environment AND r.service = g.service AND r.r IN ((r.n + 1) / 2, (r.n + 2) / 2)) AS restore_median,
  (SELECT value FROM restore_ranked r WHERE r.environment = g.environment AND r.service = g.service AND r.r = (9 * r.n + 9) / 10) AS restore_p90,
  (SELECT COUNT(*) FROM restores r WHERE r.environment = g.environment AND r.service = g.service AND r.value IS NULL) AS unrestored
FROM groups g ORDER BY g.environment, g.service;
`;
}

interface Row {
  environment: string;
  service: string;
  deployments: number;
  per_day: number;
  per_week: number;
  failure_rate: number | null;
  lead_count: number;
  lead_median: number | null;
  lead_p90: number | null;
  live: number;
  failed: number;
  canary_caught: number;
  restore_count: number;
  restore_median: number | null;
  restore_p90: number | null;
  unrestored: number;
}

/** Runs the oracle in a fresh in-memory SQLite database through the sqlite3 command-line shell. */
export function oracleKeys(github: GitHubDouble, options: { environments: string[]; defaultService: string; since: number; until: number }): OracleKeys[] {
  const script = `.bail on\n.mode json\n${recordsSql(github)}\n${keysSql(options)}`;
  const result = spawnSync('sqlite3', [':memory:'], { input: script, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`sqlite3 failed (${result.status}): ${result.stderr}`);
  const rows = (result.stdout.trim() === '' ? [] : JSON.parse(result.stdout)) as Row[];
  return rows.map((row) => ({
    environment: row.environment,
    service: row.service,
    deployments: row.deployments,
    perDay: row.per_day,
    perWeek: row.per_week,
    leadTime: { count: row.lead_count, median: row.lead_median, p90: row.lead_p90 },
    changeFailure: { live: row.live, failed: row.failed, rate: row.failure_rate, canaryCaught: row.canary_caught },
    timeToRestore: { count: row.restore_count, median: row.restore_median, p90: row.restore_p90, unrestored: row.unrestored },
  }));
}

export function sqliteVersion(): string {
  return spawnSync('sqlite3', ['--version'], { encoding: 'utf8' }).stdout.trim();
}

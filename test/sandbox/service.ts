/**
 * The sandbox's sample service: one version of "the app" on one color.
 *
 *   node test/sandbox/service.ts   (configured by environment)
 *     PORT          port on 127.0.0.1 (required)
 *     VERSION       what /version reports (default v0)
 *     COLOR         blue | green (default blue)
 *     LATENCY_MS    extra latency per request on / (default 0)
 *     ERROR_RATE    share of / requests answered 500, 0..1 (default 0)
 *     HEALTHY       "false" makes /healthz answer 503 (default true)
 *     UNHEALTHY_AFTER_MS  /healthz starts answering 503 this long after start (a version that breaks)
 *     PIDFILE       where to write the process id (for stop-command)
 *
 * GET /          hello from <version> (<color>), with the latency and error rate above
 * GET /healthz   200 ok (or 503)
 * GET /version   {"version","color"}
 * GET /metrics   Prometheus text: http_requests_total and an http_request_duration_seconds histogram,
 *                labelled with version and color
 * SIGTERM closes the listener and lets in-flight requests finish.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

const port = Number(process.env['PORT']);
const version = process.env['VERSION'] || 'v0';
const color = process.env['COLOR'] || 'blue';
const latencyMs = Number(process.env['LATENCY_MS'] ?? 0);
const errorRate = Number(process.env['ERROR_RATE'] ?? 0);
const healthyAtStart = process.env['HEALTHY'] !== 'false';
const unhealthyAfterMs = Number(process.env['UNHEALTHY_AFTER_MS'] ?? 0);
const startedAt = Date.now();
const isHealthy = () => healthyAtStart && !(unhealthyAfterMs > 0 && Date.now() - startedAt > unhealthyAfterMs);
if (!Number.isInteger(port) || port <= 0) {
  console.error('service: PORT is required');
  process.exit(2);
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const counts = new Map<string, number>();
const histogram = new Array<number>(BUCKETS.length).fill(0);
let durationSum = 0;
let durationCount = 0;

function observe(code: number, seconds: number): void {
  counts.set(String(code), (counts.get(String(code)) ?? 0) + 1);
  BUCKETS.forEach((bound, index) => {
    if (seconds <= bound) histogram[index] = (histogram[index] ?? 0) + 1;
  });
  durationSum += seconds;
  durationCount += 1;
}

function metrics(): string {
  const labels = `version="${version}",color="${color}"`;
  const lines = ['# HELP http_requests_total Requests served on /, by status code.', '# TYPE http_requests_total counter'];
  for (const [code, count] of counts) lines.push(`http_requests_total{code="${code}",${labels}} ${count}`);
  if (counts.size === 0) lines.push(`http_requests_total{code="200",${labels}} 0`);
  lines.push('# HELP http_request_duration_seconds Latency of requests on /.', '# TYPE http_request_duration_seconds histogram');
  BUCKETS.forEach((bound, index) => lines.push(`http_request_duration_seconds_bucket{le="${bound}",${labels}} ${histogram[index]}`));
  lines.push(`http_request_duration_seconds_bucket{le="+Inf",${labels}} ${durationCount}`);
  lines.push(`http_request_duration_seconds_sum{${labels}} ${durationSum}`);
  lines.push(`http_request_duration_seconds_count{${labels}} ${durationCount}`);
  // The standard process metrics (as Prometheus client libraries export them).
  const cpu = process.cpuUsage();
  lines.push('# TYPE process_cpu_seconds_total counter', `process_cpu_seconds_total{${labels}} ${(cpu.user + cpu.system) / 1e6}`);
  lines.push('# TYPE process_resident_memory_bytes gauge', `process_resident_memory_bytes{${labels}} ${process.memoryUsage().rss}`);
  return `${lines.join('\n')}\n`;
}

const server = createServer((request, response) => {
  const path = (request.url ?? '/').split('?')[0];
  if (path === '/healthz') {
    const healthy = isHealthy();
    response.writeHead(healthy ? 200 : 503, { 'content-type': 'text/plain' }).end(healthy ? 'ok\n' : 'unhealthy\n');
    return;
  }
  if (path === '/version') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ version, color }));
    return;
  }
  if (path === '/metrics') {
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics());
    return;
  }
  const started = performance.now();
  setTimeout(() => {
    const failed = Math.random() < errorRate;
    const code = failed ? 500 : 200;
    response.writeHead(code, { 'content-type': 'text/plain', 'x-version': version, 'x-color': color });
    response.end(failed ? `error from ${version} (${color})\n` : `hello from ${version} (${color})\n`);
    observe(code, (performance.now() - started) / 1000);
  }, latencyMs);
});
server.keepAliveTimeout = 65_000;

server.listen(port, '127.0.0.1', () => {
  if (process.env['PIDFILE']) writeFileSync(process.env['PIDFILE'], String(process.pid));
  console.log(`service ${version} (${color}) listening on 127.0.0.1:${port}`);
});

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  // Idle keep-alive connections would hold close() open; in-flight requests still finish.
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 5000).unref();
});

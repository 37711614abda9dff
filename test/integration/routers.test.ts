import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { LocalHost } from '../../shared/bluegreen/host.ts';
import { HaproxyRouter, parseServersState, rewriteConfigWeights } from '../../shared/bluegreen/routers/haproxy.ts';
import { NginxRouter, parseUpstream, renderUpstream } from '../../shared/bluegreen/routers/nginx.ts';
import { parseStateOutput } from '../../shared/bluegreen/routers/command.ts';
import { RouterError } from '../../shared/bluegreen/traffic.ts';
import { parseSocketTarget } from '../../shared/bluegreen/host.ts';
import { freePort, startHaproxy, startNginx, startService, type Haproxy, type Nginx, type RunningService } from '../sandbox/servers.ts';

/** The routers against the real HAProxy and nginx from Debian, with real services behind them. */

async function versionsSeen(url: string, requests = 40): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let index = 0; index < requests; index++) {
    const text = await (await fetch(url)).text();
    const version = /hello from (\S+)/.exec(text)?.[1] ?? `other: ${text.slice(0, 40)}`;
    seen[version] = (seen[version] ?? 0) + 1;
  }
  return seen;
}

let blue: RunningService;
let green: RunningService;
beforeEach(async () => {
  const [bluePort, greenPort] = [await freePort(), await freePort()];
  [blue, green] = await Promise.all([startService(bluePort, { VERSION: 'v1', COLOR: 'blue' }), startService(greenPort, { VERSION: 'v2', COLOR: 'green' })]);
});
afterEach(async () => {
  await Promise.all([blue.stop(), green.stop()]);
});

describe('HAProxy runtime API', () => {
  let haproxy: Haproxy;
  let router: HaproxyRouter;
  const make = (overrides: Partial<ConstructorParameters<typeof HaproxyRouter>[0]> = {}) =>
    new HaproxyRouter({
      host: new LocalHost(),
      environment: 'production',
      addresses: {},
      runtime: parseSocketTarget(haproxy.runtime) ?? { path: haproxy.runtime },
      backend: 'app',
      servers: { blue: 'blue', green: 'green' },
      configPath: haproxy.configPath,
      binary: 'haproxy',
      ...overrides,
    });

  afterEach(() => haproxy.stop());

  test.each(['tcp', 'unix'] as const)('reads, splits and flips weights without a reload (%s runtime socket)', async (runtime) => {
    haproxy = await startHaproxy({ colors: { blue: blue.port, green: green.port }, runtime });
    router = make();
    expect(await router.read()).toEqual({ blue: 100, green: 0 });
    expect(await router.endpoint('green')).toEqual({ host: '127.0.0.1', port: green.port });
    await router.ready('green', 5000);

    await router.apply({ blue: 50, green: 50 }, { blue: 100, green: 0 });
    expect(await router.read()).toEqual({ blue: 50, green: 50 });
    const seen = await versionsSeen(haproxy.url);
    expect(seen['v1']).toBeGreaterThan(0);
    expect(seen['v2']).toBeGreaterThan(0);

    await router.apply({ blue: 0, green: 100 }, { blue: 50, green: 50 });
    expect(await versionsSeen(haproxy.url, 20)).toEqual({ v2: 20 });
    // The file on disk says the same, so a restart keeps the state.
    expect(readFileSync(haproxy.configPath, 'utf8')).toMatch(/server green 127\.0\.0\.1:\d+ weight 100 check/);
    expect(readFileSync(haproxy.configPath, 'utf8')).toMatch(/server blue 127\.0\.0\.1:\d+ weight 0 check/);
  });

  test('a config haproxy -c refuses changes nothing, live or on disk', async () => {
    haproxy = await startHaproxy({ colors: { blue: blue.port, green: green.port } });
    writeFileSync(haproxy.configPath, `${readFileSync(haproxy.configPath, 'utf8')}\nbogus-directive here\n`);
    const before = readFileSync(haproxy.configPath, 'utf8');
    router = make();
    const error = await router.apply({ blue: 0, green: 100 }, { blue: 100, green: 0 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RouterError);
    expect((error as RouterError).restored).toBe(true);
    expect((error as Error).message).toMatch(/haproxy -c refused/);
    expect(await router.read()).toEqual({ blue: 100, green: 0 });
    expect(readFileSync(haproxy.configPath, 'utf8')).toBe(before);
  });

  test('a wrong backend or server name is named', async () => {
    haproxy = await startHaproxy({ colors: { blue: blue.port, green: green.port } });
    await expect(make({ backend: 'nope' }).read()).rejects.toThrow('input "haproxy-backend": HAProxy has no backend "nope"');
    await expect(make({ servers: { blue: 'blue', green: 'grn' } }).read()).rejects.toThrow('input "haproxy-green-server": backend app has no server "grn"');
  });

  test('ready() waits for HAProxy’s own checks and gives up on a server that is down', async () => {
    haproxy = await startHaproxy({ colors: { blue: blue.port, green: await freePort() } });
    router = make();
    // HAProxy counts a server up at start until its checks have failed `fall` times.
    await expect.poll(async () => (await router.servers()).green.operational, { timeout: 5000 }).toBe(0);
    await expect(router.ready('green', 1500)).rejects.toThrow(/have not marked server green up/);
  });

  test('an unreachable runtime API is reported with its address', async () => {
    haproxy = await startHaproxy({ colors: { blue: blue.port, green: green.port } });
    const port = await freePort();
    await expect(make({ runtime: { host: '127.0.0.1', port } }).read()).rejects.toThrow(`cannot reach HAProxy's runtime API at 127.0.0.1:${port}`);
  });
});

describe('nginx upstream file', () => {
  let nginx: Nginx;
  const make = (overrides: Partial<ConstructorParameters<typeof NginxRouter>[0]> = {}) =>
    new NginxRouter({
      host: new LocalHost(),
      environment: 'production',
      addresses: { blue: { host: '127.0.0.1', port: blue.port }, green: { host: '127.0.0.1', port: green.port } },
      upstreamFile: nginx.upstreamFile,
      upstreamName: 'app',
      binary: 'nginx',
      configPath: nginx.configPath,
      prefix: nginx.prefix,
      keepalive: 16,
      ...overrides,
    });

  beforeEach(async () => {
    nginx = await startNginx({ colors: { blue: blue.port, green: green.port } });
  });
  afterEach(() => nginx.stop());

  test('splits and flips through nginx -t and a graceful reload', async () => {
    const router = make();
    expect(await router.read()).toEqual({ blue: 100, green: 0 });
    expect(await versionsSeen(nginx.url, 10)).toEqual({ v1: 10 });
    await router.apply({ blue: 50, green: 50 }, { blue: 100, green: 0 });
    await expect.poll(async () => Object.keys(await versionsSeen(nginx.url)).sort(), { timeout: 5000 }).toEqual(['v1', 'v2']);
    await router.apply({ blue: 0, green: 100 }, { blue: 50, green: 50 });
    await expect.poll(() => versionsSeen(nginx.url, 20), { timeout: 5000 }).toEqual({ v2: 20 });
    expect(await router.read()).toEqual({ blue: 0, green: 100 });
  });

  test('nginx -t refusing the new file puts the old one back without a reload', async () => {
    const before = readFileSync(nginx.upstreamFile, 'utf8');
    const router = make({ addresses: { blue: { host: '127.0.0.1', port: blue.port }, green: { host: 'no-such-host.invalid', port: 80 } } });
    const error = await router.apply({ blue: 0, green: 100 }, { blue: 100, green: 0 }).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/nginx -t refused the new upstream: .*no-such-host\.invalid/);
    expect((error as RouterError).restored).toBe(true);
    expect(readFileSync(nginx.upstreamFile, 'utf8')).toBe(before);
    expect(await versionsSeen(nginx.url, 5)).toEqual({ v1: 5 });
  });

  test('a failed reload puts the old file back', async () => {
    const before = readFileSync(nginx.upstreamFile, 'utf8');
    const pidFile = `${nginx.prefix}/nginx.pid`;
    const pid = readFileSync(pidFile, 'utf8');
    // A stale pid file: the reload signal cannot be delivered, nginx keeps serving the old config.
    writeFileSync(pidFile, '999999\n');
    try {
      const error = await make().apply({ blue: 0, green: 100 }, { blue: 100, green: 0 }).catch((caught: unknown) => caught);
      expect((error as Error).message).toMatch(/nginx -s reload failed: .*999999/);
      expect((error as RouterError).restored).toBe(true);
      expect(readFileSync(nginx.upstreamFile, 'utf8')).toBe(before);
      expect(await versionsSeen(nginx.url, 5)).toEqual({ v1: 5 });
    } finally {
      writeFileSync(pidFile, pid);
    }
  });

  test('a file not written by us is refused, not overwritten', async () => {
    writeFileSync(nginx.upstreamFile, 'upstream app { server 127.0.0.1:1; }\n');
    await expect(make().read()).rejects.toThrow('was not written by deploy-actions');
  });
});

describe('pure parts', () => {
  test('HAProxy config rewrite touches only the two weights', () => {
    const config = 'global\n  maxconn 10\nbackend other\n  server blue 1.1.1.1:1 weight 5\nbackend app\n  server blue 127.0.0.1:8081 weight 100 check\n  server green 127.0.0.1:8082 check\n';
    const rewritten = rewriteConfigWeights(config, 'app', { blue: 'blue', green: 'green' }, { blue: 10, green: 90 });
    expect(rewritten).toBe('global\n  maxconn 10\nbackend other\n  server blue 1.1.1.1:1 weight 5\nbackend app\n  server blue 127.0.0.1:8081 weight 10 check\n  server green 127.0.0.1:8082 check weight 90\n');
    expect(() => rewriteConfigWeights(config, 'nope', { blue: 'blue', green: 'green' }, { blue: 0, green: 100 })).toThrow('no "backend nope" section');
  });

  test('HAProxy servers state', () => {
    const text = '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight\n3 app 1 blue 127.0.0.1 2 0 100 100\n3 app 2 green 127.0.0.1 0 1 0 0\n';
    expect(parseServersState(text, 'app').map((state) => [state.name, state.operational, state.admin, state.weight])).toEqual([
      ['blue', 2, 0, 100],
      ['green', 0, 1, 0],
    ]);
  });

  test('nginx upstream round trip; no traffic is down (nginx weights start at 1)', () => {
    const text = renderUpstream('app', { blue: { host: '127.0.0.1', port: 1 }, green: { host: '::1', port: 2 } }, { blue: 0, green: 100 }, 8);
    expect(text).toContain('server 127.0.0.1:1 down; # blue');
    expect(text).toContain('server [::1]:2 weight=100; # green');
    expect(parseUpstream(text)).toEqual({ blue: 0, green: 100 });
  });

  test('state-command output', () => {
    expect(parseStateOutput('blue=90 green=10\n')).toEqual({ blue: 90, green: 10 });
    expect(parseStateOutput('{"blue": 0, "green": 100}')).toEqual({ blue: 0, green: 100 });
    expect(parseStateOutput('active: blue')).toBeUndefined();
  });

  test('socket targets', () => {
    expect(parseSocketTarget('/run/haproxy/admin.sock')).toEqual({ path: '/run/haproxy/admin.sock' });
    expect(parseSocketTarget('127.0.0.1:9999')).toEqual({ host: '127.0.0.1', port: 9999 });
    expect(parseSocketTarget('[::1]:9999')).toEqual({ host: '::1', port: 9999 });
    expect(parseSocketTarget('localhost')).toBeUndefined();
    expect(parseSocketTarget('h:70000')).toBeUndefined();
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startSshd, type Sshd } from '../sandbox/servers.ts';
import { Stage } from '../sandbox/stage.ts';

/**
 * The routers on a remote host over SSH, against a real OpenSSH server: key auth, the host key
 * checked, HAProxy's admin unix socket and the colors' ports reached through the connection, nginx's
 * file over SFTP, commands over exec. Here the "remote" host is this machine through sshd.
 */

let sshd: Sshd;
let stage: Stage;
beforeEach(async () => {
  sshd = await startSshd();
});
afterEach(async () => {
  expect(await stage.stop()).toEqual([]);
  await sshd.stop();
});

const sshInputs = () => ({
  'ssh-host': sshd.host,
  'ssh-port': String(sshd.port),
  'ssh-user': sshd.user,
  'ssh-private-key': sshd.privateKey,
  'ssh-known-hosts': sshd.knownHosts,
});

describe('routers over SSH', () => {
  test('HAProxy through its admin unix socket, forwarded over the SSH connection', async () => {
    stage = await Stage.create('haproxy', {}, { runtime: 'unix' });
    stage.sshInputs = sshInputs();
    const first = await stage.run('deploy-bluegreen', { version: 'v1' });
    expect(first.exitCode, first.log).toBe(0);
    const second = await stage.run('deploy-bluegreen', { version: 'v2', 'traffic-percent': '50' });
    expect(second.exitCode, second.log).toBe(0);
    expect(Object.keys(await stage.versionsServed(40)).sort()).toEqual(['v1', 'v2']);
    expect((await stage.run('deploy-bluegreen', { action: 'promote' })).exitCode).toBe(0);
    expect(await stage.versionsServed(10)).toEqual({ v2: 10 });
    expect(readFileSync(stage.haproxy?.configPath as string, 'utf8')).toMatch(/server green \S+ weight 100/);
    expect((await stage.run('rollback', {})).exitCode).toBe(0);
    expect(await stage.versionsServed(10)).toEqual({ v1: 10 });
    // The private key never shows in a log.
    expect(first.log).not.toContain(sshd.privateKey.split('\n')[1]);
  });

  test('nginx: the upstream file over SFTP, nginx -t and reload over exec', async () => {
    stage = await Stage.create('nginx');
    stage.sshInputs = sshInputs();
    expect((await stage.run('deploy-bluegreen', { version: 'v1' })).exitCode).toBe(0);
    const second = await stage.run('deploy-bluegreen', { version: 'v2' });
    expect(second.exitCode, second.log).toBe(0);
    expect(await stage.versionsServed(10)).toEqual({ v2: 10 });
    expect(readFileSync(stage.nginx?.upstreamFile as string, 'utf8')).toMatch(/weight=100; # green/);
  });
});

describe('the host key is always checked', () => {
  test('an unknown host key is refused before anything happens', async () => {
    stage = await Stage.create('haproxy');
    const other = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(stage.dir, 'other')], { encoding: 'utf8' });
    expect(other.status).toBe(0);
    const wrongKey = readFileSync(join(stage.dir, 'other.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    stage.sshInputs = { ...sshInputs(), 'ssh-known-hosts': `[127.0.0.1]:${sshd.port} ${wrongKey}` };
    const result = await stage.run('deploy-bluegreen', { version: 'v1' });
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]?.message).toMatch(/^deploy-bluegreen: ssh: the host key of 127\.0\.0\.1:\d+ is not in ssh-known-hosts .*: refusing to connect$/);
    expect(stage.github.requests).toHaveLength(0);
  });

  test('known_hosts for another host name is refused with the reason', async () => {
    stage = await Stage.create('haproxy');
    stage.sshInputs = { ...sshInputs(), 'ssh-known-hosts': sshd.knownHosts.replace('[127.0.0.1]', 'example.com') };
    const result = await stage.run('deploy-bluegreen', { version: 'v1' });
    expect(result.errors[0]?.message).toContain(`input "ssh-known-hosts": no line is for [127.0.0.1]:${sshd.port}`);
  });

  test('a key the server does not accept is named', async () => {
    stage = await Stage.create('haproxy');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(stage.dir, 'stranger')]);
    stage.sshInputs = { ...sshInputs(), 'ssh-private-key': readFileSync(join(stage.dir, 'stranger'), 'utf8') };
    const result = await stage.run('deploy-bluegreen', { version: 'v1' });
    expect(result.errors[0]?.message).toBe(`deploy-bluegreen: ssh: ${sshd.user}@127.0.0.1:${sshd.port} refused the key in ssh-private-key`);
    expect(stage.github.requests).toHaveLength(0);
  });
});

test('SSH dropped in the middle of a switch: the previous split is put back over a new connection, the record failed', async () => {
  stage = await Stage.create('command');
  stage.sshInputs = sshInputs();
  const marker = join(stage.dir, 'dropping');
  // The first traffic change after v1 hangs until the test drops the connection under it.
  const route = stage.routerInputs['route-command'] as string;
  stage.routerInputs['route-command'] = `if [ "$GREEN_WEIGHT" != "0" ] && [ ! -f "${marker}" ]; then touch "${marker}"; sleep 20; fi; ${route}`;
  expect((await stage.run('deploy-bluegreen', { version: 'v1' })).exitCode).toBe(0);

  const running = stage.run('deploy-bluegreen', { version: 'v2' });
  await expect.poll(() => existsSync(marker), { timeout: 15_000, interval: 100 }).toBe(true);
  sshd.dropConnections();
  const result = await running;

  expect(result.exitCode).toBe(1);
  expect(result.errors[0]?.message).toMatch(/switching to blue 0% \/ green 100% failed: route-command exited with 124.*; traffic is back on blue 100% \/ green 0%/);
  expect(readFileSync(join(stage.dir, 'route'), 'utf8').trim()).toBe('blue=100 green=0');
  expect(stage.records()[1]?.states.at(-1)).toBe('failure');
  expect(stage.running('green')).toBe(false);
  expect(stage.running('blue')).toBe(true);
});

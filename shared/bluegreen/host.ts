import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * Where a router's commands, files and sockets live: this runner (a self-hosted runner next to its
 * proxy) or a remote host over SSH. Routers talk only to this interface.
 */

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export type SocketTarget = { host: string; port: number } | { path: string };

export interface Host {
  /** For messages: "this runner" or "deploy@10.0.0.5:22". */
  readonly label: string;
  /** A shell command (sh -c, or bash on Windows runners) with extra environment. */
  shell(command: string, env?: Record<string, string>, timeoutMs?: number): Promise<CommandResult>;
  /** A program with arguments, no shell in between (quoted for the remote shell over SSH). */
  exec(program: string, args: string[], timeoutMs?: number): Promise<CommandResult>;
  /** The file's text, or undefined when it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  /** Write to a temporary file beside it, then rename: readers never see half a file. */
  writeFileAtomic(path: string, content: string): Promise<void>;
  /** Removes a file; no error when it is already gone. */
  removeFile(path: string): Promise<void>;
  /** A stream to a TCP port or a unix socket as seen from the host. */
  connect(target: SocketTarget): Promise<Duplex>;
  close(): Promise<void>;
}

/** Quotes one argument for a POSIX shell. */
export function shellQuote(argument: string): string {
  return /^[\w@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replace(/'/g, `'\\''`)}'`;
}

export function describeTarget(target: SocketTarget): string {
  return 'path' in target ? target.path : `${target.host}:${target.port}`;
}

/** Parses "host:port", "[::1]:port" or an absolute unix socket path. */
export function parseSocketTarget(text: string): SocketTarget | undefined {
  if (text.startsWith('/')) return { path: text };
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65_535) return undefined;
  return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port };
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000;

function run(program: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // 'exit', not 'close': a command that starts a daemon may leave it holding our pipes.
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      setImmediate(() => {
        // A daemon started by the command may still hold the pipes; they would keep this process alive.
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ exitCode: code ?? (signal === 'SIGKILL' ? 124 : 1), stdout, stderr });
      });
    });
  });
}

export class LocalHost implements Host {
  readonly label = 'this runner';

  shell(command: string, env: Record<string, string> = {}, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<CommandResult> {
    // Windows runners run our commands in Git Bash, as `shell: bash` steps do.
    const [program, flag] = process.platform === 'win32' ? ['bash', '-c'] : ['/bin/sh', '-c'];
    return run(program, [flag, command], env, timeoutMs);
  }

  exec(program: string, args: string[], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<CommandResult> {
    return run(program, args, {}, timeoutMs);
  }

  async readFile(path: string): Promise<string | undefined> {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async writeFileAtomic(path: string, content: string): Promise<void> {
    const temporary = `${path}.${randomUUID().slice(0, 8)}.tmp`;
    await writeFile(temporary, content, 'utf8');
    await rename(temporary, path);
  }

  async removeFile(path: string): Promise<void> {
    await rm(path, { force: true });
  }

  connect(target: SocketTarget): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = 'path' in target ? netConnect(target.path) : netConnect(target.port, target.host);
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  async close(): Promise<void> {}
}

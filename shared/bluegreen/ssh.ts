import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { Client, type ClientChannel, type SFTPWrapper } from 'ssh2';
import { UserError } from '../errors.ts';
import { describeTarget, shellQuote, type CommandResult, type Host, type SocketTarget } from './host.ts';
import type { SshSpec } from './config.ts';

/**
 * A remote host over SSH (pure-JS ssh2: no native addon, works on every runner): key auth only, the
 * host key checked against the known_hosts lines given (never "accept whatever answers"); commands
 * over exec, files over SFTP, TCP ports and unix sockets (HAProxy's admin socket) through the
 * connection itself, so nothing extra is needed on the remote host.
 */

/** The base64 key blobs a known_hosts text allows for this host (plain host names or [host]:port). */
export function allowedKeys(knownHosts: string, host: string, port: number): Buffer[] {
  const names = port === 22 ? [host] : [`[${host}]:${port}`];
  const keys: Buffer[] = [];
  for (const line of knownHosts.split('\n')) {
    const [patterns, , key] = line.trim().split(/\s+/);
    if (!patterns || !key || patterns.startsWith('|')) continue;
    const matches = patterns.split(',').some((pattern) => pattern === '*' || names.includes(pattern));
    if (matches) keys.push(Buffer.from(key, 'base64'));
  }
  return keys;
}

export class SshHost implements Host {
  readonly label: string;
  readonly #spec: SshSpec;
  #client: Client;
  #sftp: SFTPWrapper | undefined;
  #lost = false;

  private constructor(client: Client, spec: SshSpec) {
    this.#spec = spec;
    this.#client = client;
    this.label = `${spec.user}@${spec.host}:${spec.port}`;
    this.#watch(client);
  }

  static async connect(spec: SshSpec): Promise<SshHost> {
    return new SshHost(await SshHost.#open(spec), spec);
  }

  static #open(spec: SshSpec, timeoutMs = 20_000): Promise<Client> {
    const allowed = allowedKeys(spec.knownHosts, spec.host, spec.port);
    if (allowed.length === 0) {
      throw new UserError(`input "ssh-known-hosts": no line is for ${spec.port === 22 ? spec.host : `[${spec.host}]:${spec.port}`} (write the host as ssh-keyscan prints it)`);
    }
    return new Promise((resolve, reject) => {
      const client = new Client();
      let offered: Buffer | undefined;
      client.once('ready', () => resolve(client));
      client.once('error', (error: Error & { level?: string }) => {
        if (offered && !allowed.some((key) => key.equals(offered as Buffer))) {
          reject(new UserError(`ssh: the host key of ${spec.host}:${spec.port} is not in ssh-known-hosts (it offered ${offered.subarray(0, 32).toString('base64')}…): refusing to connect`));
        } else if (error.level === 'client-authentication') {
          reject(new UserError(`ssh: ${spec.user}@${spec.host}:${spec.port} refused the key in ssh-private-key`));
        } else {
          reject(new UserError(`ssh: cannot connect to ${spec.host}:${spec.port}: ${error.message}`));
        }
      });
      try {
        client.connect({
          host: spec.host,
          port: spec.port,
          username: spec.user,
          privateKey: spec.privateKey,
          readyTimeout: timeoutMs,
          keepaliveInterval: 10_000,
          hostVerifier: (key: Buffer) => {
            offered = key;
            return allowed.some((allowedKey) => allowedKey.equals(key));
          },
        });
      } catch (error) {
        reject(new UserError(`input "ssh-private-key": ${(error as Error).message}`));
      }
    });
  }

  #watch(client: Client): void {
    const lost = () => {
      if (client === this.#client) this.#lost = true;
    };
    client.on('close', lost);
    client.on('end', lost);
    client.on('error', lost);
  }

  /**
   * The live connection: a dropped one is opened again (same key, same host key check), so putting
   * traffic back after a drop in the middle of a switch still reaches the host.
   */
  async #live(): Promise<Client> {
    if (!this.#lost) return this.#client;
    this.#client = await SshHost.#open(this.#spec);
    this.#sftp = undefined;
    this.#lost = false;
    this.#watch(this.#client);
    return this.#client;
  }

  async #exec(command: string, timeoutMs: number): Promise<CommandResult> {
    const client = await this.#live();
    return new Promise((resolve, reject) => {
      client.exec(command, (error, channel: ClientChannel) => {
        if (error) return reject(new UserError(`ssh exec on ${this.label}: ${error.message}`));
        let stdout = '';
        let stderr = '';
        let exitCode: number | undefined;
        let settled = false;
        const finish = () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ exitCode: exitCode ?? 124, stdout, stderr: exitCode === undefined ? stderr || 'the command was cut off (timeout or lost connection)' : stderr });
        };
        const timer = setTimeout(() => channel.close(), timeoutMs);
        channel.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
        channel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
        channel.on('close', finish);
        // The exit status is what counts; a daemon the command started may hold the channel open.
        channel.on('exit', (code: number | null) => {
          exitCode = code ?? 124;
          setTimeout(() => {
            channel.close();
            finish();
          }, 250).unref();
        });
      });
    });
  }

  shell(command: string, env: Record<string, string> = {}, timeoutMs = 5 * 60_000): Promise<CommandResult> {
    // Set variables in the command itself: sshd accepts only the names its AcceptEnv lists.
    const assignments = Object.entries(env)
      .map(([name, value]) => `${name}=${shellQuote(value)}`)
      .join(' ');
    const script = assignments ? `export ${assignments}; ${command}` : command;
    return this.#exec(`sh -c ${shellQuote(script)}`, timeoutMs);
  }

  exec(program: string, args: string[], timeoutMs = 5 * 60_000): Promise<CommandResult> {
    return this.#exec([program, ...args].map(shellQuote).join(' '), timeoutMs);
  }

  async #sftpSession(): Promise<SFTPWrapper> {
    const client = await this.#live();
    if (this.#sftp) return this.#sftp;
    this.#sftp = await new Promise<SFTPWrapper>((resolve, reject) =>
      client.sftp((error, sftp) => (error ? reject(new UserError(`ssh: no SFTP on ${this.label}: ${error.message}`)) : resolve(sftp))),
    );
    return this.#sftp;
  }

  async readFile(path: string): Promise<string | undefined> {
    const sftp = await this.#sftpSession();
    return new Promise((resolve, reject) =>
      sftp.readFile(path, 'utf8', (error, data) => {
        if (!error) return resolve(String(data));
        if ((error as { code?: number }).code === 2) return resolve(undefined);
        reject(new UserError(`ssh: cannot read ${path} on ${this.label}: ${error.message}`));
      }),
    );
  }

  async writeFileAtomic(path: string, content: string): Promise<void> {
    const sftp = await this.#sftpSession();
    const temporary = `${path}.${randomUUID().slice(0, 8)}.tmp`;
    await new Promise<void>((resolve, reject) =>
      sftp.writeFile(temporary, content, 'utf8', (error) => (error ? reject(new UserError(`ssh: cannot write ${temporary} on ${this.label}: ${error.message}`)) : resolve())),
    );
    // POSIX rename replaces atomically (plain SFTP rename refuses an existing target).
    await new Promise<void>((resolve, reject) =>
      sftp.ext_openssh_rename(temporary, path, (error) => (error ? reject(new UserError(`ssh: cannot move ${temporary} to ${path} on ${this.label}: ${error.message}`)) : resolve())),
    );
  }

  async removeFile(path: string): Promise<void> {
    const sftp = await this.#sftpSession();
    await new Promise<void>((resolve, reject) =>
      sftp.unlink(path, (error) => (!error || (error as { code?: number }).code === 2 ? resolve() : reject(new UserError(`ssh: cannot remove ${path} on ${this.label}: ${error.message}`)))),
    );
  }

  async connect(target: SocketTarget): Promise<Duplex> {
    const client = await this.#live();
    return new Promise((resolve, reject) => {
      const done = (error: Error | undefined, stream: ClientChannel) =>
        error ? reject(Object.assign(new Error(`${describeTarget(target)} via ${this.label}: ${error.message}`), { code: 'ECONNREFUSED' })) : resolve(stream);
      if ('path' in target) client.openssh_forwardOutStreamLocal(target.path, done);
      else client.forwardOut('127.0.0.1', 0, target.host, target.port, done);
    });
  }

  async close(): Promise<void> {
    this.#lost = false;
    this.#sftp?.end();
    this.#client.end();
  }
}

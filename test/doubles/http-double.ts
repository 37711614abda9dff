import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * The common part of every HTTP double: a real server on 127.0.0.1 with a free port, the raw body
 * of every request kept (signatures are checked over exact bytes), a log for assertions, faults
 * that can be queued, and a clean stop.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** Parsed JSON, or undefined when the body is empty or not JSON. */
  body: unknown;
  status?: number;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as is (text/plain) instead of JSON. */
  text?: string;
  /** Sent as is (application/octet-stream): files such as package tarballs. */
  bytes?: Buffer;
}

export interface Fault {
  /** Which requests it hits: a method, and a path test (substring or regex); both optional. */
  method?: string;
  path?: string | RegExp;
  /** How many matching requests it hits; then it is spent. */
  times?: number;
  /** Wait before answering (a slow server). */
  delayMs?: number;
  /** The answer instead of the real one; omit to only delay. */
  reply?: Reply;
  /** Drop the connection without an answer. */
  destroy?: boolean;
}

export type Handle = (request: RecordedRequest) => Reply | Promise<Reply>;

export class HttpDouble {
  readonly requests: RecordedRequest[] = [];
  /** What the double found wrong with what it was sent: each one is a test failure. */
  readonly violations: string[] = [];
  readonly #faults: Array<Required<Pick<Fault, 'times'>> & Fault> = [];
  #server: Server | undefined;
  #port = 0;
  #handle: Handle;
  readonly #tls: { cert: string; key: string } | undefined;

  /** With `tls`, the double speaks HTTPS with that certificate (a Kubernetes API server does). */
  constructor(handle: Handle, tls?: { cert: string; key: string }) {
    this.#handle = handle;
    this.#tls = tls;
  }

  get url(): string {
    return `${this.#tls ? 'https' : 'http'}://127.0.0.1:${this.#port}`;
  }

  async start(): Promise<this> {
    const serve = (request: IncomingMessage, response: ServerResponse) => void this.#serve(request, response);
    this.#server = this.#tls ? createTlsServer(this.#tls, serve) : createServer(serve);
    this.#server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  fault(fault: Fault): void {
    this.#faults.push({ times: 1, ...fault });
  }

  #takeFault(method: string, path: string): Fault | undefined {
    const index = this.#faults.findIndex(
      (fault) =>
        fault.times > 0 &&
        (!fault.method || fault.method === method) &&
        (!fault.path || (typeof fault.path === 'string' ? path.includes(fault.path) : fault.path.test(path))),
    );
    if (index < 0) return undefined;
    const fault = this.#faults[index] as Required<Pick<Fault, 'times'>> & Fault;
    fault.times -= 1;
    return fault;
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(request.url ?? '/', 'http://double');
    let body: unknown;
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined;
    } catch {
      body = undefined;
    }
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      rawBody,
      body,
    };
    this.requests.push(recorded);

    let reply: Reply;
    const fault = this.#takeFault(recorded.method, recorded.path);
    if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault?.destroy) {
      recorded.status = 0;
      request.socket.destroy();
      return;
    }
    try {
      reply = fault?.reply ?? (await this.#handle(recorded));
    } catch (error) {
      this.violations.push(`double crashed on ${recorded.method} ${recorded.path}: ${(error as Error).stack ?? error}`);
      reply = { status: 500, body: { message: 'double crashed' } };
    }
    recorded.status = reply.status;
    const headers: Record<string, string> = { ...reply.headers };
    let payload: string | Buffer = '';
    if (reply.bytes !== undefined) {
      payload = reply.bytes;
      headers['content-type'] ??= 'application/octet-stream';
    } else if (reply.text !== undefined) {
      payload = reply.text;
      headers['content-type'] ??= 'text/plain; charset=utf-8';
    } else if (reply.body !== undefined) {
      payload = JSON.stringify(reply.body);
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
    if (response.destroyed) return;
    response.writeHead(reply.status, headers);
    response.end(payload);
  }
}

import { HttpDouble, type RecordedRequest, type Reply } from './http-double.ts';

/**
 * A server of fixed files, for package indexes that are plain files: PyPI's simple index (PEP 503
 * HTML pages and wheels) and a Composer repository (packages.json and zip archives). `down` makes
 * every request fail, as an unreachable index does.
 */
export class StaticFilesDouble extends HttpDouble {
  readonly files = new Map<string, { bytes: Buffer; headers: Record<string, string> }>();
  down = false;

  constructor() {
    super((request) => this.#route(request));
  }

  put(path: string, content: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/octet-stream' }): void {
    this.files.set(path, { bytes: Buffer.isBuffer(content) ? content : Buffer.from(content), headers });
  }

  #route(request: RecordedRequest): Reply {
    if (this.down) return { status: 503, text: 'the index is down' };
    const file = this.files.get(request.path) ?? this.files.get(`${request.path.replace(/\/$/, '')}/`);
    if (request.method !== 'GET' || !file) return { status: 404, text: 'not found' };
    return { status: 200, bytes: file.bytes, headers: file.headers };
  }
}

import type { RecordedRequest, Reply } from './http-double.ts';

/**
 * The Twirp JSON conventions GitHub's results service follows (cache and artifact services alike):
 * `POST /twirp/<package.Service>/<Method>`, `application/json`, a bearer runtime token, errors as
 * `{ code, msg }`. Messages are read and written with the protobuf-ts types generated from the
 * service's .proto that ship inside the installed toolkit library.
 */

export interface MessageType {
  fromJson(json: unknown, options?: { ignoreUnknownFields?: boolean }): Record<string, unknown>;
  toJson(message: Record<string, unknown>, options?: { useProtoFieldName?: boolean; emitDefaultValues?: boolean }): unknown;
  create(value?: Record<string, unknown>): Record<string, unknown>;
}

export function twirpError(status: number, code: string, msg: string): Reply {
  return { status, body: { code, msg } };
}

/** The method a call names and its bearer token; or the error reply, the mistake added to `violations`. */
export function twirpCall(request: RecordedRequest, service: string, violations: string[]): { method: string; token: string | undefined } | Reply {
  const match = new RegExp(`^/twirp/${service.replace(/\./g, '\\.')}/([A-Za-z]+)$`).exec(request.path);
  if (request.method !== 'POST' || !match) {
    violations.push(`not a ${service} call: ${request.method} ${request.path}`);
    return twirpError(404, 'bad_route', `no handler for ${request.method} ${request.path}`);
  }
  if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) {
    violations.push(`${match[1]} sent as ${request.headers['content-type']}, not application/json`);
    return twirpError(400, 'malformed', 'content-type must be application/json');
  }
  return { method: match[1] as string, token: /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1] };
}

/** The request body as `type`, strictly (an unknown field or a wrong type is a violation and undefined). */
export function readMessage(type: MessageType, request: RecordedRequest, method: string, violations: string[]): Record<string, unknown> | undefined {
  try {
    return type.fromJson(request.body, { ignoreUnknownFields: false });
  } catch (error) {
    violations.push(`${method}: the body does not follow the .proto: ${(error as Error).message}: ${request.rawBody}`);
    return undefined;
  }
}

export function messageReply(type: MessageType, value: Record<string, unknown>): Reply {
  return { status: 200, body: type.toJson(type.create(value), { useProtoFieldName: true }) };
}

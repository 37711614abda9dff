import { ensurePackages } from './sandbox/requirements.ts';

/** Before any test: the real servers the tests start (HAProxy, nginx, OpenSSH) must be installed. */
export default function setup(): void {
  ensurePackages('test');
}

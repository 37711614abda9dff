import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Writes files (relative path → content) under root, creating folders as needed: fixture repositories, corpora. */
export function writeFiles(root: string, files: Record<string, string | Buffer> | Map<string, string | Buffer>): void {
  for (const [path, content] of files instanceof Map ? files : Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

import { catalogOf, tableFinding, type Finding, type Rule, type RuleTable } from '../findings.ts';

const RULES: RuleTable = {
  'docker-root-user': { severity: 'high', title: 'Image runs as root', help: 'Add a USER with a non-root user in the final stage.' },
  'docker-unpinned-base': { severity: 'medium', title: 'Base image tag is latest or missing', help: 'FROM without a tag (or with latest) builds on whatever the registry holds that day. Use a version tag, or a digest.' },
  'docker-remote-add': { severity: 'medium', title: 'ADD from a URL', help: 'ADD <url> downloads without checking what arrives. Use curl with a checksum check (or ADD --checksum=sha256:...).' },
  'docker-curl-pipe-shell': { severity: 'high', title: 'Downloaded script piped into a shell', help: 'Whatever the server returns that day runs as root in the build. Download, check a checksum or signature, then run.' },
  'docker-secret-in-build-args': { severity: 'high', title: 'Secret in ARG or ENV', help: 'ARG and ENV values are stored in the image history and metadata. Use RUN --mount=type=secret.' },
  'docker-tls-verification-disabled': { severity: 'high', title: 'TLS verification disabled', help: 'curl -k, wget --no-check-certificate, strict-ssl false, trusted-host and the like accept any certificate: anyone on the path can swap what is downloaded.' },
  'docker-signature-check-bypassed': { severity: 'high', title: 'Package signature check bypassed', help: '--allow-unauthenticated, --nogpgcheck, --allow-untrusted and gpgcheck=0 install packages nobody signed. Import the repository key instead.' },
};

export function dockerfileRuleCatalog(): Rule[] {
  return catalogOf('manifests', RULES);
}

export function isDockerfile(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return /^(?:Dockerfile|Containerfile)(?:\.[\w.-]+)?$/.test(name) || /\.(?:dockerfile|containerfile)$/i.test(name);
}

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions with continuation lines joined and comments dropped, each with the line it starts on. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  let escape = '\\';
  for (let index = 0; index < lines.length; index++) {
    const first = lines[index] as string;
    const directive = /^#\s*escape\s*=\s*([\\`])\s*$/i.exec(first);
    if (directive && out.length === 0) escape = directive[1] as string;
    if (/^\s*(?:#|$)/.test(first)) continue;
    const start = index;
    let joined = first;
    while (joined.trimEnd().endsWith(escape) && index + 1 < lines.length) {
      joined = joined.trimEnd().slice(0, -1);
      index += 1;
      const next = lines[index] as string;
      if (/^\s*#/.test(next)) continue;
      joined += ` ${next}`;
    }
    const match = /^\s*([A-Za-z]+)\s*(.*)$/.exec(joined);
    if (match) out.push({ keyword: (match[1] as string).toUpperCase(), args: (match[2] as string).trim(), line: start + 1 });
  }
  return out;
}

const SECRET_NAME = /(?:passw(?:or)?d|secret|token|api[_-]?key|private[_-]?key|credentials?|access[_-]?key)/i;
const TLS_OFF = /(?:\bcurl\b[^|;&]*\s(?:-k|--insecure)\b|\bwget\b[^|;&]*--no-check-certificate|NODE_TLS_REJECT_UNAUTHORIZED\s*=?\s*["']?0|GIT_SSL_NO_VERIFY\s*=?\s*["']?(?:1|true)|http\.sslVerify\s+false|--trusted-host\b|strict-ssl\s+false|PYTHONHTTPSVERIFY\s*=?\s*["']?0|--disable-tls|sslverify\s*=\s*(?:0|false))/i;
const SIGNATURE_OFF = /(?:--allow-unauthenticated|--allow-insecure-repositories|AllowUnauthenticated\s*(?:=|")?\s*"?true|--nogpgcheck|gpgcheck\s*=\s*0|--allow-untrusted|--nosignature|--no-gpg-checks|--skip-signature)/i;
const PIPE_TO_SHELL = /\b(?:curl|wget)\b[^|;&]*\|\s*(?:sudo\s+)?(?:\S*\/)?(?:sh|bash|zsh|dash|ash|python\d?|perl|ruby|node)\b/;

export function auditDockerfile(path: string, text: string): Finding[] {
  const findings: Finding[] = [];
  const report = (id: string, line: number, detail: string, key: string): void => {
    findings.push(tableFinding('manifests', RULES, id, { path, line }, detail, key));
  };
  const instructions = parseDockerfile(text);
  const stages = new Set<string>();
  const args = new Map<string, string>();
  let lastFrom: Instruction | undefined;
  let user: Instruction | undefined;
  for (const instruction of instructions) {
    const { keyword, line } = instruction;
    const body = instruction.args;
    if (keyword === 'ARG') {
      const [name, value] = body.split('=', 2) as [string, string | undefined];
      if (value !== undefined) args.set(name.trim(), value.replace(/^["']|["']$/g, ''));
      if (SECRET_NAME.test(name)) report('docker-secret-in-build-args', line, `ARG ${name.trim()} (build arguments are kept in the image history)`, `arg-${name.trim()}`);
    } else if (keyword === 'ENV') {
      const pairs = body.includes('=') ? [...body.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)].map((match) => [match[1] as string, match[2] as string]) : [[body.split(/\s+/)[0] as string, body.split(/\s+/).slice(1).join(' ')]];
      for (const [name, value] of pairs) {
        if (SECRET_NAME.test(name as string) && value && !/^["']?\$/.test(value)) report('docker-secret-in-build-args', line, `ENV ${name} is set to a literal value`, `env-${name}`);
      }
      if (TLS_OFF.test(body)) report('docker-tls-verification-disabled', line, `ENV ${body.slice(0, 80)}`, `env-tls-${body}`);
    } else if (keyword === 'FROM') {
      const parts = body.split(/\s+/).filter((part) => !part.startsWith('--'));
      const image = (parts[0] ?? '').replace(/\$\{?(\w+)\}?/g, (all, name: string) => args.get(name) ?? all);
      const alias = parts[1]?.toUpperCase() === 'AS' ? parts[2] : undefined;
      if (image !== 'scratch' && !stages.has(image.toLowerCase()) && !image.includes('$')) {
        const last = image.slice(image.lastIndexOf('/') + 1);
        const pinned = image.includes('@sha256:') || (last.includes(':') && !last.endsWith(':latest'));
        if (!pinned) report('docker-unpinned-base', line, `FROM ${image}`, `from-${image}`);
      }
      if (alias) stages.add(alias.toLowerCase());
      lastFrom = instruction;
      user = undefined;
    } else if (keyword === 'USER') {
      user = instruction;
    } else if (keyword === 'ADD') {
      const sources = body.split(/\s+/).filter((part) => !part.startsWith('--')).slice(0, -1);
      const checksum = /--checksum=/.test(body);
      for (const source of sources) if (/^https?:\/\//i.test(source) && !checksum) report('docker-remote-add', line, `ADD ${source}`, `add-${source}`);
    } else if (keyword === 'RUN') {
      if (PIPE_TO_SHELL.test(body)) report('docker-curl-pipe-shell', line, body.match(PIPE_TO_SHELL)?.[0] ?? body, `pipe-${body.match(PIPE_TO_SHELL)?.[0]}`);
      const tls = TLS_OFF.exec(body);
      if (tls) report('docker-tls-verification-disabled', line, tls[0].trim(), `tls-${tls[0]}`);
      const signature = SIGNATURE_OFF.exec(body);
      if (signature) report('docker-signature-check-bypassed', line, signature[0].trim(), `sig-${signature[0]}`);
    }
  }
  if (lastFrom) {
    const name = user?.args.split(':')[0]?.trim();
    if (!user) report('docker-root-user', lastFrom.line, 'the final stage has no USER instruction', 'no-user');
    else if (name === 'root' || name === '0') report('docker-root-user', user.line, `USER ${user.args}`, 'user-root');
  }
  return findings;
}

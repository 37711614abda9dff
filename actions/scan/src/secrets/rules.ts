import type { Rule, Severity } from '../findings.ts';
import { looksLikeDigestOrId, looksLikePlaceholder, validBase62Checksum, validJwt } from './checks.ts';

/**
 * A credential format. The scanner lower-cases a file once, looks for every rule's keywords in one
 * pass, and runs only the patterns whose keyword occurs: most files contain none and cost one pass.
 */
export interface SecretRule {
  id: string;
  title: string;
  severity: Severity;
  /** Lower-case strings, one of which occurs in any match (usually the format's fixed prefix). */
  keywords: string[];
  /** Global regex; the secret is the named group that matched (a pattern may offer several forms), else the whole match. */
  pattern: RegExp;
  /** Minimum Shannon entropy of the secret (bits per character). */
  entropy?: number;
  /** A structural check (checksum, decodable header, not a placeholder). */
  valid?: (secret: string) => boolean;
  /**
   * Matches any key named like a secret: it yields to the format rules, so a value a format rule
   * matched (and perhaps rejected: a GitHub token whose checksum fails) is not reported again.
   */
  generic?: boolean;
  help?: string;
}

/**
 * How configuration and code assign a value: = := ::= ?= += .= => : , and a call or an XML element
 * (`setToken(`, `<apiToken>`). A key may be quoted, with JSON's escaped quotes too.
 */
const ASSIGNMENTS = ['[?+.]?=', ':{1,3}=', '=>', ':', '>', '\\('];
const OPERATOR = `(?:${[...ASSIGNMENTS, ','].join('|')})`;
/** Without the comma: in a list of quoted strings ("...token","...") the next item is not a value. */
const KEYED_OPERATOR = `(?:${ASSIGNMENTS.join('|')})`;
const KEY_END = '(?:\\\\?["\'])?\\s{0,5}';
const VALUE_QUOTE = '\\\\?["\'`]';

/**
 * A keyword, something between it and the value, then an assignment: `aws_secret = "..."`,
 * `token: ...`, a YAML block (`key: |` and the value on the next line).
 */
function assigned(keyword: string, value: string): RegExp {
  return new RegExp(`${keyword}[\\w.\\-]{0,25}${KEY_END}${OPERATOR}\\s{0,5}(?:[|>][-+]?\\s{1,10})?(?:${VALUE_QUOTE})?(?<secret>${value})(?![A-Za-z0-9+/_\\-])`, 'gi');
}

const notPlaceholder = (secret: string): boolean => !looksLikePlaceholder(secret);
const realValue = (secret: string): boolean => !looksLikePlaceholder(secret) && !looksLikeDigestOrId(secret);
const notExample = (secret: string): boolean => !/EXAMPLE/i.test(secret);

/** The Azure Storage emulator's (Azurite's) account key: published in Microsoft's documentation, the same everywhere. */
const AZURE_EMULATOR_KEY = ['Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsu', 'Fq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='].join('');

/**
 * A PEM body is base64 lines, optionally after RFC 1421 headers (Proc-Type, DEK-Info), possibly with
 * \n escapes when the key sits in a JSON or code string (quotes and + concatenation around lines are
 * dropped; a + inside base64 is data). Code that builds PEM text has neither.
 */
function pemBody(body: string): boolean {
  const lines = body.replace(/\\r|\\n/g, '\n').split(/\r?\n/).map((line) => line.trim().replace(/^(?:\+\s*)?["'`]/, '').replace(/["'`]\s*[+,]?$/, '')).filter(Boolean);
  const data = lines.filter((line) => !/^[A-Za-z-]+:\s/.test(line));
  const base64 = data.join('');
  return base64.length >= 64 && /^[A-Za-z0-9+/=]+$/.test(base64) && !/^(?:A+|x+)=*$/i.test(base64);
}

/** Key names that hold secrets, and what a secret value is made of. */
const SECRET_KEY_NAME = '(?:api[_.-]?key|apikey|secret[_.-]?key|client[_.-]?secret|access[_.-]?token|auth[_.-]?token|private[_.-]?key|passw(?:or)?d|pwd|secret|token|credentials?)';
const VALUE_CHARS = '[A-Za-z0-9_+/=.~!@#%^&*-]';

/**
 * A value assigned to a key named `keyName`: quoted anywhere (any assignment above), between XML tags
 * named after the key, bare when it fills the rest of a line that starts with the key (.env, shell,
 * YAML, properties, Makefiles) or the line after a YAML block indicator (`key: |`); bare values
 * elsewhere are code (`token: this.token`). With
 * `suffix`, a bare line's key may go on after the name (API_KEY_PROD).
 */
function keyedValue(keyName: string, value: string, suffix: boolean): RegExp {
  const after = suffix ? '[\\w.-]{0,20}' : '';
  return new RegExp(
    `${keyName}${KEY_END}${KEYED_OPERATOR}\\s{0,5}${VALUE_QUOTE}(?<secret>${value})${VALUE_QUOTE}` +
      `|<[\\w.-]{0,40}${keyName}[\\w.-]{0,20}>\\s{0,10}(?<tagSecret>${value})\\s{0,10}</` +
      // One alternative for both line forms: a shared start is scanned once.
      `|^[ \\t]*(?:export[ \\t]+)?[\\w.-]{0,40}?${keyName}${after}[ \\t]*` +
      `(?:(?:[?+]?=|:{1,3}=|:)[ \\t]*(?<bareSecret>${value})[ \\t]*(?:#.*)?$|:[ \\t]*[|>][-+]?[ \\t]*\\r?\\n[ \\t]+(?<blockSecret>${value})[ \\t]*$)`,
    'gim',
  );
}

export const SECRET_RULES: SecretRule[] = [
  // Cloud providers
  { id: 'aws-access-key-id', title: 'AWS access key ID', severity: 'critical', keywords: ['akia', 'asia', 'abia', 'acca', 'a3t'], pattern: /\b(?<secret>(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b/g, entropy: 3, valid: notExample },
  { id: 'aws-secret-access-key', title: 'AWS secret access key', severity: 'critical', keywords: ['aws'], pattern: assigned('aws[\\w.\\-]{0,20}(?:secret|private)', '[A-Za-z0-9/+=]{40}'), entropy: 4, valid: (s) => notExample(s) && realValue(s) },
  { id: 'gcp-api-key', title: 'Google API key', severity: 'high', keywords: ['aiza'], pattern: /\b(?<secret>AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])/g, entropy: 3.5, valid: notExample },
  { id: 'gcp-service-account-key', title: 'Google Cloud service account key (JSON)', severity: 'critical', keywords: ['private_key_id'], pattern: /"private_key_id"\s*:\s*"(?<secret>[a-f0-9]{40})"/g },
  { id: 'google-oauth-client-secret', title: 'Google OAuth client secret', severity: 'high', keywords: ['gocspx-'], pattern: /\b(?<secret>GOCSPX-[A-Za-z0-9_-]{28})(?![A-Za-z0-9_-])/g },
  { id: 'azure-storage-account-key', title: 'Azure Storage account key', severity: 'critical', keywords: ['accountkey'], pattern: /AccountKey=(?<secret>[A-Za-z0-9+/]{86}==)/g, entropy: 4, valid: (s) => s !== AZURE_EMULATOR_KEY },
  { id: 'azure-ad-client-secret', title: 'Microsoft Entra ID (Azure AD) client secret', severity: 'critical', keywords: ['q~'], pattern: /(?<![A-Za-z0-9_~.-])(?<secret>[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])/g, entropy: 3 },
  { id: 'alibaba-access-key-id', title: 'Alibaba Cloud AccessKey ID', severity: 'high', keywords: ['ltai'], pattern: /\b(?<secret>LTAI[A-Za-z0-9]{20})\b/g, entropy: 3 },
  { id: 'digitalocean-token', title: 'DigitalOcean token', severity: 'critical', keywords: ['dop_v1_', 'doo_v1_', 'dor_v1_'], pattern: /\b(?<secret>do[por]_v1_[a-f0-9]{64})\b/g },
  { id: 'heroku-api-key', title: 'Heroku API key', severity: 'high', keywords: ['heroku'], pattern: assigned('heroku', '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'), valid: notPlaceholder },
  { id: 'heroku-api-key-v2', title: 'Heroku API key', severity: 'high', keywords: ['hrku-'], pattern: /\b(?<secret>HRKU-AA[0-9A-Za-z_-]{58})(?![0-9A-Za-z_-])/g, entropy: 3.5 },
  { id: 'hashicorp-vault-token', title: 'HashiCorp Vault token', severity: 'critical', keywords: ['hvs.', 'hvb.', 'hvr.'], pattern: /\b(?<secret>hv[sbr]\.[A-Za-z0-9_-]{90,300})(?![A-Za-z0-9_-])/g, entropy: 3.5 },
  { id: 'terraform-cloud-token', title: 'Terraform Cloud / HCP Terraform API token', severity: 'critical', keywords: ['atlasv1'], pattern: /\b(?<secret>[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70})(?![A-Za-z0-9_=-])/g, entropy: 3.5 },
  { id: 'pulumi-access-token', title: 'Pulumi access token', severity: 'high', keywords: ['pul-'], pattern: /\b(?<secret>pul-[a-f0-9]{40})\b/g, entropy: 3 },
  { id: 'flyio-token', title: 'Fly.io access token', severity: 'critical', keywords: ['fo1_', 'fm1a_', 'fm1r_', 'fm2_'], pattern: /\b(?<secret>fo1_[\w-]{43}|fm1[ar]_[A-Za-z0-9+/]{100,}={0,3}|fm2_[A-Za-z0-9+/]{100,}={0,3})(?![\w+/=-])/g, entropy: 4 },
  { id: 'harness-token', title: 'Harness personal or service account token', severity: 'high', keywords: ['pat.', 'sat.'], pattern: /\b(?<secret>[ps]at\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20})(?![A-Za-z0-9])/g, entropy: 3.5 },
  { id: 'cloudflare-api-token', title: 'Cloudflare API token or key', severity: 'critical', keywords: ['cfk_', 'cfut_', 'cfat_'], pattern: /\b(?<secret>(?:cfk|cfut|cfat)_[A-Za-z0-9]{40}[0-9a-f]{8})(?![A-Za-z0-9])/g, entropy: 3.5 },
  { id: 'vercel-token', title: 'Vercel token', severity: 'high', keywords: ['vcp_', 'vci_', 'vca_', 'vcr_', 'vck_'], pattern: /\b(?<secret>vc[pcairk]_[A-Za-z0-9]{20,60})(?![A-Za-z0-9])/g, entropy: 3.5 },
  { id: 'databricks-token', title: 'Databricks personal access token', severity: 'critical', keywords: ['dapi'], pattern: /\b(?<secret>dapi[a-f0-9]{32}(?:-\d)?)(?![A-Fa-f0-9])/g, entropy: 3 },
  { id: 'supabase-token', title: 'Supabase access or secret key', severity: 'critical', keywords: ['sbp_', 'sb_secret_'], pattern: /\b(?<secret>sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_-]{31,})(?![A-Za-z0-9_-])/g, entropy: 3 },
  { id: 'planetscale-token', title: 'PlanetScale token or password', severity: 'critical', keywords: ['pscale_'], pattern: /\b(?<secret>pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.=-]{32,64})(?![A-Za-z0-9_.=-])/g, entropy: 3 },
  { id: 'tailscale-key', title: 'Tailscale auth or API key', severity: 'high', keywords: ['tskey-'], pattern: /\b(?<secret>tskey-[a-z]{2,20}-[0-9A-Za-z_]{8,40}-[0-9A-Za-z_]{16,60})(?![0-9A-Za-z_])/g, entropy: 3.5 },
  { id: 'openshift-token', title: 'OpenShift user token', severity: 'high', keywords: ['sha256~'], pattern: /(?<![A-Za-z0-9_-])(?<secret>sha256~[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/g, entropy: 3.5 },
  // Source hosting and package registries
  { id: 'github-pat', title: 'GitHub personal access token (classic)', severity: 'critical', keywords: ['ghp_'], pattern: /\b(?<secret>ghp_[A-Za-z0-9]{36})\b/g, valid: validBase62Checksum },
  { id: 'github-fine-grained-pat', title: 'GitHub fine-grained personal access token', severity: 'critical', keywords: ['github_pat_'], pattern: /\b(?<secret>github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b/g, entropy: 3.5 },
  { id: 'github-oauth-token', title: 'GitHub OAuth access token', severity: 'critical', keywords: ['gho_'], pattern: /\b(?<secret>gho_[A-Za-z0-9]{36})\b/g, valid: validBase62Checksum },
  { id: 'github-app-token', title: 'GitHub App user-to-server or installation token', severity: 'critical', keywords: ['ghu_', 'ghs_'], pattern: /\b(?<secret>gh[us]_[A-Za-z0-9]{36}|ghs_\d{1,20}_[A-Za-z0-9_-]{10,1000}\.[A-Za-z0-9_-]{10,10000}\.[A-Za-z0-9_-]{10,1000})(?![A-Za-z0-9_-])/g, valid: (s) => /^ghs_\d/.test(s) || validBase62Checksum(s) },
  { id: 'github-refresh-token', title: 'GitHub App refresh token', severity: 'critical', keywords: ['ghr_'], pattern: /\b(?<secret>ghr_[A-Za-z0-9]{36,76})\b/g, entropy: 3.5 },
  { id: 'gitlab-pat', title: 'GitLab personal, project or group access token', severity: 'critical', keywords: ['glpat-'], pattern: /\b(?<secret>glpat-[A-Za-z0-9_-]{20,})(?:\.[a-z0-9]{2}\.[a-z0-9]{9})?(?![A-Za-z0-9_-])/g, entropy: 3 },
  { id: 'gitlab-runner-token', title: 'GitLab runner authentication token', severity: 'high', keywords: ['glrt-'], pattern: /\b(?<secret>glrt-[A-Za-z0-9_-]{20,})(?![A-Za-z0-9_-])/g, entropy: 3 },
  { id: 'gitlab-deploy-token', title: 'GitLab deploy token', severity: 'high', keywords: ['gldt-'], pattern: /\b(?<secret>gldt-[A-Za-z0-9_-]{20,})(?![A-Za-z0-9_-])/g, entropy: 3 },
  {
    id: 'gitlab-token',
    title: 'GitLab CI/CD job, trigger, agent, OAuth, SCIM, feed, mail or runner registration token',
    severity: 'high',
    keywords: ['glcbt-', 'glptt-', 'glagent-', 'gloas-', 'glsoat-', 'glft-', 'glffct-', 'glimt-', 'gr1348941'],
    pattern: /\b(?<secret>glcbt-[0-9a-zA-Z]{1,5}_[0-9a-zA-Z_-]{20}|glptt-[0-9a-f]{40}|glagent-[0-9a-zA-Z_-]{50}|gloas-[0-9a-zA-Z_-]{64}|glsoat-[0-9a-zA-Z_-]{20}|glft-[0-9a-zA-Z_-]{20}|glffct-[0-9a-zA-Z_-]{20}|glimt-[0-9a-zA-Z_-]{25}|GR1348941[0-9a-zA-Z_-]{20})(?![0-9a-zA-Z_-])/g,
    entropy: 3,
  },
  { id: 'npm-access-token', title: 'npm access token', severity: 'critical', keywords: ['npm_'], pattern: /\b(?<secret>npm_[A-Za-z0-9]{36})\b/g, valid: validBase62Checksum },
  { id: 'npmrc-auth-token', title: 'npm registry token in .npmrc', severity: 'critical', keywords: ['_authtoken'], pattern: /:_authToken\s*=\s*["']?(?<secret>[A-Za-z0-9_.+/=-]{20,})/g, entropy: 3, valid: notPlaceholder },
  { id: 'rubygems-api-key', title: 'RubyGems API key', severity: 'critical', keywords: ['rubygems_'], pattern: /\b(?<secret>rubygems_[a-f0-9]{48})\b/g, entropy: 3 },
  { id: 'pypi-upload-token', title: 'PyPI upload token', severity: 'critical', keywords: ['pypi-ageichlwas5vcmc'], pattern: /\b(?<secret>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})/g },
  { id: 'docker-hub-pat', title: 'Docker Hub personal access token', severity: 'high', keywords: ['dckr_pat_'], pattern: /\b(?<secret>dckr_pat_[A-Za-z0-9_-]{27})(?![A-Za-z0-9_-])/g, entropy: 3 },
  { id: 'atlassian-api-token', title: 'Atlassian API token', severity: 'high', keywords: ['atatt3'], pattern: /\b(?<secret>ATATT3[A-Za-z0-9_\-=]{186})/g },
  { id: 'postman-api-key', title: 'Postman API key', severity: 'high', keywords: ['pmak-'], pattern: /\b(?<secret>PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b/g },
  { id: 'linear-api-key', title: 'Linear API key', severity: 'high', keywords: ['lin_api_'], pattern: /\b(?<secret>lin_api_[A-Za-z0-9_]{32,128})(?![A-Za-z0-9_])/g, entropy: 3.5 },
  { id: 'sonarqube-token', title: 'SonarQube token', severity: 'high', keywords: ['squ_', 'sqp_', 'sqa_'], pattern: /\b(?<secret>sq[upa]_[a-f0-9]{40})\b/g, entropy: 3 },
  { id: 'figma-token', title: 'Figma personal access token', severity: 'medium', keywords: ['figd_'], pattern: /\b(?<secret>figd_[A-Za-z0-9_-]{40,200})(?![A-Za-z0-9_-])/g, entropy: 3.5 },
  { id: 'notion-token', title: 'Notion integration token', severity: 'high', keywords: ['ntn_', 'secret_'], pattern: /\b(?<secret>ntn_\d{11}[A-Za-z0-9]{35}|secret_[A-Za-z0-9]{43})(?![A-Za-z0-9])/g, entropy: 3.5 },
  { id: 'airtable-token', title: 'Airtable personal access token', severity: 'high', keywords: ['pat'], pattern: /\b(?<secret>pat[A-Za-z0-9]{14}\.[a-f0-9]{64})\b/g, entropy: 3 },
  { id: 'onepassword-service-account-token', title: '1Password service account token', severity: 'critical', keywords: ['ops_ey'], pattern: /\b(?<secret>ops_ey[A-Za-z0-9+/=]{100,1280}fQ={0,2})(?![A-Za-z0-9+/=])/g },
  { id: 'sentry-token', title: 'Sentry auth token', severity: 'high', keywords: ['sntrys_', 'sntryu_'], pattern: /\b(?<secret>sntrys_eyJ[A-Za-z0-9+/=_]{60,}|sntryu_[a-f0-9]{64})(?![A-Za-z0-9+/=_])/g, entropy: 3.5 },
  { id: 'dynatrace-api-token', title: 'Dynatrace API token', severity: 'high', keywords: ['dt0c01.'], pattern: /\b(?<secret>dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64})(?![A-Za-z0-9])/g, entropy: 4 },
  { id: 'mapbox-secret-token', title: 'Mapbox secret access token', severity: 'high', keywords: ['sk.ey'], pattern: /\b(?<secret>sk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,})(?![A-Za-z0-9_-])/g, entropy: 3.5 },
  // Chat and notifications
  { id: 'slack-bot-token', title: 'Slack bot token', severity: 'critical', keywords: ['xoxb-'], pattern: /\b(?<secret>xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{16,48})\b/g, entropy: 3 },
  { id: 'slack-user-token', title: 'Slack user or legacy token', severity: 'critical', keywords: ['xoxp-', 'xoxe-', 'xoxa-', 'xoxo-', 'xoxs-', 'xoxr-'], pattern: /\b(?<secret>xox[pearos]-[0-9]{10,13}-[0-9]{10,13}-[0-9]{10,13}-[a-f0-9]{32})\b/g },
  { id: 'slack-app-token', title: 'Slack app-level token', severity: 'high', keywords: ['xapp-'], pattern: /\b(?<secret>xapp-\d-[A-Z0-9]{9,12}-\d{10,13}-[a-f0-9]{64})\b/g },
  { id: 'slack-config-token', title: 'Slack configuration or refresh token', severity: 'high', keywords: ['xoxe.xox', 'xoxe-'], pattern: /\b(?<secret>xoxe\.xox[bp]-\d-[A-Za-z0-9]{150,180}|xoxe-\d-[A-Za-z0-9]{140,160})\b/g, entropy: 3.5 },
  { id: 'slack-webhook-url', title: 'Slack incoming webhook URL', severity: 'high', keywords: ['hooks.slack.com'], pattern: /(?<secret>https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/T[A-Z0-9]{6,12}\/[AB][A-Z0-9]{6,12}\/[A-Za-z0-9]{20,})/g, entropy: 3 , valid: notPlaceholder },
  { id: 'discord-webhook-url', title: 'Discord webhook URL', severity: 'high', keywords: ['discord.com/api/webhooks', 'discordapp.com/api/webhooks'], pattern: /(?<secret>https:\/\/(?:ptb\.|canary\.)?discord(?:app)?\.com\/api\/webhooks\/\d{17,20}\/[A-Za-z0-9_-]{60,70})/g, entropy: 3.5 , valid: notPlaceholder },
  { id: 'discord-bot-token', title: 'Discord bot token', severity: 'high', keywords: ['discord'], pattern: assigned('discord', '[MNO][A-Za-z0-9_-]{23,25}\\.[A-Za-z0-9_-]{6}\\.[A-Za-z0-9_-]{27,38}'), entropy: 3.5 },
  { id: 'teams-webhook-url', title: 'Microsoft Teams incoming webhook URL', severity: 'high', keywords: ['webhook.office.com'], pattern: /(?<secret>https:\/\/[a-z0-9-]+\.webhook\.office\.com\/webhookb2\/[a-f0-9-]{36}@[a-f0-9-]{36}\/IncomingWebhook\/[a-f0-9]{32}\/[a-f0-9-]{36}(?:\/[A-Za-z0-9_-]+)?)/g },
  { id: 'teams-workflow-webhook-url', title: 'Microsoft Teams (Power Automate) workflow webhook URL', severity: 'high', keywords: ['logic.azure.com', 'powerplatform.com'], pattern: /(?<secret>https:\/\/[a-z0-9.-]+\.(?:logic\.azure\.com|powerplatform\.com)(?::443)?\/[^\s"'<>]*[?&]sig=[A-Za-z0-9_%-]{20,}[^\s"'<>]*)/g , valid: notPlaceholder },
  { id: 'telegram-bot-token', title: 'Telegram bot token', severity: 'high', keywords: [':aa'], pattern: /\b(?<secret>\d{8,10}:AA[A-Za-z0-9_-]{33})(?![A-Za-z0-9_-])/g, entropy: 3.5 },
  // Payments, messaging, email
  { id: 'stripe-secret-key', title: 'Stripe secret or restricted key', severity: 'critical', keywords: ['sk_live_', 'rk_live_', 'sk_test_', 'rk_test_'], pattern: /\b(?<secret>[sr]k_(?:live|test)_[A-Za-z0-9]{24,247})\b/g, entropy: 3.5 },
  { id: 'stripe-webhook-secret', title: 'Stripe webhook signing secret', severity: 'high', keywords: ['whsec_'], pattern: /\b(?<secret>whsec_[A-Za-z0-9+/=]{32,})/g, entropy: 3.5 },
  { id: 'square-access-token', title: 'Square access token', severity: 'critical', keywords: ['sq0atp-', 'eaaa'], pattern: /\b(?<secret>sq0atp-[A-Za-z0-9_-]{22}|EAAA[A-Za-z0-9_-]{60})(?![A-Za-z0-9_-])/g, entropy: 3.5 },
  { id: 'twilio-api-key', title: 'Twilio API key SID', severity: 'high', keywords: ['sk'], pattern: /\b(?<secret>SK[0-9a-f]{32})\b/g, entropy: 3.2 },
  { id: 'twilio-auth-token', title: 'Twilio auth token', severity: 'critical', keywords: ['twilio'], pattern: assigned('twilio[\\w.\\-]{0,10}(?:auth|token|secret)', '[a-f0-9]{32}'), entropy: 3, valid: notPlaceholder },
  { id: 'sendgrid-api-key', title: 'SendGrid API key', severity: 'critical', keywords: ['sg.'], pattern: /\b(?<secret>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/g, entropy: 3.5 },
  { id: 'mailgun-api-key', title: 'Mailgun API key', severity: 'high', keywords: ['key-'], pattern: /\b(?<secret>key-[0-9a-z]{32})\b/g, entropy: 3.5 },
  { id: 'mailchimp-api-key', title: 'Mailchimp API key', severity: 'high', keywords: ['-us1', '-us2', '-us3', '-us4', '-us5', '-us6', '-us7', '-us8', '-us9'], pattern: /\b(?<secret>[0-9a-f]{32}-us[0-9]{1,2})\b/g, entropy: 3 },
  // AI providers
  { id: 'openai-api-key', title: 'OpenAI API key', severity: 'critical', keywords: ['t3blbkfj'], pattern: /\b(?<secret>sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,74}T3BlbkFJ[A-Za-z0-9_-]{20,74})(?![A-Za-z0-9_-])/g },
  { id: 'anthropic-api-key', title: 'Anthropic API key', severity: 'critical', keywords: ['sk-ant-'], pattern: /\b(?<secret>sk-ant-(?:api|admin)0\d-[A-Za-z0-9_-]{80,128}AA)(?![A-Za-z0-9_-])/g },
  { id: 'huggingface-token', title: 'Hugging Face access token', severity: 'high', keywords: ['hf_'], pattern: /\b(?<secret>hf_[A-Za-z]{34})\b/g, entropy: 3.5 },
  { id: 'groq-api-key', title: 'Groq API key', severity: 'high', keywords: ['gsk_'], pattern: /\b(?<secret>gsk_[A-Za-z0-9]{52})(?![A-Za-z0-9])/g, entropy: 3.5 },
  { id: 'xai-api-key', title: 'xAI API key', severity: 'high', keywords: ['xai-'], pattern: /\b(?<secret>xai-[A-Za-z0-9]{80})(?![A-Za-z0-9])/g, entropy: 3.5 },
  { id: 'perplexity-api-key', title: 'Perplexity API key', severity: 'high', keywords: ['pplx-'], pattern: /\b(?<secret>pplx-[A-Za-z0-9]{48})(?![A-Za-z0-9])/g, entropy: 3.5 },
  { id: 'replicate-api-token', title: 'Replicate API token', severity: 'high', keywords: ['r8_'], pattern: /\b(?<secret>r8_[A-Za-z0-9]{37})(?![A-Za-z0-9])/g, entropy: 3.5 },
  { id: 'langsmith-api-key', title: 'LangSmith API key', severity: 'high', keywords: ['lsv2_pt_', 'lsv2_sk_'], pattern: /\b(?<secret>lsv2_(?:pt|sk)_[a-z0-9]{32}_[a-z0-9]{10})(?![a-z0-9])/g, entropy: 3 },
  // Observability
  { id: 'datadog-api-key', title: 'Datadog API or application key', severity: 'high', keywords: ['datadog', 'dd_api', 'dd_app', 'ddapi', 'ddapp', 'dd-api', 'dd-app', 'dd.api', 'dd.app'], pattern: assigned('(?:datadog|dd)[\\w.\\-]{0,10}(?:api|app)', '[a-f0-9]{32}|[a-f0-9]{40}'), entropy: 3, valid: notPlaceholder },
  { id: 'new-relic-api-key', title: 'New Relic user API key', severity: 'high', keywords: ['nrak-'], pattern: /\b(?<secret>NRAK-[A-Z0-9]{27})\b/g },
  { id: 'grafana-token', title: 'Grafana Cloud or service account token', severity: 'high', keywords: ['glc_', 'glsa_'], pattern: /\b(?<secret>glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})/g, entropy: 3.5 },
  { id: 'doppler-token', title: 'Doppler token', severity: 'high', keywords: ['dp.pt.', 'dp.st.', 'dp.sa.', 'dp.ct.', 'dp.scim.', 'dp.audit.'], pattern: /\b(?<secret>dp\.(?:pt|ct|sa|scim|audit)\.[A-Za-z0-9]{40,44}|dp\.st\.(?:[a-z0-9_-]{2,35}\.)?[A-Za-z0-9]{40,44})\b/g, entropy: 3.5 },
  { id: 'shopify-token', title: 'Shopify access token or shared secret', severity: 'high', keywords: ['shpat_', 'shpca_', 'shppa_', 'shpss_'], pattern: /\b(?<secret>shp(?:at|ca|pa|ss)_[A-Za-z0-9]{32,64})(?![A-Za-z0-9])/g, entropy: 3 },
  // Keys and structured credentials
  { id: 'private-key', title: 'Private key', severity: 'critical', keywords: ['private key'], pattern: /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----\s*(?<secret>[\s\S]{64,}?)\s*-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/g, valid: pemBody },
  { id: 'age-secret-key', title: 'age secret key', severity: 'critical', keywords: ['age-secret-key-1'], pattern: /\b(?<secret>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b/g },
  { id: 'jwt', title: 'JSON Web Token', severity: 'medium', keywords: ['eyj'], pattern: /\b(?<secret>ey[A-Za-z0-9_-]{12,}\.ey[A-Za-z0-9_-]{12,}\.[A-Za-z0-9_-]{20,})(?![A-Za-z0-9_-])/g, valid: validJwt },
  { id: 'database-url-password', title: 'Database or broker URL with a password', severity: 'high', keywords: ['postgres', 'mysql', 'mariadb', 'mongodb', 'redis', 'amqp', 'mssql', 'sqlserver', 'clickhouse', 'cockroachdb', 'jdbc:'], pattern: /\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|clickhouse|cockroachdb|jdbc:[a-z]+):\/\/[^:\s/@'"`]{0,64}:(?<secret>[^@\s/'"`]{4,128})@[^\s'"`]+/g, entropy: 2.5, valid: notPlaceholder },
  { id: 'url-basic-auth', title: 'Password in an HTTP(S) or FTP(S) URL', severity: 'medium', keywords: ['://'], pattern: /\b(?:https?|ftps?):\/\/[^:\s/@'"`]{1,64}:(?<secret>[^@\s/'"`]{8,128})@[A-Za-z0-9.-]+/g, entropy: 2.5, valid: (s) => notPlaceholder(s) && !looksLikeGithubTokenAuth(s) },
  {
    id: 'connection-string-password',
    title: 'Password in a connection string',
    severity: 'high',
    keywords: ['password', 'pwd'],
    // ADO.NET, JDBC properties, ODBC: Server=...;User Id=app;Password=...; - after another pair, or
    // followed by one (code such as `password = input;` is neither).
    pattern:
      /;[ \t]*(?:password|pwd)[ \t]*=[ \t]*(?<secret>[^;"'\s[\](){}<>,]{6,128})(?=[ \t]*(?:;|["']|$))|(?:^|["'\s])(?:password|pwd)[ \t]*=[ \t]*(?<bareSecret>[^;"'\s[\](){}<>,]{6,128});[ \t]*[A-Za-z][\w ]*=/gim,
    entropy: 2.5,
    valid: (s) => realValue(s) && /[A-Za-z]/.test(s) && /[^A-Za-z]/.test(s) && !looksLikeIdentifier(s),
  },
  {
    id: 'password-assignment',
    title: 'Password assigned to a password key',
    severity: 'high',
    // Not PWD: the shell's working directory.
    keywords: ['passw', 'pass'],
    pattern: keyedValue('(?:passw(?:or)?d|passwd|pass)', `${VALUE_CHARS}{8,128}`, false),
    entropy: 2.5,
    // Letters and something else: identifiers and words (hunter, mypassword) are not reported.
    valid: (s) => realValue(s) && /[A-Za-z]/.test(s) && /[^A-Za-z]/.test(s) && !looksLikeIdentifier(s) && !looksLikePath(s),
  },
  {
    id: 'generic-secret-assignment',
    title: 'Secret-looking value assigned to a secret-named key',
    severity: 'medium',
    keywords: ['key', 'secret', 'token', 'passw', 'pwd', 'credential', 'auth'],
    pattern: keyedValue(SECRET_KEY_NAME, `${VALUE_CHARS}{16,128}`, true),
    entropy: 3.5,
    generic: true,
    valid: (s) => realValue(s) && /[A-Za-z]/.test(s) && !looksLikeIdentifier(s) && !looksLikePath(s),
    help: 'Generic rule: a high-entropy value assigned to a key named like a secret. Move it to a secret store; if it is not a secret, suppress it in .github/scan.yml with a reason.',
  },
];

/**
 * Names rather than values: my-secret-name, getTokenFromVault, DeployKeyProvider, VAULT_TOKEN_PATH.
 * Random letters almost never avoid two capitals in a row, which camelCase does.
 */
function looksLikeIdentifier(value: string): boolean {
  return /^[A-Za-z]?[a-z]*(?:[-_.]?[A-Z]?[a-z]+)*$/.test(value) || /^[A-Z]+(?:[-_.][A-Z]+)*$/.test(value);
}

/** /home/runner/work, ~/.ssh/id_ed25519, ./certs: where a secret is kept, not the secret. */
function looksLikePath(value: string): boolean {
  return /^(?:\/|~\/|\.{1,2}\/)/.test(value);
}

/** `https://x-access-token:${TOKEN}@github.com` templates are written with placeholders; real tokens are caught by their own rules. */
function looksLikeGithubTokenAuth(secret: string): boolean {
  return /^\$|^%|\{/.test(secret);
}

export function secretRuleCatalog(): Rule[] {
  return SECRET_RULES.map((rule) => ({
    id: `secrets/${rule.id}`,
    scanner: 'secrets',
    severity: rule.severity,
    title: rule.title,
    help:
      rule.help ??
      `A ${rule.title} is committed. Revoke it at the provider first (it is in the history even after the file changes), then store the new one in a secret store such as GitHub's encrypted secrets.`,
  }));
}

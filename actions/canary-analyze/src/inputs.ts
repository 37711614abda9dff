import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { InputError } from '../../../shared/errors.ts';
import { Inputs, runnerInputs, type InputSource } from '../../../shared/inputs.ts';
import type { AnalysisPlan } from './analysis.ts';
import { builtInHttpMetrics, fillTemplate, parseMetrics, queriesOf, type MetricDefinition } from './metrics.ts';
import { DatadogProvider, HttpJsonProvider, PrometheusProvider, type Provider } from './providers.ts';

export const PROVIDERS = ['prometheus', 'http-json', 'datadog'] as const;
export const OUTCOMES = ['fail', 'warn', 'pass'] as const;
export const SECRET_INPUTS = ['prometheus-token', 'prometheus-password', 'datadog-api-key', 'datadog-application-key', 'http-json-token', 'github-token'] as const;

export interface CanaryConfig {
  provider: Provider;
  plan: AnalysisPlan;
  /** What a fail (or marginal) verdict does to the step; inconclusive has its own. */
  onFail: (typeof OUTCOMES)[number];
  onInconclusive: (typeof OUTCOMES)[number];
  reportPath?: string | undefined;
  environment?: string | undefined;
  deploymentId?: number | undefined;
  githubToken?: string | undefined;
  secrets: string[];
}

function readMetrics(inputs: Inputs): MetricDefinition[] | undefined {
  const inline = inputs.yaml('metrics');
  const file = inputs.string('metrics-file');
  if (inline !== undefined && file) throw new InputError('metrics-file', 'give metrics or metrics-file, not both');
  if (inline !== undefined) return parseMetrics(inline, 'metrics');
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError('metrics-file', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const document = parseDocument(text, { prettyErrors: true });
  const [first] = document.errors;
  if (first) {
    const at = first.linePos?.[0];
    throw new InputError('metrics-file', `${file}${at ? `:${at.line}:${at.col}` : ''}: ${(first.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const parsed = document.toJS() as unknown;
  const list = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && 'metrics' in parsed ? (parsed as { metrics: unknown }).metrics : parsed;
  return parseMetrics(list, 'metrics-file');
}

/**
 * Every query's placeholders are known before anything is queried; with Prometheus a rate metric's
 * counts must span the window ({{window}}), or cumulative intervals would count a fixed stretch.
 */
function checkQueries(metrics: readonly MetricDefinition[], provider: (typeof PROVIDERS)[number], input: string): void {
  const sample = { variant: 'canary' as const, version: 'v', selector: 's', interval: '1m', window: '60s' };
  for (const metric of metrics) {
    for (const [field, query] of queriesOf(metric)) {
      fillTemplate(query, sample, metric.name, input, field);
      if (provider === 'prometheus' && field !== 'query' && !/\{\{\s*window\s*\}\}/.test(query)) {
        throw new InputError(input, `metric "${metric.name}", field "${field}": with Prometheus a count over the analysis window needs {{window}}, e.g. sum(increase(http_requests_total{...}[{{window}}]))`);
      }
    }
  }
}

function readProvider(inputs: Inputs): Provider {
  const provider = inputs.choice('provider', PROVIDERS, 'prometheus');
  switch (provider) {
    case 'prometheus': {
      const url = inputs.url('prometheus-url');
      if (!url) throw new InputError('prometheus-url', 'is required with provider prometheus (the server, e.g. https://prometheus.example.com)');
      const token = inputs.string('prometheus-token');
      const username = inputs.string('prometheus-username');
      if (token && username) throw new InputError('prometheus-token', 'give prometheus-token or prometheus-username/password, not both');
      return new PrometheusProvider(url, { token, username, password: inputs.string('prometheus-password') });
    }
    case 'datadog': {
      const url = inputs.url('datadog-api-url') ?? new URL('https://api.datadoghq.com');
      return new DatadogProvider(url, inputs.required('datadog-api-key'), inputs.required('datadog-application-key'));
    }
    case 'http-json':
      return new HttpJsonProvider(inputs.required('http-json-path'), inputs.string('http-json-token'));
  }
}

export function readConfig(source: InputSource = runnerInputs): { config: CanaryConfig; inputs: Inputs } {
  const inputs = new Inputs(source, { secret: SECRET_INPUTS });
  const provider = readProvider(inputs);
  const baselineSelector = inputs.string('baseline-selector') ?? '';
  const canarySelector = inputs.string('canary-selector') ?? '';
  let metrics = readMetrics(inputs);
  if (!metrics) {
    if (!baselineSelector || !canarySelector) {
      throw new InputError('metrics', 'is required (or metrics-file), unless baseline-selector and canary-selector are given for the built-in HTTP metrics');
    }
    metrics = builtInHttpMetrics();
  }
  checkQueries(metrics, inputs.choice('provider', PROVIDERS, 'prometheus'), inputs.isSet('metrics-file') && !inputs.isSet('metrics') ? 'metrics-file' : 'metrics');
  const usesSelector = metrics.some((metric) => queriesOf(metric).some(([, query]) => /\{\{\s*selector\s*\}\}/.test(query)));
  if (usesSelector && (!baselineSelector || !canarySelector)) {
    throw new InputError(baselineSelector ? 'canary-selector' : 'baseline-selector', 'is required: a metric query uses {{selector}}');
  }
  const intervalMs = inputs.duration('interval', '5m', { min: 1000, max: 24 * 3_600_000 });
  const durationMs = inputs.isSet('duration') ? inputs.duration('duration', '5m', { min: 1000, max: 7 * 24 * 3_600_000 }) : undefined;
  if (durationMs !== undefined && inputs.isSet('intervals')) throw new InputError('duration', 'give intervals or duration, not both');
  const intervals = durationMs !== undefined ? Math.max(1, Math.round(durationMs / intervalMs)) : (inputs.integer('intervals', { fallback: 1, min: 1, max: 1000 }) as number);
  const endText = inputs.string('end-time');
  const endTime = endText === undefined ? undefined : new Date(endText);
  if (endTime && Number.isNaN(endTime.getTime())) inputs.fail('end-time', endText as string, 'an ISO 8601 time such as 2026-11-22T10:00:00Z');
  const stepMs = inputs.duration('step', '15s', { min: 100, max: 3_600_000 });
  const passThreshold = inputs.percent('pass-threshold', 75);
  const marginalThreshold = inputs.percent('marginal-threshold', 50);
  if (marginalThreshold > passThreshold) inputs.fail('marginal-threshold', String(marginalThreshold), `at most pass-threshold (${passThreshold})`);
  const confidenceText = inputs.string('confidence') ?? '0.98';
  const confidence = Number(confidenceText);
  if (!(confidence >= 0.5 && confidence < 1)) inputs.fail('confidence', confidenceText, 'a confidence level from 0.5 to below 1, such as 0.98 (Kayenta) or 0.95');
  const rateWindow = inputs.string('rate-window') ?? '1m';
  if (!/^\d+(ms|s|m|h)$/.test(rateWindow)) inputs.fail('rate-window', rateWindow, 'a PromQL duration such as 30s, 1m or 5m');
  const deploymentId = inputs.integer('deployment-id', { min: 1 });
  return {
    inputs,
    config: {
      provider,
      plan: {
        metrics,
        baseline: { version: inputs.string('baseline-version') ?? 'baseline', selector: baselineSelector },
        canary: { version: inputs.string('canary-version') ?? 'canary', selector: canarySelector },
        rateWindow,
        stepSeconds: stepMs / 1000,
        warmupMs: inputs.duration('warmup', '0s', { min: 0, max: 24 * 3_600_000 }),
        intervalMs,
        intervals,
        endTime,
        judge: {
          confidence,
          minSamples: inputs.integer('min-samples', { fallback: 30, min: 3, max: 100_000 }) as number,
          passThreshold,
          marginalThreshold,
        },
      },
      onFail: inputs.choice('on-fail', OUTCOMES, 'fail'),
      onInconclusive: inputs.choice('on-inconclusive', OUTCOMES, 'fail'),
      reportPath: inputs.string('report-path'),
      environment: inputs.string('environment'),
      deploymentId,
      githubToken: inputs.string('github-token'),
      secrets: SECRET_INPUTS.map((name) => source.get(name)).filter((value) => value !== ''),
    },
  };
}

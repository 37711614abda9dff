import { registerHooks } from 'node:module';

/**
 * GitHub's own workflow and action parsers (@actions/workflow-parser), loadable outside vitest too:
 * the package imports its JSON schemas without import attributes, which Node's ESM loader refuses,
 * so a load hook adds `type: json` for that package's own JSON files before it is imported. Under
 * vitest the package is inlined (vitest.config.ts) and the hook is never consulted.
 */
registerHooks({
  load(url, context, nextLoad) {
    if (url.endsWith('.json') && url.includes('/@actions/workflow-parser/')) {
      return nextLoad(url, { ...context, importAttributes: { ...context.importAttributes, type: 'json' } });
    }
    return nextLoad(url, context);
  },
});

export const workflowParser = await import('@actions/workflow-parser');
export const actionParser = { ...(await import('@actions/workflow-parser/actions/action-parser')), ...(await import('@actions/workflow-parser/actions/action-template')) };
/** The parser's own rule: a condition without a status function means success() && (condition). */
export const ifCondition = await import('@actions/workflow-parser/model/converter/if-condition');
export type { MappingToken, TemplateToken } from '@actions/workflow-parser/templates/tokens/index';

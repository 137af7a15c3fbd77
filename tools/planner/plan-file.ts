/**
 * Reading a saved target plan (`plan ... -o plan.json`) for `prune --plan`.
 */
import { readFile } from 'node:fs/promises';
import { EdgeError, messageOf } from '../../sdk/internal.js';
import { TARGET_PLAN_FORMAT, type TargetPlan } from './plan-target.js';
import { isJsonLimitError, parseJsonBounded, syntaxMessage } from '../../sdk/internal.js';

/**
 * Reads and checks a plan file.
 * @throws EdgeError E_FILE_NOT_FOUND, E_INVALID_ARGUMENT (not a plan, naming the field), E_PRUNE
 *   (a plan made from a config, which names no package to prune)
 */
export async function readTargetPlan(file: string): Promise<TargetPlan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new EdgeError('E_FILE_NOT_FOUND', `cannot read the plan: ${messageOf(err)}`, { file, field: '--plan' });
  }
  let plan: Partial<TargetPlan>;
  try {
    plan = parseJsonBounded(
      text,
      { maxBytes: 16 << 20, maxDepth: 32, maxStringLength: 64 * 1024 },
      { file, what: 'the plan' },
    ) as Partial<TargetPlan>;
  } catch (err) {
    if (isJsonLimitError(err)) throw err;
    throw new EdgeError('E_INVALID_ARGUMENT', `the plan is not valid JSON: ${syntaxMessage(err)}`, {
      file,
      field: '--plan',
    });
  }
  if (plan.format !== TARGET_PLAN_FORMAT || plan.formatVersion !== 1) {
    throw new EdgeError(
      'E_INVALID_ARGUMENT',
      `not a target plan (format must be ${JSON.stringify(TARGET_PLAN_FORMAT)} version 1; write one with \`ringmoe-edge plan <package> --target <id> -o plan.json\`)`,
      { file, field: 'format' },
    );
  }
  if (!plan.prune || typeof plan.prune.strategy !== 'string' || !plan.target?.id || !plan.choice)
    throw new EdgeError('E_INVALID_ARGUMENT', 'the plan has no prune options, target or choice', {
      file,
      field: 'prune',
    });
  if (!plan.model?.package) {
    throw new EdgeError(
      'E_PRUNE',
      `the plan was made from the ${plan.model?.config ?? '?'} config, not from a package: plan against the package you will prune`,
      { file, hint: 'ringmoe-edge plan <package> --target <id> -o plan.json' },
    );
  }
  return plan as TargetPlan;
}

/**
 * Going back to the previous version: the pointer first (so a power cut from here on also starts
 * the old version), then the host switches back between two frames, then the failed version is
 * freed and collected.
 */
import { EdgeError, messageOf } from '../../core/errors.js';
import type { AgentContext } from './agent-context.js';
import type { UpdateRequest } from './agent-record.js';
import type { AgentReport, UpdateOutcome } from './agent-states.js';
import type { HostedModel } from '../hosts/model-host.js';
import { labelOf, slotRef } from './slot-refs.js';

/**
 * Rolls back from `failed` (the model the update switched to, if loaded) to `ctx.slots.previous`.
 * The agent is in `rolling-back`; it ends in `idle` with a `rolled-back` outcome.
 * @throws EdgeError E_INTERNAL when there is no previous version to return to
 */
export async function rollBack(
  ctx: AgentContext,
  req: UpdateRequest,
  why: { code: string; message: string; transfer?: UpdateOutcome['transfer'] },
  failed?: HostedModel,
  health?: AgentReport['health'],
): Promise<UpdateOutcome> {
  const { store, host } = ctx.o;
  const back = ctx.slots.previous;
  if (!back) throw new EdgeError('E_INTERNAL', 'rollback without a previous version');
  const previousBefore = ctx.record.pending?.previousBefore;
  const keepPrevious =
    previousBefore !== undefined && previousBefore !== back.ref.manifest && (await store.hasSlot(previousBefore));
  await store.writePointer({
    current: back.ref.manifest,
    ...(keepPrevious ? { previous: previousBefore } : {}),
    at: ctx.o.now().toISOString(),
  });
  let model = back.model;
  try {
    if (!model) {
      const dir = store.slotPackageDir(back.ref.manifest);
      model = await host.load({
        id: back.ref.manifest,
        ...(dir !== undefined ? { dir } : {}),
        label: labelOf(back.ref),
      });
    }
    await host.activate(model);
  } catch (err) {
    ctx.o.log(`rollback: the previous model cannot serve: ${messageOf(err)}`);
  }
  if (failed) await host.unload(failed).catch(() => {});
  ctx.slots = { current: { ref: back.ref, ...(model ? { model } : {}) } };
  if (keepPrevious) ctx.slots.previous = { ref: await slotRef(store, previousBefore!) };
  await store.collectGarbage().catch((err) => ctx.o.log(`rollback: garbage collection failed: ${messageOf(err)}`));
  const done: UpdateOutcome = {
    result: 'rolled-back',
    bundle: { name: req.name, version: req.version, manifest: req.manifestSha256 },
    code: why.code,
    message: why.message,
    ...(why.transfer ? { transfer: why.transfer } : {}),
    ...(req.seq !== undefined ? { seq: req.seq } : {}),
    at: ctx.o.now().toISOString(),
  };
  ctx.o.log(`${req.name}@${req.version}: rolled back to ${labelOf(back.ref)}: ${why.message}`);
  await ctx.go('rolled-back', {
    pending: undefined,
    outcome: done,
    target: undefined,
    progress: undefined,
    ...(health ? { health } : {}),
  });
  return done;
}

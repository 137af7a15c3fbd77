/**
 * Start-up after a clean stop or a power cut at any instant: remove half-written leftovers, go
 * back to the previous version if the device died before the current one passed its health
 * check, start the newest slot that verifies, and decide what to do with an update that was in
 * progress (finish the bookkeeping, or resume it).
 */
import { messageOf, type EdgeError } from '../../core/errors.js';
import type { AgentContext, HeldSlot } from './agent-context.js';
import type { UpdateRequest } from './agent-record.js';
import type { AgentState, UpdateOutcome } from './agent-states.js';
import { rollBack } from './agent-rollback.js';
import { labelOf, slotRef } from './slot-refs.js';

const BEFORE_SWITCH: readonly AgentState[] = ['verifying', 'downloading', 'staging', 'loading', 'switching'];

async function startSlot(ctx: AgentContext, id: string, verify: boolean): Promise<HeldSlot> {
  const { store, host } = ctx.o;
  if (verify) await store.verifySlot(id);
  const ref = await slotRef(store, id);
  const dir = store.slotPackageDir(id);
  const model = await host.load({ id, ...(dir !== undefined ? { dir } : {}), label: labelOf(ref) });
  await host.activate(model);
  return { ref, model };
}

function requestForSlot(ref: { name: string; version: string; manifest: string }): UpdateRequest {
  return {
    origin: 'local',
    name: ref.name,
    version: ref.version,
    target: '-',
    manifestSha256: ref.manifest,
    manifestSize: 0,
    signature: { alg: 'ed25519', keyId: '0'.repeat(16), signature: '' },
    sources: {},
    rollback: false,
  };
}

/**
 * Brings the agent from `starting` to `idle` (or `verifying` when an update resumes).
 * @returns the request to resume, if any
 */
export async function recover(ctx: AgentContext): Promise<UpdateRequest | undefined> {
  const { store } = ctx.o;
  const cleaned = await store.cleanup();
  if (cleaned.removed.length)
    ctx.o.log(`start: removed leftovers of an interrupted run: ${cleaned.removed.join(', ')}`);
  const pointer = await store.readPointer();
  const pending = ctx.record.pending;
  const now = () => ctx.o.now().toISOString();

  if (pointer?.trial && pointer.previous) {
    // Died between the switch and the commit: the new version never proved itself.
    const failed = await slotRef(store, pointer.current).catch(() => ({
      name: '?',
      version: '?',
      manifest: pointer.current,
    }));
    ctx.slots = { current: { ref: failed }, previous: { ref: await slotRef(store, pointer.previous) } };
    await ctx.go('interrupted-rollback');
    const req = pending?.request.manifestSha256 === pointer.current ? pending.request : requestForSlot(failed);
    await rollBack(ctx, req, {
      code: 'E_HEALTH_CHECK',
      message: `the device restarted before ${labelOf(failed)} passed its health check (power loss or crash); back on the previous version`,
    });
    return undefined;
  }

  if (pointer) {
    const candidates = [pointer.current, ...(pointer.previous ? [pointer.previous] : [])];
    for (const id of candidates) {
      try {
        ctx.slots = { current: await startSlot(ctx, id, ctx.o.verifyOnStart) };
        if (id !== pointer.current) {
          ctx.o.log(
            `start: the current slot was unusable; started the previous one ${labelOf(ctx.slots.current!.ref)}`,
          );
          await store.writePointer({ current: id, at: now() });
        } else if (pointer.previous) {
          ctx.slots.previous = { ref: await slotRef(store, pointer.previous) };
        }
        break;
      } catch (err) {
        ctx.o.log(`start: slot ${id.slice(0, 12)}… cannot start: ${(err as EdgeError).code ?? ''} ${messageOf(err)}`);
      }
    }
    if (!ctx.slots.current) ctx.o.log('start: no installed version can start; waiting for an update');
  }

  if (pending) {
    const req = pending.request;
    const finished = (result: UpdateOutcome['result'], extra: Partial<UpdateOutcome> = {}): UpdateOutcome => ({
      result,
      bundle: { name: req.name, version: req.version, manifest: req.manifestSha256 },
      ...(req.seq !== undefined ? { seq: req.seq } : {}),
      ...extra,
      at: now(),
    });
    if (ctx.slots.current?.ref.manifest === req.manifestSha256) {
      await ctx.go('started', {
        pending: undefined,
        target: undefined,
        progress: undefined,
        outcome: finished('installed', { message: 'committed before the restart' }),
      });
      return undefined;
    }
    if (
      ctx.record.state === 'rolling-back' ||
      ctx.record.state === 'health-check' ||
      ctx.record.state === 'committing'
    ) {
      await ctx.go('started', {
        pending: undefined,
        target: undefined,
        progress: undefined,
        outcome: finished('rolled-back', {
          code: 'E_HEALTH_CHECK',
          message: 'the device restarted during the update; the previous version runs',
        }),
      });
      return undefined;
    }
    if ((BEFORE_SWITCH as readonly string[]).includes(ctx.record.state)) {
      if (pending.attempts >= ctx.o.maxAttempts) {
        await ctx.go('started', {
          pending: undefined,
          target: undefined,
          progress: undefined,
          outcome: finished('rejected', {
            code: 'E_HEALTH_CHECK',
            message: `the update was interrupted ${pending.attempts} times (power loss or a crash while installing); giving up`,
          }),
        });
        return undefined;
      }
      await ctx.go('resumed', { pending: { ...pending, attempts: pending.attempts + 1 } });
      return req;
    }
  }
  await ctx.go('started', { pending: undefined, target: undefined, progress: undefined });
  await store.collectGarbage().catch((err) => ctx.o.log(`start: garbage collection failed: ${messageOf(err)}`));
  return undefined;
}

/**
 * A device process for the kill -9 test: starts the agent on a slot store (recovering from
 * whatever a killed predecessor left), prints every report as `STATE <state> <transition>`, then
 * installs the bundle directory given on the command line and prints `DONE <outcome>`.
 *
 * Usage: node --import tsx kill-child.ts <store> <trust.json> <bundle-dir>
 */
import { OtaAgent } from '../../../sdk/ota/agent/agent.js';
import { OrtModelHost } from '../../../sdk/ota/hosts/ort-model-host.js';
import { FsSlotStore } from '../../../sdk/ota/slots/slot-store-fs.js';
import { TrustStore } from '../../../sdk/core/signing/trust-store.js';
import { LOADED_MACHINE_BUDGET_MS } from '../../helpers/budgets.js';

const [root, trustFile, bundle] = process.argv.slice(2);
const store = await FsSlotStore.open(root!);
const host = await OrtModelHost.create({ entries: ['optical'], threads: 1 });
const agent = await OtaAgent.start({
  identity: { fleet: 'north', device: 'kill', target: 'cpu-x86-64-onnxruntime' },
  store,
  host,
  trust: await TrustStore.load(trustFile!),
  health: { frames: 8, latencyBudgetMs: LOADED_MACHINE_BUDGET_MS },
  warmUpFrames: 3,
});
agent.onReport((r) => process.stdout.write(`STATE ${r.state} ${r.transition}\n`));
process.stdout.write(`READY ${agent.report().current?.version ?? 'none'}\n`);
const outcome = await agent.installFromDirectory(bundle!);
process.stdout.write(`DONE ${JSON.stringify(outcome)}\n`);
await agent.close();
await host.close();
await store.close();

/**
 * The command registry: one lazy loader per command module (tools/cli/commands/<name>.ts).
 * Add a line here when adding a command.
 */
import type { CommandSpec } from '../command.js';

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<{ spec: CommandSpec<any> }>;
}

export const COMMANDS: CommandEntry[] = [

  { name: 'subscribe', summary: 'print a fleet\'s results as they arrive, then a fleet summary', load: () => import('./subscribe.js') },
];

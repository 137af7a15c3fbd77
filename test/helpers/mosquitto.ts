/**
 * Runs a real Mosquitto broker for tests: a generated config in a temp dir, a free loopback port,
 * stopped by pid. `HAS_MOSQUITTO` is false when the binary is absent, so tests can skip visibly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';

function findBinary(): string | undefined {
  // MOSQUITTO_BIN names the binary; set to an empty string it hides mosquitto (to see the skips).
  const forced = process.env.MOSQUITTO_BIN;
  if (forced !== undefined) return forced && existsSync(forced) ? forced : undefined;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const d of dirs) {
    const p = join(d, 'mosquitto');
    if (d && existsSync(p)) return p;
  }
  return undefined;
}

/** Path of the mosquitto binary, if installed. */
export const MOSQUITTO_BIN = findBinary();
/** True when mosquitto is installed. */
export const HAS_MOSQUITTO = MOSQUITTO_BIN !== undefined;

/** A running (or stopped) mosquitto. */
export interface Mosquitto {
  readonly url: string;
  readonly port: number;
  /** Temp dir with config, log and persistence file. */
  readonly dir: string;
  /** pid while running. */
  readonly pid: number | undefined;
  /** SIGTERM and wait for exit (mosquitto saves its persistence file on the way out). */
  stop(): Promise<void>;
  /** Starts again on the same port with the same persistence. */
  start(): Promise<void>;
  /** The broker's log so far. */
  log(): string;
  /** Stops it and removes the temp dir. */
  close(): Promise<void>;
}

/** A free loopback TCP port (listen on 0, read it back, release it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Starts mosquitto on a free port.
 * @param options.persistence keep sessions and queued messages across stop/start (default true)
 * @param options.extraConfig more mosquitto.conf lines
 * @param options.listeners the listener section for the free port found (default: plain MQTT on
 *   127.0.0.1, anonymous clients allowed); `url` stays `mqtt://127.0.0.1:<port>`
 */
export async function startMosquitto(
  options: { persistence?: boolean; extraConfig?: string[]; listeners?: (port: number) => string[] } = {},
): Promise<Mosquitto> {
  if (!MOSQUITTO_BIN) throw new Error('mosquitto is not installed (apt-get install -y mosquitto)');
  const bin = MOSQUITTO_BIN;
  const dir = await mkdtemp(join(tmpdir(), 'mosquitto-test-'));
  const logFile = join(dir, 'mosquitto.log');
  let port = 0;
  let child: ChildProcess | undefined;

  const writeConfig = async (): Promise<string> => {
    const conf = join(dir, 'mosquitto.conf');
    await writeFile(
      conf,
      [
        ...(options.listeners ? options.listeners(port) : [`listener ${port} 127.0.0.1`, 'allow_anonymous true']),
        // as root mosquitto would switch to the "mosquitto" user, who cannot write our temp dir
        `user ${userInfo().username}`,
        `persistence ${options.persistence === false ? 'false' : 'true'}`,
        `persistence_location ${dir}/`,
        'max_queued_messages 100000',
        'set_tcp_nodelay true',
        `log_dest file ${logFile}`,
        'log_type all',
        ...(options.extraConfig ?? []),
        '',
      ].join('\n'),
    );
    return conf;
  };

  const launch = async (): Promise<void> => {
    const conf = await writeConfig();
    const proc = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let exited = false;
    proc.once('exit', () => (exited = true));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (exited)
        throw new Error(
          `mosquitto exited at start: ${stderr}${existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-500) : ''}`,
        );
      if (await reachable(port)) {
        child = proc;
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill('SIGKILL');
    throw new Error('mosquitto did not open its port within 10 s');
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      // Someone took the port between our probe and mosquitto's bind: try another.
      if (attempt >= 3) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  return {
    get url() {
      return `mqtt://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    dir,
    get pid() {
      return child?.pid;
    },
    stop,
    async start() {
      if (child) return;
      await launch();
    },
    log() {
      return existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    },
    async close() {
      process.removeListener('exit', killOnExit);
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// Starts a single-node or three-node KRaft Kafka from a home folder and returns once every broker serves requests.

import { mkdir, writeFile } from 'node:fs/promises';
import { resolveKafkaClasspath } from './classpath.ts';
import {
  DEFAULT_HEAP_MB,
  DEFAULT_PORT,
  NODE_COUNT,
  HOST,
  portsFrom,
  renderProperties,
  serverProperties,
  type NodePorts,
} from './config.ts';
import { KafkaOpsError, KafkaOpsErrorCodes } from './errors.ts';
import { brokerLog4j2 } from './log4j.ts';
import { homeFiles, nodeDir, resolveHome } from './paths.ts';
import { freePorts, isPortFree } from './ports.ts';
import { killNow, launchBroker, logTail, type LaunchedBroker } from './process.ts';
import { waitForBrokers } from './readiness.ts';
import { withHomeLock } from './lock.ts';
import { readState, writeState } from './state.ts';
import { bootstrapOf, kafkaStatus } from './status.ts';
import { stopUnlocked } from './stop.ts';
import { formatIfNeeded, wipeHome } from './storage.ts';
import { type KafkaMode, type KafkaRunning, type ProgressListener } from './types.ts';

export interface StartKafkaOptions {
  readonly mode: KafkaMode;
  /** Default `<cwd>/.streamforge/kafka`. */
  readonly home?: string;
  /** First broker port (a cluster uses three consecutive ones); 0 picks free ports. Default 9092. */
  readonly port?: number;
  /** Heap per node; default 512 (single) or 384 (cluster). */
  readonly heapMb?: number;
  /** Stop whatever runs from `home` and wipe its data before starting. */
  readonly fresh?: boolean;
  /** How long to wait for the brokers to serve requests; default 60 s (single) or 120 s (cluster). */
  readonly readyTimeoutMs?: number;
  readonly onProgress?: ProgressListener;
}

export async function startKafka(options: StartKafkaOptions): Promise<KafkaRunning> {
  const { mode } = options;
  if (!(mode in NODE_COUNT)) throw invalid(`mode "${String(mode)}" is not "single" or "cluster"`);
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port + NODE_COUNT[mode] + 100 > 65535) {
    throw invalid(`port ${port} is not a usable port number (give 1024-65000, or 0 for free ports)`);
  }
  const heapMb = options.heapMb ?? DEFAULT_HEAP_MB[mode];
  if (!Number.isInteger(heapMb) || heapMb < 128)
    throw invalid(`heap ${heapMb} MB is too small for a broker (give 128 or more)`);
  const home = resolveHome(options.home);
  const progress = options.onProgress ?? (() => {});

  const { version, classpath } = await resolveKafkaClasspath({ onProgress: progress });
  return withHomeLock(home, async () => {
    let running = await kafkaStatus({ home });
    if (running && options.fresh) {
      await stopUnlocked(home, 30_000, progress);
      running = null;
    } else if (running && running.mode !== mode) {
      throw new KafkaOpsError(
        KafkaOpsErrorCodes.HOME_CONFLICT,
        `A ${running.mode} Kafka already runs from ${home}`,
        {
          hint: 'stop it first (`streamforge kafka stop`), or use another --home',
        },
      );
    } else if (running && !running.down) {
      return running; // idempotent: already up
    }

    let nodes: NodePorts[];
    if (running?.down) {
      // A degraded cluster: bring back the missing nodes on the ports the others know them by.
      const recorded = await readState(home);
      nodes = (recorded?.brokers ?? []).map(({ nodeId, port: p, controllerPort }) => ({
        nodeId,
        port: p,
        controllerPort,
      }));
      progress(`Restarting node(s) ${running.down.join(', ')} of the Kafka cluster in ${home}`);
    } else {
      // Leftovers of a crashed start or a lost state.json would hold the data-dir locks and ports.
      await stopUnlocked(home, 30_000, progress);
      if (options.fresh) await wipeHome(home);
      nodes = port === 0 ? await freeNodePorts(mode) : portsFrom(mode, port);
    }
    const toLaunch = running?.down ? nodes.filter((n) => running.down?.includes(n.nodeId)) : nodes;
    await checkPortsFree(toLaunch, home);

    await mkdir(home, { recursive: true });
    await writeFile(homeFiles.log4j(home), brokerLog4j2());
    for (const node of nodes) {
      await mkdir(nodeDir(home, node.nodeId), { recursive: true });
      const props = serverProperties(mode, nodes, node.nodeId, home);
      await writeFile(
        homeFiles.serverProperties(home, node.nodeId),
        renderProperties(props, `Written by StreamForge on every start (${mode} mode).`),
      );
    }
    if (
      await formatIfNeeded(
        home,
        mode,
        nodes.map((n) => n.nodeId),
        classpath,
        version,
      )
    ) {
      progress(`Formatted new KRaft storage in ${home}`);
    }

    progress(
      `Starting Apache Kafka ${version} (${mode}, ${toLaunch.length} of ${nodes.length} node(s), ${heapMb} MB heap each) in ${home}...`,
    );
    const launched = toLaunch.map((node) => launchBroker(home, node.nodeId, classpath, heapMb));
    const pidOf = new Map<number, number>([
      ...(running?.brokers ?? []).map((b): [number, number] => [b.nodeId, b.pid]),
      ...launched.map((l): [number, number] => [l.nodeId, l.pid]),
    ]);
    const result = await waitForBrokers({
      ports: nodes.map((n) => n.port),
      timeoutMs: options.readyTimeoutMs ?? (mode === 'cluster' ? 120_000 : 60_000),
      failure: () => exitedReason(launched),
      onWaiting: (ms) =>
        progress(`Still waiting for Kafka to serve requests (${Math.round(ms / 1000)} s)...`),
    });
    if (!result.ready) {
      await killNow(launched.map((l) => l.pid));
      const culprit = launched.find((l) => l.exit) ?? launched[0];
      const logs = culprit ? await logTail(home, culprit.nodeId) : '';
      throw new KafkaOpsError(
        launched.some((l) => l.exit) ? KafkaOpsErrorCodes.BROKER_EXITED : KafkaOpsErrorCodes.START_TIMEOUT,
        `Apache Kafka (${mode}) in ${home} did not start: ${result.reason}`,
        { hint: `the broker logs are in ${home}/node-*/kafka.log`, details: logs },
      );
    }

    const brokers = nodes.map((n) => ({
      ...n,
      pid: pidOf.get(n.nodeId) ?? 0,
      logFile: homeFiles.brokerLog(home, n.nodeId),
    }));
    const state: KafkaRunning = { mode, version, bootstrap: bootstrapOf(brokers), brokers, home };
    await writeState(state);
    progress(`Apache Kafka ${version} is ready at ${state.bootstrap}`);
    return state;
  });
}

function invalid(message: string): KafkaOpsError {
  return new KafkaOpsError(KafkaOpsErrorCodes.INVALID_ARGUMENT, message);
}

async function freeNodePorts(mode: KafkaMode): Promise<NodePorts[]> {
  const count = NODE_COUNT[mode];
  const ports = await freePorts(count * 2);
  return Array.from({ length: count }, (_, i) => ({
    nodeId: i + 1,
    port: ports[i] ?? 0,
    controllerPort: ports[count + i] ?? 0,
  }));
}

async function checkPortsFree(nodes: readonly NodePorts[], home: string): Promise<void> {
  for (const node of nodes) {
    for (const port of [node.port, node.controllerPort]) {
      if (!(await isPortFree(port))) {
        throw new KafkaOpsError(
          KafkaOpsErrorCodes.PORT_IN_USE,
          `${HOST}:${port} is already in use by another process (not a broker of ${home})`,
          {
            hint: `stop that process, or choose other ports with --port <n> (port: n), or --port 0 for free ones`,
          },
        );
      }
    }
  }
}

function exitedReason(launched: readonly LaunchedBroker[]): string | undefined {
  const dead = launched.find((l) => l.exit);
  if (!dead?.exit) return undefined;
  const how = dead.exit.signal ? `signal ${dead.exit.signal}` : `exit code ${dead.exit.code}`;
  return `the broker of node ${dead.nodeId} (pid ${dead.pid}) exited with ${how}`;
}

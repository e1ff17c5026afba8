// Generates each node's server.properties for a single-node or a three-node KRaft cluster (pure, no I/O).

import { homeFiles } from './paths.ts';
import { type KafkaMode } from './types.ts';

export interface NodePorts {
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
}

export const HOST = '127.0.0.1';

/** How many nodes each mode runs; every node is a combined broker+controller. */
export const NODE_COUNT: Readonly<Record<KafkaMode, number>> = { single: 1, cluster: 3 };

/** JVM heap per node, sized so a 3-node cluster fits a laptop next to the services. */
export const DEFAULT_HEAP_MB: Readonly<Record<KafkaMode, number>> = { single: 512, cluster: 384 };

export const DEFAULT_PORT = 9092;

/**
 * Controller listeners sit 100 above the broker ports (9092 → 9192), away from the 9092/9093
 * pair other Kafka setups use, so `--port 9092` and a cluster's 9092-9094 never collide with them.
 */
export const CONTROLLER_PORT_OFFSET = 100;

/** Ports for every node from a base port: brokers on consecutive ports, controllers offset. */
export function portsFrom(mode: KafkaMode, basePort: number): NodePorts[] {
  return Array.from({ length: NODE_COUNT[mode] }, (_, i) => ({
    nodeId: i + 1,
    port: basePort + i,
    controllerPort: basePort + CONTROLLER_PORT_OFFSET + i,
  }));
}

export function serverProperties(
  mode: KafkaMode,
  nodes: readonly NodePorts[],
  nodeId: number,
  home: string,
): Record<string, string> {
  const node = nodes.find((n) => n.nodeId === nodeId);
  if (!node) throw new Error(`node ${nodeId} is not one of ${nodes.map((n) => n.nodeId).join(', ')}`);
  const replication = mode === 'cluster' ? { rf: '3', minIsr: '2' } : { rf: '1', minIsr: '1' };
  return {
    'process.roles': 'broker,controller',
    'node.id': String(nodeId),
    'controller.quorum.voters': nodes.map((n) => `${n.nodeId}@${HOST}:${n.controllerPort}`).join(','),
    listeners: `PLAINTEXT://${HOST}:${node.port},CONTROLLER://${HOST}:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${node.port}`,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': homeFiles.dataDir(home, nodeId),

    'default.replication.factor': replication.rf,
    'min.insync.replicas': replication.minIsr,
    'offsets.topic.replication.factor': replication.rf,
    'transaction.state.log.replication.factor': replication.rf,
    'transaction.state.log.min.isr': replication.minIsr,
    'num.partitions': '1',
    // Topics are data products declared in the catalog; a typo must not create one.
    'auto.create.topics.enable': 'false',
    'group.initial.rebalance.delay.ms': '0',

    // Few threads: a dev machine runs up to three of these next to the services.
    'num.network.threads': '2',
    'num.io.threads': '2',
    'background.threads': '2',
    'log.cleaner.threads': '1',
    'num.recovery.threads.per.data.dir': '1',

    // Retention and compaction are tested; the defaults (5 min, 15 s) would make those tests wait.
    'log.retention.check.interval.ms': '1000',
    'log.cleaner.backoff.ms': '1000',
  };
}

/** Java .properties text; backslashes are the only character a value must escape here. */
export function renderProperties(properties: Readonly<Record<string, string>>, header?: string): string {
  const lines = header ? [`# ${header}`] : [];
  for (const [key, value] of Object.entries(properties))
    lines.push(`${key}=${value.replaceAll('\\', '\\\\')}`);
  return `${lines.join('\n')}\n`;
}

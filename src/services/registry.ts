// The built-in services `streamforge run <name>` knows, and loading a service from a module path.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ServiceDefinition } from '../runtime/index.ts';

/**
 * Built-in services by name, loaded on demand so that running one does not load the others.
 * The trading services register here as they are built (see the open issues).
 */
export const builtInServices: Readonly<Record<string, () => Promise<ServiceDefinition>>> = {
  parser: () => import('./parser/index.ts').then((m) => m.default),
  orderbook: () => import('./orderbook/index.ts').then((m) => m.default),
  candles: () => import('./candles/index.ts').then((m) => m.default),
  detector: () => import('./detector/index.ts').then((m) => m.default),
  writer: async () => {
    const { createWriter, writerOptionsFromEnv } = await import('./writer/index.ts');
    return createWriter(writerOptionsFromEnv());
  },
  orchestrator: async () => {
    const { createOrchestrator, orchestratorOptionsFromEnv } = await import('./orchestrator/index.ts');
    return createOrchestrator(orchestratorOptionsFromEnv());
  },
  jobs: async () => {
    const { createJobs, jobsOptionsFromEnv } = await import('./jobs/index.ts');
    return createJobs(jobsOptionsFromEnv());
  },
  loader: async () => {
    const [{ createLoader }, { loaderOptionsFromEnv }] = await Promise.all([
      import('./loader/index.ts'),
      import('./loader/config.ts'),
    ]);
    return createLoader(loaderOptionsFromEnv());
  },
};

function isServiceDefinition(value: unknown): value is ServiceDefinition {
  const v = value as Partial<ServiceDefinition> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.name === 'string' &&
    Array.isArray(v.consumes) &&
    Array.isArray(v.produces) &&
    (typeof v.handle === 'function' || typeof v.source === 'function')
  );
}

/**
 * A built-in service by name, or the service a module exports (as `default` or `service`),
 * for services written outside this repository. Errors say which names exist.
 */
export async function resolveService(nameOrPath: string): Promise<ServiceDefinition> {
  const builtIn = builtInServices[nameOrPath];
  if (builtIn) return builtIn();
  const looksLikePath = /[\\/]|\.(ts|js|mjs)$/.test(nameOrPath);
  const known = Object.keys(builtInServices);
  if (!looksLikePath) {
    throw new Error(
      `No built-in service named "${nameOrPath}" (built in: ${known.length > 0 ? known.join(', ') : 'none yet'}); ` +
        'to run your own, pass the path of a module that exports a defineService(...) result',
    );
  }
  const file = path.resolve(nameOrPath);
  const exists = await stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!exists) throw new Error(`Service module ${file} does not exist`);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const candidate = mod['default'] ?? mod['service'];
  if (!isServiceDefinition(candidate))
    throw new Error(
      `${file} exports no service: export default defineService({ name, consumes, produces, handle, ... })`,
    );
  return candidate;
}

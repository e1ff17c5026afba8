// The compact command-line forms of replicas and autoscalers (`orderbook=4,candles=2`, `orderbook:min=1,max=4,lag=5000`) as configuration values.

import { closeMatches } from '../contracts/suggest.ts';
import { type FlagValue } from './load.ts';
import { PLATFORM_SERVICE_NAMES } from './schema.ts';

/** A flag written wrongly; the message names the flag, the bad part and the expected form. */
export class FlagSyntaxError extends Error {
  override readonly name = 'FlagSyntaxError';
}

function serviceName(flag: string, name: string): string {
  if ((PLATFORM_SERVICE_NAMES as readonly string[]).includes(name)) return name;
  const close = closeMatches(name, PLATFORM_SERVICE_NAMES, 2);
  throw new FlagSyntaxError(
    `${flag}: no service "${name}"${close.length > 0 ? ` (did you mean ${close.join(' or ')}?)` : ''}; ` +
      `the platform's services are ${PLATFORM_SERVICE_NAMES.join(', ')}`,
  );
}

function count(flag: string, what: string, raw: string): number {
  if (!/^\d+$/.test(raw.trim()))
    throw new FlagSyntaxError(`${flag}: ${what} must be a whole number, got "${raw}"`);
  return Number(raw.trim());
}

/** `orderbook=4,candles=2` (the flag may be repeated) as `replicas.<service>` values. */
export function parseReplicasFlag(raw: string, flag = '--replicas'): FlagValue[] {
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const m = /^([^=\s]+)=(.*)$/.exec(part);
      if (!m)
        throw new FlagSyntaxError(
          `${flag} takes service=count[,service=count], e.g. orderbook=4,candles=2; got "${part}"`,
        );
      const name = serviceName(flag, m[1]!);
      return { path: `replicas.${name}`, value: count(flag, `the replicas of ${name}`, m[2]!), flag };
    });
}

const AUTOSCALE_KEYS: Readonly<Record<string, string>> = {
  min: 'min',
  max: 'max',
  lag: 'lagPerReplica',
  cooldown: 'cooldownMs',
  interval: 'intervalMs',
  group: 'group',
};

/**
 * `orderbook:min=1,max=4,lag=5000[,cooldown=60000,interval=5000,group=name]`; several
 * services separated by `;` or by repeating the flag. Values are checked by the configuration.
 */
export function parseAutoscaleFlag(raw: string, flag = '--autoscale'): FlagValue[] {
  const out: FlagValue[] = [];
  for (const spec of raw
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)) {
    const m = /^([^:\s]+):(.+)$/.exec(spec);
    if (!m)
      throw new FlagSyntaxError(
        `${flag} takes service:min=<n>,max=<n>,lag=<records per replica>[,cooldown=<ms>,interval=<ms>], ` +
          `e.g. orderbook:min=1,max=4,lag=5000; got "${spec}"`,
      );
    const name = serviceName(flag, m[1]!);
    const seen = new Set<string>();
    for (const part of m[2]!.split(',').map((p) => p.trim())) {
      const kv = /^([a-z]+)=(\S+)$/.exec(part);
      const key = kv?.[1];
      if (!kv || key === undefined || !Object.hasOwn(AUTOSCALE_KEYS, key)) {
        const close = key === undefined ? [] : closeMatches(key, Object.keys(AUTOSCALE_KEYS), 1);
        throw new FlagSyntaxError(
          `${flag} ${name}: "${part}" is not one of ${Object.keys(AUTOSCALE_KEYS).join(', ')} as key=value` +
            (close.length > 0 ? ` (did you mean ${close[0]}=...?)` : ''),
        );
      }
      if (seen.has(key)) throw new FlagSyntaxError(`${flag} ${name}: ${key} is given twice`);
      seen.add(key);
      const leaf = AUTOSCALE_KEYS[key]!;
      out.push({
        path: `autoscale.${name}.${leaf}`,
        value: key === 'group' ? kv[2]! : count(flag, `${name} ${key}`, kv[2]!),
        flag: `${flag} ${name}:${key}`,
      });
    }
    for (const required of ['max', 'lag'])
      if (!seen.has(required))
        throw new FlagSyntaxError(
          `${flag} ${name}: ${required}=<n> is required (e.g. ${name}:min=1,max=4,lag=5000)`,
        );
  }
  return out;
}

/** `--kafka host:port[,host:port]` (or a kafka:// address) as the bus address. */
export function kafkaBusFlag(raw: string): FlagValue {
  const text = raw.trim();
  const bootstrap = text.startsWith('kafka://') ? text.slice('kafka://'.length) : text;
  if (bootstrap.includes('://') || !/^[^\s,:/]+:\d{1,5}(,[^\s,:/]+:\d{1,5})*$/.test(bootstrap))
    throw new FlagSyntaxError(
      `--kafka takes the bootstrap servers host:port[,host:port], e.g. 127.0.0.1:9092; got "${raw}"`,
    );
  return { path: 'bus', value: `kafka://${bootstrap}`, flag: '--kafka' };
}

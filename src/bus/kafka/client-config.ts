// Connection settings shared by every Kafka client one bus creates.

export interface KafkaClientConfig {
  readonly clientId: string;
  readonly bootstrapBrokers: string[];
  readonly connectTimeout: number;
  readonly timeout: number;
  readonly retries: number;
  readonly retryDelay: number;
}

const allowed = ['clientId', 'timeoutMs', 'connectTimeoutMs', 'retries'] as const;

/** Builds the client config from the bus address's query options (`kafka://h:p?clientId=x`). */
export function clientConfig(
  brokers: readonly string[],
  options: Readonly<Record<string, string>>,
): KafkaClientConfig {
  for (const name of Object.keys(options)) {
    if (!(allowed as readonly string[]).includes(name)) {
      throw new Error(`Unknown Kafka bus option "${name}"; allowed: ${allowed.join(', ')}`);
    }
  }
  const int = (name: string, fallback: number): number => {
    const raw = options[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`Kafka bus option ${name}=${raw} is not a non-negative integer`);
    return n;
  };
  return {
    clientId: options['clientId'] ?? 'streamforge',
    bootstrapBrokers: [...brokers],
    connectTimeout: int('connectTimeoutMs', 5000),
    timeout: int('timeoutMs', 30_000),
    retries: int('retries', 3),
    retryDelay: 250,
  };
}

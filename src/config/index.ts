// The platform's configuration: schema, loading with sources and validation, printing with secrets masked, the services built from it.

export {
  AUTOSCALE_DEFAULTS,
  type AutoscaleConfig,
  type Config,
  CONFIG_DEFAULTS,
  ConfigSchema,
  DEFAULT_BUS,
  PLATFORM_SERVICE_NAMES,
  SINGLETON_SERVICES,
  type PlatformServiceName,
  SECRET_PATHS,
} from './schema.ts';
export { envNameOf, LEAVES, type Leaf } from './leaves.ts';
export {
  CONFIG_FILE_ENV,
  CONFIG_JSON_ENV,
  ConfigError,
  type ConfigIssue,
  type ConfigSource,
  databaseUrlOf,
  describeSource,
  ENV_ALIASES,
  type FlagValue,
  type LoadedConfig,
  loadConfig,
  type LoadOptions,
} from './load.ts';
export { MASK, maskUrl, maskValue } from './mask.ts';
export { effectiveLeaves, formatConfig, maskedConfig } from './print.ts';
export {
  marketUrls,
  PLATFORM_SERVICES,
  type PlatformService,
  platformService,
  restUrlsOf,
} from './platform.ts';
export { FlagSyntaxError, kafkaBusFlag, parseAutoscaleFlag, parseReplicasFlag } from './flags.ts';

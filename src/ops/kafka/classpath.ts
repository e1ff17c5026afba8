// Resolves the Kafka broker and tools jars from Maven Central with Maven and caches the classpath.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KafkaOpsError, KafkaOpsErrorCodes } from './errors.ts';
import { exec, tail } from './exec.ts';
import { kafkaPomPath, versionCacheDir } from './paths.ts';
import { checkJava, checkMaven } from './prerequisites.ts';
import { type ProgressListener } from './types.ts';

export interface KafkaClasspath {
  readonly version: string;
  /** `path.delimiter`-separated jar list for `java -cp`. */
  readonly classpath: string;
}

export interface ResolveClasspathOptions {
  readonly onProgress?: ProgressListener;
}

export async function resolveKafkaClasspath(options: ResolveClasspathOptions = {}): Promise<KafkaClasspath> {
  const pomPath = kafkaPomPath();
  const pom = await readFile(pomPath, 'utf8');
  const version = kafkaVersionOf(pom, pomPath);
  const pomSha256 = createHash('sha256').update(pom).digest('hex');
  await checkJava();

  // The cache is keyed by the pom's content too, so a changed pom (e.g. a new log4j) resolves again.
  const cacheFile = path.join(versionCacheDir(version), 'classpath.txt');
  const shaFile = path.join(versionCacheDir(version), 'pom.sha256');
  const cached = await readOptional(cacheFile);
  if (cached && (await readOptional(shaFile)) === pomSha256 && jarsExist(cached))
    return { version, classpath: cached };

  await checkMaven();
  const classpath = await runMaven(pomPath, version, options.onProgress);
  await writeAtomically(cacheFile, classpath);
  await writeAtomically(shaFile, pomSha256);
  return { version, classpath };
}

export function kafkaVersionOf(pom: string, pomPath = 'kafka/pom.xml'): string {
  const match = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(pom);
  if (!match?.[1]) throw new Error(`${pomPath} has no <kafka.version> property; add one`);
  return match[1];
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return undefined; // no cache yet: resolve
  }
}

async function writeAtomically(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${content}\n`);
  await rename(tmp, file);
}

/** A cleaned ~/.m2 leaves a stale classpath behind; java would then fail with NoClassDefFoundError. */
function jarsExist(classpath: string): boolean {
  const jars = classpath.split(path.delimiter).filter((j) => j.length > 0);
  return jars.length > 0 && jars.every((jar) => existsSync(jar));
}

async function runMaven(pomPath: string, version: string, onProgress?: ProgressListener): Promise<string> {
  const outFile = path.join(versionCacheDir(version), `maven-classpath.${process.pid}.txt`);
  await mkdir(path.dirname(outFile), { recursive: true });
  onProgress?.(
    `Resolving Apache Kafka ${version} from Maven Central (the first run downloads about 100 MB)...`,
  );
  let downloads = 0;
  let lastReport = Date.now();
  let pending = '';
  const result = await exec(
    'mvn',
    [
      '-B',
      '-Dstyle.color=never',
      '-f',
      pomPath,
      'dependency:build-classpath',
      `-Dmdep.outputFile=${outFile}`,
    ],
    {
      onOutput: (chunk) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        downloads += lines.filter((line) => line.includes('Downloaded from')).length;
        // Maven prints one line per artifact; a line every few seconds is enough to show it is alive.
        if (downloads > 0 && Date.now() - lastReport > 3000) {
          lastReport = Date.now();
          onProgress?.(`Maven: ${downloads} files downloaded so far...`);
        }
      },
    },
  );
  try {
    if (result.exitCode !== 0) {
      throw new KafkaOpsError(
        KafkaOpsErrorCodes.MAVEN_FAILED,
        `Maven could not resolve Apache Kafka ${version} (${pomPath})`,
        {
          hint: 'check network access to https://repo.maven.apache.org and ~/.m2/settings.xml',
          details: tail(result.stdout + result.stderr, 30),
        },
      );
    }
    const classpath = (await readFile(outFile, 'utf8')).trim();
    if (!jarsExist(classpath)) {
      throw new KafkaOpsError(
        KafkaOpsErrorCodes.MAVEN_FAILED,
        `Maven produced an empty or broken classpath for ${pomPath}`,
        {
          details: tail(result.stdout, 30),
        },
      );
    }
    onProgress?.(`Apache Kafka ${version} resolved (${classpath.split(path.delimiter).length} jars)`);
    return classpath;
  } finally {
    await rm(outFile, { force: true });
  }
}

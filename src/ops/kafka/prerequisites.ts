// Checks that java (17+) and Maven are installed, with errors that say how to install them.

import { exec, ExecutableNotFound } from './exec.ts';
import { INSTALL_HINT, KafkaOpsError, KafkaOpsErrorCodes } from './errors.ts';

/** Kafka 4.x brokers and tools need Java 17 or newer. */
export const MIN_JAVA = 17;

/** Returns the Java major version, or throws JAVA_MISSING. */
export async function checkJava(): Promise<number> {
  let output: string;
  try {
    const result = await exec('java', ['-version']);
    output = result.stderr + result.stdout;
  } catch (error) {
    if (error instanceof ExecutableNotFound) {
      throw new KafkaOpsError(
        KafkaOpsErrorCodes.JAVA_MISSING,
        'java is not installed (Apache Kafka needs Java 17+)',
        {
          hint: INSTALL_HINT,
        },
      );
    }
    throw error;
  }
  const major = parseJavaMajor(output);
  if (major === undefined || major < MIN_JAVA) {
    throw new KafkaOpsError(
      KafkaOpsErrorCodes.JAVA_MISSING,
      `java on PATH is version ${major ?? 'unknown'}; Apache Kafka 4 needs Java ${MIN_JAVA} or newer`,
      { hint: INSTALL_HINT, details: output.trim() },
    );
  }
  return major;
}

/** `openjdk version "17.0.15"` → 17; `java version "1.8.0_392"` → 8. */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

export async function checkMaven(): Promise<void> {
  try {
    await exec('mvn', ['-v']);
  } catch (error) {
    if (error instanceof ExecutableNotFound) {
      throw new KafkaOpsError(
        KafkaOpsErrorCodes.MAVEN_MISSING,
        'mvn is not installed (it fetches Apache Kafka from Maven Central on first use)',
        { hint: INSTALL_HINT },
      );
    }
    throw error;
  }
}

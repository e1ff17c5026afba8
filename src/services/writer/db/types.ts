// The SQL surface the writer needs, met by PostgreSQL (node-postgres) and by PGlite alike.

/** Runs statements: one at a time with parameters, or a parameterless script (migrations). */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  exec(script: string): Promise<void>;
}

export const DatabaseKinds = { POSTGRES: 'postgres', PGLITE: 'pglite' } as const;
export type DatabaseKind = (typeof DatabaseKinds)[keyof typeof DatabaseKinds];

/**
 * An open database whose unqualified names resolve in `schema` (its search_path). Statements
 * outside `transaction` run in autocommit mode.
 */
export interface SqlDatabase extends SqlExecutor {
  readonly kind: DatabaseKind;
  readonly schema: string;
  /** Where it is, without credentials: for messages and logs. */
  readonly description: string;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

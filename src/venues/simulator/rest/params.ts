// Query parameters read the way Binance reads them, failing with its error codes and messages.

/** A Binance error answer: HTTP status and `{"code","msg"}`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: number;

  constructor(status: number, code: number, msg: string) {
    super(msg);
    this.status = status;
    this.code = code;
  }

  body(): string {
    return JSON.stringify({ code: this.code, msg: this.message });
  }
}

export const invalidSymbol = (): ApiError => new ApiError(400, -1121, 'Invalid symbol.');

export class Params {
  readonly #query: URLSearchParams;
  readonly #read = new Set<string>();

  constructor(query: URLSearchParams) {
    this.#query = query;
  }

  /** The raw value, or undefined when absent; an empty value is Binance's -1105. */
  optional(name: string): string | undefined {
    this.#read.add(name);
    const value = this.#query.get(name);
    if (value === null) return undefined;
    if (value === '') throw new ApiError(400, -1105, `Parameter '${name}' was empty.`);
    return value;
  }

  required(name: string): string {
    const value = this.#query.get(name) === '' ? undefined : this.optional(name);
    if (value === undefined)
      throw new ApiError(
        400,
        -1102,
        `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`,
      );
    return value;
  }

  /** A non-negative integer parameter (Binance's LONG/INT), or undefined when absent. */
  integer(name: string): number | undefined {
    const raw = this.optional(name);
    if (raw === undefined) return undefined;
    if (!/^[0-9]{1,20}$/.test(raw) || !Number.isSafeInteger(Number(raw)))
      throw new ApiError(
        400,
        -1100,
        `Illegal characters found in parameter '${name}'; legal range is '^[0-9]{1,20}$'.`,
      );
    return Number(raw);
  }

  /** Binance rejects parameters an endpoint does not read (-1104); call after reading all of them. */
  finish(): void {
    const sent = [...new Set(this.#query.keys())];
    const read = sent.filter((k) => this.#read.has(k)).length;
    if (read !== sent.length)
      throw new ApiError(
        400,
        -1104,
        `Not all sent parameters were read; read '${read}' parameter(s) but was sent '${sent.length}'.`,
      );
  }
}

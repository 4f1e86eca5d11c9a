/**
 * The error catalogue. Every error driftwatch reports has a stable code, a one-line message that
 * names the file, line or field at fault, and the HTTP status the API answers with. Codes are
 * documented in docs/errors.md; never reuse or rename one.
 */
export const ERROR_CODES = {
  /** A command-line flag or its value is invalid. */
  DW_ERR_USAGE: { status: 400, summary: 'Invalid command-line usage.' },
  /** An input file is missing or cannot be read. */
  DW_ERR_FILE_READ: { status: 400, summary: 'A file is missing or unreadable.' },
  /** An output file cannot be written. */
  DW_ERR_FILE_WRITE: { status: 500, summary: 'An output file cannot be written.' },
  /** A file's format could not be inferred from its extension and no --format was given. */
  DW_ERR_FILE_FORMAT: { status: 400, summary: 'Unknown input file format.' },
  /** A CSV or JSONL row could not be parsed. */
  DW_ERR_INPUT_ROW: { status: 400, summary: 'A malformed input row.' },
  /** A value does not fit its feature's type (text in a numeric column, a nested object). */
  DW_ERR_INPUT_VALUE: { status: 400, summary: 'A value of the wrong type for its feature.' },
  /** The input holds no rows at all. */
  DW_ERR_INPUT_EMPTY: { status: 400, summary: 'The input holds no rows.' },
  /** A file to score that has none of the baseline's columns: another file or another model. */
  DW_ERR_INPUT_COLUMNS: { status: 400, summary: "The input has none of the baseline's columns." },
  /** A baseline file is not valid JSON or fails the profile schema. */
  DW_ERR_BASELINE_SCHEMA: { status: 400, summary: 'The baseline profile fails its schema.' },
  /** A baseline file has a schema version this build cannot read. */
  DW_ERR_BASELINE_VERSION: { status: 400, summary: 'Unsupported baseline schema version.' },
  /** Baseline build options conflict or name columns the input does not have. */
  DW_ERR_BASELINE_OPTIONS: { status: 400, summary: 'Conflicting or unknown baseline build options.' },
  /** A column name cannot become a feature name: it looks like a value or personal data, or is outside the safe name pattern (a CSV without a header row, a header holding PII). */
  DW_ERR_BASELINE_NAME: { status: 400, summary: 'A column name is not a safe feature name.' },
  /** A text column of nearly all distinct values (an id, a timestamp, free text) would become a categorical feature. */
  DW_ERR_BASELINE_IDENTIFIER: { status: 400, summary: 'An identifier-like column cannot be a categorical feature.' },
  DW_ERR_BASELINE_FIT: { status: 400, summary: 'A multivariate or embedding projection cannot be fitted on the baseline data.' },
  /** A drift-decision setting or an agent config value is invalid. */
  DW_ERR_CONFIG: { status: 400, summary: 'An invalid configuration value.' },
  /** A request body that cannot be read: malformed JSON array, bad gzip. */
  DW_ERR_API_BODY: { status: 400, summary: 'The request body cannot be read.' },
  /** A query parameter that cannot be read (`GET /v1/windows?since=`) or names no model. */
  DW_ERR_API_QUERY: { status: 400, summary: 'A query parameter is not valid.' },
  /** A CloudEvent the KServe logger sink cannot take: a missing or wrong `ce-*` header, structured mode. */
  DW_ERR_API_CLOUDEVENT: { status: 400, summary: 'Not a KServe inference CloudEvent.' },
  /** The request lacks the bearer token or carries a wrong one. */
  DW_ERR_API_UNAUTHORIZED: { status: 401, summary: 'Missing or wrong bearer token.' },
  /** The request is not allowed from where it came (flush from off loopback). */
  DW_ERR_API_FORBIDDEN: { status: 403, summary: 'Not allowed from this address.' },
  /** No such endpoint. */
  DW_ERR_API_NOT_FOUND: { status: 404, summary: 'No such endpoint.' },
  /** The endpoint does not take this method. */
  DW_ERR_API_METHOD: { status: 405, summary: 'Method not allowed.' },
  /** The body is larger than api.bodyLimitBytes (after decompression). */
  DW_ERR_API_BODY_TOO_LARGE: { status: 413, summary: 'The request body is too large.' },
  /** The request body stalled: nothing arrived for api.bodyTimeoutSeconds (receiver.bodyTimeoutSeconds), or it was not complete after bodyDeadlineSeconds; the connection was closed. */
  DW_ERR_API_BODY_TIMEOUT: { status: 408, summary: 'The request body stalled.' },
  /** The content type or encoding is not one the endpoint reads. */
  DW_ERR_API_CONTENT_TYPE: { status: 415, summary: 'Unsupported content type or encoding.' },
  /** Some events in the batch were refused; the rest were counted. */
  DW_ERR_API_EVENTS: { status: 422, summary: 'Some events were refused.' },
  /** Some labels of a `POST /v1/labels` batch could not be joined; the others were. The body lists a reason per refused label. */
  DW_ERR_API_LABELS: { status: 422, summary: 'Some labels were refused.' },
  /** `POST /v1/labels` on an agent whose config has no `labels` section. */
  DW_ERR_LABELS_OFF: { status: 404, summary: 'Delayed labels are not turned on.' },
  /** The agent is at capacity (concurrent requests or event-loop delay); retry after Retry-After. Nothing was counted. */
  DW_ERR_API_OVERLOADED: { status: 503, summary: 'Overloaded; retry later.' },
  /** The agent is shutting down; nothing was counted. */
  DW_ERR_API_STOPPING: { status: 503, summary: 'Shutting down.' },
  /** Strict durability: the state file cannot be written, so the events were not counted. */
  DW_ERR_STATE_UNAVAILABLE: { status: 503, summary: 'The state file cannot be written.' },
  /** The collector refused some OTLP data points (partial success); the other windows were merged. */
  DW_ERR_OTLP_POINTS: { status: 200, summary: 'Some data points were refused.' },
  /** The state file is damaged (fails its integrity check, or is not a database); it is moved aside and a fresh one started. */
  DW_ERR_STATE_CORRUPT: { status: 500, summary: 'The state file is damaged.' },
  /** The state file was written by a newer driftwatch: its schema is newer than this build reads. */
  DW_ERR_STATE_VERSION: { status: 500, summary: 'The state file has a newer schema.' },
  /** Another process holds the state file (its `.lock` beside it): two agents on one state.path would overwrite each other's windows. */
  DW_ERR_STATE_LOCKED: { status: 500, summary: 'The state file is in use by another process.' },
  /** The egress allowlist refused a payload: nothing was sent, and the window is kept as a dead letter. */
  DW_ERR_EGRESS_REFUSED: { status: 500, summary: 'The egress allowlist refused a payload.' },
  /** An OTLP destination did not take a window (unreachable, throttling, or an HTTP error status). */
  DW_ERR_OTLP_SEND: { status: 502, summary: 'An OTLP export failed.' },
  /** A bug or a broken installation; the log has the details (set DRIFTWATCH_DEBUG=1 for a stack trace). */
  DW_ERR_INTERNAL: { status: 500, summary: 'Internal error.' },
} as const;

/** A stable error code from {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Where in an input an error was found; every part is optional, the more the better. */
export interface ErrorLocation {
  /** File path as the user gave it. */
  file?: string;
  /** 1-based line number in that file. */
  line?: number;
  /** Feature, column or config path. */
  field?: string;
}

/** An expected, user-facing error: printed as one line, never as a stack trace. */
export class DwError extends Error {
  /** Subclasses name themselves for the log; decisions go by {@link code}. */
  override readonly name: string = 'DwError';
  readonly code: ErrorCode;
  readonly location: ErrorLocation;

  constructor(code: ErrorCode, message: string, location: ErrorLocation = {}, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.location = location;
  }

  /** The HTTP status an API answers with for this error. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  /** One line: `file:line: field 'x': message [CODE]`. */
  toLine(): string {
    const { file, line, field } = this.location;
    const where = [file === undefined ? undefined : line === undefined ? file : `${file}:${line}`,
      field === undefined ? undefined : `field '${field}'`]
      .filter((part) => part !== undefined)
      .join(': ');
    return `${where === '' ? '' : `${where}: `}${this.message} [${this.code}]`;
  }
}

/** Whether `err` is a driftwatch error with this code (decisions go by code, never by class name). */
export function hasCode(err: unknown, code: ErrorCode): err is DwError {
  return err instanceof DwError && err.code === code;
}

/** True when `err` is a {@link DwError}. */
export function isDwError(err: unknown): err is DwError {
  return err instanceof DwError;
}

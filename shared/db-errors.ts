// Database constraint violations as 400s naming the column (db-errors classifies mysql2 and
// objection errors); everything else (connections, deadlocks, syntax) is null: not the caller's fault.
import dbErrors from 'db-errors';
import { errors, type GatewayError } from './errors.js';

const {
  wrapError,
  DBError,
  DataError,
  UniqueViolationError,
  NotNullViolationError,
  ForeignKeyViolationError,
  ConstraintViolationError,
} = dbErrors;

type NativeError = { code?: string; sqlMessage?: string };

/** The `code` of every answer made here: input validation should have refused it first. */
export const DB_ERROR_CODES = ['invalid_value', 'duplicate', 'invalid_reference', 'in_use'] as const;

/** The column a MySQL/MariaDB data error names: `'col'` or `` `db`.`table`.`col` ``. */
function columnOf(message: string): string | null {
  return /for column (?:`[^`]*`\.`[^`]*`\.)?[`']([^`']+)[`']/.exec(message)?.[1] ?? null;
}

function dataError(native: NativeError): GatewayError {
  const column = columnOf(native.sqlMessage ?? '');
  const problem =
    native.code === 'ER_DATA_TOO_LONG'
      ? 'too long'
      : native.code === 'ER_WARN_DATA_OUT_OF_RANGE'
        ? 'out of range'
        : 'not a valid value';
  return column
    ? errors.invalidRequest(`Invalid value for '${column}': ${problem}`, column, 'invalid_value')
    : errors.invalidRequest(`Invalid value in the request: ${problem}`, null, 'invalid_value');
}

/** A 400 for a constraint or data error of the database; null for any other error. */
export function dbConstraintError(error: unknown): GatewayError | null {
  if (!(error instanceof Error)) return null;
  // objection has already wrapped its errors with db-errors; knex errors are raw mysql2 ones.
  const wrapped = error instanceof DBError ? error : wrapError(error);
  if (!(wrapped instanceof DBError)) return null;
  const native = wrapped.nativeError as NativeError;
  if (wrapped instanceof DataError) return dataError(native);
  if (wrapped instanceof UniqueViolationError)
    return errors.invalidRequest('A record with this value already exists.', null, 'duplicate');
  if (wrapped instanceof NotNullViolationError) {
    const column = wrapped.column ?? null;
    return errors.invalidRequest(
      column ? `Invalid value for '${column}': required` : 'A required value is missing.',
      column,
      'invalid_value',
    );
  }
  if (wrapped instanceof ForeignKeyViolationError)
    return native.code?.startsWith('ER_ROW_IS_REFERENCED')
      ? errors.invalidRequest('The record is still in use by others.', null, 'in_use')
      : errors.invalidRequest(
          'The request refers to a record that does not exist.',
          null,
          'invalid_reference',
        );
  if (wrapped instanceof ConstraintViolationError)
    return errors.invalidRequest(
      'The request violates a constraint of the stored data.',
      null,
      'invalid_value',
    );
  return null;
}

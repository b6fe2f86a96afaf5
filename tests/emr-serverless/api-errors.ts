/**
 * Errors in the AWS REST-JSON shape: the SDK takes the error name from the `x-amzn-errortype` header
 * (or the body's `__type`/`code`), the text from the body's `message`, and decides retries from the
 * name and the status (429 and `ThrottlingException` are retried as throttling).
 */
import type { ServerResponse } from 'node:http';

export type ApiErrorName =
  | 'ValidationException'
  | 'ResourceNotFoundException'
  | 'ConflictException'
  | 'ThrottlingException'
  | 'InternalServerException'
  | 'UnknownOperationException';

const STATUS: Record<ApiErrorName, number> = {
  ValidationException: 400,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  ThrottlingException: 429,
  InternalServerException: 500,
  UnknownOperationException: 404,
};

export class ApiError extends Error {
  override readonly name: ApiErrorName;
  readonly status: number;

  constructor(name: ApiErrorName, message: string) {
    super(message);
    this.name = name;
    this.status = STATUS[name];
  }
}

export const validation = (message: string) => new ApiError('ValidationException', message);
export const notFound = (message: string) => new ApiError('ResourceNotFoundException', message);
export const conflict = (message: string) => new ApiError('ConflictException', message);
export const throttled = () => new ApiError('ThrottlingException', 'Rate exceeded');

export function writeApiError(res: ServerResponse, err: ApiError, requestId: string): void {
  const body = JSON.stringify({ message: err.message });
  res.writeHead(err.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-errortype': err.name,
    'x-amzn-requestid': requestId,
  });
  res.end(body);
}

/** Library entry: the contract and the pieces other tools (tests, Airflow helpers) build on. */

export { run } from './cli/program.js';
export * from './domain/contract/index.js';
export * from './domain/errors.js';
export * from './domain/lake.js';

/**
 * The aws target's adapters in one module, so they (and the AWS SDK under them, ~0.3 s and ~40 MB to
 * load) are imported only when a command runs on that target: see `loadTargetAdapters` in wiring.ts.
 */
export { awsProbe } from './aws-probe.js';
export { type AwsClients, awsClients } from './clients.js';
export { emrServerlessApi, s3DriverLogs } from './emr-serverless-api.js';
export { EmrServerlessRunner } from './emr-serverless-runner.js';
export { GlueCatalog } from './glue-catalog.js';
export { GlueTableCatalog } from './glue-table-catalog.js';
export { S3ObjectStore } from './s3-object-store.js';

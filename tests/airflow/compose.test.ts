/**
 * airflow/docker-compose.yaml and airflow/Dockerfile cannot run here (no Docker engine): their
 * structure is what can be checked — LocalExecutor on PostgreSQL, every Airflow 3 component, the
 * DAGs mounted, the image built with the orchestrator CLI the DAGs call.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers.js';

const compose = parse(readFileSync(join(ROOT, 'airflow/docker-compose.yaml'), 'utf8'), { merge: true });
const dockerfile = readFileSync(join(ROOT, 'airflow/Dockerfile'), 'utf8');
const requirements = readFileSync(join(ROOT, 'python/airflow-requirements.txt'), 'utf8');

describe('airflow/docker-compose.yaml', () => {
  it('runs every Airflow 3 component with the LocalExecutor on PostgreSQL', () => {
    const services = compose.services as Record<string, Record<string, unknown>>;
    expect(Object.keys(services).sort()).toEqual([
      'airflow-apiserver',
      'airflow-dag-processor',
      'airflow-init',
      'airflow-scheduler',
      'airflow-triggerer',
      'postgres',
    ]);
    for (const [name, s] of Object.entries(services)) {
      if (name === 'postgres') continue;
      const env = s['environment'] as Record<string, string>;
      expect(env['AIRFLOW__CORE__EXECUTOR'], name).toBe('LocalExecutor');
      expect(env['AIRFLOW__DATABASE__SQL_ALCHEMY_CONN'], name).toMatch(
        /^postgresql\+psycopg2:\/\/.*@postgres:5432\/airflow$/,
      );
      expect(env['OP_ORCHESTRATOR'], name).toBe('node /opt/open-payments/orchestrator/dist/cli/main.js');
      expect(s['volumes'], name).toContain('./dags:/opt/airflow/dags:ro');
      expect((s['build'] as Record<string, string>)['dockerfile'], name).toBe('airflow/Dockerfile');
    }
    expect(services['postgres']?.['healthcheck']).toBeDefined();
    expect(services['airflow-apiserver']?.['command']).toEqual(['api-server']);
  });

  it('builds from the Airflow version the tests run and installs the built CLI', () => {
    const pinned = /^apache-airflow==(\S+)$/m.exec(requirements)?.[1];
    expect(dockerfile).toContain(`ARG AIRFLOW_IMAGE=apache/airflow:${pinned}-python3.11`);
    expect(compose.services['airflow-scheduler'].image).toBe(`openpayments-airflow:${pinned}`);
    expect(dockerfile).toMatch(/COPY orchestrator\/dist orchestrator\/dist/);
    expect(dockerfile).toMatch(/sha256sum -c/); // the Node download is verified
  });
});

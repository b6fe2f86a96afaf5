// Adds up vitest's JSON report and pytest's JUnit XML reports (the project venv's, Airflow's) into the
// one closing line CI reads.
import { existsSync, readFileSync } from 'node:fs';

const [vitestJson, ...pytestXmls] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
if (vitestJson && existsSync(vitestJson)) {
  const v = JSON.parse(readFileSync(vitestJson, 'utf8'));
  passed += v.numPassedTests;
  failed += v.numFailedTests;
  skipped += v.numPendingTests + (v.numTodoTests ?? 0);
} else {
  failed += 1;
  console.error('vitest report missing');
}
for (const pytestXml of pytestXmls) {
  if (!existsSync(pytestXml)) {
    failed += 1;
    console.error(`pytest report missing: ${pytestXml}`);
    continue;
  }
  const x = readFileSync(pytestXml, 'utf8');
  const attr = (name) => Number(new RegExp(`<testsuite [^>]*${name}="(\\d+)"`).exec(x)?.[1] ?? 0);
  const tests = attr('tests');
  const f = attr('failures') + attr('errors');
  const s = attr('skipped');
  passed += tests - f - s;
  failed += f;
  skipped += s;
}
if (passed === 0) failed += 1;
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);

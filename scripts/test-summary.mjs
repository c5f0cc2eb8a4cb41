// Prints the plain "N passed, M failed" line from vitest's JSON report.
// When `npm test` failed before the suite ran (typecheck, lint, build, publint, attw), there
// is no report: that counts as one failure, so a red check can never read as green.
import { existsSync, readFileSync } from 'node:fs';

const [reportPath = 'reports/vitest.json', statusText = '0', benchText = '0'] =
  process.argv.slice(2);
const status = Number(statusText);
// A crashed bench counts as one failure, so it cannot pass unnoticed.
const benchFailed = Number(benchText) !== 0 ? 1 : 0;

if (!existsSync(reportPath)) {
  console.log(
    `no test report at ${reportPath}: npm test stopped (status ${status}) before the suite ran`,
  );
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const report = JSON.parse(readFileSync(reportPath, 'utf8'));
const passed = report.numPassedTests ?? 0;
const failedTests = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// A failing suite (e.g. an import error) has no failing test but must still count.
const failedSuites = (report.testResults ?? []).filter(
  (r) => r.status === 'failed' && (r.assertionResults ?? []).every((a) => a.status !== 'failed'),
).length;
const failed =
  failedTests +
  failedSuites +
  (status !== 0 && failedTests + failedSuites === 0 ? 1 : 0) +
  benchFailed;
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

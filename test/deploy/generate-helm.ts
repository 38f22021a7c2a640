/**
 * Writes the Helm chart (deploy/helm/portcullis) from test/deploy/helm-chart.ts after validating
 * its objects: `npm run helm:generate`. test/helm-chart.test.ts fails when the checked-in files
 * differ from what this writes.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chartFiles, validatedObjects } from './helm-chart.js';

export const CHART_DIR = fileURLToPath(new URL('../../../deploy/helm/portcullis/', import.meta.url));

export function appVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  validatedObjects();
  for (const [path, text] of chartFiles(appVersion())) {
    mkdirSync(dirname(`${CHART_DIR}${path}`), { recursive: true });
    writeFileSync(`${CHART_DIR}${path}`, text);
  }
  process.stdout.write(`helm: wrote ${CHART_DIR}\n`);
}

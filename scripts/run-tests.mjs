// Runs every compiled test file (dist/**/*.test.js) with node's test runner. Node 20's runner takes
// no globs, so the files are listed here. Tests that need PostgreSQL or Redis check for them
// themselves: under CI=true they fail loudly when a service is missing, elsewhere they skip and say so.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  let found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found = found.concat(findTests(path));
    else if (name.endsWith('.test.js')) found.push(path);
  }
  return found;
}

const files = ['dist/src', 'dist/test'].flatMap(findTests).sort();
if (files.length === 0) {
  console.error('no test files found under dist/: did the build run?');
  process.exit(1);
}
const filter = process.argv.slice(2);
const selected = filter.length === 0 ? files : files.filter((file) => filter.some((part) => file.includes(part)));
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...selected], { stdio: 'inherit' });
process.exit(result.status ?? 1);

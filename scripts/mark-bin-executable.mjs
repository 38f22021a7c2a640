// tsc writes files with the default mode (0644): the `bin` it compiles would then fail with
// "Permission denied" when run directly or through `npx portcullis` after `npm run build`.
// Marks every file named in package.json `bin` executable (u+x, g+x, o+x, as npm itself does).
import { chmodSync, readFileSync, statSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
for (const file of bins) {
  const path = new URL(`../${file}`, import.meta.url);
  chmodSync(path, statSync(path).mode | 0o111);
}

// Builds the browser admin console (src/console/app) into dist/console at `npm run build`
// (issue 25 §1): one JS bundle and one stylesheet bundled by esbuild, named by a hash of their
// content (served with a year-long immutable cache), and index.html (served no-cache) that names
// them. No inline script or style, so the CSP needs neither 'unsafe-inline' nor 'unsafe-eval'.
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const outdir = join('dist', 'console');
const assets = join(outdir, 'assets');
mkdirSync(assets, { recursive: true });

const result = await build({
  entryPoints: { app: 'src/console/app/main.tsx' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome120', 'firefox120', 'safari17'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  outdir: assets,
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((path) => path.split('/').pop());
const script = outputs.find((name) => /^app-[A-Z0-9]+\.js$/.test(name));
const style = outputs.find((name) => /^app-[A-Z0-9]+\.css$/.test(name));
if (!script || !style) throw new Error(`the console build made no app bundle: ${outputs.join(', ')}`);

writeFileSync(
  join(outdir, 'index.html'),
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Portcullis console</title>
<link rel="stylesheet" href="/console/assets/${style}">
<script type="module" src="/console/assets/${script}"></script>
</head>
<body>
<div id="app"><p>Loading the Portcullis console…</p></div>
<noscript>The Portcullis console needs JavaScript; the CLI (portcullis --help) does everything it does.</noscript>
</body>
</html>
`,
);
console.log(`console: ${script}, ${style}`);

// Builds the dashboard into a directory the daemon embeds and serves:
//   <out>/index.html        served at /
//   <out>/assets/<file>     served at /assets/<file>
// Usage: node web/build.mjs <outdir>   (after `npm ci --prefix web`)
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node build.mjs <outdir>');
  process.exit(2);
}
const uplot = join(here, 'node_modules', 'uplot', 'dist');
if (!existsSync(uplot)) {
  console.error(`build.mjs: ${uplot} is missing; run \`npm ci --prefix ${here}\` first`);
  process.exit(1);
}

const outDir = resolve(out);
const assets = join(outDir, 'assets');
// Only what this script writes is replaced (no stale assets to embed, nothing else touched).
rmSync(assets, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const files = [[join(here, 'src', 'index.html'), join(outDir, 'index.html')]];
for (const name of readdirSync(join(here, 'src')).sort()) {
  if (name !== 'index.html') files.push([join(here, 'src', name), join(assets, name)]);
}
for (const name of ['uPlot.iife.min.js', 'uPlot.min.css']) {
  files.push([join(uplot, name), join(assets, name)]);
}
// uPlot is MIT licensed: its notice goes along with it.
files.push([join(uplot, '..', 'LICENSE'), join(assets, 'uPlot.LICENSE.txt')]);
for (const [from, to] of files) copyFileSync(from, to);
console.log(`build.mjs: ${files.length} files in ${outDir}`);

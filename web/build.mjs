// Builds the web UI into dist/: one minified ES module entry plus lazily loaded chunks, one CSS
// file, content-hashed names under dist/assets/ (served as immutable), index.html (served with
// no-cache), and a .br and .gz beside every text file (ews-server picks by Accept-Encoding).
// Runs offline: everything comes from node_modules. Prints the sizes and writes dist/sizes.json.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

import { messages } from './src/messages.js';

// Every language has the English messages, no others, with the same {placeholders}: t() would
// otherwise show the English text, or a raw "{n}", without anyone noticing.
const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
const messageProblems = [];
for (const [lang, table] of Object.entries(messages)) {
  for (const [key, english] of Object.entries(messages.en)) {
    if (!(key in table)) {
      messageProblems.push(`${lang}.${key} is missing`);
    } else if (placeholders(table[key]) !== placeholders(english)) {
      messageProblems.push(`${lang}.${key} has {${placeholders(table[key])}}, en.${key} {${placeholders(english)}}`);
    }
  }
  for (const key of Object.keys(table)) {
    if (!(key in messages.en)) messageProblems.push(`${lang}.${key} is not in en`);
  }
}
if (messageProblems.length > 0) {
  throw new Error(`build: web/src/messages.js:\n  ${messageProblems.join('\n  ')}`);
}

const here = new URL('.', import.meta.url).pathname;
const dist = join(here, 'dist');
const assets = join(dist, 'assets');
rmSync(dist, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await build({
  absWorkingDir: here,
  entryPoints: ['src/main.jsx'],
  bundle: true,
  splitting: true,
  format: 'esm',
  minify: true,
  sourcemap: false,
  target: 'es2020', // browsers of 2020 on: Chrome 80, Firefox 80, Safari 14
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: assets,
  entryNames: 'app-[hash]',
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  legalComments: 'external',
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => join(here, p));
const entryJs = outputs.find((p) => /\/app-[^/]+\.js$/.test(p));
const entryCss = outputs.find((p) => /\/app-[^/]+\.css$/.test(p));
if (!entryJs || !entryCss) throw new Error(`build: no entry outputs in ${outputs.join(', ')}`);

// The icon, content-hashed like the rest.
const icon = readFileSync(join(here, 'src/favicon.svg'));
const iconName = `favicon-${createHash('sha256').update(icon).digest('hex').slice(0, 8)}.svg`;
writeFileSync(join(assets, iconName), icon);

// The licences of the packages inside the bundles (MIT: the notice goes with every copy).
const bundled = new Set(Object.values(result.metafile.outputs).flatMap((o) => Object.keys(o.inputs))
  .map((input) => input.match(/^node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1]).filter(Boolean));
writeFileSync(join(dist, 'licenses.txt'), [...bundled].sort().map((name) => {
  const dir = join(here, 'node_modules', name);
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return `${name} ${version}\n\n${file ? readFileSync(join(dir, file), 'utf8').trim() : '(no licence file)'}\n`;
}).join('\n----\n\n'));

const url = (path) => `/${relative(dist, path)}`;
const html = readFileSync(join(here, 'index.html'), 'utf8')
  .replace('<!--STYLES-->', `<link rel="icon" href="/assets/${iconName}" type="image/svg+xml">\n  `
    + `<link rel="stylesheet" href="${url(entryCss)}">`)
  .replace('<!--SCRIPTS-->', `<script type="module" src="${url(entryJs)}"></script>`);
writeFileSync(join(dist, 'index.html'), html);

// Pre-compressed variants, kept only when smaller.
const sizes = {};
const walk = (dir) => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? walk(path) : [path];
});
for (const path of walk(dist)) {
  const raw = readFileSync(path);
  const entry = { raw: raw.length };
  if (/\.(html|js|css|svg|txt|json)$/.test(path)) {
    const gz = gzipSync(raw, { level: 9 });
    const br = brotliCompressSync(raw, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
    });
    if (gz.length < raw.length) { writeFileSync(`${path}.gz`, gz); entry.gzip = gz.length; }
    if (br.length < raw.length) { writeFileSync(`${path}.br`, br); entry.br = br.length; }
  }
  sizes[url(path)] = entry;
}
// The entry's static imports (chunks shared with lazily loaded pages) load with it.
const staticImports = (out) => (result.metafile.outputs[out]?.imports ?? [])
  .filter((i) => i.kind === 'import-statement').flatMap((i) => [i.path, ...staticImports(i.path)]);
const entryKey = Object.keys(result.metafile.outputs).find((p) => join(here, p) === entryJs);
const firstLoad = [join(dist, 'index.html'), entryJs, ...new Set(staticImports(entryKey).map((p) => join(here, p))),
  entryCss, join(assets, iconName)].map(url);
const total = (key) => firstLoad.reduce((sum, f) => sum + (sizes[f][key] ?? sizes[f].raw), 0);
const summary = { files: sizes, firstLoad, firstLoadBytes: { raw: total('raw'), gzip: total('gzip'), br: total('br') } };
writeFileSync(join(dist, 'sizes.json'), `${JSON.stringify(summary, null, 2)}\n`);

for (const [file, s] of Object.entries(sizes)) {
  console.log(`${file.padEnd(40)} ${String(s.raw).padStart(7)} B  gzip ${String(s.gzip ?? '-').padStart(6)}  br ${String(s.br ?? '-').padStart(6)}`);
}
console.log(`first load (html+js+shared chunks+css+icon): ${summary.firstLoadBytes.raw} B raw, `
  + `${summary.firstLoadBytes.gzip} B gzip, ${summary.firstLoadBytes.br} B brotli`);

// Size of what the browser must download for the first route: the entry script of
// dist/index.html, every chunk it imports statically (modulepreload) and the CSS, gzipped.
//   node scripts/bundle-size.mjs [dist]   (npm run size)
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

export function initialBundle(dist) {
  const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
  const refs = new Set();
  for (const m of html.matchAll(/<script[^>]+src="([^"]+)"/g)) refs.add(m[1]);
  for (const m of html.matchAll(/<link[^>]+rel="(?:modulepreload|stylesheet)"[^>]*href="([^"]+)"/g)) refs.add(m[1]);
  for (const m of html.matchAll(/<link[^>]+href="([^"]+)"[^>]*rel="(?:modulepreload|stylesheet)"/g)) refs.add(m[1]);
  // Follow static imports of the entry chunks too (Vite lists them as modulepreload, but be sure).
  const queue = [...refs].filter((r) => r.endsWith('.js'));
  while (queue.length) {
    const ref = queue.pop();
    const file = path.join(dist, ref.replace(/^\//, ''));
    if (!fs.existsSync(file)) continue;
    const src = fs.readFileSync(file, 'utf8');
    for (const m of src.matchAll(/(?:^|[;}\s])import\s*(?:[\w*{}\s,$]+from\s*)?["']\.\/([^"']+\.js)["']/g)) {
      const dep = path.posix.join(path.posix.dirname(ref), m[1]);
      if (!refs.has(dep)) {
        refs.add(dep);
        queue.push(dep);
      }
    }
  }
  let jsRaw = 0, jsGzip = 0, cssRaw = 0, cssGzip = 0;
  const files = [];
  for (const ref of refs) {
    const file = path.join(dist, ref.replace(/^\//, ''));
    if (!fs.existsSync(file) || !/\.(js|css)$/.test(file)) continue;
    const buf = fs.readFileSync(file);
    const gz = zlib.gzipSync(buf, { level: 9 }).length;
    files.push(ref);
    if (file.endsWith('.js')) {
      jsRaw += buf.length;
      jsGzip += gz;
    } else {
      cssRaw += buf.length;
      cssGzip += gz;
    }
  }
  return { files, jsRaw, jsGzip, cssRaw, cssGzip };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const dist = path.resolve(process.argv[2] || path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist'));
  const b = initialBundle(dist);
  const kib = (n) => (n / 1024).toFixed(1);
  for (const f of b.files) console.log(`  ${f}`);
  console.log(`initial route: JS ${kib(b.jsRaw)} KiB (${kib(b.jsGzip)} KiB gzip), CSS ${kib(b.cssRaw)} KiB (${kib(b.cssGzip)} KiB gzip)`);
  if (b.jsGzip / 1024 >= 250) {
    console.error('initial JS is over the 250 KiB gzip budget');
    process.exit(1);
  }
}

// Group a process's RSS by mapping kind: brk heap, glibc thread arenas (64 MB regions), big anon (V8/wasm), small anon, files.
import { readFileSync } from 'node:fs';
const pid = process.argv[2];
const text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
const out = {};
let cur = null;
const maps = [];
for (const line of text.split('\n')) {
  const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
  if (m) { cur = { start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]), perm: m[3], name: m[4], rss: 0 }; maps.push(cur); continue; }
  const r = /^Rss:\s+(\d+) kB/.exec(line);
  if (r && cur) cur.rss = Number(r[1]);
}
for (let i = 0; i < maps.length; i++) {
  const x = maps[i];
  const size = Number(x.end - x.start) / 1048576;
  let kind;
  if (x.name === '[heap]') kind = 'brk';
  else if (x.name.startsWith('/')) kind = 'file';
  else if (x.name) kind = x.name;
  else {
    // glibc non-main arena: 64 MB aligned region split into rw + ---
    const aligned = x.start % (64n << 20n) === 0n;
    const next = maps[i + 1];
    const pairSize = next && next.start === x.end && !next.name ? size + Number(next.end - next.start) / 1048576 : size;
    if (aligned && x.perm.startsWith('rw') && Math.abs(pairSize - 64) < 0.01) kind = 'arena64';
    else if (size >= 1000) kind = 'anon>=1G';
    else if (size >= 1) kind = 'anon1M-1G';
    else if (Math.abs(size - 0.25) < 1e-6) kind = 'anon256K';
    else if (size >= 0.125) kind = 'anon128K-1M';
    else kind = 'anon<128K';
  }
  out[kind] = (out[kind] ?? 0) + x.rss;
}
const res = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Math.round(v / 102.4) / 10]).filter(([, v]) => v > 0.5));
console.log(JSON.stringify(res));

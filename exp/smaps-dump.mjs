// Every anonymous mapping with RSS >= 1 MB, with its neighbour's size and perms, to diff snapshots.
import { readFileSync } from 'node:fs';
const pid = process.argv[2];
const maps = [];
let cur;
for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
  const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
  if (m) { cur = { a: m[1], s: (parseInt(m[2], 16) - parseInt(m[1], 16)) / 1048576, p: m[3], n: m[4], rss: 0 }; maps.push(cur); continue; }
  const r = /^Rss:\s+(\d+) kB/.exec(line);
  if (r) cur.rss = Number(r[1]) / 1024;
}
maps.forEach((x, i) => {
  if (x.rss < 1 || (x.n && x.n !== '[heap]')) return;
  const nx = maps[i + 1] ?? {}; const pv = maps[i - 1] ?? {};
  console.log(x.a, x.p, x.s.toFixed(2), 'rss', x.rss.toFixed(1), x.n, '| prev', pv.p, pv.s?.toFixed(2), '| next', nx.p, nx.s?.toFixed(2), nx.n ?? '');
});

// Hand-written SVG bar chart of every contender's ratio to the baseline
// (value / baseline value), one panel per scenario, log2 scale centred on 1x.

const COLORS = {
  'qrpc-native': '#d62728', 'qrpc-fallback': '#ff7f0e', 'node-net': '#1f77b4', ws: '#2ca02c',
  'socket.io': '#9467bd', 'grpc-js': '#8c564b', 'c-limit': '#7f7f7f',
};
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderSvg({ machine, results, scenarios, contenders, baseline }) {
  const W = 900, labelW = 130, valueW = 90, plotX = labelW + 10, plotW = W - plotX - valueW - 10;
  const barH = 16, gap = 6, panelHead = 34;
  // scale: log2 of ratio, symmetric, at least 1/4 .. 4
  let span = 2;
  for (const r of results) {
    const base = results.find((b) => b.scenario === r.scenario && b.contender === baseline && b.status === 'ok');
    if (r.status === 'ok' && base && r.value > 0) span = Math.max(span, Math.ceil(Math.abs(Math.log2(r.value / base.value))));
  }
  const x = (ratio) => plotX + ((Math.log2(ratio) + span) / (2 * span)) * plotW;
  const out = [];
  let y = 50;
  for (const sc of scenarios) {
    const rows = contenders.map((c) => results.find((r) => r.scenario === sc && r.contender === c)).filter(Boolean);
    if (rows.length === 0) continue;
    const base = rows.find((r) => r.contender === baseline && r.status === 'ok');
    const better = rows[0].better;
    out.push(`<text x="10" y="${y + 16}" font-weight="bold">${esc(sc)}</text>`);
    out.push(`<text x="${plotX}" y="${y + 16}" fill="#555">ratio to ${esc(baseline)} (${esc(rows[0].unit)}, ${better} is better)</text>`);
    const top = y + panelHead - 4;
    const h = rows.length * (barH + gap);
    const every = span > 5 ? 2 : 1; // label density
    for (let e = -span; e <= span; e++) {
      const gx = x(2 ** e);
      out.push(`<line x1="${gx.toFixed(1)}" y1="${top}" x2="${gx.toFixed(1)}" y2="${top + h}" stroke="${e === 0 ? '#000' : '#ddd'}"/>`);
      if (e % every === 0) out.push(`<text x="${gx.toFixed(1)}" y="${top + h + 12}" font-size="10" text-anchor="middle" fill="#777">${e >= 0 ? 2 ** e : '1/' + 2 ** -e}x</text>`);
    }
    let by = y + panelHead;
    for (const r of rows) {
      out.push(`<text x="${labelW}" y="${by + barH - 4}" text-anchor="end">${esc(r.contender)}</text>`);
      if (r.status !== 'ok' || !base || !(r.value > 0)) {
        out.push(`<text x="${x(1) + 4}" y="${by + barH - 4}" fill="#999">${esc(r.status === 'ok' ? 'no baseline' : r.status)}</text>`);
      } else {
        const ratio = r.value / base.value;
        const x0 = x(1), x1 = x(ratio);
        const lo = Math.min(x0, x1), w = Math.max(1, Math.abs(x1 - x0));
        out.push(`<rect x="${lo.toFixed(1)}" y="${by}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[r.contender] || '#17becf'}"><title>${esc(`${r.contender}: ${r.value.toFixed(2)} ${r.unit} (min ${r.min.toFixed(2)}, max ${r.max.toFixed(2)})`)}</title></rect>`);
        out.push(`<text x="${plotX + plotW + 8}" y="${by + barH - 4}">${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}x</text>`);
      }
      by += barH + gap;
    }
    y = by + 26;
  }
  const H = y + 10;
  const title = `qrpc-node benchmark${machine.quick ? ' (quick)' : ''} — ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, ${machine.date.slice(0, 10)}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="10" y="24" font-size="14" font-weight="bold">${esc(title)}</text>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}

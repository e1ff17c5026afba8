// The order book: a ladder of the top levels with sizes (from md.book.depth, best bid/ask from md.book.top) and a cumulative depth view.
import { byId, bump, clock, decimalText, h } from './util.js';

const LEVELS = 12;

export function createBookPanel() {
  const panel = byId('book-panel');
  const asksBody = byId('asks');
  const bidsBody = byId('bids');
  const topLine = byId('top-line');
  const spreadNote = byId('book-spread');
  const canvas = byId('depth');
  let depth = null;
  let top = null;

  const rows = (levels, side, maxSize) =>
    levels.map(([price, size]) => {
      const width = maxSize > 0 ? Math.max(1, Math.round((Number(size) / maxSize) * 100)) : 0;
      return h(
        'tr',
        { class: side, style: `--fill:${width}%` },
        h('td', { class: 'price', text: decimalText(price) }),
        h('td', { class: 'size', text: decimalText(size, 0) }),
      );
    });

  /**
   * md.book.depth comes on the order book's depth interval (1 s by default), md.book.top on every
   * change of the top: a top newer than the depth replaces the depth's levels it has overtaken, so
   * the ladder's best levels move at the top's pace. Numbers only order levels; the text shown is
   * always the exchange's.
   */
  const merged = (side) => {
    const levels = depth?.[side === 'bid' ? 'bids' : 'asks'] ?? [];
    const best = top?.[side];
    const newer = top && depth && (top.lastUpdateId ?? 0) > (depth.lastUpdateId ?? 0);
    if (!best || !newer) return levels;
    const p = Number(best[0]);
    const behind = levels.filter(([price]) => (side === 'bid' ? Number(price) < p : Number(price) > p));
    return [best, ...behind];
  };

  const drawLadder = () => {
    const asks = merged('ask').slice(0, LEVELS);
    const bids = merged('bid').slice(0, LEVELS);
    const maxSize = Math.max(0, ...asks.map((l) => Number(l[1])), ...bids.map((l) => Number(l[1])));
    // Asks above the spread, highest first, so the best ask sits next to the best bid.
    asksBody.replaceChildren(...rows([...asks].reverse(), 'ask', maxSize));
    bidsBody.replaceChildren(...rows(bids, 'bid', maxSize));
    panel.dataset.levels = String(asks.length + bids.length);
  };

  const drawTop = () => {
    const bid = top?.bid ?? depth?.bids?.[0] ?? null;
    const ask = top?.ask ?? depth?.asks?.[0] ?? null;
    if (!bid && !ask) {
      topLine.textContent = 'no book yet';
      spreadNote.textContent = '';
      return;
    }
    topLine.replaceChildren(
      h('span', { class: 'bid', text: bid ? `${decimalText(bid[0])} × ${decimalText(bid[1], 0)}` : '—' }),
      h('span', { class: 'muted', text: '  |  ' }),
      h('span', { class: 'ask', text: ask ? `${decimalText(ask[0])} × ${decimalText(ask[1], 0)}` : '—' }),
    );
    topLine.dataset.bid = bid ? bid[0] : '';
    topLine.dataset.ask = ask ? ask[0] : '';
    // Display only; the exact prices are the texts above.
    spreadNote.textContent =
      (bid && ask ? `spread ${(Number(ask[0]) - Number(bid[0])).toPrecision(4)}` : '') +
      (depth ? ` · levels as of ${clock(depth.timestamp)}` : '');
  };

  const drawDepth = () => {
    const ctx = canvas.getContext('2d');
    const ratio = globalThis.devicePixelRatio || 1;
    const width = canvas.clientWidth || 300;
    const height = canvas.clientHeight || 160;
    if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
    if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const bidLevels = merged('bid');
    const askLevels = merged('ask');
    const bids = bidLevels.map(([p, q]) => [Number(p), Number(q)]);
    const asks = askLevels.map(([p, q]) => [Number(p), Number(q)]);
    if (bids.length === 0 || asks.length === 0) return;
    const cumulative = (levels) => {
      let sum = 0;
      return levels.map(([p, q]) => [p, (sum += q)]);
    };
    const b = cumulative(bids);
    const a = cumulative(asks);
    const lo = b[b.length - 1][0];
    const hi = a[a.length - 1][0];
    const maxQ = Math.max(b[b.length - 1][1], a[a.length - 1][1]);
    if (!(hi > lo) || !(maxQ > 0)) return;
    const x = (p) => ((p - lo) / (hi - lo)) * (width - 8) + 4;
    const y = (q) => height - 14 - (q / maxQ) * (height - 24);
    const area = (points, stroke, fill) => {
      ctx.beginPath();
      ctx.moveTo(x(points[0][0]), height - 14);
      for (const [p, q] of points) {
        ctx.lineTo(x(p), y(q));
      }
      ctx.lineTo(x(points[points.length - 1][0]), height - 14);
      ctx.closePath();
      ctx.fillStyle = fill;
      ctx.fill();
      ctx.strokeStyle = stroke;
      ctx.stroke();
    };
    area(b, '#26a69a', 'rgba(38,166,154,0.25)');
    area(a, '#ef5350', 'rgba(239,83,80,0.25)');
    ctx.fillStyle = '#6b7680';
    ctx.font = '10px ui-monospace, monospace';
    ctx.fillText(decimalText(bidLevels[bidLevels.length - 1][0]), 4, height - 2);
    const right = decimalText(askLevels[askLevels.length - 1][0]);
    ctx.fillText(right, width - 4 - ctx.measureText(right).width, height - 2);
  };

  return {
    snapshot(m) {
      depth = m.depth;
      top = m.top;
      drawLadder();
      drawTop();
      drawDepth();
      bump(panel, 'updates');
    },
    update(m) {
      if (m.depth) {
        depth = m.depth;
        drawLadder();
        drawDepth();
      }
      if (m.top) {
        top = m.top;
        if (!m.depth) {
          drawLadder();
          drawDepth();
        }
      }
      if (m.depth || m.top) {
        drawTop();
        bump(panel, 'updates');
      }
    },
  };
}

// The candlestick chart with volume (lightweight-charts, served by the gateway from node_modules).
import {
  CandlestickSeries,
  createChart,
  CrosshairMode,
  HistogramSeries,
} from '/vendor/lightweight-charts.mjs';
import { byId, bump, clock, decimalText } from './util.js';

const UP = '#26a69a';
const DOWN = '#ef5350';
const KEEP = 1000;

/** Numbers for drawing only: the legend shows the candle's exact decimal text. */
function bar(c) {
  return {
    time: c.time / 1000,
    open: Number(c.open),
    high: Number(c.high),
    low: Number(c.low),
    close: Number(c.close),
  };
}

function volumeBar(c) {
  return {
    time: c.time / 1000,
    value: Number(c.volume),
    color: Number(c.close) >= Number(c.open) ? 'rgba(38,166,154,0.45)' : 'rgba(239,83,80,0.45)',
  };
}

export function createChartPanel() {
  const panel = byId('chart-panel');
  const legend = byId('chart-legend');
  const chart = createChart(byId('chart'), {
    autoSize: true,
    layout: { background: { color: '#0f1419' }, textColor: '#9aa4ad', fontSize: 11 },
    grid: { vertLines: { color: '#1b232b' }, horzLines: { color: '#1b232b' } },
    crosshair: { mode: CrosshairMode.Normal },
    timeScale: { timeVisible: true, secondsVisible: true, borderColor: '#27313b', maxBarSpacing: 14 },
    rightPriceScale: { borderColor: '#27313b' },
  });
  const candles = chart.addSeries(CandlestickSeries, {
    upColor: UP,
    downColor: DOWN,
    borderVisible: false,
    wickUpColor: UP,
    wickDownColor: DOWN,
  });
  const volume = chart.addSeries(HistogramSeries, {
    priceScaleId: 'volume',
    priceFormat: { type: 'volume' },
  });
  chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.25 } });

  let precision = -1;
  /** The chart's price scale follows the instrument's decimals (XRPETH trades at 0.00141...). */
  const fitPrecision = (list) => {
    let decimals = 2;
    for (const c of list.slice(-50)) {
      for (const text of [c.open, c.high, c.low, c.close]) {
        const trimmed = decimalText(text, 0);
        const dot = trimmed.indexOf('.');
        if (dot >= 0) decimals = Math.max(decimals, trimmed.length - dot - 1);
      }
    }
    decimals = Math.min(decimals, 10);
    if (decimals === precision) return;
    precision = decimals;
    candles.applyOptions({ priceFormat: { type: 'price', precision, minMove: 10 ** -precision } });
  };

  /** time -> wire candle (exact text), in time order. */
  let byTime = new Map();
  let last = 0;

  const showLegend = (c) => {
    if (!c) {
      legend.textContent = 'waiting for candles';
      return;
    }
    legend.textContent =
      `${clock(c.time).slice(0, 8)}  O ${decimalText(c.open)}  H ${decimalText(c.high)}  ` +
      `L ${decimalText(c.low)}  C ${decimalText(c.close)}  V ${decimalText(c.volume, 0)}  ` +
      `${c.trades} trades${c.isFinal ? '' : '  (forming)'}`;
  };

  const reset = (list) => {
    byTime = new Map(list.map((c) => [c.time, c]));
    const sorted = [...byTime.values()].sort((a, b) => a.time - b.time).slice(-KEEP);
    byTime = new Map(sorted.map((c) => [c.time, c]));
    fitPrecision(sorted);
    candles.setData(sorted.map(bar));
    volume.setData(sorted.map(volumeBar));
    last = sorted.length > 0 ? sorted[sorted.length - 1].time : 0;
    panel.dataset.candles = String(byTime.size);
    showLegend(sorted[sorted.length - 1]);
  };

  return {
    /** Replaces everything (a snapshot, another instrument or interval). */
    snapshot(list) {
      reset(list);
      // A short history fills the width; a long one shows its newest part at the default spacing.
      if (byTime.size < 120) chart.timeScale().fitContent();
      else chart.timeScale().scrollToRealTime();
      bump(panel, 'updates');
    },
    /** Applies changed candles (time order): the newest extends the chart, older ones are corrected in place. */
    update(list) {
      if (!list || list.length === 0) return;
      fitPrecision(list);
      for (const c of list) {
        const known = byTime.has(c.time);
        byTime.set(c.time, c);
        if (c.time >= last) {
          candles.update(bar(c));
          volume.update(volumeBar(c));
          last = c.time;
        } else if (known) {
          candles.update(bar(c), true);
          volume.update(volumeBar(c), true);
        } else {
          reset([...byTime.values()]);
        }
      }
      if (byTime.size > KEEP * 1.5) reset([...byTime.values()]);
      panel.dataset.candles = String(byTime.size);
      showLegend(byTime.get(last));
      bump(panel, 'updates');
    },
    title(text) {
      byId('chart-title').textContent = text;
    },
  };
}

// The dashboard's entry: reads /config.json, builds the panels and routes the gateway's snapshots and frames to them.
/* global document, fetch, location, history, URLSearchParams */
import { createBookPanel } from './book.js';
import { loadCatalog } from './catalog.js';
import { createChartPanel } from './chart.js';
import { openFeed } from './feed.js';
import { createLagPanel } from './lag.js';
import { createAlertsPanel, createEventsPanel, createTapePanel } from './lists.js';
import { byId, count, decimalText, h } from './util.js';
import { createWorkflowsPanel } from './workflows.js';

const config = await (await fetch('/config.json')).json();
const params = new URLSearchParams(location.search);
const picker = byId('instrument');
const intervalPicker = byId('interval');
const connection = byId('connection');
const feedStats = byId('feed-stats');
const tickerLine = byId('ticker');

let instrument = params.get('instrument');
let interval = params.get('interval') ?? '1s';
intervalPicker.replaceChildren(...config.intervals.map((i) => h('option', { value: i, text: i })));
intervalPicker.value = interval;

const chart = createChartPanel();
const book = createBookPanel();
const tape = createTapePanel();
const alerts = createAlertsPanel();
const events = createEventsPanel();
const lag = createLagPanel();
let tickers = [];
let frames = 0;
let skipped = 0;

const showTicker = () => {
  const t = tickers.find((x) => x.instrument === instrument);
  tickerLine.textContent = t
    ? `last ${decimalText(t.last) || '—'}   bid ${decimalText(t.bid) || '—'}   ask ${decimalText(t.ask) || '—'}   ${count(t.trades)} trades`
    : '';
};

const updateTickers = (next) => {
  if (!next) return;
  tickers = next;
  const known = new Set([...picker.options].map((o) => o.value));
  const names = tickers.map((t) => t.instrument);
  if (names.length !== known.size || names.some((n) => !known.has(n))) {
    picker.replaceChildren(...names.map((n) => h('option', { value: n, text: n })));
    if (instrument && !names.includes(instrument))
      picker.prepend(h('option', { value: instrument, text: instrument }));
    picker.value = instrument ?? '';
  }
  // The first instrument seen is the default until the user picks one.
  if (!instrument && names.length > 0) select(names[0], interval);
  showTicker();
};

const setUrl = () => {
  const q = new URLSearchParams();
  if (instrument) q.set('instrument', instrument);
  q.set('interval', interval);
  history.replaceState(null, '', `/?${q}`);
};

const apply = (msg) => {
  frames++;
  const g = msg.g;
  const m = msg.m;
  if (msg.t === 'snapshot') {
    chart.title(`${msg.instrument ?? ''} ${msg.interval}`);
    chart.snapshot(m.candles);
    book.snapshot(m);
    tape.snapshot(m.trades);
    alerts.snapshot(g.alerts, g.alertsTotal, g.alertsDropped);
    events.snapshot(g.events, g.eventsTotal, g.eventsDropped);
    lag.snapshot(g.lag);
    updateTickers(g.tickers);
  } else {
    if (m) {
      chart.update(m.candles);
      book.update(m);
      tape.update(m.trades);
    }
    if (g) {
      if (g.alerts || g.alertsDropped !== undefined) alerts.update(g.alerts, g.alertsDropped);
      if (g.events || g.eventsDropped !== undefined) events.update(g.events, g.eventsDropped);
      if (g.lag) lag.update(g.lag);
      if (g.tickers) updateTickers(g.tickers);
    }
  }
  document.body.dataset.frames = String(frames);
  if (msg.t === 'snapshot') skipped = msg.skipped ?? 0;
  feedStats.textContent = `${count(frames)} frames${skipped > 0 ? ` · ${count(skipped)} skipped while busy (resynced)` : ''}`;
};

const feed = openFeed({
  instrument,
  interval,
  apply,
  onState: (state) => {
    connection.dataset.state = state;
    connection.textContent = state;
  },
});

function select(nextInstrument, nextInterval) {
  instrument = nextInstrument;
  interval = nextInterval;
  picker.value = instrument ?? '';
  setUrl();
  feed.subscribe({ instrument, interval });
  showTicker();
}

picker.addEventListener('change', () => select(picker.value, interval));
intervalPicker.addEventListener('change', () => select(instrument, intervalPicker.value));

loadCatalog();
createWorkflowsPanel(config.orchestratorUrl);

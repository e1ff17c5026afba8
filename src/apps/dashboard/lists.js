// The list panels fed by the stream: trades tape, alerts with their evidence, and the queue-events log.
import { byId, bump, clock, count, decimalText, h } from './util.js';

const TAPE = 60;
const ALERTS = 100;
const EVENTS = 150;

export function createTapePanel() {
  const panel = byId('trades-panel');
  const body = byId('tape');
  const row = (t) =>
    h(
      'tr',
      { class: t.side },
      h('td', { class: 'muted', text: clock(t.time).slice(0, 12) }),
      h('td', { class: 'price', text: decimalText(t.price) }),
      h('td', { class: 'size', text: decimalText(t.quantity, 0) }),
    );
  const trim = () => {
    while (body.children.length > TAPE) body.lastElementChild.remove();
    panel.dataset.count = String(body.children.length);
  };
  return {
    snapshot(trades) {
      body.replaceChildren(...trades.slice(-TAPE).reverse().map(row));
      trim();
      bump(panel, 'updates');
    },
    update(trades) {
      if (!trades || trades.length === 0) return;
      body.prepend(...trades.slice(-TAPE).reverse().map(row));
      trim();
      bump(panel, 'updates');
    },
  };
}

/** Keeps the newest items of a numbered list (`n` from the gateway), dropping repeats. */
function numberedList({ panelId, listId, noteId, keep, render }) {
  const panel = byId(panelId);
  const list = byId(listId);
  const note = byId(noteId);
  let highest = 0;
  let total = 0;
  let dropped = 0;
  const showNote = () => {
    const parts = [`${count(total)} seen`];
    if (dropped > 0) parts.push(`${count(dropped)} not delivered (flood)`);
    if (total > keep) parts.push(`newest ${keep} shown`);
    note.textContent = parts.join(' · ');
  };
  const add = (items) => {
    const fresh = items.filter((i) => i.n > highest);
    if (fresh.length === 0) return;
    highest = fresh[fresh.length - 1].n;
    list.prepend(...fresh.reverse().map((i) => render(i.value)));
    while (list.children.length > keep) list.lastElementChild.remove();
    panel.dataset.count = String(list.children.length);
    bump(panel, 'updates');
  };
  return {
    snapshot(items, totalSeen, droppedCount) {
      highest = 0;
      list.replaceChildren();
      total = totalSeen ?? items.length;
      dropped = droppedCount ?? 0;
      add(items);
      panel.dataset.count = String(list.children.length);
      showNote();
    },
    update(items, droppedCount) {
      if (droppedCount !== undefined) dropped = droppedCount;
      if (items && items.length > 0) {
        total += items.filter((i) => i.n > highest).length;
        add(items);
      }
      showNote();
    },
  };
}

export function createAlertsPanel() {
  return numberedList({
    panelId: 'alerts-panel',
    listId: 'alerts',
    noteId: 'alerts-note',
    keep: ALERTS,
    render: (a) =>
      h(
        'li',
        { class: `alert ${a.severity}`, 'data-rule': a.rule },
        h(
          'div',
          { class: 'alert-head' },
          h('span', { class: 'severity', text: a.severity }),
          h('span', { class: 'rule', text: a.rule }),
          h('span', { class: 'instrument', text: `${a.exchange}:${a.symbol}` }),
          h('span', { class: 'muted', text: clock(a.timestamp) }),
        ),
        h('div', { class: 'message', text: a.message }),
        h(
          'dl',
          { class: 'evidence' },
          a.evidence.flatMap((e) => [h('dt', { text: e.name }), h('dd', { text: e.value })]),
        ),
      ),
  });
}

function eventDetail(e) {
  switch (e.event) {
    case 'loading':
      return `${count(e.loaded)}${e.total !== undefined ? ` / ${count(e.total)}` : ''}`;
    case 'finished':
      return `${count(e.loaded)} loaded`;
    case 'interrupted':
    case 'error':
      return e.reason + (e.code ? ` (${e.code})` : '');
    case 'heartbeat':
      return e.state;
    default:
      return '';
  }
}

export function createEventsPanel() {
  return numberedList({
    panelId: 'events-panel',
    listId: 'events',
    noteId: 'events-note',
    keep: EVENTS,
    render: (e) =>
      h(
        'li',
        { class: `event ${e.event}` },
        h('span', { class: 'muted', text: clock(e.time).slice(0, 8) }),
        h('span', { class: 'service', text: e.service }),
        h('span', { class: 'name', text: e.event }),
        h('span', { class: 'queue', text: `queue ${e.queue_id} · ${e.instance}` }),
        h('span', { class: 'detail', text: eventDetail(e) }),
      ),
  });
}

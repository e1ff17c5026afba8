// The data-product catalog: every topic with owner, key, partitions, cleanup and schema; a row opens its schema and example.
/* global fetch */
import { byId, h } from './util.js';

function cleanup(c) {
  if (c.policy === 'compact') return 'compact';
  const days = c.retentionMs / 86_400_000;
  return Number.isInteger(days) ? `delete ${days}d` : `delete ${Math.round(c.retentionMs / 3_600_000)}h`;
}

function pretty(value) {
  return JSON.stringify(value, null, 2);
}

export async function loadCatalog() {
  const panel = byId('catalog-panel');
  const body = byId('catalog');
  const detail = byId('product');
  let answer;
  try {
    const res = await fetch('/api/catalog');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    answer = await res.json();
  } catch (error) {
    body.replaceChildren(
      h('tr', {}, h('td', { colspan: 6, class: 'error', text: `catalog: ${error.message}` })),
    );
    return;
  }
  const products = answer.products.filter((p) => p.deadLetterOf === undefined);
  const show = (p, row) => {
    for (const r of body.children) r.classList.toggle('selected', r === row);
    const current = p.value.versions?.[p.value.versions.length - 1];
    detail.replaceChildren(
      h('h3', { text: p.topic }),
      h('p', { text: p.description }),
      h('p', { class: 'muted', text: `key ${p.key.name}: ${p.key.meaning}` }),
      h('p', { class: 'muted', text: `dead letters: ${p.deadLetterTopic ?? '—'}` }),
      h(
        'div',
        { class: 'schema' },
        current
          ? [
              h('h4', { text: `schema v${current.version} (${p.value.schemaId})` }),
              h('pre', { text: pretty(current.schema) }),
            ]
          : h('p', { text: p.value.meaning ?? 'bytes' }),
      ),
      h('h4', { text: 'example' }),
      h('pre', { class: 'example', text: pretty(p.value.example) }),
    );
  };
  body.replaceChildren(
    ...products.map((p) => {
      const row = h(
        'tr',
        { 'data-topic': p.topic, tabindex: 0 },
        h('td', { class: 'topic', text: p.topic }),
        h('td', { text: p.owner }),
        h('td', { class: 'muted', text: p.key.name }),
        h('td', { class: 'num', text: String(p.partitions) }),
        h('td', { text: cleanup(p.cleanup) }),
        h('td', {
          text: p.value.format === 'json' ? `${p.value.schemaId} v${p.value.currentVersion}` : 'bytes',
        }),
      );
      row.addEventListener('click', () => show(p, row));
      row.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') show(p, row);
      });
      return row;
    }),
  );
  panel.dataset.count = String(products.length);
  const first = products.find((p) => p.topic === 'md.trades') ?? products[0];
  if (first) show(first, body.querySelector(`[data-topic="${first.topic}"]`));
}

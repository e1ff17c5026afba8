// Workflows: a form that starts a backfill workflow on the orchestrator's API, and each workflow's steps as they progress.
/* global fetch, setTimeout, FormData */
import { byId, count, h } from './util.js';

const POLL_MS = 1000;

/** The value of a datetime-local input (local time) as an ISO instant. */
function isoOf(local) {
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function localInput(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function stepView(s) {
  // A finished step is full whatever its counts say (a backfill's total is an estimate in pages).
  const pct =
    s.state === 'succeeded' ? 100 : s.total ? Math.min(100, Math.round((s.loaded / s.total) * 100)) : 0;
  return h(
    'li',
    { class: `step ${s.state}`, 'data-step': s.name, 'data-state': s.state },
    h('span', { class: 'step-name', text: s.name }),
    h('span', { class: 'state', text: s.state }),
    h('span', { class: 'progress', style: `--fill:${pct}%` }),
    h('span', {
      class: 'muted',
      text: s.total ? `${count(s.loaded)} / ${count(s.total)}` : s.loaded ? count(s.loaded) : '',
    }),
    s.attempt > 1 ? h('span', { class: 'muted', text: `attempt ${s.attempt}` }) : null,
    s.error ? h('span', { class: 'error', text: s.error }) : null,
  );
}

/** The workflow's latest history entry (a job event or an orchestrator decision), as one line. */
function lastEntry(w) {
  const e = w.history?.[w.history.length - 1];
  if (!e) return null;
  const when = typeof e.time === 'number' ? `${new Date(e.time).toISOString().slice(11, 19)} ` : '';
  return h('div', {
    class: 'muted history',
    text: `${when}${e.step ? `${e.step}: ` : ''}${e.event} ${e.detail ?? ''}`,
  });
}

export function createWorkflowsPanel(orchestratorUrl) {
  const panel = byId('workflows-panel');
  const form = byId('workflow-form');
  const message = byId('workflow-message');
  const list = byId('workflows');
  const status = byId('orchestrator-status');
  const api = `${orchestratorUrl}/api/workflows`;
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  form.elements.namedItem('to').value = localInput(now);
  form.elements.namedItem('from').value = localInput(now - 60 * 60_000);

  const unreachable = (error) => {
    panel.dataset.orchestrator = 'unreachable';
    status.className = 'error';
    status.textContent =
      `The orchestrator is unreachable at ${orchestratorUrl} (${error.message}). ` +
      'Workflows need it running: streamforge up starts it, or streamforge run orchestrator.';
  };

  const stop = async (id) => {
    try {
      await fetch(`${api}/${encodeURIComponent(id)}/stop`, { method: 'POST' });
    } catch (error) {
      unreachable(error);
    }
  };

  /** Every state each workflow was seen in, in order: the page shows (and tests read) how it progressed. */
  const seen = new Map();
  let shown = [];
  const note = (w) => {
    const states = seen.get(w.id) ?? [];
    const now = `${w.state}:${(w.steps ?? []).map((s) => s.state).join('/')}`;
    if (states[states.length - 1] !== now) states.push(now);
    seen.set(w.id, states);
    return states;
  };

  const render = (workflows) => {
    shown = workflows;
    list.replaceChildren(
      ...workflows.map((w) =>
        h(
          'li',
          {
            class: `workflow ${w.state}`,
            'data-id': w.id,
            'data-state': w.state,
            'data-seen': note(w).join(' '),
          },
          h(
            'div',
            { class: 'workflow-head' },
            h('span', { class: 'id', text: w.id }),
            h('span', { class: 'muted', text: w.type }),
            h('span', { class: 'state', text: w.state }),
            w.state === 'running' || w.state === 'pending'
              ? h('button', { type: 'button', class: 'small', text: 'Stop', onclick: () => stop(w.id) })
              : null,
          ),
          h('ol', { class: 'steps' }, (w.steps ?? []).map(stepView)),
          lastEntry(w),
        ),
      ),
    );
    if (workflows.length === 0) list.replaceChildren(h('li', { class: 'muted', text: 'no workflows yet' }));
    panel.dataset.count = String(workflows.length);
  };

  const poll = async () => {
    try {
      const res = await fetch(api);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = await res.json();
      panel.dataset.orchestrator = 'reachable';
      status.className = 'muted';
      status.textContent = `orchestrator ${orchestratorUrl}`;
      render(body.workflows ?? []);
    } catch (error) {
      unreachable(error);
    }
    setTimeout(poll, POLL_MS);
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
    const data = new FormData(form);
    const body = {
      type: 'backfill-persist-features',
      exchange: data.get('exchange'),
      symbol: String(data.get('symbol') ?? '').trim(),
      interval: data.get('interval'),
      from: isoOf(data.get('from')),
      to: isoOf(data.get('to')),
    };
    for (const field of ['from', 'to']) {
      if (body[field] === null) {
        message.className = 'message error';
        message.textContent = `${field}: pick a date and time`;
        form.elements.namedItem(field).setAttribute('aria-invalid', 'true');
        return;
      }
    }
    message.className = 'message';
    message.textContent = 'starting…';
    try {
      const res = await fetch(api, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answer = await res.json().catch(() => ({}));
      if (!res.ok) {
        message.className = 'message error';
        message.textContent = answer.error ?? `HTTP ${res.status}`;
        if (answer.field) form.elements.namedItem(answer.field)?.setAttribute('aria-invalid', 'true');
        return;
      }
      message.textContent = `started ${answer.id}`;
      // Shown at once, in the state the orchestrator answered with; polling follows it from there.
      render([answer, ...shown.filter((w) => w.id !== answer.id)]);
    } catch (error) {
      message.className = 'message error';
      message.textContent = `could not reach the orchestrator: ${error.message}`;
      unreachable(error);
    }
  });

  poll();
}

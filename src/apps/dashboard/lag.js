// The consumer-group panel: lag and committed records per second per group, now and over the last minutes.
import { byId, bump, count, h, sparkline } from './util.js';

const KEEP = 150;

export function createLagPanel() {
  const panel = byId('lag-panel');
  const body = byId('lag');
  let samples = [];

  const draw = () => {
    const latest = samples[samples.length - 1];
    if (!latest) {
      body.replaceChildren(
        h('tr', {}, h('td', { colspan: 6, class: 'muted', text: 'no consumer groups yet' })),
      );
      panel.dataset.groups = '0';
      return;
    }
    const rows = latest.groups.map((g) => {
      const lagLine = h('canvas', { width: 120, height: 22, class: 'spark' });
      const rateLine = h('canvas', { width: 120, height: 22, class: 'spark' });
      const history = samples.map((s) => s.groups.find((x) => x.group === g.group));
      sparkline(
        lagLine,
        history.map((x) => (x ? x.lag : null)),
        '#f0b90b',
      );
      sparkline(
        rateLine,
        history.map((x) => (x ? x.rate : null)),
        '#4aa3ff',
      );
      return h(
        'tr',
        { 'data-group': g.group, 'data-lag': g.lag },
        h('td', { class: 'group', text: g.group }),
        h('td', { class: 'muted', text: g.state }),
        h('td', { class: g.lag > 0 ? 'num warn' : 'num', text: count(g.lag) }),
        h('td', {}, lagLine),
        h('td', { class: 'num', text: g.rate === null ? '–' : count(g.rate) }),
        h('td', {}, rateLine),
      );
    });
    body.replaceChildren(...rows);
    panel.dataset.groups = String(latest.groups.length);
  };

  return {
    snapshot(history) {
      samples = (history ?? []).slice(-KEEP);
      draw();
      bump(panel, 'updates');
    },
    update(sample) {
      if (!sample) return;
      samples.push(sample);
      if (samples.length > KEEP) samples.shift();
      draw();
      bump(panel, 'updates');
    },
  };
}

// The WebSocket feed from the gateway: frames are applied once per animation frame and acknowledged after drawing.
/* global WebSocket, location, requestAnimationFrame, setTimeout, URLSearchParams */

/**
 * Connects to /ws and calls `apply(message)` for each snapshot and frame, in order, inside
 * requestAnimationFrame; the ack sent afterwards tells the gateway the page has drawn up to there.
 * A page that cannot draw (a hidden tab) stops acknowledging, and the gateway stops sending until
 * it can, then sends a fresh snapshot. Reconnects with backoff.
 */
export function openFeed({ instrument, interval, apply, onState }) {
  let ws = null;
  let queue = [];
  let scheduled = false;
  let closed = false;
  let attempt = 0;
  let subscription = { instrument, interval };

  const drain = () => {
    scheduled = false;
    const batch = queue;
    queue = [];
    let last = 0;
    for (const message of batch) {
      try {
        apply(message);
      } catch (error) {
        console.error('dashboard: applying a frame failed', error);
      }
      last = message.seq;
    }
    if (last > 0 && ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ t: 'ack', seq: last }));
  };

  const connect = () => {
    const params = new URLSearchParams();
    if (subscription.instrument) params.set('instrument', subscription.instrument);
    params.set('interval', subscription.interval);
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    ws = new WebSocket(`${scheme}://${location.host}/ws?${params}`);
    onState('connecting');
    ws.onopen = () => {
      attempt = 0;
      onState('live');
    };
    ws.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.t === 'error') {
        console.warn('gateway:', message.message);
        return;
      }
      // A snapshot replaces everything before it: frames queued earlier are stale.
      if (message.t === 'snapshot') queue = [];
      queue.push(message);
      if (!scheduled) {
        scheduled = true;
        requestAnimationFrame(drain);
      }
    };
    ws.onclose = () => {
      if (closed) return;
      onState('reconnecting');
      const delay = Math.min(10_000, 250 * 2 ** attempt++) * (0.5 + Math.random() / 2);
      setTimeout(connect, delay);
    };
  };
  connect();

  return {
    subscribe(next) {
      subscription = { ...subscription, ...next };
      if (ws && ws.readyState === WebSocket.OPEN)
        ws.send(JSON.stringify({ t: 'subscribe', ...subscription }));
    },
    close() {
      closed = true;
      ws?.close();
    },
  };
}

// Small DOM and text helpers shared by the dashboard's panels (text only: no HTML is built from data).
/* global document */

/** An element with attributes and children (strings become text nodes). */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node;
}

/**
 * An exchange decimal shown as text: trailing fractional zeros are cut (a string operation, so the
 * value stays exactly the exchange's), keeping at least `minDecimals`.
 */
export function decimalText(text, minDecimals = 2) {
  if (typeof text !== 'string') return '';
  const dot = text.indexOf('.');
  if (dot < 0) return text;
  let end = text.length;
  while (end > dot + 1 + minDecimals && text[end - 1] === '0') end--;
  if (end === dot + 1) end = dot;
  return text.slice(0, end);
}

/** HH:MM:SS.mmm in UTC (the platform's clock everywhere). */
export function clock(ms) {
  return new Date(ms).toISOString().slice(11, 23);
}

/** Adds one to a data-* counter of an element, so that tests and people can see a panel is fed. */
export function bump(node, name, by = 1) {
  node.dataset[name] = String(Number(node.dataset[name] || 0) + by);
}

/** A number with thin grouping, for counts (never used for prices). */
export function count(n) {
  return n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US');
}

/** Draws a line of `values` into a canvas, scaled to its own range. */
export function sparkline(canvas, values, color) {
  const ctx = canvas.getContext('2d');
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const points = values.filter((v) => v !== null && v !== undefined);
  if (points.length < 2) return;
  const max = Math.max(...points, 1);
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  values.forEach((v, i) => {
    const x = (i / (values.length - 1)) * (width - 2) + 1;
    const y = height - 2 - ((v ?? 0) / max) * (height - 4);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.stroke();
}

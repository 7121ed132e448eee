// Building the page. User data only ever becomes text nodes (textContent), never markup: a ticket that contains
// "<script>" shows those characters and runs nothing.
import { signOut } from './api.js';

/**
 * Creates an element. `props`: class, text (textContent), href (only same-site paths and http(s) URLs), id, for,
 * aria-* and data-* attributes, other attributes as given (no "on..." attributes), and `on: { click: fn }` for events.
 * Children: nodes or strings (strings become text nodes); null and false are skipped.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'text') el.textContent = String(value);
    else if (key === 'class') el.className = value;
    else if (key === 'on') for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
    else if (key === 'href') el.setAttribute('href', safeHref(value));
    else if (/^on/i.test(key) || key === 'style' || key === 'srcdoc') throw new Error(`h(): attribute ${key} is not allowed`);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces the content of `parent` with `children`. */
export function fill(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

export function safeHref(value) {
  const text = String(value);
  if (text.startsWith('/') && !text.startsWith('//')) return text;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'mailto:' ? url.href : '#';
  } catch {
    return '#';
  }
}

/** Text with line breaks kept (CSS pre-wrap) and web addresses as links; everything else stays plain text. */
export function richText(text, className = 'body') {
  const el = h('div', { class: className });
  const parts = String(text ?? '').split(/(https?:\/\/[^\s<>"']+)/g);
  parts.forEach((part, i) => {
    if (i % 2 === 1) el.append(h('a', { href: part, rel: 'noopener noreferrer nofollow', target: '_blank' }, part));
    else if (part) el.append(document.createTextNode(part));
  });
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** Writes a polite message into the page's aria-live region (screen readers announce it). */
export function announce(message) {
  const region = document.getElementById('announcer');
  if (!region) return;
  region.textContent = '';
  // A new text node after a tick makes screen readers announce a message equal to the previous one too.
  setTimeout(() => { region.textContent = message; }, 50);
}

export function showError(target, error) {
  fill(target, error ? h('p', { class: 'error', role: 'alert', text: error.message || String(error) }) : null);
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const formatDate = value => (value ? dateTime.format(new Date(value)) : '—');

/** "in 2 h 5 min" / "12 min ago" style durations. */
export function relative(ms) {
  const abs = Math.abs(ms);
  const minutes = Math.round(abs / 60000);
  let text;
  if (minutes < 1) text = 'less than a minute';
  else if (minutes < 60) text = `${minutes} min`;
  else if (minutes < 60 * 48) text = `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  else text = `${Math.round(minutes / 1440)} days`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

export const label = value => String(value ?? '').replace(/-/g, ' ');

/** The header every console page shares: brand, navigation, who is signed in, sign out. */
export function consoleHeader(me, current) {
  const links = [['/console', 'Queue', 'queue'], ['/console/kb', 'Knowledge base', 'kb'], ['/console/monitoring', 'Monitoring', 'monitoring'], ['/console/oncall', 'On call', 'oncall'], ['/console/billing', 'Billing', 'billing'], ['/console/reports', 'Reports', 'reports'], ['/console/mail', 'Mail', 'mail'], ['/console/admin', 'Admin', 'admin']];
  return header(me, 'SupportPlatform console', '/console', links, current);
}

export function portalHeader(me, current) {
  return header(me, 'Support portal', '/portal', [['/portal', 'My tickets', 'tickets'], ['/portal/new', 'New ticket', 'new'], ['/portal/estimates', 'Estimates and invoices', 'estimates'], ['/portal/monitoring', 'My systems', 'monitoring'], ['/portal/reports', 'My reports', 'reports']], current);
}

function header(me, brand, home, links, current) {
  return h('header', { class: 'bar' },
    h('a', { class: 'brand', href: home }, brand),
    h('nav', { 'aria-label': 'Main' }, h('ul', null, links.map(([href, text, key]) =>
      h('li', null, h('a', { href, 'aria-current': key === current ? 'page' : null }, text))))),
    h('div', { class: 'who' },
      h('span', null, 'Signed in as ', h('strong', { text: me.name || me.email || me.id })),
      h('button', { type: 'button', class: 'secondary', on: { click: signOut } }, 'Sign out')));
}

/**
 * Until a page has wired its forms, a submit would reload the page and lose what was typed: hold every form of the
 * static markup back from the start. Call first thing in a page module.
 */
export function holdForms() {
  for (const form of document.forms) form.addEventListener('submit', event => event.preventDefault());
}

/** Marks the page as loaded and wired (body[data-ready]); tests wait for it. */
export function markReady() {
  document.body.dataset.ready = 'true';
}

// Shared by the knowledge-base pages (and the line diff by the template history of the admin pages).
import { h } from './dom.js';

/**
 * A search snippet: the server HTML-escapes the text and marks matches with <mark>. It is rebuilt here from text nodes
 * and <mark> elements only, so nothing else of it can become markup.
 */
export function snippet(html) {
  const span = h('span', { class: 'kb-snippet' });
  const parts = String(html ?? '').split(/<mark>|<\/mark>/);
  parts.forEach((part, i) => {
    const text = decode(part);
    span.append(i % 2 === 1 ? h('mark', { text }) : document.createTextNode(text));
  });
  return span;
}

function decode(escaped) {
  const doc = new DOMParser().parseFromString(`<!doctype html><body>${escaped}`, 'text/html');
  return doc.body.textContent ?? '';
}

export const stateLabel = state => ({ draft: 'Draft', 'in-review': 'In review', published: 'Published', archived: 'Archived' })[state] ?? state;

/** A line diff from the server (`{ change, text }` lines) as a list, changes marked for sight and for screen readers. */
export function diffList(lines, label) {
  const line = l => h('li', { class: `kb-diff-${l.change}` }, h('span', { class: 'visually-hidden', text: l.change === 'inserted' ? 'added: ' : l.change === 'deleted' ? 'removed: ' : '' }),
    `${l.change === 'inserted' ? '+ ' : l.change === 'deleted' ? '- ' : '  '}${l.text}`);
  return h('ol', { class: 'plain kb-diff', 'aria-label': label }, lines.map(line));
}

// Shared by the knowledge-base pages.
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

// Console ticket page: the articles most relevant to this ticket, the ones already linked, "used on this ticket",
// and "write up this resolution" once the ticket is resolved. Loaded beside ticket.js; fills #kb-panel.
import { get, post } from './api.js';
import { h, fill, announce, showError } from './dom.js';
import { snippet } from './kb-common.js';

const id = Number(location.pathname.split('/').pop());
const panel = document.getElementById('kb-panel');
if (panel && Number.isFinite(id)) load();

async function load() {
  const list = h('ul', { class: 'plain', id: 'kb-ticket-suggestions' });
  const linked = h('ul', { class: 'plain', id: 'kb-ticket-linked' });
  const status = h('div', { 'aria-live': 'polite' });
  const writeUp = h('button', { type: 'button', class: 'secondary', id: 'kb-write-up' }, 'Write up this resolution');
  fill(panel, h('h2', { id: 'kb-title' }, 'Knowledge base'), list, h('h3', null, 'Linked articles'), linked, writeUp, status);
  writeUp.addEventListener('click', async () => {
    try {
      const article = await post(`/api/kb/tickets/${id}/write-up`, {});
      fill(status, 'Draft written: ', h('a', { href: `/console/kb?id=${article.id}`, text: article.title }));
      announce('Draft article written from this ticket.');
    } catch (error) {
      showError(status, error);
    }
  });
  try {
    const result = await get(`/api/kb/tickets/${id}/suggestions`);
    fill(list, result.suggestions.length
      ? result.suggestions.map(a => h('li', null,
        h('a', { href: `/console/kb?id=${a.id}`, text: a.title }), h('p', { class: 'hint' }, snippet(a.snippet)),
        h('button', { type: 'button', class: 'secondary', on: { click: () => use(a) } }, 'Used on this ticket')))
      : h('li', { text: 'No article matches this ticket yet.' }));
    fill(linked, result.linked.length
      ? result.linked.map(l => h('li', null, h('a', { href: `/console/kb?id=${l.articleId}`, text: l.title }), ` (${l.relation.replace('-', ' ')})`))
      : h('li', { text: 'None.' }));
  } catch (error) {
    showError(status, error);
  }

  async function use(article) {
    try {
      await post(`/api/kb/articles/${article.id}/tickets`, { ticketId: id });
      announce(`Article "${article.title}" recorded as used on this ticket.`);
      load();
    } catch (error) {
      showError(status, error);
    }
  }
}

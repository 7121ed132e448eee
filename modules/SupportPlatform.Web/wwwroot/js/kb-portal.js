// Portal: while a client types the subject of a new ticket (/portal/new), show the published articles they may read
// that match it; "This solved it" counts a deflection and leaves the form. Loaded beside portal.js, it waits for the
// new-ticket form to appear.
import { get, post } from './api.js';
import { h, fill, announce, showError } from './dom.js';
import { snippet } from './kb-common.js';

const main = document.getElementById('main');
const observer = new MutationObserver(() => {
  const form = document.getElementById('new-ticket');
  if (form && !form.dataset.kbSuggestions) attach(form);
});
observer.observe(main, { childList: true, subtree: true });

function attach(form) {
  form.dataset.kbSuggestions = 'true';
  const subject = form.elements.subject;
  const list = h('ul', { class: 'plain kb-suggestions', id: 'kb-suggestions' });
  const panel = h('section', { class: 'panel', id: 'kb-suggest-panel', 'aria-labelledby': 'kb-suggest-title', hidden: true },
    h('h2', { id: 'kb-suggest-title' }, 'These articles may answer your question'), list);
  subject.closest('.field').after(panel);
  subject.setAttribute('aria-describedby', 'kb-suggest-title');
  let timer;
  let asked = 0;
  subject.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => suggest(subject.value, ++asked), 250);
  });

  async function suggest(text, ticket) {
    if (text.trim().length < 3) {
      panel.hidden = true;
      return;
    }

    try {
      const result = await get(`/api/kb/suggestions?${new URLSearchParams({ subject: text, limit: '5' })}`);
      if (ticket !== asked) return;
      panel.hidden = result.items.length === 0;
      fill(list, result.items.map(article => item(article, text)));
      if (result.items.length) announce(`${result.items.length} articles may answer your question.`);
    } catch (error) {
      panel.hidden = false;
      showError(list, error);
    }
  }

  function item(article, text) {
    const body = h('div', { class: 'kb-article-body', hidden: true });
    const status = h('p', { class: 'hint', 'aria-live': 'polite' });
    const open = h('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false' }, 'Read');
    const solved = h('button', { type: 'button', class: 'kb-solved' }, 'This solved it');
    open.addEventListener('click', async () => {
      if (body.hidden && !body.dataset.loaded) {
        const full = await get(`/api/kb/articles/${article.id}`);
        // bodyHtml is Markdown rendered and sanitised on the server (HtmlSanitizer); the page's CSP blocks inline script too.
        body.innerHTML = full.bodyHtml;
        body.dataset.loaded = 'true';
      }
      body.hidden = !body.hidden;
      open.setAttribute('aria-expanded', String(!body.hidden));
    });
    solved.addEventListener('click', async () => {
      try {
        await post(`/api/kb/articles/${article.id}/deflections`, { subject: text });
        fill(status, 'Glad it helped. No ticket was opened.');
        solved.disabled = true;
        announce('Thanks: no ticket was opened.');
      } catch (error) {
        showError(status, error);
      }
    });
    return h('li', { class: 'kb-suggestion', 'data-article': String(article.id) },
      h('strong', { text: article.title }), h('p', null, snippet(article.snippet)), open, ' ', solved, body, status);
  }
}

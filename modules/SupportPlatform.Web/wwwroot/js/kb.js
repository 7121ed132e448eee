// Console knowledge base: search and list articles, read one, edit it (new version), move it through review, compare
// versions, and the reports (most used, topics with no article).
import { get, post, put, requireUser } from './api.js';
import { h, fill, $, announce, showError, formatDate, consoleHeader, holdForms, markReady } from './dom.js';
import { snippet, stateLabel, diffList } from './kb-common.js';

holdForms();
const me = await requireUser('staff');
document.getElementById('header').replaceWith(consoleHeader(me, 'kb'));
let current = null;

$('#kb-search').addEventListener('submit', event => { event.preventDefault(); search(); });
$('#kb-new').addEventListener('click', () => edit(null));
$('#kb-edit-cancel').addEventListener('click', () => { $('#kb-editor').hidden = true; });
$('#kb-edit-form').addEventListener('submit', save);
await Promise.all([search(), reports()]);
const wanted = new URLSearchParams(location.search).get('id');
if (wanted) await show(Number(wanted));
markReady();

async function search() {
  const form = $('#kb-search');
  const q = form.elements.q.value.trim();
  const state = form.elements.state.value;
  try {
    if (q) {
      const result = await get(`/api/kb/search?${new URLSearchParams({ q, ...(state ? { state } : {}) })}`);
      $('#kb-fuzzy').hidden = !result.fuzzy;
      fill($('#kb-fuzzy'), result.corrected ? `Nothing matched exactly; showing results for "${result.corrected}".` : 'Nothing matched exactly; showing close matches.');
      fill($('#kb-results'), result.items.length ? result.items.map(a => row(a, snippet(a.snippet))) : h('li', { text: 'No article matches.' }));
    } else {
      const page = await get(`/api/kb/articles?${new URLSearchParams({ pageSize: '50', ...(state ? { state } : {}) })}`);
      $('#kb-fuzzy').hidden = true;
      fill($('#kb-results'), page.items.length ? page.items.map(a => row(a, null)) : h('li', { text: 'No articles yet.' }));
    }
  } catch (error) {
    showError($('#error'), error);
  }
}

function row(a, extra) {
  return h('li', { class: 'kb-row', 'data-article': String(a.id) },
    h('a', { href: `/console/kb?id=${a.id}`, text: a.title, on: { click: event => { event.preventDefault(); show(a.id); } } }),
    ` · ${stateLabel(a.state)} · ${a.visibility}`, extra ? h('p', { class: 'hint' }, extra) : null);
}

async function show(id) {
  const section = $('#kb-article');
  try {
    const a = await get(`/api/kb/articles/${id}`);
    current = a;
    history.replaceState(null, '', `/console/kb?id=${id}`);
    const body = h('div', { class: 'kb-article-body' });
    // bodyHtml is Markdown rendered and sanitised on the server (HtmlSanitizer); the page's CSP blocks inline script too.
    body.innerHTML = a.bodyHtml;
    const moves = { draft: ['in-review', 'archived'], 'in-review': ['draft', 'published'], published: ['draft', 'archived'], archived: ['draft'] }[a.state] ?? [];
    const status = h('div', { 'aria-live': 'polite' });
    const versions = await get(`/api/kb/articles/${id}/versions`);
    const from = h('select', { id: 'kb-diff-from', name: 'from' }, versions.map(v => h('option', { value: String(v.version), selected: v.version === Math.max(1, a.version - 1), text: `v${v.version}` })));
    const to = h('select', { id: 'kb-diff-to', name: 'to' }, versions.map(v => h('option', { value: String(v.version), selected: v.version === a.version, text: `v${v.version}` })));
    const diff = h('div', { id: 'kb-diff' });
    fill(section,
      h('h2', { id: 'kb-article-title', text: a.title }),
      h('p', { class: 'hint', text: `${stateLabel(a.state)} · ${a.visibility}${a.accountId ? ` (${a.accountId})` : ''} · version ${a.version} · by ${a.authorName}${a.reviewerName ? `, reviewed by ${a.reviewerName}` : ''} · updated ${formatDate(a.updatedAt)}` }),
      h('p', { class: 'hint', text: `Tags: ${a.tags.join(', ') || '—'} · used on ${a.counts.usedOn} tickets · ${a.counts.helpful} helpful, ${a.counts.notHelpful} not · ${a.counts.deflections} questions answered in the portal` }),
      body,
      h('div', null,
        (a.state === 'draft' || a.state === 'in-review') ? h('button', { type: 'button', class: 'secondary', on: { click: () => edit(a) } }, 'Edit') : null,
        moves.map(to => h('button', { type: 'button', class: 'secondary', 'data-move': to, on: { click: () => move(a.id, to, status) } }, moveLabel(to)))),
      status,
      h('h3', null, 'Compare versions'),
      h('form', { class: 'row', on: { submit: event => { event.preventDefault(); compare(a.id, from.value, to.value, diff); } } },
        h('label', { for: 'kb-diff-from' }, 'From '), from, h('label', { for: 'kb-diff-to' }, ' to '), to, h('button', { type: 'submit' }, 'Compare')),
      diff,
      a.tickets.length ? [h('h3', null, 'Tickets'), h('ul', { class: 'plain' }, a.tickets.map(t => h('li', null, h('a', { href: `/console/tickets/${t.ticketId}`, text: `#${t.ticketId}` }), ` ${t.relation.replace('-', ' ')}`)))] : null);
    section.hidden = false;
  } catch (error) {
    showError($('#error'), error);
  }
}

const moveLabel = to => ({ 'in-review': 'Submit for review', published: 'Publish', archived: 'Archive', draft: 'Back to draft' })[to];

async function move(id, to, status) {
  try {
    await post(`/api/kb/articles/${id}/state`, { to });
    announce(`Article is now ${stateLabel(to)}.`);
    await show(id);
    await search();
  } catch (error) {
    showError(status, error);
  }
}

async function compare(id, from, to, target) {
  try {
    const d = await get(`/api/kb/articles/${id}/diff?from=${from}&to=${to}`);
    fill(target,
      d.fields.length ? h('ul', { class: 'plain' }, d.fields.map(f => h('li', { text: `${f.field}: ${f.from ?? '—'} → ${f.to ?? '—'}` }))) : null,
      diffList([...d.title, ...d.body], `Changes from version ${from} to ${to}`));
  } catch (error) {
    showError(target, error);
  }
}

function edit(a) {
  const form = $('#kb-edit-form');
  form.dataset.id = a ? String(a.id) : '';
  form.dataset.version = a ? String(a.version) : '';
  form.elements.title.value = a?.title ?? '';
  form.elements.body.value = a?.body ?? '';
  form.elements.tags.value = a?.tags.join(', ') ?? '';
  form.elements.category.value = a?.category ?? '';
  form.elements.visibility.value = a?.visibility ?? 'internal';
  form.elements.accountId.value = a?.accountId ?? '';
  fill($('#kb-editor-title'), a ? `Edit "${a.title}"` : 'New article');
  $('#kb-editor').hidden = false;
  form.elements.title.focus();
}

async function save(event) {
  event.preventDefault();
  const form = event.target;
  const body = {
    title: form.elements.title.value, body: form.elements.body.value,
    tags: form.elements.tags.value.split(',').map(t => t.trim()).filter(Boolean), category: form.elements.category.value,
    visibility: form.elements.visibility.value, accountId: form.elements.accountId.value.trim() || null,
  };
  try {
    const saved = form.dataset.id
      ? await put(`/api/kb/articles/${form.dataset.id}`, { ...body, expectedVersion: Number(form.dataset.version) })
      : await post('/api/kb/articles', body);
    $('#kb-editor').hidden = true;
    announce(`Saved version ${saved.version}.`);
    await show(saved.id);
    await search();
  } catch (error) {
    showError(form.querySelector('.form-error'), error);
  }
}

async function reports() {
  try {
    const [used, gaps] = await Promise.all([get('/api/kb/reports/most-used?days=30&limit=10'), get('/api/kb/reports/gaps?days=30&limit=10')]);
    fill($('#kb-most-used'), used.length ? used.map(u => h('li', { text: `${u.title}: ${u.usedOn} tickets, ${u.deflections} deflections, ${u.helpful}/${u.helpful + u.notHelpful} helpful` })) : h('li', { text: 'No use recorded yet.' }));
    const items = [...gaps.topics.map(t => `${t.topic} (${t.kind}, ${t.tickets} tickets)`), ...gaps.searches.map(s => `"${s.query}" searched ${s.count}×, nothing found`)];
    fill($('#kb-gaps'), items.length ? items.map(text => h('li', { text })) : h('li', { text: 'None found.' }));
  } catch (error) {
    showError($('#error'), error);
  }
}

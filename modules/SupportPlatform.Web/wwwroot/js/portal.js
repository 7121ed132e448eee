// The client portal: the account's tickets, opening a ticket with attachments, following one and replying.
// Only public replies are shown; the server decides what a client may see, this page never shows internal notes.
// The phone hours of the account (allowance used, left, overage) are under the ticket list. Monitoring, reports,
// invoices and estimates appear here once their APIs exist (later issues).
import { api, get, post, requireUser } from './api.js';
import { h, fill, $, announce, showError, richText, formatDate, label, portalHeader, holdForms, markReady } from './dom.js';
import { attachmentLinks, actorName } from './history.js';
import { showBalanceHistory } from './hours.js';

holdForms();

const me = await requireUser('client');
const path = location.pathname.replace(/\/+$/, '');
const main = $('#main');
const ticketMatch = path.match(/^\/portal\/tickets\/(\d+)$/);
document.getElementById('header').replaceWith(portalHeader(me, path === '/portal/new' ? 'new' : 'tickets'));

if (ticketMatch) await showTicket(Number(ticketMatch[1]));
else if (path === '/portal/new') showNewTicket();
else await showList();
markReady();

async function showList() {
  document.title = 'My tickets · Support portal';
  const error = h('div');
  const list = h('div', { class: 'table-wrap' });
  const hours = h('section', { class: 'panel', 'aria-labelledby': 'hours-title' }, h('h2', { id: 'hours-title', text: 'Phone support hours' }), h('div', { id: 'hours' }));
  fill(main, h('h1', { text: 'My tickets' }), h('p', null, h('a', { class: 'button', href: '/portal/new' }, 'Open a new ticket')), error, list, hours);
  if (me.accountId) showBalanceHistory($('#hours'), me.accountId);
  else hours.remove();
  try {
    const query = new URLSearchParams({ sort: 'updated', pageSize: '100' });
    if (me.accountId) query.set('accountId', me.accountId);
    const page = await get(`/api/tickets?${query}`);
    if (page.items.length === 0) {
      fill(list, h('p', { class: 'notice', text: 'You have no tickets yet.' }));
      return;
    }
    fill(list, h('table', { class: 'cards', id: 'tickets' },
      h('caption', { class: 'visually-hidden', text: 'Your account’s tickets, most recently updated first' }),
      h('thead', null, h('tr', null, ['Ticket', 'Subject', 'Status', 'Priority', 'Updated'].map(c => h('th', { scope: 'col', text: c })))),
      h('tbody', null, page.items.map(t => h('tr', { 'data-ticket': t.id },
        h('td', { 'data-label': 'Ticket' }, h('a', { href: `/portal/tickets/${t.id}`, text: `#${t.id}` })),
        h('td', { 'data-label': 'Subject' }, h('a', { href: `/portal/tickets/${t.id}`, class: 'subject', text: t.subject })),
        h('td', { 'data-label': 'Status', text: label(t.status) }),
        h('td', { 'data-label': 'Priority', text: label(t.priority) }),
        h('td', { 'data-label': 'Updated', text: formatDate(t.updatedAt) }))))));
  } catch (e) {
    showError(error, e);
  }
}

function showNewTicket() {
  document.title = 'New ticket · Support portal';
  const error = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'panel', id: 'new-ticket', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'subject' }, 'Subject'), h('input', { id: 'subject', name: 'subject', required: true, maxlength: 200 })),
    h('div', { class: 'field' }, h('label', { for: 'description' }, 'What happened?'), h('textarea', { id: 'description', name: 'description', required: true })),
    h('div', { class: 'field' }, h('label', { for: 'priority' }, 'Priority'),
      h('select', { id: 'priority', name: 'priority' }, ['low', 'normal', 'high', 'critical'].map(p => h('option', { value: p, selected: p === 'normal', text: label(p) })))),
    h('div', { class: 'field' }, h('label', { for: 'files' }, 'Attachments ', h('span', { class: 'hint', text: '(optional: screenshots, logs, documents)' })),
      h('input', { id: 'files', name: 'files', type: 'file', multiple: true })),
    error,
    h('button', { type: 'submit' }, 'Open ticket'));
  fill(main, h('h1', { text: 'Open a new ticket' }), form);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const subject = form.elements.subject.value.trim();
    const description = form.elements.description.value.trim();
    if (!subject || !description) {
      showError(error, new Error('Give the ticket a subject and describe the problem.'));
      return;
    }
    form.querySelector('button').disabled = true;
    try {
      const ticket = await api('POST', '/api/tickets', {
        accountId: me.accountId, requesterId: me.id, subject, description, priority: form.elements.priority.value, channel: 'portal',
      });
      const files = form.elements.files.files;
      if (files.length > 0) {
        const data = new FormData();
        for (const f of files) data.append('files', f);
        try {
          await api('POST', `/api/tickets/${ticket.id}/attachments`, data);
        } catch (e) {
          // The ticket exists; say what happened to the files and let the client add them on the ticket page.
          location.assign(`/portal/tickets/${ticket.id}?attachmentError=${encodeURIComponent(e.message)}`);
          return;
        }
      }
      location.assign(`/portal/tickets/${ticket.id}`);
    } catch (e) {
      showError(error, e);
      form.querySelector('button').disabled = false;
    }
  });
}

async function showTicket(id) {
  const error = h('div');
  fill(main, h('p', null, h('a', { href: '/portal', text: 'All my tickets' })), error);
  let ticket;
  let history;
  try {
    [ticket, history] = await Promise.all([get(`/api/tickets/${id}`), get(`/api/tickets/${id}/history`)]);
  } catch (e) {
    showError(error, e.status === 404 ? new Error(`Ticket ${id} was not found.`) : e);
    return;
  }
  if (me.accountId && ticket.accountId !== me.accountId) {
    // The server hides other accounts' tickets from client users; this is the same answer if one ever slipped through.
    showError(error, new Error(`Ticket ${id} was not found.`));
    return;
  }
  document.title = `#${ticket.id} ${ticket.subject} · Support portal`;
  const conversation = history
    .map(entry => entry.event)
    .filter(e => e.kind === 'comment' && e.visibility === 'public');
  const pending = new URLSearchParams(location.search).get('attachmentError');
  const replyError = h('div', { 'aria-live': 'polite' });
  const reply = h('form', { class: 'panel', id: 'reply-form' },
    h('div', { class: 'field' }, h('label', { for: 'reply-body' }, 'Your reply'), h('textarea', { id: 'reply-body', name: 'body' })),
    h('div', { class: 'field' }, h('label', { for: 'reply-files' }, 'Attachments ', h('span', { class: 'hint', text: '(optional)' })),
      h('input', { id: 'reply-files', name: 'files', type: 'file', multiple: true })),
    replyError,
    h('button', { type: 'submit' }, 'Send reply'));
  main.append(
    h('h1', null, `#${ticket.id} `, h('span', { class: 'subject', text: ticket.subject })),
    pending ? h('p', { class: 'error', role: 'alert', text: `The ticket was opened, but the attachments were not added: ${pending}` }) : null,
    h('dl', { class: 'meta panel' },
      h('dt', { text: 'Status' }), h('dd', { text: label(ticket.status) }),
      h('dt', { text: 'Priority' }), h('dd', { text: label(ticket.priority) }),
      h('dt', { text: 'Opened' }), h('dd', { text: formatDate(ticket.createdAt) }),
      h('dt', { text: 'Updated' }), h('dd', { text: formatDate(ticket.updatedAt) })),
    h('section', { 'aria-labelledby': 'desc-title', class: 'panel' }, h('h2', { id: 'desc-title', text: 'Your request' }),
      richText(ticket.description), attachmentLinks(ticket.id, ticket.attachments)),
    h('section', { 'aria-labelledby': 'conv-title' }, h('h2', { id: 'conv-title', text: 'Conversation' }),
      conversation.length === 0 ? h('p', { class: 'notice', text: 'No replies yet.' }) :
        h('ol', { class: 'history', id: 'conversation' }, conversation.map(e => h('li', { class: 'comment', 'data-kind': 'comment' },
          h('div', { class: 'event-head' }, h('time', { datetime: e.at, text: formatDate(e.at) }), ' · ',
            e.actor?.kind === 'staff' ? `${actorName(e.actor)} (support)` : actorName(e.actor)),
          richText(e.body), attachmentLinks(ticket.id, e.attachments))))),
    h('section', { 'aria-labelledby': 'reply-title' }, h('h2', { id: 'reply-title', text: 'Reply' }), reply));
  reply.addEventListener('submit', async event => {
    event.preventDefault();
    const body = reply.elements.body.value.trim();
    const files = reply.elements.files.files;
    if (!body && files.length === 0) {
      showError(replyError, new Error('Write a reply or attach a file.'));
      return;
    }
    reply.querySelector('button').disabled = true;
    try {
      let result;
      if (files.length > 0) {
        const data = new FormData();
        if (body) data.append('body', body);
        for (const f of files) data.append('files', f);
        result = await api('POST', `/api/tickets/${id}/attachments`, data);
      } else {
        result = await post(`/api/tickets/${id}/comments`, { body });
      }
      announce('Reply sent.');
      // A reply to a closed ticket (or after the reopen window) opens a linked follow-up: go there.
      location.assign(`/portal/tickets/${result?.followUpTicket ?? id}`);
    } catch (e) {
      showError(replyError, e);
      reply.querySelector('button').disabled = false;
    }
  });
}

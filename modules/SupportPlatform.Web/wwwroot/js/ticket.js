// A ticket in the console: details, SLA, full history, reply / internal note with attachments, status, priority,
// assignment, escalation, merge, related tickets; who else is looking (presence) and their changes, live.
import { api, get, post, requireUser } from './api.js';
import { h, fill, $, announce, showError, richText, formatDate, relative, label, consoleHeader, holdForms, markReady } from './dom.js';
import { historyItem, attachmentLinks } from './history.js';
import { connectLive, showLiveStatus } from './live.js';
import { showBalance } from './hours.js';

holdForms();

const id = Number(location.pathname.split('/').pop());
const me = await requireUser('staff');
document.getElementById('header').replaceWith(consoleHeader(me, 'queue'));

let ticket = null;
let agents = [];
let live = null;

await Promise.all([loadChoices(), refresh()]);
wireForms();
markReady();
live = connectLive({
  status: state => showLiveStatus($('#live'), state),
  connected: async connection => {
    await connection.invoke('WatchTicket', id);
    await refresh(); // anything changed while we were disconnected
  },
  ticketChanged: change => {
    if (change?.ticket && change.ticket.id !== id) return;
    scheduleRefresh();
    if (change?.detail) announce(change.detail);
    else if (change?.kind) announce(`Ticket ${id}: ${label(change.kind)}`);
  },
  presence: showPresence,
});
addEventListener('pagehide', () => live?.state === 'Connected' && live.invoke('UnwatchTicket', id).catch(() => {}));

setInterval(() => ticket && showBalance($('#hours'), ticket.accountId), 60_000);

let refreshTimer;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 150);
}

async function refresh() {
  try {
    const [t, history] = await Promise.all([get(`/api/tickets/${id}`), get(`/api/tickets/${id}/history`)]);
    ticket = t;
    render(t, history);
    // A call counted on this ticket arrives as a ticket change (its call note); calls on the account's other
    // tickets are picked up by the minute's refresh below.
    await showBalance($('#hours'), t.accountId);
    showError($('#error'), null);
  } catch (error) {
    showError($('#error'), error);
  }
}

async function loadChoices() {
  try {
    const [agentList, vendors] = await Promise.all([get('/api/agents'), get('/api/vendors')]);
    agents = agentList;
    fill($('#assign-groups'), [...new Set(agentList.flatMap(a => a.groups))].sort().map(g => h('option', { value: g })));
    $('#assign-agent').append(...agentList.filter(a => a.active).map(a => h('option', { value: a.id, text: `${a.displayName} (${a.groups.join(', ')})` })));
    $('#escalate-vendor').append(...vendors.map(v => h('option', { value: v.id, text: v.name })));
  } catch (error) {
    showError($('#error'), error);
  }
}

let rendered = {};

function render(t, history) {
  document.title = `#${t.id} ${t.subject} · SupportPlatform`;
  fill($('#title'), `#${t.id} `, h('span', { class: 'subject', text: t.subject }));
  fill($('#description'), richText(t.description || '(no description)'), attachmentLinks(t.id, t.attachments));
  const agent = agents.find(a => a.id === t.agentId);
  const rows = [
    ['Status', label(t.status)], ['Priority', label(t.priority)], ['Account', t.accountId], ['Requester', t.requesterId],
    ['Channel', label(t.channel)], ['Type', t.type || '—'], ['Group', t.group || '—'], ['Agent', agent ? agent.displayName : (t.agentId || 'Unassigned')],
    ['Escalation level', String(t.escalationLevel)], ['Tags', t.tags.join(', ') || '—'], ['Opened', formatDate(t.createdAt)],
    ['Updated', formatDate(t.updatedAt)], ['Resolution', t.resolutionNote || '—'],
  ];
  fill($('#details'), rows.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]),
    t.externalReferences.flatMap(r => [h('dt', { text: r.system }), h('dd', null, r.url ? h('a', { href: r.url, rel: 'noopener noreferrer', target: '_blank', text: r.reference }) : r.reference)]));
  fill($('#sla'), t.sla.length ? t.sla.map(c => h('li', null, h('strong', { text: label(c.kind) }), ': ', slaText(c))) : h('li', { text: 'No SLA clocks.' }));
  fill($('#history'), history.map(entry => historyItem(entry, id)));

  // A re-render (a live change) resets a choice only when the ticket's own value changed, so an agent's pending
  // selection survives other people's edits.
  const form = $('#status-form');
  if (t.status !== 'new' && t.status !== rendered.status) form.elements.status.value = t.status;
  if (t.priority !== rendered.priority) $('#priority-form').elements.priority.value = t.priority;
  rendered = { status: t.status, priority: t.priority };
  const assign = $('#assign-form');
  if (document.activeElement?.form !== assign) {
    assign.elements.group.value = t.group || '';
    assign.elements.agentId.value = t.agentId || '';
  }
  renderRelated(t, history);
}

function slaText(c) {
  if (c.breached) return h('span', { class: 'due-breached', text: `breached (was due ${formatDate(c.dueAt)})` });
  if (c.metAt) return `met ${formatDate(c.metAt)}`;
  if (c.state === 'running' && c.dueAt) {
    const ms = Date.parse(c.dueAt) - Date.now();
    return h('span', { class: ms < 3600000 ? 'due-soon' : null, text: `due ${relative(ms)} (${formatDate(c.dueAt)})` });
  }
  return label(c.state);
}

async function renderRelated(t, history) {
  const links = new Map();
  for (const r of t.related) links.set(r, 'related');
  for (const r of t.mergedFrom) links.set(r, 'merged into this one');
  if (t.mergedInto) links.set(t.mergedInto, 'this ticket was merged into it');
  for (const { event: e } of history) {
    if (e.kind === 'split-off') links.set(e.newTicket, 'split off from this one');
    if (e.kind === 'follow-up') links.set(e.newTicket, 'follow-up');
  }
  links.delete(id);
  const list = $('#related');
  if (links.size === 0) {
    fill(list, h('li', { class: 'notice', text: 'None.' }));
    return;
  }
  const items = await Promise.all([...links].map(async ([rid, why]) => {
    let subject = '';
    try { subject = (await get(`/api/tickets/${rid}`)).subject; } catch { /* shown without a subject */ }
    return h('li', null, h('a', { href: `/console/tickets/${rid}`, text: `#${rid} ${subject}`.trim() }), h('span', { class: 'hint', text: ` (${why})` }));
  }));
  fill(list, items);
}

function showPresence(message) {
  if (!message || message.ticketId !== id) return;
  const others = (message.viewers || []).filter(v => v.id !== me.id);
  const target = $('#presence');
  if (others.length === 0) {
    target.textContent = '';
    return;
  }
  fill(target, 'Also here: ', others.map((v, i) => [i ? ', ' : '', h('strong', { text: v.name || v.id }), v.typing ? ' (typing…)' : '']));
}

/** Runs a form's action, shows its error next to the form, refreshes the ticket after. */
function onSubmit(selector, action) {
  const form = $(selector);
  const errorBox = form.querySelector('.form-error') || $('#reply-error');
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await action(form);
      showError(errorBox, null);
      await refresh();
      announce('Saved.');
    } catch (error) {
      showError(errorBox, error);
    } finally {
      button.disabled = false;
    }
  });
}

function wireForms() {
  onSubmit('#reply-form', async form => {
    const body = form.elements.body.value;
    const visibility = form.elements.visibility.value;
    const files = form.elements.files.files;
    if (files.length > 0) {
      const data = new FormData();
      data.append('body', body);
      data.append('visibility', visibility);
      for (const f of files) data.append('files', f);
      await api('POST', `/api/tickets/${id}/attachments`, data);
    } else {
      await post(`/api/tickets/${id}/comments`, { body, visibility });
    }
    form.reset();
    typing(false);
  });
  onSubmit('#status-form', form => post(`/api/tickets/${id}/status`, { status: form.elements.status.value, note: form.elements.note.value || null }));
  onSubmit('#priority-form', form => post(`/api/tickets/${id}/priority`, { priority: form.elements.priority.value, reason: form.elements.reason.value || null }));
  onSubmit('#assign-form', form => post(`/api/tickets/${id}/assignment`, { group: form.elements.group.value || null, agentId: form.elements.agentId.value || null }));
  onSubmit('#escalate-form', form => post(`/api/tickets/${id}/escalations`, {
    toGroup: form.elements.toGroup.value || null, vendorId: form.elements.vendorId.value || null, reason: form.elements.reason.value,
  }));
  onSubmit('#merge-form', async form => {
    await post(`/api/tickets/${id}/merge`, { target: Number(form.elements.target.value) });
    announce(`Merged into ticket ${form.elements.target.value}.`);
  });
  $('#assign-me').addEventListener('click', async () => {
    try {
      await post(`/api/tickets/${id}/assignment`, { group: ticket?.group ?? null, agentId: me.id });
      await refresh();
      announce('Assigned to you.');
    } catch (error) {
      showError($('#assign-form .form-error'), error);
    }
  });
  let typingTimer;
  $('#reply-body').addEventListener('input', () => {
    typing(true);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => typing(false), 3000);
  });
}

let isTyping = false;
function typing(value) {
  if (value === isTyping || !live || live.state !== 'Connected') return;
  isTyping = value;
  live.invoke('Typing', id, value).catch(() => {});
}

// The live queue: open tickets, most urgent first, filtered by group, agent, account, priority and channel. The list
// comes from GET /api/tickets?sort=queue; queueChanged pushes from /hubs/live are applied in place (no reload).
import { get, requireUser } from './api.js';
import { h, fill, $, announce, showError, relative, label, consoleHeader, holdForms, markReady } from './dom.js';
import { connectLive, showLiveStatus } from './live.js';

holdForms();

const OPEN = ['new', 'open', 'pending-client', 'pending-vendor', 'on-hold'];
const PRIORITY_RANK = { critical: 0, high: 1, normal: 2, low: 3 };
const FILTERS = ['group', 'agentId', 'accountId', 'priority', 'channel'];

const tickets = new Map(); // id -> ticket summary
let lastSeq = null;
let loading = null; // while the list loads, pushed changes wait here
let agents = new Map();

const me = await requireUser('staff');
document.getElementById('header').replaceWith(consoleHeader(me, 'queue'));
const form = $('#filters');
const body = $('#queue tbody');

readFiltersFromUrl();
await loadChoices();
await reload();
markReady();
connectLive({
  queueChanged: change => (loading ? loading.push(change) : apply(change, true)),
  status: state => showLiveStatus($('#live'), state),
  connected: async connection => {
    const result = await connection.invoke('SubscribeQueue', lastSeq);
    if (result?.reset) await reload();
    else for (const change of result?.changes ?? []) apply(change, false);
  },
});
setInterval(refreshDueTimes, 30000);

form.addEventListener('change', filtersChanged);
form.addEventListener('input', event => { if (event.target.name === 'group') filtersChanged(); });
form.addEventListener('reset', () => setTimeout(filtersChanged));
form.addEventListener('submit', event => { event.preventDefault(); filtersChanged(); });

function filters() {
  const data = new FormData(form);
  return Object.fromEntries(FILTERS.map(name => [name, String(data.get(name) || '').trim()]).filter(([, v]) => v));
}

function readFiltersFromUrl() {
  const query = new URLSearchParams(location.search);
  for (const name of FILTERS) if (query.has(name)) form.elements[name].dataset.initial = query.get(name);
  form.elements.group.value = query.get('group') || '';
}

let filterTimer;
function filtersChanged() {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => {
    const query = new URLSearchParams(filters());
    history.replaceState(null, '', query.size ? `?${query}` : location.pathname);
    reload();
  }, 200);
}

async function loadChoices() {
  try {
    const [agentList, accounts] = await Promise.all([get('/api/agents'), get('/api/accounts')]);
    agents = new Map(agentList.map(a => [a.id, a]));
    const groups = [...new Set(agentList.flatMap(a => a.groups))].sort();
    fill($('#groups'), groups.map(g => h('option', { value: g })));
    const agentSelect = form.elements.agentId;
    agentSelect.append(...agentList.map(a => h('option', { value: a.id, text: a.displayName })));
    const accountSelect = form.elements.accountId;
    accountSelect.append(...accounts.map(a => h('option', { value: a.id, text: a.name })));
    for (const name of FILTERS) {
      const el = form.elements[name];
      if (el.dataset.initial) el.value = el.dataset.initial;
    }
  } catch (error) {
    showError($('#error'), error);
  }
}

async function reload() {
  loading = [];
  try {
    const query = new URLSearchParams({ sort: 'queue', status: OPEN.join(','), pageSize: '200', ...filters() });
    const page = await get(`/api/tickets?${query}`);
    tickets.clear();
    for (const t of page.items) tickets.set(t.id, t);
    showError($('#error'), null);
    const waiting = loading;
    loading = null;
    for (const change of waiting) apply(change, false);
    render();
  } catch (error) {
    loading = null;
    showError($('#error'), error);
  }
}

function matches(t) {
  const f = filters();
  return OPEN.includes(t.status)
    && (!f.group || t.group === f.group)
    && (!f.agentId || t.agentId === f.agentId)
    && (!f.accountId || t.accountId === f.accountId)
    && (!f.priority || t.priority === f.priority)
    && (!f.channel || t.channel === f.channel);
}

/** Applies one queueChanged change: the ticket is added, updated in place or removed; others are untouched. */
function apply(change, announceIt) {
  if (change == null) return;
  if (typeof change.seq === 'number') {
    if (lastSeq !== null && change.seq <= lastSeq) return;
    lastSeq = change.seq;
  }
  const t = change.ticket;
  if (!t) {
    if (announceIt && change.detail) announce(change.detail);
    return;
  }
  const known = tickets.get(t.id);
  if (known && known.updatedAt && t.updatedAt && new Date(t.updatedAt) < new Date(known.updatedAt)) return;
  const merged = { ...(known || {}), ...t };
  if (matches(merged)) tickets.set(t.id, merged);
  else tickets.delete(t.id);
  if (known || matches(merged)) {
    render(t.id);
    if (announceIt) announce(describeChange(change, merged));
  }
}

function describeChange(change, t) {
  const what = {
    created: 'new ticket', updated: 'updated', assigned: 'assigned', replied: 'new reply', status: `now ${label(t.status)}`,
    'sla-warning': 'SLA warning', 'sla-breach': 'SLA breached', escalated: 'escalated', merged: 'merged',
  }[change.kind] || label(change.kind);
  return `Ticket ${t.id} ${what}: ${t.subject}`;
}

// The server's queue order (sort=queue): breached first, then time to breach, then no running clock; priority breaks ties.
function compare(a, b) {
  if (!!a.breached !== !!b.breached) return a.breached ? -1 : 1;
  const da = a.nextDueAt ? Date.parse(a.nextDueAt) : Infinity;
  const db = b.nextDueAt ? Date.parse(b.nextDueAt) : Infinity;
  if (da !== db) return da < db ? -1 : 1;
  const p = (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9);
  if (p) return p;
  return a.id - b.id;
}

function render(changedId) {
  const sorted = [...tickets.values()].sort(compare);
  fill(body, sorted.map(t => row(t, t.id === changedId)));
  if (sorted.length === 0) body.append(h('tr', null, h('td', { colspan: 9, text: 'No open tickets match these filters.' })));
  $('#count').textContent = `${sorted.length} open ticket${sorted.length === 1 ? '' : 's'}`;
}

function due(t) {
  if (t.breached) return h('span', { class: 'due-breached', text: 'Breached' });
  if (!t.nextDueAt) return h('span', { class: 'notice', text: 'No running clock' });
  const ms = Date.parse(t.nextDueAt) - Date.now();
  if (ms < 0) return h('span', { class: 'due-breached', text: `Due ${relative(ms)}` });
  return h('span', { class: ms < 3600000 ? 'due-soon' : null, text: relative(ms), title: new Date(t.nextDueAt).toLocaleString() });
}

function row(t, changed) {
  const agent = t.agentId ? (agents.get(t.agentId)?.displayName || t.agentId) : 'Unassigned';
  return h('tr', { 'data-ticket': t.id, class: changed ? 'changed' : null },
    h('td', { 'data-label': 'Ticket' }, h('a', { href: `/console/tickets/${t.id}`, 'aria-label': `Ticket ${t.id}` }, `#${t.id}`)),
    h('td', { 'data-label': 'Subject' }, h('a', { href: `/console/tickets/${t.id}`, class: 'subject', text: t.subject })),
    h('td', { 'data-label': 'Time to breach', class: 'due' }, due(t)),
    h('td', { 'data-label': 'Priority' }, h('span', { class: `p-${t.priority}`, text: label(t.priority) })),
    h('td', { 'data-label': 'Status', text: label(t.status) }),
    h('td', { 'data-label': 'Account', text: t.accountId }),
    h('td', { 'data-label': 'Group', text: t.group || '—' }),
    h('td', { 'data-label': 'Agent', text: agent }),
    h('td', { 'data-label': 'Channel', text: label(t.channel) }));
}

function refreshDueTimes() {
  for (const tr of body.querySelectorAll('tr[data-ticket]')) {
    const t = tickets.get(Number(tr.dataset.ticket));
    if (t) fill(tr.querySelector('.due'), due(t));
  }
}

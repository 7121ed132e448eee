// Monitoring dashboards over GET /api/monitoring/dashboard. Three views of the same answer:
// - /portal/monitoring: a client user's own systems (state, problems, uptime over 7/30/90 days against the target,
//   open incidents with their tickets, recent and coming maintenance);
// - /console/monitoring: the same for every account, or one (?account=), for staff;
// - /console/monitoring/wall: a full-screen wall of every open incident, oldest first, for the operations room.
// Each view updates live: the monitoring hub (/hubs/monitoring) says which systems changed (a client user only ever hears
// of their own account's) and the view reloads the dashboard at once. After a reconnect (or a `resync`) it reloads too,
// since changes may have been missed. Only while the hub is unreachable does it fall back to refreshing every 15 seconds
// (and at once when the tab becomes visible again); the status line says which, and when it last updated, and says so
// when a refresh fails instead of showing stale data as current.
import { get, requireUser } from './api.js';
import { connectLive } from './live.js';
import { h, fill, $, announce, showError, formatDate, relative, label, consoleHeader, portalHeader, markReady } from './dom.js';

// ?refresh=N (2 to 600 seconds) changes the fallback refresh interval used while live updates are unavailable.
const requested = Number(new URLSearchParams(location.search).get('refresh'));
const REFRESH_MS = requested >= 2 && requested <= 600 ? requested * 1000 : 15000;
const path = location.pathname.replace(/\/+$/, '');
const portal = path.startsWith('/portal');
const wall = path === '/console/monitoring/wall';
const me = await requireUser(portal ? 'client' : 'staff');
document.getElementById('header').replaceWith(portal ? portalHeader(me, 'monitoring') : consoleHeader(me, 'monitoring'));
const content = $('#content');
const account = portal ? me.accountId : new URLSearchParams(location.search).get('account');
const status = h('p', { class: 'status-line', id: 'refreshed' });
const error = h('div');
const body = h('div', { id: 'dashboard' });
let lastIncidents = null;
let live = 'connecting';
let fallback = null;
let refreshing = null;
let again = false;
let updatedAt = null;
// Module constants come before the first await below: functions called from it must not meet them uninitialised.
const STATE_CLASS = { critical: 'p-critical', warning: 'p-high', unknown: 'p-high', ok: 'state-ok' };

setTitle(wall ? 'Open incidents' : portal ? 'My systems' : account ? `Monitoring: ${account}` : 'Monitoring');
fill(content, wall ? null : nav(), status, error, body);
if (wall) document.body.classList.add('wall');
// Connect first, then load (and load again on every connection): a change between the load and the subscription is
// never missed.
connectLive({
  url: '/hubs/monitoring',
  methods: ['systemsChanged', 'resync'],
  systemsChanged: changes => { if (changes.some(c => !account || c.accountId === account)) refresh(); },
  resync: () => refresh(),
  connected: () => refresh(),
  status: state => {
    live = state;
    // Poll only while the push channel is down.
    if (state === 'connected' && fallback !== null) { clearInterval(fallback); fallback = null; }
    if ((state === 'reconnecting' || state === 'offline') && fallback === null) fallback = setInterval(refresh, REFRESH_MS);
    showStatus();
  },
});
await refresh();
markReady();
document.addEventListener('visibilitychange', () => { if (!document.hidden && live !== 'connected') refresh(); });

function setTitle(text) {
  $('#title').textContent = text;
  document.title = `${text} · ${portal ? 'Support portal' : 'SupportPlatform'}`;
}

function nav() {
  if (portal) return null;
  return h('nav', { class: 'admin-nav', 'aria-label': 'Monitoring views' }, h('ul', null,
    h('li', null, h('a', { href: '/console/monitoring', 'aria-current': account ? null : 'page' }, 'Every account')),
    h('li', null, h('a', { href: '/console/monitoring/wall' }, 'Wall of open incidents'))));
}

// One load at a time; changes arriving meanwhile cause exactly one more load after it.
function refresh() {
  if (refreshing) { again = true; return refreshing; }
  refreshing = (async () => {
    do {
      again = false;
      await load();
    } while (again);
    refreshing = null;
  })();
  return refreshing;
}

function showStatus() {
  const how = live === 'connected' ? 'live updates on.'
    : live === 'connecting' ? 'live updates connecting…'
    : `live updates unavailable, refreshing every ${REFRESH_MS / 1000} s.`;
  status.textContent = updatedAt ? `Updated ${formatDate(updatedAt)}; ${how}` : `Live updates: ${how}`;
  status.dataset.live = live;
}

async function load() {
  try {
    const query = account ? `?accountId=${encodeURIComponent(account)}` : '';
    const data = await get(`/api/monitoring/dashboard${query}`);
    showError(error, null);
    if (wall) renderWall(data);
    else renderDashboard(data);
    updatedAt = data.generatedAt;
    showStatus();
    const ids = data.openIncidents.map(i => i.id).join(',');
    if (lastIncidents !== null && ids !== lastIncidents) announce(`${data.openIncidents.length} open incident(s).`);
    lastIncidents = ids;
  } catch (e) {
    showError(error, new Error(`Could not refresh (${e.message}); the figures below are from the last successful refresh.`));
  }
}

function stateBadge(state, maintenance) {
  if (maintenance) return h('span', { class: 'badge', text: 'in maintenance' });
  return h('span', { class: `badge ${STATE_CLASS[state] ?? ''}`, text: label(state) });
}

function percent(figure) {
  return figure.uptimePercent === null || figure.uptimePercent === undefined ? 'no data' : `${figure.uptimePercent.toFixed(3)} %`;
}

function uptimeCell(figure, target) {
  const below = figure.uptimePercent !== null && figure.uptimePercent !== undefined && figure.uptimePercent < target;
  const down = Math.round(figure.downSeconds / 60);
  const maintenance = Math.round(figure.maintenanceSeconds / 60);
  return h('span', { class: below ? 'p-critical' : null },
    percent(figure), below ? ' (below target)' : null,
    h('span', { class: 'hint', text: ` ${down} min down${maintenance ? `, ${maintenance} min maintenance` : ''}` }));
}

function ticketLink(incident) {
  if (!incident.ticketId) return '—';
  return h('a', { href: portal ? `/portal/tickets/${incident.ticketId}` : `/console/tickets/${incident.ticketId}` }, `#${incident.ticketId}`);
}

function renderDashboard(data) {
  const systems = data.systems;
  if (systems.length === 0) {
    fill(body, h('p', { class: 'notice', text: portal ? 'No systems of yours are monitored yet.' : 'No monitored systems.' }));
    return;
  }
  const columns = portal ? ['System', 'State', 'Problems', 'Uptime 7 days', '30 days', '90 days', 'Target']
    : ['Account', 'System', 'State', 'Problems', 'Uptime 7 days', '30 days', '90 days', 'Target'];
  const rows = systems.map(s => {
    const cells = [
      h('span', null, s.name, h('span', { class: 'hint', text: ` (${s.id})` })),
      stateBadge(s.status, s.inMaintenance),
      s.problems.length ? h('ul', { class: 'plain' }, s.problems.map(p => h('li', null,
        h('strong', { text: p.check || 'host' }), ` ${label(p.state)}${p.flapping ? ', flapping' : ''} since ${formatDate(p.since)}: `, p.summary))) : 'none',
      uptimeCell(s.uptime.last7Days, s.uptime.target),
      uptimeCell(s.uptime.last30Days, s.uptime.target),
      uptimeCell(s.uptime.last90Days, s.uptime.target),
      `${s.uptime.target} %`,
    ];
    if (!portal) cells.unshift(h('a', { href: `/console/monitoring?account=${encodeURIComponent(s.accountId)}` }, s.accountId));
    return h('tr', { 'data-system': s.id }, cells.map((cell, i) => h('td', { 'data-label': columns[i] }, cell)));
  });
  const incidents = data.openIncidents;
  const maintenance = systems.flatMap(s => s.maintenance.map(m => ({ ...m, system: s.name })))
    .sort((a, b) => new Date(b.startsAt) - new Date(a.startsAt));
  const now = Date.now();
  fill(body,
    h('h2', { text: 'Systems' }),
    h('div', { class: 'table-wrap' }, h('table', { class: 'cards', id: 'systems' },
      h('caption', { class: 'visually-hidden', text: 'Monitored systems with their state and uptime' }),
      h('thead', null, h('tr', null, columns.map(c => h('th', { scope: 'col', text: c })))),
      h('tbody', null, rows))),
    data.truncated ? h('p', { class: 'notice', text: 'Only the first 200 systems are shown; choose an account to see the rest.' }) : null,
    h('h2', { text: 'Open incidents' }),
    incidentsTable(incidents, 'incidents'),
    h('h2', { text: 'Maintenance' }),
    maintenance.length ? h('ul', { class: 'plain', id: 'maintenance' }, maintenance.map(m => h('li', null,
      h('strong', { text: m.system }), ` ${formatDate(m.startsAt)} – ${formatDate(m.endsAt)} `,
      h('span', { class: 'hint', text: new Date(m.startsAt) > now ? '(coming)' : new Date(m.endsAt) > now ? '(now)' : '(done)' }),
      m.reason ? `: ${m.reason}` : null))) : h('p', { class: 'notice', text: 'No maintenance in the last 30 days or coming.' }));
}

function incidentsTable(incidents, id) {
  if (incidents.length === 0) return h('p', { class: 'notice', id, text: 'No open incidents.' });
  const columns = ['Incident', 'Summary', 'Opened', 'Acknowledged', 'Ticket'];
  return h('div', { class: 'table-wrap' }, h('table', { class: 'cards', id },
    h('caption', { class: 'visually-hidden', text: 'Open incidents' }),
    h('thead', null, h('tr', null, columns.map(c => h('th', { scope: 'col', text: c })))),
    h('tbody', null, incidents.map(i => h('tr', { 'data-incident': i.id }, [
      h('span', null, i.id, i.category === 'security' ? h('span', { class: 'badge p-critical', text: 'security' }) : null),
      i.summary,
      `${formatDate(i.openedAt)} (${relative(new Date(i.openedAt) - Date.now())})`,
      i.acknowledgedAt ? formatDate(i.acknowledgedAt) : 'not yet',
      ticketLink(i),
    ].map((cell, n) => h('td', { 'data-label': columns[n] }, cell)))))));
}

function renderWall(data) {
  const incidents = [...data.openIncidents].sort((a, b) => new Date(a.openedAt) - new Date(b.openedAt));
  const systems = new Map(data.systems.map(s => [s.id, s]));
  if (incidents.length === 0) {
    fill(body, h('p', { class: 'wall-clear', id: 'incidents', text: 'No open incidents.' }));
    return;
  }
  fill(body, h('ul', { class: 'wall-grid', id: 'incidents' }, incidents.map(i => {
    const system = systems.get(i.systemId);
    return h('li', { class: `wall-tile ${i.category === 'security' ? 'wall-security' : ''} ${i.acknowledgedAt ? 'wall-acked' : ''}`, 'data-incident': i.id },
      h('div', { class: 'wall-account', text: `${i.accountId} · ${system ? system.name : i.systemId}` }),
      h('div', { class: 'wall-summary', text: i.summary }),
      h('div', { class: 'wall-meta' },
        `open ${relative(new Date(i.openedAt) - Date.now()).replace(' ago', '')}`,
        i.acknowledgedAt ? ' · acknowledged' : ' · not acknowledged',
        ' · ', ticketLink(i)));
  })));
}

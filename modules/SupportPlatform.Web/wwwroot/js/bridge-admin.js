// Admin section "Help desk bridge" (/console/admin/bridge) over the bridge's admin API (/api/admin/bridge): per
// configured help desk (Zendesk, Freshdesk...) the import's state, phase, counts, cursor, rate-limit wait and last error;
// start, pause and resume; the sync queue's waiting and failed rows with their error text, and "retry now".
import { get, post } from './api.js';
import { h, fill, announce, showError, label, formatDate, relative } from './dom.js';

const title = system => system.charAt(0).toUpperCase() + system.slice(1);

function definitions(pairs) {
  return h('dl', { class: 'meta' }, pairs.filter(Boolean).map(([term, value]) => [h('dt', { text: term }), h('dd', null, value ?? '—')]));
}

function queueTable(bridge, act) {
  const rows = bridge.queue;
  const failed = rows.filter(q => q.lastError);
  const columns = ['Direction', 'Ticket', 'Attempts', 'Last error', 'Next try', 'Action'];
  return h('section', { class: 'panel', 'aria-labelledby': `queue-${bridge.system}` },
    h('h3', { id: `queue-${bridge.system}`, text: `Sync queue (${rows.length} waiting, ${failed.length} with an error)` }),
    rows.length === 0 ? h('p', { text: 'Nothing waiting: both sides are in step.' }) : h('div', { class: 'table-wrap' }, h('table', { class: 'cards queue' },
      h('caption', { class: 'visually-hidden', text: `${title(bridge.system)} sync queue` }),
      h('thead', null, h('tr', null, columns.map(c => h('th', { scope: 'col', text: c })))),
      h('tbody', null, rows.map(q => h('tr', { class: q.lastError ? 'failed' : null },
        h('td', { 'data-label': columns[0], text: q.direction === 'in' ? `from ${title(bridge.system)}` : 'to ' + title(bridge.system) }),
        h('td', { 'data-label': columns[1] }, q.direction === 'out' ? h('a', { href: `/console/tickets/${encodeURIComponent(q.ref)}`, text: `#${q.ref}` }) : `${title(bridge.system)} ${q.ref}`),
        h('td', { 'data-label': columns[2], text: String(q.attempts) }),
        h('td', { 'data-label': columns[3], class: q.lastError ? 'error' : null, text: q.lastError || '—' }),
        h('td', { 'data-label': columns[4], text: `${formatDate(q.nextAt)} (${relative(new Date(q.nextAt) - Date.now())})` }),
        h('td', { 'data-label': 'Action' }, h('button', { type: 'button', class: 'secondary', 'aria-label': `Retry now: ${q.direction} ${q.ref}`,
          on: { click: () => act(`/api/admin/bridge/${encodeURIComponent(bridge.system)}/queue/retry`, { direction: q.direction, ref: q.ref }, `Retrying ${q.ref}.`) } }, 'Retry now'))))))),
    failed.length > 1 ? h('p', null, h('button', { type: 'button', class: 'secondary',
      on: { click: () => act(`/api/admin/bridge/${encodeURIComponent(bridge.system)}/queue/retry`, {}, 'Retrying every waiting row.') } }, 'Retry all now')) : null);
}

function importPanel(bridge, act) {
  const im = bridge.import;
  const base = `/api/admin/bridge/${encodeURIComponent(bridge.system)}`;
  const waiting = im?.waitingUntil && new Date(im.waitingUntil) > Date.now();
  const buttons = [];
  if (bridge.adapterLoaded && (!im || im.state === 'paused' || im.state === 'failed')) {
    buttons.push(h('button', { type: 'button', on: { click: () => act(`${base}/import`, {}, im ? 'Import resumed.' : 'Import started.') } }, im ? 'Resume import' : 'Start import'));
  }
  if (im && (im.state === 'running' || im.state === 'caught-up')) {
    buttons.push(h('button', { type: 'button', class: 'secondary', on: { click: () => act(`${base}/pause`, undefined, 'Import paused.') } }, 'Pause import'));
  }
  if (im && bridge.adapterLoaded) {
    // Harmless to repeat: every record is keyed by the help desk's id, so nothing already brought over is doubled.
    buttons.push(h('button', { type: 'button', class: 'secondary', on: { click: () => act(`${base}/import`, { restart: true }, 'Import started over.') } }, 'Start over'));
  }
  return h('section', { class: 'panel', 'aria-labelledby': `import-${bridge.system}` },
    h('h3', { id: `import-${bridge.system}`, text: 'Import' }),
    bridge.adapterLoaded ? null : h('p', { class: 'error', text: `The ${title(bridge.system)} plugin is not loaded; see Plugins. The stored progress is kept.` }),
    im ? definitions([
      ['State', h('strong', { class: `state state-${im.state}`, text: label(im.state) })],
      ['Caught up', im.caughtUp ? 'yes: polling for later changes' : 'no'],
      ['Phase', label(im.phase)],
      ['Since', formatDate(im.since)],
      ['Organisations', String(im.organizations)],
      ['Users', String(im.users)],
      ['Tickets', String(im.tickets)],
      ['Comments', String(im.comments)],
      ['Attachments', String(im.attachments)],
      ['Skipped', String(im.skipped)],
      ['Cursor', h('code', { text: im.cursor || '(start of the phase)' })],
      ['Waiting until', waiting ? `${formatDate(im.waitingUntil)} (${relative(new Date(im.waitingUntil) - Date.now())})` : 'not waiting'],
      ['Last error', im.lastError ? h('span', { class: 'error', text: im.lastError }) : 'none'],
      ['Started', formatDate(im.startedAt)],
      ['Last step', formatDate(im.updatedAt)],
      ['Linked', `${bridge.linkedAccounts} accounts, ${bridge.linkedContacts} contacts, ${bridge.linkedTickets} tickets`],
    ]) : h('p', { text: 'Not imported yet. The import brings organisations, users and tickets over, then keeps both sides in step.' }),
    buttons.length ? h('p', { class: 'actions' }, buttons) : null);
}

/** Renders the section into `content`; `setTitle` names the page. */
export async function bridgePage(content, setTitle) {
  setTitle('Help desk bridge');
  const error = h('div', { 'aria-live': 'polite' });
  const list = h('div', { id: 'bridges' });
  let shown = '';
  const load = async () => {
    const bridges = await get('/api/admin/bridge');
    // Redrawn only when something changed, so focus and reading position survive the periodic refresh.
    const text = JSON.stringify(bridges);
    if (text === shown) return;
    shown = text;
    fill(list, bridges.length === 0
      ? h('p', { text: 'No ticketing adapter plugin (Zendesk, Freshdesk) is loaded and nothing was imported. Install and configure one; see Plugins.' })
      : bridges.map(b => h('section', { class: 'bridge', id: `bridge-${b.system}`, 'aria-labelledby': `bridge-title-${b.system}` },
        h('h2', { id: `bridge-title-${b.system}`, text: title(b.system) }),
        importPanel(b, act),
        queueTable(b, act))));
  };
  async function act(url, body, message) {
    try {
      await post(url, body);
      showError(error, null);
      announce(message);
      shown = '';
      await load();
    } catch (e) {
      showError(error, e);
    }
  }
  fill(content, h('p', { text: 'Help desks bridged to the platform: the import of their history and the two-way sync of bridged tickets.' }),
    h('p', null, h('button', { type: 'button', class: 'secondary', on: { click: async () => { try { await load(); announce('Refreshed.'); } catch (e) { showError(error, e); } } } }, 'Refresh')),
    error, list);
  try { await load(); } catch (e) { showError(error, e); }
  // Progress moves by itself: refreshed every ?refresh= seconds (default 10).
  const every = Math.max(1, Number(new URLSearchParams(location.search).get('refresh')) || 10);
  setInterval(async () => {
    try { await load(); } catch (e) { showError(error, e); }
  }, every * 1000);
}

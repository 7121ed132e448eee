// Console mail page (/console/mail) over the inbound mail API (/api/mail): the triage queue (open a ticket in the
// account chosen), the quarantine (read a held message, download it, release or discard it with a reason), the
// reconciliation of each mailbox against what was imported, and the addresses that bounce.
import { get, post, requireUser } from './api.js';
import { h, fill, $, announce, showError, formatDate, label, consoleHeader, holdForms, markReady } from './dom.js';

holdForms();
const me = await requireUser('staff');
document.getElementById('header').replaceWith(consoleHeader(me, 'mail'));
const enc = encodeURIComponent;
let accounts = [];

$('#mail-refresh').addEventListener('click', async () => { await load(); announce('Refreshed.'); });
try {
  accounts = await get('/api/accounts');
} catch (error) {
  showError($('#error'), error);
}
await load();
markReady();

async function load() {
  try {
    const [triage, quarantine, sources, bounced] = await Promise.all([
      get('/api/mail/triage'), get('/api/mail/quarantine'), get('/api/mail/sources'), get('/api/mail/addresses?bounced=true')]);
    fill($('#triage'), triageTable(triage));
    fill($('#quarantine'), quarantineTable(quarantine));
    fill($('#sources'), sourcesTable(sources));
    fill($('#bounced'), bouncedTable(bounced));
    showError($('#error'), null);
  } catch (error) {
    showError($('#error'), error);
  }
}

function table(caption, columns, rows) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'cards' },
    h('caption', { class: 'visually-hidden', text: caption }),
    h('thead', null, h('tr', null, columns.map(c => h('th', { scope: 'col', text: c })))),
    h('tbody', null, rows.map(cells => h('tr', null, cells.map((cell, i) => h('td', { 'data-label': columns[i] }, cell)))))));
}

function triageTable(items) {
  if (items.length === 0) return h('p', { text: 'No mail is waiting for an account.' });
  return table('Mail waiting in triage', ['Received', 'From', 'Subject', 'Why', 'Open a ticket'], items.map(m => [
    formatDate(m.receivedAt), m.from || '(no sender)', h('button', { type: 'button', class: 'link', on: { click: () => show(m.id) } }, m.subject || '(no subject)'),
    m.reason || '—', assignForm(m)]));
}

function assignForm(m) {
  const id = `assign-${m.id}`;
  const form = h('form', { class: 'inline', 'aria-label': `Open a ticket for the mail from ${m.from || 'an unknown sender'}` },
    h('label', { for: `${id}-account`, class: 'visually-hidden', text: 'Account' }),
    h('select', { id: `${id}-account`, name: 'accountId' },
      h('option', { value: '', text: 'Choose the account' }),
      accounts.map(a => h('option', { value: a.id, text: `${a.name} (${a.id})` }))),
    h('label', { for: `${id}-priority`, class: 'visually-hidden', text: 'Priority' }),
    h('select', { id: `${id}-priority`, name: 'priority' }, ['normal', 'high', 'critical', 'low'].map(p => h('option', { value: p, text: label(p) }))),
    h('button', { type: 'submit', text: 'Open ticket' }),
    h('div', { class: 'form-error', 'aria-live': 'polite' }));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const accountId = form.elements.accountId.value;
    if (!accountId) { showError(form.querySelector('.form-error'), new Error('Choose the account the mail belongs to.')); return; }
    try {
      const result = await post(`/api/mail/triage/${enc(m.id)}/assign`, { accountId, priority: form.elements.priority.value });
      announce(`Ticket #${result.ticketId} opened in ${accountId}.`);
      await load();
      fill($('#error'), h('p', { class: 'notice' }, `Ticket `, h('a', { href: `/console/tickets/${enc(result.ticketId)}`, text: `#${result.ticketId}` }), ` opened in ${accountId} from the mail of ${m.from}.`));
    } catch (error) {
      showError(form.querySelector('.form-error'), error);
    }
  });
  return form;
}

function quarantineTable(items) {
  if (items.length === 0) return h('p', { text: 'Nothing is held in quarantine.' });
  return table('Mail held in quarantine', ['Received', 'From', 'Subject', 'Held as', 'Size', 'Actions'], items.map(m => [
    formatDate(m.receivedAt), m.from || '(no sender)', h('button', { type: 'button', class: 'link', on: { click: () => show(m.id) } }, m.subject || '(no subject)'),
    h('span', null, h('strong', { text: label(m.hold) }), m.reason ? `: ${m.reason}` : ''), `${Math.ceil(m.size / 1024)} KB`,
    h('div', { class: 'actions' },
      h('a', { href: `/api/mail/quarantine/${enc(m.id)}/raw`, download: `${m.id}.eml`, 'aria-label': `Download the message from ${m.from}` }, 'Download'),
      h('button', { type: 'button', 'aria-label': `Release the message from ${m.from}`, on: { click: () => release(m) } }, 'Release'),
      discardForm(m))]));
}

async function release(m) {
  try {
    const result = await post(`/api/mail/quarantine/${enc(m.id)}/release`);
    await load();
    const outcome = result.ticketId ? `ticket #${result.ticketId} (${label(result.disposition)})` : label(result.disposition) + (result.reason ? `: ${result.reason}` : '');
    fill($('#error'), h('p', { class: 'notice', text: `Released the message from ${m.from}: ${outcome}.` }));
    announce(`Released: ${outcome}.`);
  } catch (error) {
    showError($('#error'), error);
  }
}

function discardForm(m) {
  const id = `discard-${m.id}`;
  const form = h('form', { class: 'inline', 'aria-label': `Discard the message from ${m.from}` },
    h('label', { for: `${id}-reason`, class: 'visually-hidden', text: 'Why discard it' }),
    h('input', { id: `${id}-reason`, name: 'reason', placeholder: 'Why (kept with the record)', maxlength: '500' }),
    h('button', { type: 'submit', class: 'secondary', text: 'Discard' }),
    h('div', { class: 'form-error', 'aria-live': 'polite' }));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const reason = form.elements.reason.value.trim();
    if (!reason) { showError(form.querySelector('.form-error'), new Error('Say why the message is discarded; the reason stays with its record.')); return; }
    try {
      await post(`/api/mail/quarantine/${enc(m.id)}/discard`, { reason });
      announce('Discarded; the record is kept.');
      await load();
    } catch (error) {
      showError(form.querySelector('.form-error'), error);
    }
  });
  return form;
}

async function show(id) {
  const panel = $('#mail-message');
  try {
    const view = await get(`/api/mail/messages/${enc(id)}`);
    const m = view.message;
    fill(panel,
      h('h2', { id: 'mail-message-title', text: m.subject || '(no subject)' }),
      h('dl', { class: 'meta' },
        h('dt', { text: 'From' }), h('dd', { text: m.from || '(no sender)' }),
        h('dt', { text: 'Received' }), h('dd', { text: formatDate(m.receivedAt) }),
        h('dt', { text: 'State' }), h('dd', { text: [label(m.disposition), m.hold && `held as ${label(m.hold)}`, m.reason].filter(Boolean).join(', ') }),
        view.attachments.length ? [h('dt', { text: 'Attachments' }), h('dd', { text: view.attachments.map(a => `${a.fileName} (${a.contentType}, ${Math.ceil(a.size / 1024)} KB)`).join(', ') })] : null),
      h('h3', { text: 'Text' }),
      h('pre', { class: 'body', text: view.text || '(no text could be read)' }),
      view.quoted ? [h('h3', { text: 'Quoted history' }), h('pre', { class: 'body quoted', text: view.quoted })] : null,
      h('details', null, h('summary', { text: `Headers (${view.headers.length})` }),
        h('pre', { class: 'body', text: view.headers.map(x => `${x.name}: ${x.value}`).join('\n') })),
      h('p', null, h('button', { type: 'button', class: 'secondary', on: { click: () => { panel.hidden = true; } } }, 'Close')));
    panel.hidden = false;
    panel.focus?.();
  } catch (error) {
    showError($('#error'), error);
  }
}

function sourcesTable(sources) {
  if (sources.length === 0) return h('p', { text: 'No mail source has reported or imported anything yet.' });
  return table('Mail sources against imported mail', ['Source', 'At the source', 'Imported', 'By outcome', 'Waiting', 'Last check'], sources.map(s => [
    h('span', null, h('strong', { text: s.sourceId }), s.description ? ` ${s.description}` : ''),
    s.messagesAtSource ?? '—', String(s.importedTotal),
    Object.entries(s.imported).map(([k, v]) => `${label(k)} ${v}`).join(', '),
    String(s.awaitingProcessing),
    h('span', { class: s.error ? 'error' : null, text: s.error ? `${formatDate(s.checkedAt)}: ${s.error}` : formatDate(s.checkedAt) })]));
}

function bouncedTable(addresses) {
  if (addresses.length === 0) return h('p', { text: 'No address has bounced.' });
  return table('Addresses that bounced', ['Address', 'Last bounce', 'Status', 'Reason', 'Bounces'], addresses.map(a => [
    a.address, formatDate(a.bouncedAt), a.bounceStatus || '—', a.bounceReason || '—', String(a.bounceCount)]));
}

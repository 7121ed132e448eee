// The console's billing page: an account's out-of-scope work. Staff draft an estimate (with why it is out of scope),
// send it for the client's approval, log time on the tasks of approved work, complete it and issue the invoice.
import { get, post, requireUser } from './api.js';
import { h, fill, $, announce, showError, consoleHeader, holdForms, markReady, label } from './dom.js';
import { linesTable, progress, invoicesTable } from './billing-view.js';

holdForms();

const me = await requireUser('staff');
const main = $('#main');
document.getElementById('header').replaceWith(consoleHeader(me, 'billing'));
const params = new URLSearchParams(location.search);
const accounts = await get('/api/accounts');
const accountSelect = h('select', { id: 'account' }, accounts.map(a => h('option', { value: a.id, text: `${a.name} (${a.id})` })));
if (params.get('account')) accountSelect.value = params.get('account');
accountSelect.addEventListener('change', () => { history.replaceState(null, '', `?account=${accountSelect.value}`); show(); });
const error = h('div');
const estimatesBox = h('div', { id: 'estimates' });
const invoicesBox = h('div');
fill(main, h('h1', { text: 'Billing: additional work' }),
  h('div', { class: 'field' }, h('label', { for: 'account', text: 'Account' }), accountSelect),
  error, newEstimateForm(), h('h2', { text: 'Estimates' }), estimatesBox, h('h2', { text: 'Invoices' }), invoicesBox);
await show();
markReady();

async function show() {
  if (!accountSelect.value) return;
  try {
    const [estimates, invoices] = await Promise.all([
      get(`/api/billing/estimates?accountId=${encodeURIComponent(accountSelect.value)}`),
      get(`/api/billing/invoices?accountId=${encodeURIComponent(accountSelect.value)}`)]);
    fill(estimatesBox, estimates.length === 0 ? h('p', { class: 'notice', text: 'No estimates for this account.' }) : estimates.map(card));
    fill(invoicesBox, invoicesTable(invoices));
  } catch (e) {
    showError(error, e);
  }
}

function field(id, text, control) {
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id, text }), control);
}

function newEstimateForm() {
  const title = h('input', { type: 'text', required: true });
  const reason = h('textarea', { rows: '2', required: true });
  const ticket = h('input', { type: 'number', min: '1' });
  const task = h('input', { type: 'text', required: true });
  const hours = h('input', { type: 'number', min: '0.01', step: '0.01', required: true });
  const rate = h('input', { type: 'number', min: '0', step: '0.01', placeholder: 'contract rate' });
  const validUntil = h('input', { type: 'date', required: true, value: new Date(Date.now() + 30 * 864e5).toISOString().slice(0, 10) });
  const assumptions = h('textarea', { rows: '2' });
  const formError = h('div');
  const form = h('form', { class: 'panel', id: 'new-estimate', 'aria-labelledby': 'new-estimate-title' },
    h('h2', { id: 'new-estimate-title', text: 'New estimate (out of scope)' }),
    field('est-title', 'Title', title), field('est-reason', 'Why it is out of scope', reason), field('est-ticket', 'Ticket number (optional)', ticket),
    field('est-task', 'Task', task), field('est-hours', 'Hours', hours), field('est-rate', 'Hourly rate (optional)', rate),
    field('est-valid', 'Valid until', validUntil), field('est-assumptions', 'Assumptions (one per line)', assumptions),
    h('button', { type: 'submit' }, 'Create estimate'), formError);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    try {
      await post('/api/billing/estimates', {
        accountId: accountSelect.value, title: title.value, scopeReason: reason.value, ticketId: ticket.value ? Number(ticket.value) : null,
        lines: [{ task: task.value, hours: Number(hours.value), rate: rate.value ? Number(rate.value) : null }],
        assumptions: assumptions.value.split('\n').filter(Boolean), validUntil: validUntil.value,
      });
      form.reset();
      validUntil.value = new Date(Date.now() + 30 * 864e5).toISOString().slice(0, 10);
      fill(formError);
      announce('Estimate created.');
      await show();
    } catch (e) {
      showError(formError, e);
    }
  });
  return form;
}

function card(e) {
  const cardError = h('div');
  const act = (fn, message) => async () => {
    try {
      await fn();
      announce(message);
      await show();
    } catch (err) {
      showError(cardError, err);
    }
  };
  const actions = h('p', { class: 'actions' },
    e.status === 'draft' ? h('button', { type: 'button', on: { click: act(() => post(`/api/billing/estimates/${e.id}/send`), 'Estimate sent to the client.') } }, 'Send for approval') : null,
    e.approvedVersion != null && e.status !== 'completed'
      ? h('button', { type: 'button', class: 'secondary', on: { click: act(() => post(`/api/billing/estimates/${e.id}/complete`), 'Work completed.') } }, 'Mark completed') : null,
    e.status === 'completed'
      ? h('button', { type: 'button', on: { click: act(() => post('/api/billing/invoices', { accountId: e.accountId, estimateIds: [e.id] }), 'Invoice issued.') } }, 'Issue invoice') : null);
  return h('section', { class: 'panel estimate', 'data-estimate': e.id, 'aria-labelledby': `t-${e.id}` },
    h('h3', { id: `t-${e.id}`, text: e.title }),
    h('p', null, `${label(e.status)} · version ${e.currentVersion}${e.approvedVersion != null ? ` · approved version ${e.approvedVersion}` : ''}${e.ticketId ? ` · ticket #${e.ticketId}` : ''}`),
    h('p', null, 'Out of scope: ', h('span', { text: e.scopeReason })),
    linesTable(e.current, `Estimate ${e.id}, version ${e.currentVersion}`),
    progress(e),
    e.approvedVersion != null && e.status !== 'completed' ? e.tasks.map(t => timeForm(e, t, act)) : null,
    actions, cardError);
}

function timeForm(e, t, act) {
  const minutes = h('input', { type: 'number', min: '1', max: '1440', id: `min-${t.id}`, required: true });
  const note = h('input', { type: 'text', id: `note-${t.id}`, required: true });
  const form = h('form', { class: 'time-entry', 'data-task': t.id },
    h('p', null, h('strong', { text: t.title }), ` · ${t.loggedHours} of ${t.estimatedHours} h${t.assigneeName ? ` · ${t.assigneeName}` : ''}`),
    h('label', { for: `min-${t.id}`, text: `Minutes on ${t.title}` }), minutes,
    h('label', { for: `note-${t.id}`, text: `What was done on ${t.title}` }), note,
    h('button', { type: 'submit' }, 'Log time'));
  form.addEventListener('submit', event => {
    event.preventDefault();
    act(() => post('/api/billing/time-entries', { taskId: t.id, minutes: Number(minutes.value), note: note.value }), 'Time logged.')();
  });
  return form;
}

// The console's billing page: an account's out-of-scope work. Staff draft an estimate (with why it is out of scope),
// send it for the client's approval, log time on the tasks of approved work, complete it and issue the invoice.
import { get, post, put, requireUser } from './api.js';
import { h, fill, $, announce, showError, consoleHeader, holdForms, markReady, label } from './dom.js';
import { linesTable, progress, invoicesTable, money } from './billing-view.js';

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
const details = billingDetailsForm();
fill(main, h('h1', { text: 'Billing: additional work' }),
  h('div', { class: 'field' }, h('label', { for: 'account', text: 'Account' }), accountSelect),
  error, details.form, newEstimateForm(), h('h2', { text: 'Estimates' }), estimatesBox, h('h2', { text: 'Invoices' }), invoicesBox);
await show();
markReady();

async function show() {
  if (!accountSelect.value) return;
  try {
    const [estimates, invoices, profile] = await Promise.all([
      get(`/api/billing/estimates?accountId=${encodeURIComponent(accountSelect.value)}`),
      get(`/api/billing/invoices?accountId=${encodeURIComponent(accountSelect.value)}`),
      get(`/api/billing/accounts/${encodeURIComponent(accountSelect.value)}/billing-profile`)]);
    details.load(profile);
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

// The account's billing details (senior engineers): the buyer's postal address, country and VAT id printed on its
// invoices and carried in e-invoices, and whether it is invoiced each month at the month's end.
function billingDetailsForm() {
  const inputs = {
    street: h('input', { type: 'text', autocomplete: 'off' }),
    city: h('input', { type: 'text', autocomplete: 'off' }),
    postalCode: h('input', { type: 'text', autocomplete: 'off' }),
    countryCode: h('input', { type: 'text', required: true, maxlength: '2', pattern: '[A-Za-z]{2}' }),
    vatId: h('input', { type: 'text', autocomplete: 'off' }),
    email: h('input', { type: 'email', autocomplete: 'off' }),
  };
  const period = h('select', null, h('option', { value: 'none', text: 'On completion or by hand' }), h('option', { value: 'monthly', text: 'Monthly, at the end of each month' }));
  const formError = h('div');
  const form = h('form', { class: 'panel', id: 'billing-details', 'aria-labelledby': 'billing-details-title' },
    h('h2', { id: 'billing-details-title', text: 'Billing details of the account' }),
    field('bd-street', 'Street', inputs.street), field('bd-city', 'City', inputs.city), field('bd-postal', 'Postal code', inputs.postalCode),
    field('bd-country', 'Country (two letters)', inputs.countryCode), field('bd-vat', 'VAT id', inputs.vatId), field('bd-email', 'Billing email', inputs.email),
    field('bd-period', 'Invoicing', period), h('button', { type: 'submit' }, 'Save billing details'), formError);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    try {
      const body = Object.fromEntries(Object.entries(inputs).map(([k, input]) => [k, input.value || null]));
      load(await put(`/api/billing/accounts/${encodeURIComponent(accountSelect.value)}/billing-profile`, { ...body, billingPeriod: period.value }));
      fill(formError);
      announce('Billing details saved.');
    } catch (e) {
      showError(formError, e);
    }
  });
  function load(profile) {
    for (const [k, input] of Object.entries(inputs)) input.value = profile[k] ?? '';
    period.value = profile.billingPeriod;
  }
  return { form, load };
}

// The estimate form: any number of line items (task, hours, optional rate), assumptions and a validity date. Amounts
// and totals are priced by the server as staff type (POST /api/billing/estimates/quote: the same decimal arithmetic,
// contract rate, tax and currency as the estimate it will create), so the browser does no money arithmetic itself.
function newEstimateForm() {
  const title = h('input', { type: 'text', required: true });
  const reason = h('textarea', { rows: '2', required: true });
  const ticket = h('input', { type: 'number', min: '1' });
  const validUntil = h('input', { type: 'date', required: true, value: new Date(Date.now() + 30 * 864e5).toISOString().slice(0, 10) });
  const assumptions = h('textarea', { rows: '2' });
  const formError = h('div');
  const rows = h('tbody', { id: 'est-lines' });
  const subtotal = h('td', { id: 'est-subtotal', text: '—' });
  const taxLabel = h('td', { colspan: '2', text: 'Tax' });
  const tax = h('td', { id: 'est-tax', text: '—' });
  const total = h('td', { id: 'est-total', text: '—' });
  const quoteNote = h('p', { class: 'hint', id: 'est-quote-note', 'aria-live': 'polite' });
  let serial = 0;
  let pending = 0;

  const lines = () => [...rows.querySelectorAll('tr')].map(tr => ({
    task: tr.querySelector('.est-task').value,
    hours: tr.querySelector('.est-hours').value === '' ? null : tr.querySelector('.est-hours').value,
    rate: tr.querySelector('.est-rate').value === '' ? null : tr.querySelector('.est-rate').value,
  }));

  function addRow(focus) {
    const n = ++serial;
    const cell = (labelText, control) => h('td', { 'data-label': labelText }, h('label', { class: 'visually-hidden', for: control.id, text: `${labelText}, line ${n}` }), control);
    const task = h('input', { type: 'text', required: true, class: 'est-task', id: `est-task-${n}` });
    const hours = h('input', { type: 'number', min: '0.01', step: '0.01', required: true, class: 'est-hours', id: `est-hours-${n}` });
    const rate = h('input', { type: 'number', min: '0', step: '0.01', placeholder: 'contract rate', class: 'est-rate', id: `est-rate-${n}` });
    const amount = h('td', { 'data-label': 'Amount', class: 'est-amount', text: '—' });
    const tr = h('tr', { 'data-line': String(n) }, cell('Task', task), cell('Hours', hours), cell('Rate', rate), amount,
      h('td', null, h('button', { type: 'button', class: 'secondary', 'aria-label': `Remove line ${n}`, on: { click: () => {
        if (rows.children.length > 1) { tr.remove(); quote(); }
      } } }, 'Remove')));
    rows.append(tr);
    if (focus) task.focus();
  }

  async function quote() {
    const mine = ++pending;
    try {
      const q = await post('/api/billing/estimates/quote', {
        accountId: accountSelect.value, title: title.value, scopeReason: reason.value, lines: lines(),
        assumptions: [], validUntil: validUntil.value || null,
      });
      if (mine !== pending) return; // a newer quote is on its way
      [...rows.querySelectorAll('tr')].forEach((tr, i) => {
        tr.querySelector('.est-amount').textContent = q.amounts[i] == null ? '—' : money(q.amounts[i], q.currency);
      });
      subtotal.textContent = money(q.subtotal, q.currency);
      taxLabel.textContent = `${q.taxName} (${q.taxRate}%)`;
      tax.textContent = money(q.tax, q.currency);
      total.textContent = money(q.total, q.currency);
      quoteNote.textContent = `${q.hours} h in total.`;
    } catch (e) {
      if (mine === pending) quoteNote.textContent = `Totals not available: ${e.message}`;
    }
  }

  let timer = 0;
  const requote = () => { clearTimeout(timer); timer = setTimeout(quote, 150); };
  rows.addEventListener('input', requote);
  validUntil.addEventListener('change', requote);
  addRow(false);

  const table = h('table', { class: 'cards lines', id: 'est-lines-table' },
    h('caption', { text: 'Line items' }),
    h('thead', null, h('tr', null, ['Task', 'Hours', 'Hourly rate (optional)', 'Amount', 'Actions'].map(c => h('th', { scope: 'col', text: c })))),
    rows,
    h('tfoot', null,
      h('tr', null, h('td', { colspan: '2' }), h('td', { text: 'Subtotal' }), subtotal, h('td')),
      h('tr', null, h('td'), taxLabel, tax, h('td')),
      h('tr', null, h('td', { colspan: '2' }), h('td', { text: 'Total' }), total, h('td'))));
  const form = h('form', { class: 'panel', id: 'new-estimate', 'aria-labelledby': 'new-estimate-title' },
    h('h2', { id: 'new-estimate-title', text: 'New estimate (out of scope)' }),
    field('est-title', 'Title', title), field('est-reason', 'Why it is out of scope', reason), field('est-ticket', 'Ticket number (optional)', ticket),
    table, h('p', null, h('button', { type: 'button', class: 'secondary', on: { click: () => addRow(true) } }, 'Add line')), quoteNote,
    field('est-valid', 'Valid until', validUntil), field('est-assumptions', 'Assumptions (one per line)', assumptions),
    h('button', { type: 'submit' }, 'Create estimate'), formError);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    try {
      await post('/api/billing/estimates', {
        accountId: accountSelect.value, title: title.value, scopeReason: reason.value, ticketId: ticket.value ? Number(ticket.value) : null,
        lines: lines(), assumptions: assumptions.value.split('\n').map(a => a.trim()).filter(Boolean), validUntil: validUntil.value,
      });
      form.reset();
      fill(rows);
      addRow(false);
      [subtotal, tax, total].forEach(c => { c.textContent = '—'; });
      quoteNote.textContent = '';
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
    h('p', { class: 'valid-until', text: `Valid until ${e.current.validUntil}` }),
    e.current.assumptions.length ? h('ul', { class: 'assumptions', 'aria-label': `Assumptions of ${e.title}` }, e.current.assumptions.map(a => h('li', { text: a }))) : null,
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

// Weekly and monthly reports of an account, over /api/reports (the reports module).
// - /portal/reports: a client user sees their own account's reports of the weeks and months that are over, opens one
//   as a page (the report's own HTML, in a frame), downloads the PDF and opens the full-screen presentation.
// - /console/reports: staff see the same for any account (?account=), plus the running period as a preview, sending
//   by hand (once per period: a repeat says it was already sent), discussion notes of the report, the agreed next
//   steps editor, the schedule settings and the internal staff report.
// ?account=&kind=&period= opens a report directly (the link in report mail points here).
import { get, post, put, requireUser } from './api.js';
import { h, fill, $, announce, showError, formatDate, consoleHeader, portalHeader, holdForms, markReady } from './dom.js';

holdForms();

const portal = location.pathname.replace(/\/+$/, '').startsWith('/portal');
const me = await requireUser(portal ? 'client' : 'staff');
document.getElementById('header').replaceWith(portal ? portalHeader(me, 'reports') : consoleHeader(me, 'reports'));
const main = $('#main');
const params = new URLSearchParams(location.search);
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const state = {
  account: portal ? me.accountId : params.get('account'),
  kind: params.get('kind') === 'monthly' ? 'monthly' : 'weekly',
  period: params.get('period'),
};

const error = h('div');
const listBox = h('div', { id: 'periods' });
const viewBox = h('section', { id: 'report-view', 'aria-labelledby': 'report-title' });
const stepsBox = h('section', { id: 'next-steps', class: 'panel', 'aria-labelledby': 'next-steps-title' });
const settingsBox = h('section', { id: 'settings', class: 'panel', 'aria-labelledby': 'settings-title' });
const kindSelect = h('select', { id: 'kind' }, h('option', { value: 'weekly', text: 'Weekly' }), h('option', { value: 'monthly', text: 'Monthly' }));
kindSelect.value = state.kind;
kindSelect.addEventListener('change', () => { state.kind = kindSelect.value; state.period = null; remember(); show(); });

let accountSelect = null;
if (!portal) {
  const accounts = await get('/api/accounts');
  accountSelect = h('select', { id: 'account' }, accounts.map(a => h('option', { value: a.id, text: `${a.name} (${a.id})` })));
  if (state.account && accounts.some(a => a.id === state.account)) accountSelect.value = state.account;
  state.account = accountSelect.value || null;
  accountSelect.addEventListener('change', () => { state.account = accountSelect.value; state.period = null; remember(); show(); });
}

fill(main,
  h('h1', { text: portal ? 'My reports' : 'Reports' }),
  h('div', { class: 'row' },
    accountSelect ? h('div', { class: 'field' }, h('label', { for: 'account', text: 'Account' }), accountSelect) : null,
    h('div', { class: 'field' }, h('label', { for: 'kind', text: 'Reports' }), kindSelect)),
  error, listBox, viewBox, portal ? null : stepsBox, portal ? null : settingsBox);
await show();
markReady();

function remember() {
  const query = new URLSearchParams();
  if (!portal && state.account) query.set('account', state.account);
  query.set('kind', state.kind);
  if (state.period) query.set('period', state.period);
  history.replaceState(null, '', `?${query}`);
}

function base() {
  return `/api/reports/accounts/${encodeURIComponent(state.account)}`;
}

async function show() {
  showError(error, null);
  if (!state.account) {
    fill(listBox, h('p', { class: 'notice', text: 'No account to show reports for.' }));
    return;
  }
  try {
    const periods = await get(`${base()}/periods?kind=${state.kind}`);
    renderList(periods);
    await renderView(periods);
    if (!portal) await Promise.all([renderSteps(), renderSettings()]);
  } catch (e) {
    showError(error, e);
  }
}

function renderList(periods) {
  const columns = ['Period', 'Dates', 'Sent', ''];
  const rows = periods.finished.map(p => ({ ...p, running: false }));
  if (!portal) rows.unshift({ ...periods.running, running: true });
  fill(listBox,
    h('p', { class: 'hint', text: `Periods in the account's time zone (${periods.timeZone}).` }),
    h('div', { class: 'table-wrap' }, h('table', { class: 'cards', id: 'period-list' },
      h('caption', { class: 'visually-hidden', text: `${state.kind === 'weekly' ? 'Weekly' : 'Monthly'} reports of ${periods.accountName}` }),
      h('thead', null, h('tr', null, columns.map(c => h('th', { scope: 'col', text: c })))),
      h('tbody', null, rows.map(p => h('tr', { 'data-period': p.period, class: p.period === state.period ? 'selected' : null }, [
        h('span', null, p.period, p.running ? h('span', { class: 'hint', text: ' (running: preview)' }) : null),
        p.dates,
        p.running ? 'not over yet' : p.sentAt ? `${formatDate(p.sentAt)} (${p.sentVia})` : 'not sent',
        h('button', { type: 'button', class: 'secondary', 'data-open': p.period, on: { click: () => open(p.period) } }, p.running ? `Preview ${p.period}` : `Open ${p.period}`),
      ].map((cell, i) => h('td', { 'data-label': columns[i] }, cell))))))));
}

async function open(period) {
  state.period = period;
  remember();
  await show();
  $('#report-title')?.focus();
}

async function renderView(periods) {
  const all = [periods.running, ...periods.finished];
  const current = all.find(p => p.period === state.period);
  if (!current || (portal && current.period === periods.running.period)) {
    fill(viewBox, h('p', { class: 'notice', text: 'Choose a report above to open it.' }));
    return;
  }
  const running = current.period === periods.running.period;
  const url = `${base()}/${state.kind}/${encodeURIComponent(current.period)}`;
  const sendBox = h('div', { id: 'send-result' });
  const notesBox = h('div', { id: 'notes' });
  fill(viewBox,
    h('h2', { id: 'report-title', tabindex: '-1', text: `${periods.accountName}: ${state.kind} report, ${current.title}${running ? ' (preview of the running period)' : ''}` }),
    h('p', { class: 'actions' },
      h('a', { href: `${url}/pdf`, id: 'pdf-link', download: `report-${state.account}-${current.period}.pdf` }, 'Download PDF'), ' · ',
      h('a', { href: `${url}/presentation`, id: 'presentation-link' }, 'Presentation (full screen)'),
      portal ? null : [' · ', h('a', { href: `/api/reports/staff/${state.kind}/${encodeURIComponent(current.period)}/html`, id: 'staff-link' }, `Internal staff report, ${current.period} (all accounts, UTC)`)]),
    portal || running ? null : h('p', null,
      h('button', { type: 'button', id: 'send', on: { click: () => send(url, sendBox) } }, current.sentAt ? 'Send again (it will not send twice)' : 'Send to the stakeholders'),
      sendBox),
    h('iframe', { id: 'report-frame', src: `${url}/html`, title: `Report ${current.title}`, class: 'report-frame', loading: 'eager' }),
    portal ? null : h('section', { 'aria-labelledby': 'notes-title' }, h('h3', { id: 'notes-title', text: 'Discussion notes of this report' }), notesBox));
  if (!portal) await renderNotes(url, notesBox);
}

async function send(url, box) {
  try {
    const result = await post(`${url}/send`);
    const run = result.run;
    const text = result.alreadySent
      ? `Already sent on ${formatDate(run.sentAt)} (${run.sentVia}) to ${run.recipients.join(', ')}: nothing was sent again.`
      : `Sent to ${run.recipients.join(', ')}.`;
    fill(box, h('span', { class: 'status-line', 'data-already-sent': String(result.alreadySent), text }));
    announce(text);
    renderList(await get(`${base()}/periods?kind=${state.kind}`));
  } catch (e) {
    showError(box, e);
  }
}

async function renderNotes(url, box) {
  const notes = await get(`${url}/notes`);
  const body = h('textarea', { id: 'note-body', rows: '3', required: true });
  const formError = h('div');
  const form = h('form', { id: 'note-form' },
    h('div', { class: 'field' }, h('label', { for: 'note-body', text: 'Note from the meeting (shown in the next report)' }), body),
    h('button', { type: 'submit' }, 'Add note'), formError);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    try {
      await post(`${url}/notes`, { body: body.value });
      announce('Note recorded.');
      await renderNotes(url, box);
    } catch (e) {
      showError(formError, e);
    }
  });
  fill(box,
    notes.length ? h('ul', { class: 'plain', id: 'note-list' }, notes.map(n => h('li', null,
      h('span', { class: 'hint', text: `${formatDate(n.createdAt)}, ${n.author}: ` }), n.body))) : h('p', { class: 'notice', text: 'No notes yet.' }),
    form);
}

function reloadFrame() {
  // A new address each time: re-assigning the same one does not always make the browser fetch the page again.
  const frame = $('#report-frame');
  if (frame) {
    const url = new URL(frame.src, location.href);
    url.searchParams.set('v', String(Date.now()));
    frame.src = url.pathname + url.search;
  }
}

async function renderSteps() {
  const steps = await get(`${base()}/next-steps?all=true`);
  const text = h('textarea', { id: 'step-text', rows: '2', required: true });
  const formError = h('div');
  const form = h('form', { id: 'step-form' },
    h('div', { class: 'field' }, h('label', { for: 'step-text', text: 'New agreed next step' }), text),
    h('button', { type: 'submit' }, 'Add next step'), formError);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    try {
      await post(`${base()}/next-steps`, { text: text.value, agreedIn: state.period || null });
      text.value = '';
      announce('Next step added.');
      await renderSteps();
      reloadFrame();
    } catch (e) {
      showError(formError, e);
    }
  });
  // Two renders can overlap (opening a period and adding a step): keep what the user is typing in a step whose text
  // the server did not change, and in the new-step box, instead of wiping it with the later render.
  const typing = new Map([...stepsBox.querySelectorAll('#step-list input[type=text]')]
    .filter(i => i.value !== i.dataset.original).map(i => [i.id, { value: i.value, original: i.dataset.original }]));
  const draft = stepsBox.querySelector('#step-text')?.value ?? '';
  text.value = draft;
  fill(stepsBox,
    h('h2', { id: 'next-steps-title', text: 'Agreed next steps' }),
    h('p', { class: 'hint', text: 'Open steps appear in every report of the account until they are done.' }),
    steps.length ? h('ul', { class: 'plain', id: 'step-list' }, steps.map(stepItem)) : h('p', { class: 'notice', text: 'No next steps yet.' }),
    form);
  for (const [id, kept] of typing) {
    const input = stepsBox.querySelector(`#${CSS.escape(id)}`);
    if (input && input.dataset.original === kept.original) input.value = kept.value;
  }
}

function stepItem(step) {
  const input = h('input', { type: 'text', id: `step-${step.id}`, value: step.text, required: true, 'data-original': step.text });
  const itemError = h('div');
  const save = async changes => {
    try {
      await put(`${base()}/next-steps/${encodeURIComponent(step.id)}`, changes);
      announce('Next step saved.');
      await renderSteps();
      reloadFrame();
    } catch (e) {
      showError(itemError, e);
    }
  };
  const form = h('form', { class: 'row', 'data-step': step.id },
    h('div', { class: 'field' }, h('label', { for: `step-${step.id}`, text: `Next step (${step.status}${step.agreedIn ? `, agreed in ${step.agreedIn}` : ''})` }), input),
    h('p', { class: 'actions' },
      h('button', { type: 'submit', class: 'secondary' }, 'Save text'), ' ',
      h('button', { type: 'button', class: 'secondary', on: { click: () => save({ status: step.status === 'done' ? 'open' : 'done' }) } },
        step.status === 'done' ? 'Open again' : 'Mark done')),
    itemError);
  form.addEventListener('submit', event => { event.preventDefault(); save({ text: input.value }); });
  return h('li', { class: step.status === 'done' ? 'done' : null }, form);
}

async function renderSettings() {
  const s = await get(`${base()}/settings`);
  const day = typeof s.weeklyDay === 'number' ? WEEKDAYS[s.weeklyDay] : String(s.weeklyDay).toLowerCase();
  const weeklyEnabled = h('input', { type: 'checkbox', id: 'weekly-enabled', checked: s.weeklyEnabled });
  const weeklyDay = h('select', { id: 'weekly-day' }, [...WEEKDAYS.slice(1), WEEKDAYS[0]].map(d => h('option', { value: d, text: d })));
  weeklyDay.value = day;
  const weeklyHour = h('input', { type: 'number', id: 'weekly-hour', min: '0', max: '23', value: String(s.weeklyHour), required: true });
  const monthlyEnabled = h('input', { type: 'checkbox', id: 'monthly-enabled', checked: s.monthlyEnabled });
  const monthlyHour = h('input', { type: 'number', id: 'monthly-hour', min: '0', max: '23', value: String(s.monthlyHour), required: true });
  const recipients = h('textarea', { id: 'recipients', rows: '2' });
  recipients.value = s.recipients.join('\n');
  const formError = h('div');
  const form = h('form', { id: 'settings-form' },
    h('fieldset', null, h('legend', { text: 'Weekly' }),
      h('label', { class: 'inline-choice' }, weeklyEnabled, 'Send last week\'s report every week'),
      h('div', { class: 'row' },
        h('div', { class: 'field' }, h('label', { for: 'weekly-day', text: 'Weekday' }), weeklyDay),
        h('div', { class: 'field' }, h('label', { for: 'weekly-hour', text: 'Hour (account time)' }), weeklyHour))),
    h('fieldset', null, h('legend', { text: 'Monthly' }),
      h('label', { class: 'inline-choice' }, monthlyEnabled, 'Send last month\'s report on the first business day'),
      h('div', { class: 'field' }, h('label', { for: 'monthly-hour', text: 'Hour (account time)' }), monthlyHour)),
    h('div', { class: 'field' }, h('label', { for: 'recipients', text: 'Recipients, one address a line (empty: the account\'s managers)' }), recipients),
    h('p', { class: 'hint', text: 'The uptime target is the monitoring alert rules\' uptimeTarget of the account (or of a system).' }),
    h('button', { type: 'submit' }, 'Save schedule'), formError);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    try {
      await put(`${base()}/settings`, {
        weeklyEnabled: weeklyEnabled.checked, weeklyDay: weeklyDay.value, weeklyHour: Number(weeklyHour.value),
        monthlyEnabled: monthlyEnabled.checked, monthlyHour: Number(monthlyHour.value),
        recipients: recipients.value.split('\n').map(r => r.trim()).filter(Boolean),
      });
      fill(formError, h('p', { class: 'status-line', text: 'Schedule saved.' }));
      announce('Schedule saved.');
    } catch (e) {
      showError(formError, e);
    }
  });
  fill(settingsBox, h('h2', { id: 'settings-title', text: 'Schedule and recipients' }), form);
}

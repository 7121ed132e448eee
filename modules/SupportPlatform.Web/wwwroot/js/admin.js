// Admin pages over the existing REST APIs: accounts and their contracts (/api/accounts), routing and escalation rules
// (/api/routing), agents (/api/agents), vendors (/api/vendors), plugins (/api/admin/plugins) and the help desk bridge
// (/api/admin/bridge, in bridge-admin.js) and templates (/api/admin/templates).
import { showBalanceHistory } from './hours.js';
import { bridgePage } from './bridge-admin.js';
import { api, get, post, put, requireUser } from './api.js';
import { diffList } from './kb-common.js';
import { h, fill, $, announce, showError, label, formatDate, consoleHeader, holdForms, markReady } from './dom.js';

holdForms();

const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const PRIORITIES = ['critical', 'high', 'normal', 'low'];

const me = await requireUser('staff');
document.getElementById('header').replaceWith(consoleHeader(me, 'admin'));
const parts = location.pathname.replace(/\/+$/, '').split('/').slice(3); // after /console/admin
const section = parts[0] || 'accounts';
const content = $('#content');
for (const a of document.querySelectorAll('.admin-nav a')) {
  if (a.getAttribute('href') === `/console/admin/${section}`) a.setAttribute('aria-current', 'page');
}

function setTitle(text) {
  $('#title').textContent = text;
  document.title = `${text} · SupportPlatform`;
}

function table(columns, rows, caption) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'cards' },
    h('caption', { class: 'visually-hidden', text: caption }),
    h('thead', null, h('tr', null, columns.map(c => h('th', { scope: 'col', text: c })))),
    h('tbody', null, rows.length ? rows.map(cells => h('tr', null, cells.map((cell, i) => h('td', { 'data-label': columns[i] }, cell ?? '—'))))
      : h('tr', null, h('td', { colspan: columns.length, text: 'None yet.' })))));
}

const field = (id, text, input, hint) => h('div', { class: 'field' }, h('label', { for: id }, text, hint ? h('span', { class: 'hint', text: ` ${hint}` }) : null), input);

function saveButton(text = 'Save') {
  return h('button', { type: 'submit' }, text);
}

/** Wires a form: runs `save`, shows the server's explanation when it refuses. */
function onSave(form, errorBox, save) {
  form.addEventListener('submit', async event => {
    event.preventDefault();
    try {
      await save();
      showError(errorBox, null);
      announce('Saved.');
    } catch (e) {
      showError(errorBox, e);
    }
  });
}

// ---- accounts -------------------------------------------------------------------------------------------------

async function accounts() {
  setTitle('Accounts and contracts');
  const error = h('div');
  fill(content, h('p', null, h('a', { class: 'button', href: '/console/admin/accounts/new' }, 'New account')), error);
  try {
    const list = await get('/api/accounts');
    content.append(table(['Account', 'Name', 'Time zone'], list.map(a => [
      h('a', { href: `/console/admin/accounts/${encodeURIComponent(a.id)}`, text: a.id }), a.name, a.timeZone]), 'Client accounts'));
  } catch (e) {
    showError(error, e);
  }
}

const hours = span => {
  // .NET TimeSpan JSON ("7.00:00:00", "12:30:00") to hours.
  const m = /^(?:(\d+)\.)?(\d+):(\d+)(?::(\d+))?/.exec(span || '');
  return m ? Number(m[1] || 0) * 24 + Number(m[2]) + Number(m[3]) / 60 : 0;
};
const span = totalHours => {
  const minutes = Math.round(totalHours * 60);
  const d = Math.floor(minutes / 1440);
  const hh = String(Math.floor((minutes % 1440) / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${d}.${hh}:${mm}:00`;
};
const hhmm = time => (time || '00:00').slice(0, 5);

async function accountEditor(id) {
  setTitle(id ? `Account ${id}` : 'New account');
  const error = h('div', { 'aria-live': 'polite' });
  let account = null;
  if (id) {
    try {
      account = await get(`/api/accounts/${encodeURIComponent(id)}`);
    } catch (e) {
      fill(content, error);
      showError(error, e);
      return;
    }
  }
  const contract = account?.contract;
  const policy = contract?.slaPolicy;
  const calendar = contract?.calendar;
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];

  const targetRows = PRIORITIES.map(p => {
    const t = policy?.targets.find(x => x.priority === p);
    const num = (name, value, text) => h('input', { type: 'number', min: 1, name: `${p}-${name}`, value: value ?? '', 'aria-label': `${label(p)}: ${text} (minutes)` });
    return [label(p), num('first', t?.firstResponseMinutes, 'first response'), num('next', t?.nextResponseMinutes, 'next response'),
      num('resolution', t?.resolutionMinutes, 'resolution'),
      h('input', { type: 'checkbox', name: `${p}-24x7`, checked: !!t?.runsAroundTheClock, 'aria-label': `${label(p)}: runs around the clock` })];
  });

  const hoursList = h('ul', { class: 'plain', id: 'opening-hours' });
  const addInterval = (day = 'monday', start = '09:00', end = '17:00') => {
    const li = h('li', { class: 'row' },
      h('select', { name: 'day', 'aria-label': 'Day' }, DAYS.map(d => h('option', { value: d, selected: d === day, text: label(d) }))),
      h('input', { type: 'time', name: 'start', value: start, 'aria-label': 'Opens at' }),
      h('input', { type: 'time', name: 'end', value: end, 'aria-label': 'Closes at (00:00 = midnight)' }),
      h('button', { type: 'button', class: 'secondary', on: { click: () => li.remove() } }, 'Remove'));
    hoursList.append(li);
  };
  for (const i of calendar?.openingHours ?? []) addInterval(i.day, hhmm(i.start), hhmm(i.end));

  const holidayList = h('ul', { class: 'plain', id: 'holidays' });
  const addHoliday = (date = '', name = '') => {
    const li = h('li', { class: 'row' },
      h('input', { type: 'date', name: 'date', value: date, 'aria-label': 'Holiday date' }),
      h('input', { name: 'holiday', value: name, 'aria-label': 'Holiday name' }),
      h('button', { type: 'button', class: 'secondary', on: { click: () => li.remove() } }, 'Remove'));
    holidayList.append(li);
  };
  for (const d of calendar?.holidays ?? []) addHoliday(d.date, d.name);

  const form = h('form', { id: 'account-form' },
    h('fieldset', null, h('legend', { text: 'Account' }),
      id ? null : field('acc-id', 'Account id', h('input', { id: 'acc-id', name: 'id', required: true, pattern: '[a-z0-9][a-z0-9-]*', maxlength: 64 }), '(lowercase letters, digits and -)'),
      field('acc-name', 'Name', h('input', { id: 'acc-name', name: 'name', required: true, value: account?.name ?? '' })),
      field('acc-zone', 'Time zone', h('input', { id: 'acc-zone', name: 'timeZone', list: 'zones', required: true, value: account?.timeZone ?? 'Europe/London' }), '(IANA, e.g. Europe/Paris)'),
      h('datalist', { id: 'zones' }, zones.map(z => h('option', { value: z })))),
    h('fieldset', null, h('legend', { text: 'Contract' }),
      h('label', { class: 'inline-choice' }, h('input', { type: 'checkbox', name: 'useReference', checked: !contract }), 'Use the reference contract (weekdays 09:00–17:00, reference SLA)'),
      h('div', { class: 'row' },
        field('acc-reopen', 'Reopen window', h('input', { id: 'acc-reopen', type: 'number', min: 0, step: 'any', name: 'reopen', value: contract ? hours(contract.reopenWindow) : 168 }), '(hours)'),
        field('acc-close', 'Close after', h('input', { id: 'acc-close', type: 'number', min: 0, step: 'any', name: 'close', value: contract ? hours(contract.closeAfter) : 72 }), '(hours)'))),
    h('fieldset', null, h('legend', { text: 'SLA policy' }),
      h('div', { class: 'row' },
        field('sla-name', 'Policy name', h('input', { id: 'sla-name', name: 'policyName', value: policy?.name ?? 'Reference' })),
        field('sla-warn', 'Warn at', h('input', { id: 'sla-warn', type: 'number', min: 0.01, max: 0.99, step: 0.01, name: 'warningShare', value: policy?.warningShare ?? 0.75 }), '(share of the target)')),
      h('label', { class: 'inline-choice' }, h('input', { type: 'checkbox', name: 'vendorPauses', checked: !!policy?.pendingVendorPausesClocks }), 'Pending-vendor pauses the clocks'),
      table(['Priority', 'First response (min)', 'Next response (min)', 'Resolution (min)', 'Around the clock'], targetRows, 'SLA targets per priority')),
    h('fieldset', null, h('legend', { text: 'Business calendar' }),
      field('cal-zone', 'Calendar time zone', h('input', { id: 'cal-zone', name: 'calendarZone', list: 'zones', value: calendar?.timeZoneId ?? account?.timeZone ?? 'Europe/London' }), '(IANA)'),
      h('h3', { text: 'Weekly hours' }), hoursList,
      h('button', { type: 'button', class: 'secondary', on: { click: () => addInterval() } }, 'Add opening hours'),
      h('h3', { text: 'Holidays' }), holidayList,
      h('button', { type: 'button', class: 'secondary', on: { click: () => addHoliday() } }, 'Add holiday')),
    error,
    saveButton('Save account'));
  const phoneHours = id ? h('section', { class: 'panel', 'aria-labelledby': 'hours-title' }, h('h2', { id: 'hours-title', text: 'Phone hours' }), h('div', { id: 'hours', 'aria-live': 'polite' })) : null;
  fill(content, h('p', null, h('a', { href: '/console/admin/accounts', text: 'All accounts' })), phoneHours, form);
  if (phoneHours) {
    showBalanceHistory(phoneHours.lastChild, id);
    setInterval(() => showBalanceHistory(phoneHours.lastChild, id), 60_000);
  }

  onSave(form, error, async () => {
    const f = form.elements;
    const accountId = id ?? f.id.value.trim();
    const body = { name: f.name.value.trim(), timeZone: f.timeZone.value.trim() };
    if (!f.useReference.checked) {
      body.contract = {
        slaPolicy: {
          name: f.policyName.value.trim(), warningShare: Number(f.warningShare.value), pendingVendorPausesClocks: f.vendorPauses.checked,
          targets: PRIORITIES.map(p => ({
            priority: p, firstResponseMinutes: Number(f[`${p}-first`].value), nextResponseMinutes: Number(f[`${p}-next`].value),
            resolutionMinutes: Number(f[`${p}-resolution`].value), runsAroundTheClock: f[`${p}-24x7`].checked,
          })),
        },
        calendar: {
          timeZoneId: f.calendarZone.value.trim(),
          openingHours: [...hoursList.children].map(li => ({ day: li.querySelector('[name=day]').value, start: `${li.querySelector('[name=start]').value}:00`, end: `${li.querySelector('[name=end]').value}:00` })),
          holidays: [...holidayList.children].map(li => ({ date: li.querySelector('[name=date]').value, name: li.querySelector('[name=holiday]').value.trim() })),
        },
        reopenWindow: span(Number(f.reopen.value)),
        closeAfter: span(Number(f.close.value)),
      };
    }
    await put(`/api/accounts/${encodeURIComponent(accountId)}`, body);
    if (!id) location.assign(`/console/admin/accounts/${encodeURIComponent(accountId)}`);
  });
}

// ---- routing and escalation rules ----------------------------------------------------------------------------

const routingExample = [{ name: 'network', keywords: ['vpn', 'firewall'], group: 'L2', requiredSkill: 'networking', strategy: 'least-loaded' }];
const escalationExample = [{ name: 'critical-breach', priorities: ['critical'], on: ['breach'], toGroup: 'L2' }];

async function ruleList(title, url, explanation, columns, example) {
  setTitle(title);
  const error = h('div', { 'aria-live': 'polite' });
  fill(content, h('p', { text: explanation }), error);
  let rules;
  try {
    rules = await get(url);
  } catch (e) {
    showError(error, e);
    return;
  }
  const view = h('div');
  const show = list => fill(view, table(columns.map(c => label(c.replace(/([A-Z])/g, '-$1').toLowerCase())),
    list.map(r => columns.map(c => (Array.isArray(r[c]) ? r[c].map(label).join(', ') || 'any' : r[c] == null ? 'any' : label(r[c])))), title));
  show(rules);
  const editor = h('textarea', { id: 'rules-json', name: 'rules', rows: 14, spellcheck: 'false' });
  editor.value = JSON.stringify(rules.length ? rules : example, null, 2);
  const form = h('form', { id: 'rules-form', class: 'panel' },
    field('rules-json', 'Rules, in order (JSON)', editor, '(the server checks every rule and says what is wrong)'),
    h('div', { class: 'form-error' }),
    saveButton('Save rules'));
  content.append(view, form);
  onSave(form, form.querySelector('.form-error'), async () => {
    let parsed;
    try {
      parsed = JSON.parse(editor.value);
    } catch (e) {
      throw new Error(`The rules are not valid JSON: ${e.message}`);
    }
    show(await put(url, parsed));
  });
}

// ---- agents and vendors ------------------------------------------------------------------------------------------

async function agentsPage() {
  setTitle('Agents and skills');
  const error = h('div', { 'aria-live': 'polite' });
  const list = h('div');
  const load = async () => {
    const agents = await get('/api/agents');
    fill(list, table(['Agent', 'Name', 'Groups', 'Skills', 'On shift', 'Active'], agents.map(a => [
      h('button', { type: 'button', class: 'secondary', on: { click: () => edit(a) }, 'aria-label': `Edit agent ${a.id}`, text: a.id }),
      a.displayName, a.groups.join(', '), a.skills.join(', ') || '—', a.onShift ? 'yes' : 'no', a.active ? 'yes' : 'no']), 'Agents'));
  };
  const form = h('form', { id: 'agent-form', class: 'panel' },
    h('h2', { text: 'Add or change an agent' }),
    h('div', { class: 'row' },
      field('agent-id', 'Agent id', h('input', { id: 'agent-id', name: 'id', required: true })),
      field('agent-name', 'Display name', h('input', { id: 'agent-name', name: 'displayName', required: true })),
      field('agent-groups', 'Groups', h('input', { id: 'agent-groups', name: 'groups' }), '(comma-separated)'),
      field('agent-skills', 'Skills', h('input', { id: 'agent-skills', name: 'skills' }), '(comma-separated)')),
    h('label', { class: 'inline-choice' }, h('input', { type: 'checkbox', name: 'onShift', checked: true }), 'On shift'),
    h('label', { class: 'inline-choice' }, h('input', { type: 'checkbox', name: 'active', checked: true }), 'Active'),
    h('div', { class: 'form-error' }),
    saveButton('Save agent'));
  const edit = a => {
    const f = form.elements;
    f.id.value = a.id; f.displayName.value = a.displayName; f.groups.value = a.groups.join(', '); f.skills.value = a.skills.join(', ');
    f.onShift.checked = a.onShift; f.active.checked = a.active;
    f.displayName.focus();
  };
  const csv = text => text.split(',').map(s => s.trim()).filter(Boolean);
  onSave(form, form.querySelector('.form-error'), async () => {
    const f = form.elements;
    await put(`/api/agents/${encodeURIComponent(f.id.value.trim())}`, {
      displayName: f.displayName.value.trim(), groups: csv(f.groups.value), skills: csv(f.skills.value), onShift: f.onShift.checked, active: f.active.checked,
    });
    await load();
  });
  fill(content, error, list, form);
  try { await load(); } catch (e) { showError(error, e); }
}

async function vendorsPage() {
  setTitle('Vendors');
  const error = h('div', { 'aria-live': 'polite' });
  const list = h('div');
  const outbox = h('div');
  const load = async () => {
    const [vendors, messages] = await Promise.all([get('/api/vendors'), get('/api/vendors/outbox')]);
    fill(list, table(['Vendor', 'Name', 'Contact', 'Notes'], vendors.map(v => [v.id, v.name, v.contactEmail, v.notes || '—']), 'Vendors'));
    fill(outbox, h('h2', { text: 'Messages to vendors' }), table(['Ticket', 'Vendor', 'Subject', 'Status', 'Recorded'], messages.map(m => [
      h('a', { href: `/console/tickets/${m.ticketId}`, text: `#${m.ticketId}` }), m.vendorId, m.subject, m.status, formatDate(m.createdAt)]), 'Vendor outbox'));
  };
  const form = h('form', { id: 'vendor-form', class: 'panel' },
    h('h2', { text: 'Add or change a vendor' }),
    h('div', { class: 'row' },
      field('vendor-id', 'Vendor id', h('input', { id: 'vendor-id', name: 'id', required: true })),
      field('vendor-name', 'Name', h('input', { id: 'vendor-name', name: 'name', required: true })),
      field('vendor-email', 'Contact email', h('input', { id: 'vendor-email', name: 'contactEmail', type: 'email', required: true })),
      field('vendor-notes', 'Notes', h('input', { id: 'vendor-notes', name: 'notes' }))),
    h('div', { class: 'form-error' }),
    saveButton('Save vendor'));
  onSave(form, form.querySelector('.form-error'), async () => {
    const f = form.elements;
    await put(`/api/vendors/${encodeURIComponent(f.id.value.trim())}`, { name: f.name.value, contactEmail: f.contactEmail.value, notes: f.notes.value || null });
    await load();
  });
  fill(content, error, list, form, outbox);
  try { await load(); } catch (e) { showError(error, e); }
}

// ---- plugins and templates -------------------------------------------------------------------------------------

async function pluginsPage() {
  setTitle('Plugins');
  const error = h('div');
  fill(content, h('p', { text: 'Every plugin found in the plugins folder, with its status and, when it is not loaded, the reason.' }), error);
  try {
    const plugins = await get('/api/admin/plugins');
    content.append(table(['Plugin', 'Name', 'Version', 'SDK', 'Capabilities', 'Status', 'Reason'], plugins.map(p => [
      p.id, p.name || '—', p.version || '—', p.sdkVersion || '—', p.capabilities.join(', ') || '—',
      h('span', { class: String(p.status).toLowerCase() === 'loaded' ? null : 'error', text: label(p.status) }), p.reason || '—']), 'Plugins'));
  } catch (e) {
    showError(error, e);
  }
}

const ORIGINS = { shipped: 'shipped', file: 'data-folder file', saved: 'saved here', 'account-file': 'account\'s data-folder file', 'account-saved': 'account\'s own, saved here' };

/** Templates: the list by kind, an editor with validation, preview, save and revert, and the history with diffs. */
async function templatesPage() {
  setTitle('Templates');
  const error = h('div');
  const list = h('div', { id: 'template-list' });
  const editor = h('section', { id: 'template-editor', 'aria-label': 'Template editor', hidden: true });
  fill(content, h('p', { text: 'Mail, report and billing templates (Scriban). A template saved here is used by every node at once and replaces a file of the same name in the data folder, which replaces the shipped one.' }), error, list, editor);

  async function load() {
    const kinds = await get('/api/admin/templates');
    fill(list, kinds.map(k => h('div', { class: 'panel' }, h('h2', { text: k.title }),
      table(['Template', 'What it is', 'In effect', 'Change'], k.templates.map(t => [
        h('code', { text: t.name }), t.description,
        `${ORIGINS[t.inEffect] ?? t.inEffect}${t.version ? ` (version ${t.version})` : ''}${t.accountOverrides.length ? `; own versions: ${t.accountOverrides.join(', ')}` : ''}`,
        h('button', { type: 'button', 'aria-label': `Edit ${k.kind} ${t.name}`, on: { click: () => open(k, t.name, null) } }, 'Edit')]), `${k.title} templates`))));
  }

  async function open(kind, name, accountId) {
    const q = accountId ? `?accountId=${encodeURIComponent(accountId)}` : '';
    const base = `/api/admin/templates/${kind.kind}/${encodeURIComponent(name)}`;
    const t = await get(base + q);
    const source = h('textarea', { id: 'template-source', name: 'source', rows: 18, spellcheck: 'false', class: 'code' });
    source.value = t.current.source;
    const problems = h('div', { id: 'template-problems', role: 'status', 'aria-live': 'polite' });
    const preview = h('div', { id: 'template-preview', 'aria-live': 'polite' });
    const history = h('div', { id: 'template-history' });
    const diff = h('div', { id: 'template-diff' });
    const account = kind.perAccount
      ? h('form', { class: 'row', on: { submit: event => { event.preventDefault(); const v = event.target.elements.account.value.trim(); open(kind, name, v || null).catch(e => showError(problems, e)); } } },
        field('template-account', 'Account', h('input', { id: 'template-account', name: 'account', value: accountId ?? '', placeholder: 'every account' }), '(its own version; empty: every account)'),
        h('button', { type: 'submit' }, 'Open'))
      : null;
    const body = () => ({ source: source.value, accountId });

    function showProblems(list) {
      fill(problems, list.length
        ? h('ul', { class: 'error', 'aria-label': 'Problems' }, list.map(p => h('li', { text: `Line ${p.line}, column ${p.column}: ${p.message}` })))
        : h('p', { class: 'notice', text: 'The template is valid.' }));
    }

    async function refused(e) {
      if (e.status === 422 && e.problem?.problems) showProblems(e.problem.problems); else showError(problems, e);
    }

    async function showPreview() {
      try {
        const p = await post(`${base}/preview`, body());
        showProblems([]);
        const frame = p.html != null ? h('iframe', { title: 'HTML preview', sandbox: '', class: 'template-frame' }) : null;
        if (frame) frame.srcdoc = p.html;
        fill(preview, h('h3', { text: 'Preview with sample data' }),
          p.subject != null ? h('p', null, h('strong', { text: 'Subject: ' }), p.subject) : null,
          p.text != null ? h('pre', { class: 'template-text', text: p.text }) : null, frame);
      } catch (e) { await refused(e); }
    }

    async function loadHistory() {
      const versions = await get(`${base}/versions${q}`);
      fill(history, h('h3', { text: 'History' }), versions.length
        ? h('ol', { class: 'plain', 'aria-label': 'Versions' }, versions.map(v => h('li', null,
          `Version ${v.version}: ${v.reverted ? 'reverted' : 'saved'} by ${v.savedBy}, ${formatDate(v.savedAt)} `,
          h('button', { type: 'button', 'aria-label': `Compare version ${v.version} with the one before`, on: { click: () => compareVersions(v.version - 1, v.version) } }, 'Compare with previous'),
          v.reverted ? null : h('button', { type: 'button', 'aria-label': `Restore version ${v.version}`, on: { click: () => restore(v.version) } }, 'Restore'))))
        : h('p', { text: 'Never saved here.' }), diff);
    }

    async function compareVersions(from, to) {
      try {
        const d = await get(`${base}/diff?from=${from}&to=${to}${accountId ? `&accountId=${encodeURIComponent(accountId)}` : ''}`);
        fill(diff, h('h4', { text: `Changes from ${from === 0 ? 'the shipped text' : `version ${from}`} to version ${to}` }), diffList(d.lines, `Changes from version ${from} to ${to}`));
      } catch (e) { showError(diff, e); }
    }

    async function restore(version) {
      try {
        const saved = await post(`${base}/versions/${version}/restore${q}`);
        announce(`Version ${version} restored as version ${saved.version}.`);
        await open(kind, name, accountId);
        await load();
      } catch (e) { await refused(e); }
    }

    const form = h('form', { id: 'template-form', on: { submit: async event => {
      event.preventDefault();
      try {
        const saved = await put(base, body());
        showProblems([]);
        announce(`Saved as version ${saved.version}.`);
        await Promise.all([loadHistory(), load()]);
        fill(origin, `In effect: ${ORIGINS[accountId ? 'account-saved' : 'saved']} (version ${saved.version})`);
      } catch (e) { await refused(e); }
    } } },
      h('div', { class: 'field' }, h('label', { for: 'template-source', text: `Template text of ${name}` }), source),
      h('div', { class: 'row' },
        h('button', { type: 'button', on: { click: async () => { try { const r = await post(`${base}/validate`, body()); showProblems(r.problems); } catch (e) { showError(problems, e); } } } }, 'Validate'),
        h('button', { type: 'button', on: { click: showPreview } }, 'Preview'),
        h('button', { type: 'submit' }, 'Save'),
        h('button', { type: 'button', on: { click: async () => {
          try {
            const r = await api('DELETE', base + q);
            announce(`Reverted; in effect now: ${ORIGINS[r.inEffect] ?? r.inEffect}.`);
            await open(kind, name, accountId);
            await load();
          } catch (e) { showError(problems, e); }
        } } }, 'Revert to shipped')));
    const origin = h('p', { id: 'template-origin', text: `In effect: ${ORIGINS[t.current.inEffect] ?? t.current.inEffect}${t.current.version ? ` (version ${t.current.version})` : ''}${t.file != null ? `; the data folder has ${t.filePath}` : ''}` });
    fill(editor, h('h2', { text: `${kind.title}: ${name}${accountId ? ` for account ${accountId}` : ''}` }), h('p', { text: t.description }), origin, account, form, problems,
      h('details', null, h('summary', { text: 'Variables of the model' }), h('ul', { class: 'plain template-vars' }, t.variables.map(v => h('li', null, h('code', { text: v }))))),
      preview, history);
    editor.hidden = false;
    await loadHistory();
    source.focus();
  }

  try { await load(); } catch (e) { showError(error, e); }
}

// ---- dispatch (last, so every helper above is initialised) -------------------------------------------------------

const sections = {
  accounts: () => (parts[1] ? accountEditor(parts[1] === 'new' ? null : decodeURIComponent(parts[1])) : accounts()),
  routing: () => ruleList('Routing rules', '/api/routing/rules', 'Tried in order on each new ticket; the first that matches picks the group and the agent.',
    ['name', 'group', 'requiredSkill', 'strategy', 'priorities', 'channels', 'accountIds', 'types', 'keywords'], routingExample),
  escalations: () => ruleList('Escalation rules', '/api/routing/escalations', 'Tried in order on each SLA warning and breach; the first that matches escalates the ticket, once per rule, clock and kind.',
    ['name', 'toGroup', 'priorities', 'on', 'clocks', 'accountIds'], escalationExample),
  agents: () => agentsPage(),
  vendors: () => vendorsPage(),
  plugins: () => pluginsPage(),
  bridge: () => bridgePage(content, setTitle),
  templates: () => templatesPage(),
};

await (sections[section] || (() => fill(content, h('p', { class: 'error', text: `There is no admin section '${section}'.` }))))();
markReady();

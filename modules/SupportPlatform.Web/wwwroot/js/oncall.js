// On call and notifications over /api/oncall and /api/notifications: who is on call now (and the coming coverage
// gaps, for admins), the schedules, my notification preferences, and the delivery log (seniors and admins).
import { get, put, requireUser } from './api.js';
import { h, fill, $, announce, showError, label, formatDate, consoleHeader, holdForms, markReady } from './dom.js';

holdForms();

const EVENTS = ['new-ticket', 'assignment', 'mention', 'sla-warning', 'sla-breach', 'escalation', 'hour-threshold', 'plugin-failed'];
const CHANNELS = ['in-app', 'email', 'sms', 'voice', 'chat'];

const me = await requireUser('staff');
document.getElementById('header').replaceWith(consoleHeader(me, 'oncall'));
const section = location.pathname.replace(/\/+$/, '').split('/')[3] || 'now';
const content = $('#content');
for (const a of document.querySelectorAll('.admin-nav a')) {
  if (a.getAttribute('href') === `/console/oncall/${section}`) a.setAttribute('aria-current', 'page');
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
      : h('tr', null, h('td', { colspan: columns.length, text: 'None.' })))));
}

async function now() {
  setTitle('On call now');
  const error = h('div');
  fill(content, error);
  try {
    const answers = await get('/api/oncall/now');
    content.append(table(['Team', 'Schedule', 'On call', 'Since', 'Until', 'From'],
      answers.map(a => [a.team, a.scheduleId, a.userId ?? 'nobody', formatDate(a.shiftStart), formatDate(a.shiftEnd), label(a.source)]), 'Who is on call now'));
    if ((me.roles ?? []).includes('admin')) {
      const gaps = await get('/api/oncall/gaps?days=14');
      content.append(h('h2', { text: 'Coverage gaps in the next 14 days' }),
        table(['Team', 'From', 'To'], gaps.map(g => [g.team, formatDate(g.from), formatDate(g.to)]), 'Coverage gaps'));
    }
  } catch (e) {
    showError(error, e);
  }
}

async function schedules() {
  setTitle('Schedules');
  const error = h('div');
  fill(content, error);
  try {
    const list = await get('/api/oncall/schedules');
    content.append(table(['Id', 'Team', 'Time zone', 'Layers'], list.map(s => [s.id, s.team, s.timeZone,
      s.layers.map(l => `${l.name}: ${l.users.join(', ')} (${l.handoff} at ${l.handoffTime} from ${l.start}${l.activeFrom ? `, ${l.activeFrom}–${l.activeTo}` : ''})`).join('; ')]), 'On-call schedules'));
  } catch (e) {
    showError(error, e);
  }
}

async function preferences() {
  setTitle('My notifications');
  const error = h('div');
  fill(content, error);
  let prefs;
  try {
    prefs = await get('/api/notifications/preferences');
  } catch (e) {
    showError(error, e);
    return;
  }

  const input = (id, value, hint) => h('div', { class: 'field' }, h('label', { for: id }, label(id), hint ? h('span', { class: 'hint', text: ` ${hint}` }) : null),
    h('input', { id, name: id, value: value ?? '' }));
  const rows = EVENTS.map(ev => h('div', { class: 'field' }, h('label', { for: `ch-${ev}` }, label(ev), h('span', { class: 'hint', text: ' channels in order, comma-separated' })),
    h('input', { id: `ch-${ev}`, name: ev, value: (prefs.channels[ev] ?? []).join(', ') })));
  const form = h('form', null,
    input('timeZone', prefs.timeZone, 'IANA, e.g. Europe/London'),
    input('quietStart', prefs.quietStart, 'HH:mm'),
    input('quietEnd', prefs.quietEnd, 'HH:mm'),
    input('phone', prefs.phone, 'E.164, for sms and voice'),
    input('chatTarget', prefs.chatTarget, 'a chat plugin target'),
    h('p', { class: 'hint', text: `Channels: ${CHANNELS.join(', ')}.` }),
    rows,
    h('button', { type: 'submit' }, 'Save'));
  content.append(form);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const value = id => form.elements[id].value.trim() || null;
    const channels = {};
    for (const ev of EVENTS) channels[ev] = form.elements[ev].value.split(',').map(s => s.trim()).filter(Boolean);
    try {
      await put('/api/notifications/preferences', {
        timeZone: value('timeZone'), quietStart: value('quietStart'), quietEnd: value('quietEnd'), phone: value('phone'), chatTarget: value('chatTarget'), channels,
      });
      showError(error, null);
      announce('Saved.');
    } catch (e) {
      showError(error, e);
    }
  });
}

async function deliveries() {
  setTitle('Delivery log');
  const error = h('div');
  fill(content, error);
  try {
    const senior = (me.roles ?? []).some(r => r === 'admin' || r === 'senior');
    const url = senior ? '/api/notifications/deliveries' : '/api/notifications/mine';
    const rows = await get(url);
    content.append(table(['When', 'Event', 'Subject', 'To', 'Channel', 'Status', 'Attempts', 'Last error'],
      rows.map(d => [formatDate(d.createdAt), label(d.eventType), d.subject, d.userId, label(d.channel), label(d.status), String(d.attempts), d.lastError]), 'Notification deliveries'));
  } catch (e) {
    showError(error, e);
  }
}

await ({ now, schedules, preferences, deliveries }[section] ?? now)();
markReady();

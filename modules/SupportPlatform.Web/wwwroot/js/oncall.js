// On call and notifications over /api/oncall and /api/notifications: who is on call now (and the coming coverage
// gaps, for admins), the schedules, my notification preferences, and the delivery log (seniors and admins).
import { get, post, put, requireUser } from './api.js';
import { h, fill, $, announce, showError, label, formatDate, consoleHeader, holdForms, markReady } from './dom.js';

holdForms();

const EVENTS = ['new-ticket', 'assignment', 'mention', 'sla-warning', 'sla-breach', 'escalation', 'hour-threshold', 'plugin-failed', 'client-reply', 'mail-triage', 'mail-bounce'];
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
  const list = h('div', { id: 'schedule-list' });
  fill(content, error, list);
  const roles = me.roles ?? [];
  const admin = roles.includes('admin');
  const senior = admin || roles.includes('senior');
  let current = [];

  async function load() {
    current = await get('/api/oncall/schedules');
    fill(list, table(['Id', 'Team', 'Time zone', 'Layers'], current.map(s => [s.id, s.team, s.timeZone,
      s.layers.map(l => `${l.name}: ${l.users.join(', ')} (${l.handoff} at ${l.handoffTime} from ${l.start}${l.activeFrom ? `, ${l.activeFrom}–${l.activeTo}` : ''})`).join('; ')]), 'On-call schedules'));
    if (overrideSchedule) {
      fill(overrideSchedule, current.map(s => h('option', { value: s.id, text: `${s.id} (${s.team})` })));
    }
  }

  const input = (id, text, props = {}, hint = null) => h('div', { class: 'field' },
    h('label', { for: id }, text, hint ? h('span', { class: 'hint', text: ` ${hint}` }) : null), h('input', { id, name: id, ...props }));

  if (admin) {
    // One schedule with its first layer; more layers and business hours through the API (PUT /api/oncall/schedules/{id}).
    const formError = h('div');
    const form = h('form', { id: 'new-schedule', 'aria-labelledby': 'new-schedule-title' },
      h('h2', { id: 'new-schedule-title', text: 'New schedule' }),
      formError,
      input('schedule-id', 'Schedule id', { required: true }, 'letters, digits, dashes'),
      input('schedule-team', 'Team', { required: true }, 'e.g. L1'),
      input('schedule-zone', 'Time zone', { required: true, value: Intl.DateTimeFormat().resolvedOptions().timeZone }, 'IANA'),
      input('layer-name', 'Layer name', { required: true, value: 'weekly' }),
      input('layer-users', 'Users', { required: true }, 'staff user ids in turn order, comma-separated'),
      h('div', { class: 'field' }, h('label', { for: 'layer-handoff', text: 'Hand-off' }),
        h('select', { id: 'layer-handoff', name: 'layer-handoff' }, ['weekly', 'daily'].map(v => h('option', { value: v, text: v })))),
      input('layer-time', 'Hand-off time', { type: 'time', required: true, value: '09:00' }),
      input('layer-start', 'First hand-off date', { type: 'date', required: true, value: new Date().toISOString().slice(0, 10) }),
      h('button', { type: 'submit' }, 'Create schedule'));
    form.addEventListener('submit', async event => {
      event.preventDefault();
      const v = id => form.elements[id].value.trim();
      try {
        await put(`/api/oncall/schedules/${encodeURIComponent(v('schedule-id'))}`, {
          team: v('schedule-team'), timeZone: v('schedule-zone'),
          layers: [{ name: v('layer-name'), users: v('layer-users').split(',').map(u => u.trim()).filter(Boolean), handoff: v('layer-handoff'), handoffTime: v('layer-time'), start: v('layer-start') }],
        });
        showError(formError, null);
        form.reset();
        await load();
        announce('Schedule saved.');
      } catch (e) {
        showError(formError, e);
      }
    });
    content.append(form);
  }

  let overrideSchedule = null;
  if (senior) {
    // Times are entered in the browser's time zone and sent as instants.
    const formError = h('div');
    overrideSchedule = h('select', { id: 'override-schedule', name: 'override-schedule' });
    const form = h('form', { id: 'new-override', 'aria-labelledby': 'new-override-title' },
      h('h2', { id: 'new-override-title', text: 'Override (holiday or swap)' }),
      formError,
      h('div', { class: 'field' }, h('label', { for: 'override-schedule', text: 'Schedule' }), overrideSchedule),
      input('override-user', 'On call instead', { required: true }, 'staff user id'),
      input('override-from', 'From', { type: 'datetime-local', required: true }, 'your local time'),
      input('override-to', 'Until', { type: 'datetime-local', required: true }, 'your local time'),
      input('override-reason', 'Reason'),
      h('button', { type: 'submit' }, 'Add override'));
    form.addEventListener('submit', async event => {
      event.preventDefault();
      const v = id => form.elements[id].value.trim();
      const instant = id => {
        const d = new Date(v(id));
        if (Number.isNaN(d.getTime())) throw new Error(`${id === 'override-from' ? 'From' : 'Until'}: enter a date and time.`);
        return d.toISOString();
      };
      try {
        await post(`/api/oncall/schedules/${encodeURIComponent(v('override-schedule'))}/overrides`, {
          userId: v('override-user'), startsAt: instant('override-from'), endsAt: instant('override-to'), reason: v('override-reason') || null,
        });
        showError(formError, null);
        announce('Override added.');
      } catch (e) {
        showError(formError, e);
      }
    });
    content.append(form);
  }

  try {
    await load();
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

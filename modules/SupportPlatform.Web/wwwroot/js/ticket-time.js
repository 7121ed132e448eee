// Time logging on the console's ticket page: time is logged against the tasks of the ticket's approved out-of-scope
// work (billing); without approved work the page says so and links to the billing page.
import { get, post } from './api.js';
import { h, fill, announce, showError } from './dom.js';

const box = document.getElementById('time-logging');
const ticketId = Number(location.pathname.split('/').pop());
if (box && ticketId) await render();

async function render() {
  const title = h('h3', { id: 'log-time-title', text: 'Time logging' });
  try {
    const estimates = (await get(`/api/billing/estimates?ticketId=${ticketId}`))
      .filter(e => e.approvedVersion != null && e.status !== 'completed');
    const tasks = estimates.flatMap(e => e.tasks.map(t => ({ ...t, estimate: e })));
    if (tasks.length === 0) {
      fill(box, title, h('p', { class: 'hint', id: 'log-time-hint' },
        'Time is logged against approved out-of-scope work, and this ticket has none. ',
        h('a', { href: '/console/billing' }, 'Draft an estimate on the billing page'), '.'));
      return;
    }
    const task = h('select', { id: 'log-task' }, tasks.map(t => h('option', { value: t.id, text: `${t.estimate.title}: ${t.title} (${t.loggedHours} of ${t.estimatedHours} h)` })));
    const minutes = h('input', { type: 'number', id: 'log-minutes', min: '1', max: '1440', required: true });
    const note = h('input', { type: 'text', id: 'log-note', required: true });
    const error = h('div');
    const form = h('form', { id: 'log-time-form' },
      h('label', { for: 'log-task', text: 'Task' }), task,
      h('label', { for: 'log-minutes', text: 'Minutes' }), minutes,
      h('label', { for: 'log-note', text: 'What was done' }), note,
      h('button', { type: 'submit', id: 'log-time' }, 'Log time'), error);
    form.addEventListener('submit', async event => {
      event.preventDefault();
      try {
        await post('/api/billing/time-entries', { taskId: task.value, minutes: Number(minutes.value), note: note.value });
        announce('Time logged.');
        await render();
      } catch (e) {
        showError(error, e);
      }
    });
    fill(box, title, form);
  } catch (e) {
    fill(box, title);
    showError(box, e);
  }
}

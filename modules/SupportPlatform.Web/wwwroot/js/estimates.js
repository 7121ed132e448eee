// The portal's estimates and invoices: what the MSP proposes beyond the contract, with its price, the account manager's
// approve/decline, progress of approved work, and the account's invoices. The server decides what a client may see.
import { get, post, requireUser } from './api.js';
import { h, fill, $, announce, showError, portalHeader, holdForms, markReady, label } from './dom.js';
import { linesTable, progress, invoicesTable, money } from './billing-view.js';

holdForms();

const me = await requireUser('client');
const main = $('#main');
document.getElementById('header').replaceWith(portalHeader(me, 'estimates'));
await show();
markReady();

async function show() {
  const error = h('div');
  const estimatesBox = h('div', { id: 'estimates' });
  const invoicesBox = h('div');
  fill(main, h('h1', { text: 'Estimates and invoices' }), error,
    h('h2', { text: 'Estimates' }), estimatesBox, h('h2', { text: 'Invoices' }), invoicesBox);
  try {
    const [estimates, invoices] = await Promise.all([get('/api/billing/estimates'), get('/api/billing/invoices')]);
    fill(estimatesBox, estimates.length === 0 ? h('p', { class: 'notice', text: 'No estimates.' }) : estimates.map(estimateCard));
    fill(invoicesBox, invoicesTable(invoices));
  } catch (e) {
    showError(error, e);
  }
}

function estimateCard(e) {
  const v = e.current;
  const decided = e.approvals.find(a => a.version === v.version);
  const error = h('div');
  const reason = h('textarea', { id: `reason-${e.id}`, rows: '2' });
  const decide = decision => async () => {
    try {
      await post(`/api/billing/estimates/${e.id}/decision`, { version: v.version, decision, reason: reason.value });
      announce(`Estimate ${decision === 'approve' ? 'approved' : 'declined'}.`);
      await show();
    } catch (err) {
      showError(error, err);
    }
  };
  return h('section', { class: 'panel estimate', 'data-estimate': e.id, 'aria-labelledby': `t-${e.id}` },
    h('h3', { id: `t-${e.id}`, text: e.title }),
    h('p', null, `Status: ${label(e.status)} · version ${v.version} · valid until ${v.validUntil}`),
    h('p', null, 'Why it is billed on top of the contract: ', h('span', { text: e.scopeReason })),
    linesTable(v, `Estimate ${e.id}, version ${v.version}`),
    v.assumptions.length ? h('ul', { 'aria-label': 'Assumptions' }, v.assumptions.map(a => h('li', { text: a }))) : null,
    progress(e),
    decided
      ? h('p', { class: 'decision', text: `Version ${v.version} ${decided.decision} by ${decided.userName} on ${decided.at.slice(0, 16).replace('T', ' ')} UTC.` })
      : e.status === 'sent' && me.isManager
        ? h('form', { class: 'decide', on: { submit: ev => ev.preventDefault() } },
          h('label', { for: `reason-${e.id}`, text: 'Comment (optional)' }), reason,
          h('p', null,
            h('button', { type: 'button', on: { click: decide('approve') } }, `Approve (${money(v.total, v.currency)})`), ' ',
            h('button', { type: 'button', class: 'secondary', on: { click: decide('decline') } }, 'Decline')))
        : e.status === 'sent' ? h('p', { class: 'hint', text: 'Waiting for your account manager’s decision.' }) : null,
    error);
}

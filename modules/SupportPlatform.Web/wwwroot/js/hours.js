// The phone allowance of a client account (GET /api/accounts/{id}/allowance and .../allowance/periods): used,
// remaining and overage for the current billing period, shown on the console's ticket page and in the portal.
import { get } from './api.js';
import { h, fill } from './dom.js';

/** "4 h 12 min", "45 min", "10 h". */
export function formatMinutes(minutes) {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

function formatMoney(money) {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: money.currency }).format(money.amount);
  } catch {
    return `${money.amount} ${money.currency}`;
  }
}

/** The balance of one period: a sentence, a meter, and what is left or billable. */
export function balanceView(b) {
  const share = Math.round(b.usedShare * 100);
  const max = Math.max(b.allowanceMinutes, 1);
  return h('div', { class: 'balance', 'data-period': b.period },
    h('p', { class: 'balance-used', text: `${formatMinutes(b.usedMinutes)} used of ${formatMinutes(b.allowanceMinutes)} (${share}%) in ${b.period}` }),
    h('meter', { min: 0, max, low: Math.round(max * 0.8), high: max, optimum: 0, value: Math.min(b.usedMinutes, max), 'aria-label': `Phone allowance used in ${b.period}` }),
    b.overageMinutes > 0
      ? h('p', { class: 'balance-overage', text: `Over the allowance by ${formatMinutes(b.overageMinutes)}: ${formatMoney(b.overageAmount)} billable` })
      : h('p', { class: 'balance-left', text: `${formatMinutes(b.remainingMinutes)} left until ${new Date(b.endsAt).toLocaleDateString()}` }));
}

/** Fills `target` with the account's current balance; a failure shows as a short note, never breaks the page. */
export async function showBalance(target, accountId) {
  if (!accountId) {
    fill(target, h('p', { class: 'hint', text: 'No client account: no allowance.' }));
    return;
  }
  try {
    fill(target, balanceView(await get(`/api/accounts/${encodeURIComponent(accountId)}/allowance`)));
  } catch (error) {
    fill(target, h('p', { class: 'hint', text: `Phone hours unavailable: ${error.message}` }));
  }
}

/** The balance plus the closed periods (newest first), for the portal. */
export async function showBalanceHistory(target, accountId) {
  await showBalance(target, accountId);
  try {
    const periods = (await get(`/api/accounts/${encodeURIComponent(accountId)}/allowance/periods`)).filter(p => p.closed);
    if (periods.length === 0) return;
    target.append(h('table', { class: 'cards', id: 'hour-periods' },
      h('caption', { text: 'Earlier months' }),
      h('thead', null, h('tr', null, ['Month', 'Used', 'Allowance', 'Overage'].map(c => h('th', { scope: 'col', text: c })))),
      h('tbody', null, periods.map(p => h('tr', null,
        h('td', { 'data-label': 'Month', text: p.period }),
        h('td', { 'data-label': 'Used', text: formatMinutes(p.usedMinutes) }),
        h('td', { 'data-label': 'Allowance', text: formatMinutes(p.allowanceMinutes) }),
        h('td', { 'data-label': 'Overage', text: p.overageMinutes > 0 ? `${formatMinutes(p.overageMinutes)} (${formatMoney(p.overageAmount)})` : '—' }))))));
  } catch {
    // The current balance is already shown; the history is a bonus.
  }
}

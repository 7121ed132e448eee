// Shared pieces of the billing pages (console and portal): money, an estimate version's lines, progress, invoices.
import { h } from './dom.js';

export const money = (amount, currency) =>
  `${Number(amount).toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency}`;

export function linesTable(version, caption) {
  return h('table', { class: 'cards lines' },
    h('caption', { text: caption }),
    h('thead', null, h('tr', null, ['Task', 'Hours', 'Rate', 'Amount'].map(c => h('th', { scope: 'col', text: c })))),
    h('tbody', null, version.lines.map(l => h('tr', null,
      h('td', { 'data-label': 'Task', text: l.task }),
      h('td', { 'data-label': 'Hours', text: String(l.hours) }),
      h('td', { 'data-label': 'Rate', text: money(l.rate, version.currency) }),
      h('td', { 'data-label': 'Amount', text: money(l.amount, version.currency) })))),
    h('tfoot', null,
      h('tr', null, h('td', { colspan: '3', text: 'Subtotal' }), h('td', { text: money(version.subtotal, version.currency) })),
      h('tr', null, h('td', { colspan: '3', text: `${version.taxName} (${version.taxRate}%)` }), h('td', { text: money(version.tax, version.currency) })),
      h('tr', null, h('td', { colspan: '3', text: 'Total' }), h('td', { class: 'total', text: money(version.total, version.currency) }))));
}

export function progress(estimate) {
  const p = estimate.progress;
  if (estimate.approvedVersion == null) return null;
  const warn = p.warnings.length ? ` · warning: ${p.warnings.map(w => `${w}%`).join(', ')} reached` : '';
  return h('p', { class: 'progress', 'data-progress': String(p.percent) },
    h('progress', { max: String(p.estimatedHours || 1), value: String(p.loggedHours), 'aria-label': `Hours logged on ${estimate.title}` }),
    ` ${p.loggedHours} of ${p.estimatedHours} approved hours logged (${p.percent}%)${warn}`);
}

export function invoicesTable(invoices) {
  if (invoices.length === 0) return h('p', { class: 'notice', text: 'No invoices yet.' });
  return h('table', { class: 'cards', id: 'invoices' },
    h('caption', { text: 'Invoices and credit notes, newest first' }),
    h('thead', null, h('tr', null, ['Number', 'Kind', 'Issued', 'Total', 'Documents'].map(c => h('th', { scope: 'col', text: c })))),
    h('tbody', null, invoices.map(({ document: d, creditedBy }) => h('tr', { 'data-invoice': d.number },
      h('td', { 'data-label': 'Number', text: d.number }),
      h('td', { 'data-label': 'Kind', text: d.kind === 'credit-note' ? `credit note for ${d.creditsNumber}` : (creditedBy ? `invoice, credited by ${creditedBy}` : 'invoice') }),
      h('td', { 'data-label': 'Issued', text: d.issuedAt.slice(0, 10) }),
      h('td', { 'data-label': 'Total', text: money(d.total, d.currency) }),
      h('td', { 'data-label': 'Documents' },
        h('a', { href: `/api/billing/invoices/${d.id}/html`, target: '_blank', rel: 'noopener' }, `HTML (${d.number})`), ' · ',
        h('a', { href: `/api/billing/invoices/${d.id}/pdf` }, `PDF (${d.number})`))))));
}

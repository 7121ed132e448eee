// One ticket's history as a list, shared by the console (every event) and the portal (public conversation only).
import { h, richText, formatDate, label } from './dom.js';

export function actorName(actor) {
  if (!actor) return 'Someone';
  return actor.name || actor.id;
}

export function attachmentLinks(ticketId, attachments) {
  if (!attachments || attachments.length === 0) return null;
  return h('ul', { class: 'plain attachments', 'aria-label': 'Attachments' }, attachments.map(a =>
    h('li', null, h('a', { href: `/api/tickets/${ticketId}/attachments/${encodeURIComponent(a.id)}`, download: a.fileName, text: a.fileName }),
      ` (${size(a.size)})`)));
}

function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const ticketLink = id => h('a', { href: `/console/tickets/${id}`, text: `#${id}` });

/** One history entry ({ ticketId, event }) as a list item. */
export function historyItem(entry, currentId) {
  const e = entry.event;
  const who = actorName(e.actor);
  const from = entry.ticketId !== currentId ? h('span', null, ' (on merged ticket ', ticketLink(entry.ticketId), ')') : null;
  let className = 'event';
  let text;
  let extra = null;
  switch (e.kind) {
    case 'created': text = `${who} opened the ticket via ${label(e.channel)} (priority ${label(e.priority)})`; break;
    case 'comment':
      className = e.visibility === 'internal' ? 'comment internal' : 'comment';
      text = e.visibility === 'internal' ? `${who} added an internal note` : `${who} replied`;
      extra = [richText(e.body), attachmentLinks(entry.ticketId, e.attachments)];
      break;
    case 'status': text = `${who} changed the status from ${label(e.from)} to ${label(e.to)}`; if (e.note) extra = richText(e.note); break;
    case 'assigned': text = `${who} assigned it to ${[e.group && `group ${e.group}`, e.agentId && `agent ${e.agentId}`].filter(Boolean).join(', ') || 'nobody'}`; extra = e.reason ? h('p', { class: 'hint', text: e.reason }) : null; break;
    case 'priority': text = `${who} changed the priority from ${label(e.from)} to ${label(e.to)}`; extra = e.reason ? h('p', { class: 'hint', text: e.reason }) : null; break;
    case 'details': text = `${who} changed ${[e.subject != null && `the subject to “${e.subject}”`, e.type != null && `the type to ${e.type}`, e.tags != null && `the tags to ${e.tags.join(', ') || 'none'}`].filter(Boolean).join(', ')}`; break;
    case 'external-reference': text = `${who} recorded ${e.reference.system} reference ${e.reference.reference}`; extra = e.reference.url ? h('a', { href: e.reference.url, rel: 'noopener noreferrer', target: '_blank', text: e.reference.url }) : null; break;
    case 'escalated': text = `${who} escalated it (level ${e.level}) to ${e.toGroup ? `group ${e.toGroup}` : `vendor ${e.vendorId}`}`; extra = h('p', { class: 'hint', text: e.reason }); break;
    case 'sla-warning': text = `SLA warning: the ${label(e.clock)} target is due ${formatDate(e.dueAt)}`; break;
    case 'sla-breach': className = 'event breach'; text = `SLA breached: the ${label(e.clock)} target was due ${formatDate(e.dueAt)}`; break;
    case 'merged-into': return item(className, e, h('span', null, `${who} merged this ticket into `, ticketLink(e.target)), null, from);
    case 'merge-received': return item(className, e, h('span', null, `${who} merged `, ticketLink(e.source), ` (“${e.subject}”) into this ticket`), null, from);
    case 'split-off': return item(className, e, h('span', null, `${who} split off `, ticketLink(e.newTicket), ` (“${e.subject}”)`), null, from);
    case 'follow-up': return item(className, e, h('span', null, `${who} wrote after the reopen window: follow-up `, ticketLink(e.newTicket)), null, from);
    default: text = `${who}: ${label(e.kind)}`;
  }
  return item(className, e, text, extra, from);
}

function item(className, e, text, extra, from) {
  return h('li', { class: className, 'data-kind': e.kind, 'data-seq': e.seq },
    h('div', { class: 'event-head' }, h('time', { datetime: e.at, text: formatDate(e.at) }), ' · ', text, from),
    extra);
}

// Alerts tab: proposed alerts for the OM, their dossiers, and approve / reject.
import { api, latestOnly, seg } from './api.js';
import { defList, el, fmtDateTime, fmtDate, fmtList, fmtNum, fmtValue, labelBadge, setChildren } from './dom.js';
import { reportError, showStatus } from './status.js';

const STATUSES = [['', 'all'], ['proposed', 'proposed'], ['approved', 'approved'], ['rejected', 'rejected']];

export function createAlertsView(ctx) {
  const filter = el('select', { 'data-testid': 'alert-status-filter', 'aria-label': 'Status', onchange: () => loadList() },
    STATUSES.map(([value, text]) => el('option', { value, selected: value === 'proposed' }, text)));
  const list = el('ul', { class: 'item-list alert-list' });
  const detail = el('section', { 'data-testid': 'alert-detail', class: 'card', hidden: true });
  const panel = el('section', { class: 'panel', hidden: true },
    el('h2', {}, 'Alerts'),
    el('label', { class: 'field inline' }, el('span', {}, 'Status'), filter),
    el('div', { class: 'alerts-layout' }, list, detail));
  const listTurn = latestOnly();
  const detailTurn = latestOnly();

  // The old list stays until the new one is there, so a refresh does not move it under the cursor.
  async function loadList() {
    const isCurrent = listTurn();
    list.setAttribute('aria-busy', 'true');
    try {
      const query = filter.value ? new URLSearchParams({ status: filter.value }) : null;
      const { alerts } = await api.get('/api/alerts', query);
      if (isCurrent()) setChildren(list, alerts.length ? alerts.map(alertItem) : el('li', { class: 'muted' }, 'No alerts.'));
    } catch (err) {
      if (!isCurrent()) return;
      setChildren(list, el('li', { class: 'error' }, err.detail || String(err)));
      reportError(err);
    } finally {
      if (isCurrent()) list.removeAttribute('aria-busy');
    }
  }

  function alertItem(record) {
    return el('li', {}, el('button', {
      type: 'button', class: 'result', 'data-testid': 'alert', 'data-alert-id': record.alert_id,
      onclick: () => openAlert(record.alert_id),
    },
    el('span', { class: `pill status-${record.status}` }, record.status),
    el('span', { class: 'name' }, record.anchor_name || anchorOf(record).name || `anchor ${record.anchor}`),
    el('span', { class: 'props' },
      `v${record.version} · score ${fmtNum(record.score)} · ${fmtList(record.rules)}`)));
  }

  async function openAlert(id) {
    const isCurrent = detailTurn();
    detail.hidden = false;
    setChildren(detail, el('p', { class: 'muted' }, 'Loading alert…'));
    try {
      const record = await api.get(`/api/alerts/${seg(id)}`);
      if (isCurrent()) showDetail(record);
    } catch (err) {
      if (!isCurrent()) return;
      setChildren(detail, el('p', { class: 'error' }, err.detail || String(err)));
      reportError(err);
    }
  }

  function showDetail(record, note = '') {
    const dossier = record.dossier || {};
    const anchor = anchorOf(record);
    const message = el('p', { 'data-testid': 'alert-message', class: 'note', role: 'alert' }, note);
    setChildren(detail,
      el('h3', {}, `Alert ${record.alert_id}`),
      defList([
        ['Status', el('span', { 'data-testid': 'alert-status', class: `pill status-${record.status}` }, record.status)],
        ['Version', String(record.version)],
        ['Rules', fmtList(record.rules)],
        ['Anchor', el('button', {
          type: 'button', class: 'link', 'data-testid': 'alert-anchor', 'data-entity-id': anchor.entity_id,
          onclick: () => ctx.openEntity(anchor.entity_id),
        }, labelBadge(anchor.label), ' ', anchor.name || anchor.entity_id)],
        ['Risk score', fmtNum((dossier.risk && dossier.risk.score) ?? record.score)],
        ['Purposes', fmtList(dossier.purposes)],
        ['Reviewer', fmtValue(record.reviewer)],
        ['Created', fmtDateTime(record.created_at)],
        ['Updated', fmtDateTime(record.updated_at)],
        ['Approved versions', fmtList(record.approved_versions)],
      ]),
      el('h4', {}, 'Evidence'),
      evidenceTable(dossier.evidence || []),
      el('h4', {}, 'Decisions'),
      decisionList(record.decisions || []),
      record.status === 'proposed' ? decisionForm(record, message) : null,
      message);
  }

  function decisionForm(record, message) {
    const note = el('textarea', { 'data-testid': 'approve-note', id: 'approve-note', rows: 2 });
    const reason = el('textarea', { 'data-testid': 'reject-reason', id: 'reject-reason', rows: 2 });
    const approve = el('button', { type: 'button', 'data-testid': 'approve-button', onclick: onApprove }, 'Approve: release to the OM');
    const reject = el('button', { type: 'button', 'data-testid': 'reject-button', onclick: onReject }, 'Reject');

    function onApprove() {
      decide('approve', { version: record.version, note: note.value.trim() || null });
    }

    function onReject() {
      if (!reason.value.trim()) {
        message.textContent = 'A rejection needs a reason.';
        return reason.focus();
      }
      decide('reject', { version: record.version, reason: reason.value.trim() });
    }

    async function decide(action, body) {
      approve.disabled = true;
      reject.disabled = true;
      message.textContent = '';
      try {
        const updated = await api.post(`/api/alerts/${seg(record.alert_id)}/${action}`, body);
        showDetail(updated, `Alert ${updated.status}.`);
        showStatus(`Alert ${updated.alert_id} ${updated.status}.`);
        loadList();
      } catch (err) {
        message.textContent = err.detail || String(err);
        reportError(err);
        approve.disabled = false;
        reject.disabled = false;
      }
    }

    return el('div', { class: 'decision-form' },
      el('label', { for: 'approve-note' }, 'Note (optional)'), note, approve,
      el('label', { for: 'reject-reason' }, 'Reason for rejection'), reason, reject);
  }

  return { panel, onShow: loadList };
}

// The dossier's anchor entity ({entity: {...}, chosen_as} as the alert engine writes it, or the
// entity itself); the record's own anchor id when there is no dossier (the list leaves it out).
function anchorOf(record) {
  const anchor = record.dossier && record.dossier.anchor;
  const entity = (anchor && anchor.entity) || anchor || {};
  return { entity_id: entity.entity_id || record.anchor, label: entity.label, name: entity.name };
}

function evidenceTable(evidence) {
  if (!evidence.length) return el('p', { class: 'muted' }, 'No evidence.');
  const columns = ['Signal', 'Partner', 'Observed', 'Severity', 'Category', 'Purpose'];
  return el('table', { class: 'evidence' },
    el('thead', {}, el('tr', {}, columns.map((c) => el('th', {}, c)))),
    el('tbody', {}, evidence.map((e) => el('tr', { 'data-testid': 'evidence-row' },
      el('td', {}, el('code', {}, e.signal_id), e.revision == null ? '' : ` r${e.revision}`),
      el('td', {}, e.partner),
      el('td', {}, fmtDate(e.observed_at)),
      el('td', {}, fmtValue(e.severity)),
      el('td', {}, fmtValue(e.category)),
      el('td', {}, fmtValue(e.purpose))))));
}

// Decisions as the release desk stores them: {version, status, by, partner, at, note|reason}.
function decisionList(decisions) {
  if (!decisions.length) return el('p', { class: 'muted' }, 'None yet.');
  return el('ul', { class: 'plain' }, decisions.map((d) => el('li', {},
    `v${fmtValue(d.version)} ${fmtValue(d.status)} by ${fmtValue(d.by)} (${fmtValue(d.partner)}) ${fmtDateTime(d.at)}`,
    d.note || d.reason ? `: ${d.note || d.reason}` : '')));
}

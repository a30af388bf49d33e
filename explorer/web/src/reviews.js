// Reviews tab: possible duplicates the resolver was unsure about, to confirm or reject.
import { api, seg } from './api.js';
import { defList, el, fmtDate, fmtNum, fmtValue, labelBadge, plural, setChildren } from './dom.js';
import { reportError, showStatus } from './status.js';

export function createReviewsView() {
  const list = el('section', { class: 'stack' });
  const entity = el('input', { name: 'entity', 'data-testid': 'review-entity', placeholder: 'entity id, e.g. P-…' });
  const filter = el('form', { class: 'filters', 'data-testid': 'review-filter', onsubmit: (event) => {
    event.preventDefault();
    onShow();
  } },
  el('label', {}, 'Only about entity ', entity),
  el('button', { type: 'submit', 'data-testid': 'review-apply' }, 'Show'));
  const panel = el('section', { class: 'panel', hidden: true }, el('h2', {}, 'Merge reviews'),
    el('p', { class: 'muted' }, 'The 100 most likely duplicates first; filter by an entity to see its own.'),
    filter, list);

  async function onShow() {
    setChildren(list, el('p', { class: 'muted' }, 'Loading reviews…'));
    const about = entity.value.trim();
    try {
      const { reviews } = await api.get(about ? `/api/reviews?entity=${encodeURIComponent(about)}` : '/api/reviews');
      setChildren(list, reviews.length ? reviews.map(reviewCard) : el('p', { class: 'muted' }, 'No open reviews.'));
    } catch (err) {
      setChildren(list, el('p', { class: 'error' }, err.detail || String(err)));
      reportError(err);
    }
  }

  return { panel, onShow };
}

function reviewCard(review) {
  const status = el('span', { 'data-testid': 'review-status', class: `pill status-${review.status}` }, review.status);
  const card = el('article', { 'data-testid': 'review', 'data-review-id': review.review_id, class: 'card review' });
  const buttons = [
    el('button', { type: 'button', 'data-testid': 'review-confirm', onclick: () => decide('confirm') }, 'Confirm: same entity'),
    el('button', { type: 'button', 'data-testid': 'review-reject', onclick: () => decide('reject') }, 'Reject: different'),
  ];

  async function decide(verdict) {
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const result = await api.post(`/api/reviews/${seg(review.review_id)}`, { verdict });
      status.textContent = result.status;
      status.className = `pill status-${result.status}`;
      card.classList.add('decided');
      showStatus(`Review ${review.review_id} ${result.status}.`);
    } catch (err) {
      buttons.forEach((b) => { b.disabled = false; });
      reportError(err);
    }
  }

  setChildren(card,
    el('div', { class: 'pair' },
      entityBox(review.a),
      entityBox(review.b)),
    el('p', {},
      `score ${fmtNum(review.score)} · ${plural(review.signal_ids.length, 'signal')} · proposed ${fmtDate(review.proposed_at)} · `,
      status),
    el('div', { class: 'actions' }, buttons));
  return card;
}

// All properties, so that the two entities can be compared line by line.
function entityBox(entity) {
  return el('div', { class: 'entity-box' },
    el('h3', {}, labelBadge(entity.label), ' ', entity.name),
    defList([
      ['Entity id', el('code', {}, entity.entity_id)],
      ...Object.entries(entity.properties || {}).map(([key, value]) => [key, fmtValue(value)]),
    ]));
}

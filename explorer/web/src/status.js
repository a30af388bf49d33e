// The page-wide status line (role=status) that shows API errors and short confirmations.
import { el } from './dom.js';

const line = el('p', { 'data-testid': 'status', role: 'status', class: 'status' });

export function statusLine() {
  clearStatus();
  return line;
}

export function showStatus(text, kind = 'info') {
  line.textContent = text;
  line.className = `status status-${kind}`;
}

export function clearStatus() {
  showStatus('');
}

// Shows an error's detail; a 401 is left to the login form.
export function reportError(err) {
  if (err && err.status === 401) return;
  showStatus((err && err.detail) || String(err), 'error');
}

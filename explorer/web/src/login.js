// The login form: POST /api/session, then hands the session to onLogin.
import { api } from './api.js';
import { el } from './dom.js';

export function loginView(onLogin, message = '') {
  const username = el('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true });
  const password = el('input', {
    id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true,
  });
  const submit = el('button', { type: 'submit', 'data-testid': 'login-submit' }, 'Log in');
  const error = el('p', { 'data-testid': 'login-error', class: 'error', role: 'alert' }, message);

  async function onsubmit(event) {
    event.preventDefault();
    submit.disabled = true;
    error.textContent = '';
    try {
      const session = await api.post('/api/session', { username: username.value, password: password.value }, { quiet401: true });
      onLogin(session);
    } catch (err) {
      error.textContent = err.detail || String(err);
      submit.disabled = false;
    }
  }

  return el('main', { class: 'login' },
    el('h1', {}, 'Ketenlink explorer'),
    el('form', { 'data-testid': 'login-form', class: 'card', onsubmit },
      el('label', { for: 'login-username' }, 'Username'), username,
      el('label', { for: 'login-password' }, 'Password'), password,
      submit,
      error));
}

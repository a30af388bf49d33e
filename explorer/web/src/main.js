// Entry point: checks the session, then shows either the login form or the explorer.
import { api, onSessionLost, setCsrfToken } from './api.js';
import { el, setChildren } from './dom.js';
import { loginView } from './login.js';
import { clearStatus, reportError, statusLine } from './status.js';
import { createSearchView } from './search.js';
import { createRingsView } from './rings.js';
import { createAlertsView } from './alerts.js';
import { createReviewsView } from './reviews.js';

const root = document.getElementById('app');
let teardown = () => {};

function showLogin(message = '') {
  teardown();
  teardown = () => {};
  setCsrfToken(null);
  setChildren(root, loginView(startApp, message));
  root.querySelector('input[name=username]').focus();
}

function startApp(session) {
  setCsrfToken(session.csrf_token);
  const tabs = {};
  const ctx = {
    openEntity(id) {
      activate('search');
      tabs.search.view.openEntity(id);
    },
  };
  const views = {
    search: ['Search', createSearchView(ctx)],
    rings: ['Rings', createRingsView(ctx)],
    alerts: ['Alerts', createAlertsView(ctx)],
    reviews: ['Reviews', createReviewsView(ctx)],
  };

  function activate(name) {
    for (const [key, tab] of Object.entries(tabs)) {
      const active = key === name;
      tab.button.setAttribute('aria-selected', String(active));
      tab.view.panel.hidden = !active;
    }
    tabs[name].view.onShow();
  }

  for (const [name, [title, view]] of Object.entries(views)) {
    const button = el('button', {
      type: 'button', role: 'tab', id: `tab-${name}`, 'data-testid': `tab-${name}`, 'aria-controls': `panel-${name}`,
      onclick: () => { clearStatus(); activate(name); },
    }, title);
    const panelAttrs = { id: `panel-${name}`, 'data-testid': `panel-${name}`, role: 'tabpanel', 'aria-labelledby': `tab-${name}` };
    for (const [key, value] of Object.entries(panelAttrs)) view.panel.setAttribute(key, value);
    tabs[name] = { button, view };
  }

  setChildren(root,
    el('header', { class: 'app-header' },
      el('h1', {}, 'Ketenlink explorer'),
      el('span', { 'data-testid': 'whoami', class: 'whoami' }, `${session.analyst} @ ${session.partner}`),
      el('button', { type: 'button', 'data-testid': 'logout', onclick: logout }, 'Log out')),
    statusLine(),
    el('nav', { role: 'tablist', class: 'tabs' }, Object.values(tabs).map((tab) => tab.button)),
    el('main', {}, Object.values(tabs).map((tab) => tab.view.panel)));
  teardown = () => Object.values(tabs).forEach((tab) => tab.view.destroy?.());
  activate('search');
}

async function logout() {
  try {
    await api.del('/api/session', { quiet401: true });
  } catch (err) {
    if (err.status !== 401) return reportError(err);
  }
  showLogin();
}

async function boot() {
  onSessionLost(() => showLogin('Your session has ended. Please log in again.'));
  try {
    startApp(await api.get('/api/session', null, { quiet401: true }));
  } catch (err) {
    showLogin(err.status === 401 ? '' : err.detail);
  }
}

boot();

// Sign-in: POST /api/auth/signin { email, password } sets the auth cookie and answers the /api/me body; staff go to
// the console, client users to the portal (or back to the page that sent them here). Client users can ask for a
// one-time link instead (POST /api/auth/link, always 202).
import { api, ApiError } from './api.js';
import { h, fill, $, holdForms, markReady } from './dom.js';

holdForms();

const form = $('#signin-form');
const error = $('#signin-error');

// Single sign-on (GET /auth/oidc) comes back here with ?error=<code> when it did not sign anyone in.
const ssoErrors = {
  'sso-no-staff-user': 'Single sign-on worked, but no staff user here has your email address. Ask an administrator to add you with the address your sign-on account uses.',
  'sso-deactivated': 'Single sign-on worked, but your staff account here is deactivated. Ask an administrator.',
  'sso-no-email': 'The single sign-on provider sent no email address, so you could not be matched to a staff user. Ask an administrator.',
  'sso-email-unverified': 'The single sign-on provider has not verified your email address. Verify it there, then try again.',
  'sso-unavailable': 'Single sign-on is not available right now: the sign-on provider cannot be reached. Try again later, or sign in with your password.',
  'sso-failed': 'Single sign-on did not complete. Try again; if it keeps failing, ask an administrator (the server log has the reason).',
};
const ssoError = new URLSearchParams(location.search).get('error');
if (ssoError && ssoError.startsWith('sso')) show(ssoErrors[ssoError] || ssoErrors['sso-failed']);

// Staff may sign in through the identity provider when the server has one (GET /api/auth/methods).
try {
  const methods = await api('GET', '/api/auth/methods');
  if (methods && methods.singleSignOn) {
    const wanted = new URLSearchParams(location.search).get('returnUrl');
    const back = wanted && wanted.startsWith('/console') ? wanted : '/console';
    const sso = $('#sso');
    fill(sso, h('p', {}, h('a', {
      class: 'button', href: methods.singleSignOn.url + '?returnUrl=' + encodeURIComponent(back),
      text: 'Staff: sign in with ' + methods.singleSignOn.name,
    })));
    sso.hidden = false;
  }
} catch {
  // Password sign-in works without it.
}
markReady();

form.addEventListener('submit', async event => {
  event.preventDefault();
  const email = form.elements.email.value.trim();
  const password = form.elements.password.value;
  if (!email || !password) {
    show('Enter your email address and your password.');
    return;
  }
  const button = form.querySelector('button');
  button.disabled = true;
  try {
    const me = await api('POST', '/api/auth/signin', { email, password });
    location.assign(destination(me));
  } catch (e) {
    const status = e instanceof ApiError ? e.status : 0;
    show(status === 401 ? 'That email address and password do not match an account.'
      : status === 423 ? 'This account is locked after too many failed attempts. Try again later or ask an administrator.'
      : status === 429 ? 'Too many attempts. Wait a minute, then try again.'
      : status === 404 ? 'Sign-in is not available on this server.'
      : e.message);
    button.disabled = false;
    form.elements.password.focus();
  }
});

$('#link-form').addEventListener('submit', async event => {
  event.preventDefault();
  const email = event.target.elements.email.value.trim();
  const result = $('#link-result');
  if (!email) {
    fill(result, h('p', { class: 'error', role: 'alert', text: 'Enter your email address.' }));
    return;
  }
  try {
    await api('POST', '/api/auth/link', { email });
    fill(result, h('p', { text: 'If that address belongs to a client user, a sign-in link is on its way. It works once.' }));
  } catch (e) {
    fill(result, h('p', { class: 'error', role: 'alert', text: e.message }));
  }
});

function show(message) {
  fill(error, h('p', { class: 'error', role: 'alert', text: message }));
}

function destination(me) {
  const wanted = new URLSearchParams(location.search).get('returnUrl');
  const home = me && me.kind === 'client' ? '/portal' : '/console';
  // Only a path on this site, and only into the area this user may use.
  if (wanted && wanted.startsWith('/') && !wanted.startsWith('//') && wanted.startsWith(home)) return wanted;
  return home;
}

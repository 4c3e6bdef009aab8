// The login page: name, password and the authenticator's code. The answer sets the session
// cookie; this page never handles a token.

import { post } from './api.js';
import { h, show, failure } from './dom.js';

/** Shows the login form; `done(me)` runs after a successful login. */
export function loginPage(done) {
  document.getElementById('top').hidden = true;
  const error = h('div', { id: 'login-error' });
  const form = h(
    'form',
    { class: 'login', id: 'login', autocomplete: 'off' },
    h('label', null, 'Name', h('input', { name: 'name', required: true, autocomplete: 'username' })),
    h('label', null, 'Password', h('input', { name: 'password', type: 'password', required: true, autocomplete: 'current-password' })),
    h('label', null, 'Code', h('input', { name: 'totp', inputmode: 'numeric', pattern: '[0-9]{6}', required: true, autocomplete: 'one-time-code' })),
    h('button', { type: 'submit', class: 'primary' }, 'Log in'),
    error,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    error.replaceChildren();
    try {
      const me = await post('/v1/operators/console/login', {
        name: data.get('name'),
        password: data.get('password'),
        totp: data.get('totp'),
      });
      form.reset();
      done(me);
    } catch (e) {
      error.replaceChildren(failure(e));
      form.elements.password.value = '';
      form.elements.totp.value = '';
      form.elements.name.focus();
    }
  });
  show('Log in', form);
}

// A minimal sign-in page for Bull Board (/admin/queues/login): posts to /login, which sets
// the HttpOnly session cookie scoped to /admin/queues, then opens the board.
import type { Middleware } from 'koa';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Chat Nio queues: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;background:#f4f5f7;display:flex;justify-content:center;padding-top:12vh}
form{background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002;width:20rem}
h1{font-size:1.2rem;margin:0 0 1rem}label{display:block;margin:.6rem 0 .2rem;font-size:.9rem}
input{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #ccc;border-radius:4px}
button{margin-top:1rem;width:100%;padding:.6rem;border:0;border-radius:4px;background:#2563eb;color:#fff;font-size:1rem}
#error{color:#b91c1c;min-height:1.2rem;font-size:.9rem;margin-top:.6rem}
</style></head>
<body><form id="login"><h1>Chat Nio queues</h1>
<label for="username">Username or email</label><input id="username" name="username" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button><div id="error" role="alert"></div></form>
<script>
document.getElementById('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const error = document.getElementById('error');
  error.textContent = '';
  try {
    const response = await fetch('/login', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: form.get('username'), password: form.get('password') }) });
    const body = await response.json();
    if (!body.status) { error.textContent = body.error || 'Sign-in failed'; return; }
    location.href = '/admin/queues';
  } catch { error.textContent = 'Network error'; }
});
</script></body></html>`;

export function boardLoginPage(): Middleware {
  return async function boardLoginMiddleware(ctx) {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('cache-control', 'no-store');
    ctx.body = PAGE;
  };
}

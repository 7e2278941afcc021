// Serves a built front end from STATIC_DIR (optional) so one process can host the site, as
// Chat Nio does with serve_static: the front end calls the API under /api, so any other GET
// is the site's. A file is sent as it is (hashed assets cached a year, immutable); a page a
// browser opens (Accept: text/html) gets index.html for the SPA's own routes (/login,
// /admin, /share/:hash). /api, /v1 and Bull Board never reach the site.
import type { Context, Middleware } from 'koa';
import send from 'koa-send';
import { isUnder } from './canonical-path.js';

const HASHED_ASSET = /[.-][0-9A-Za-z_-]{8,}\.(?:js|css|woff2?|png|jpe?g|svg|webp|ico)$/;
const YEAR_MS = 365 * 24 * 3600 * 1000;

function forTheSite(ctx: Context): boolean {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return false;
  if (ctx.state.apiPrefixed || isUnder(ctx.path, '/v1') || isUnder(ctx.path, '/admin/queues')) return false;
  return true;
}

export function staticSite(root: string): Middleware {
  const noCache = (response: { setHeader(name: string, value: string): void }, path: string) => {
    if (path.endsWith('.html')) response.setHeader('cache-control', 'no-cache');
  };
  return async function staticSiteMiddleware(ctx, next) {
    if (!forTheSite(ctx)) return next();
    const hashed = HASHED_ASSET.test(ctx.path);
    try {
      if (
        await send(ctx, ctx.path, {
          root,
          immutable: hashed,
          maxage: hashed ? YEAR_MS : 0,
          setHeaders: noCache,
        })
      )
        return;
    } catch {
      // no such file
    }
    // A page the browser navigates to; API calls (JSON, or `*/*` from tools) go on to the routes.
    if (!String(ctx.get('accept')).includes('text/html')) return next();
    await send(ctx, 'index.html', { root, setHeaders: noCache });
  };
}

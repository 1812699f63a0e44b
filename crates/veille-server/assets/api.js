// veille dashboard: talking to the API.
//
// Every request goes through `request`, which adds the API key kept in this
// tab's sessionStorage (`Authorization: Bearer KEY`) and asks for one when the
// server answers 401. The live stream is read with fetch too (not EventSource,
// which cannot send headers), by a small Server-Sent Events parser.
'use strict';

const Api = (() => {
  const KEY_STORE = 'veille.apiKey';
  const listeners = { unauthorized: [] };

  /** An API answer that is not a success. */
  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  function url(path, params) {
    const u = new URL(path, window.location.origin);
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
    }
    return u;
  }

  /** fetch() with the API key; a 401 asks for a key and fails. */
  async function request(path, params, init) {
    const options = Object.assign({}, init || {});
    const headers = new Headers(options.headers || {});
    const key = sessionStorage.getItem(KEY_STORE);
    if (key) headers.set('Authorization', `Bearer ${key}`);
    if (!headers.has('Accept')) headers.set('Accept', 'application/json');
    options.headers = headers;
    const resp = await fetch(url(path, params), options);
    if (resp.status === 401) {
      listeners.unauthorized.forEach((f) => f());
      throw new ApiError(401, 'this server needs an API key');
    }
    return resp;
  }

  /** The JSON body of a successful answer; an ApiError with the server's message otherwise. */
  async function json(path, params, init) {
    const resp = await request(path, params, init);
    const body = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new ApiError(resp.status, body.error || resp.statusText);
    return body;
  }

  /** `primary`, or `fallback` when this server does not have `primary` (404). */
  async function jsonOr(primary, fallback, params) {
    try {
      return { body: await json(primary, params), from: primary };
    } catch (e) {
      if (e.status !== 404) throw e;
      return { body: await json(fallback, params), from: fallback };
    }
  }

  /**
   * Reads a Server-Sent Events stream until it ends or `signal` aborts;
   * calls `onEvent(name, data)` per event. Resolves with the server's retry delay.
   */
  async function stream(path, params, signal, onEvent) {
    const resp = await request(path, params, { headers: { Accept: 'text/event-stream' }, signal });
    if (!resp.ok) {
      const body = await resp.json().catch(() => ({}));
      throw new ApiError(resp.status, body.error || resp.statusText);
    }
    const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let retry = 3000;
    let name = 'message';
    let data = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return retry;
      buffer += value;
      let nl;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
        if (line === '') {
          if (data.length) onEvent(name, data.join('\n'));
          name = 'message';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') name = val;
        else if (field === 'data') data.push(val);
        else if (field === 'retry' && /^\d+$/.test(val)) retry = Number(val);
      }
    }
  }

  return {
    ApiError,
    request,
    json,
    jsonOr,
    stream,
    setKey: (key) => sessionStorage.setItem(KEY_STORE, key),
    onUnauthorized: (f) => listeners.unauthorized.push(f),
  };
})();

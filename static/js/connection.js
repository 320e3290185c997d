// The WebSocket to a room (protocol v1, see server/src/wire.rs): connect, reconnect with backoff,
// request/reply by `id`, and the frame sequence check (a gap in `seq` asks for a fresh snapshot).
//
// Events dispatched:
//   'status'   detail: 'connecting' | 'open' | 'closed'
//   'hello'    detail: the hello message, first on every (re)connection: what this connection may do
//   'snapshot' detail: the snapshot message (replace the model)
//   'frame'    detail: a frame message, in order, never after a gap (merge into the model)

const VERSION = 1;
const BACKOFF_MIN_MS = 300;
const BACKOFF_MAX_MS = 8000;
const REPLY_TIMEOUT_MS = 10000;

export class Connection extends EventTarget {
  /** @param {string} url ws:// or wss:// URL of the room */
  constructor(url) {
    super();
    this.url = url;
    this.ws = null;
    this.status = 'closed';
    this.nextId = 1;
    /** id → {resolve, reject, timer} */
    this.pending = new Map();
    /** seq of the last snapshot or frame applied; null until the first snapshot. */
    this.lastSeq = null;
    /** A snapshot was requested after a gap: frames are dropped until it arrives. */
    this.resyncing = false;
    this.backoffMs = BACKOFF_MIN_MS;
    this.reconnectTimer = null;
    this.framesReceived = 0;
    this.gaps = 0;
  }

  connect() {
    clearTimeout(this.reconnectTimer);
    this.setStatus('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.addEventListener('open', () => {
      this.backoffMs = BACKOFF_MIN_MS;
      this.setStatus('open');
    });
    ws.addEventListener('message', (ev) => this.onMessage(ev.data));
    ws.addEventListener('close', () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.lastSeq = null;
      this.resyncing = false;
      this.failPending(new Error('connection closed'));
      this.setStatus('closed');
      this.scheduleReconnect();
    });
    // 'error' is always followed by 'close', which does the work.
  }

  scheduleReconnect() {
    clearTimeout(this.reconnectTimer);
    // Full jitter so a classroom of laptops does not reconnect in lockstep after a server restart.
    const delay = this.backoffMs / 2 + Math.random() * this.backoffMs / 2;
    this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.dispatchEvent(new CustomEvent('status', { detail: status }));
  }

  /**
   * Send a client message (`{type: 'command', line}` etc.; `v` and `id` are added).
   * Resolves with the server's `reply` (check `reply.ok`); rejects only if the connection
   * is down or no reply comes in time.
   */
  send(body) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new Error('not connected to the playground server'));
    }
    const id = this.nextId++;
    const msg = { v: VERSION, id, ...body };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('no reply from the server'));
      }, REPLY_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify(msg));
    });
  }

  /** Ask for a fresh snapshot (also done automatically after a gap). */
  requestSnapshot() {
    this.resyncing = true;
    this.send({ type: 'snapshot' }).catch(() => { /* the reconnect path resyncs anyway */ });
  }

  failPending(err) {
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(err);
    }
    this.pending.clear();
  }

  onMessage(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch (e) {
      console.warn('playground: unreadable message', e);
      return;
    }
    switch (msg.type) {
      case 'hello':
        this.dispatchEvent(new CustomEvent('hello', { detail: msg }));
        break;
      case 'snapshot':
        this.lastSeq = msg.seq;
        this.resyncing = false;
        this.dispatchEvent(new CustomEvent('snapshot', { detail: msg }));
        break;
      case 'frame':
        this.framesReceived++;
        if (this.lastSeq === null || this.resyncing) return; // wait for the snapshot
        if (msg.seq <= this.lastSeq) return; // already contained in the snapshot
        if (msg.seq !== this.lastSeq + 1) {
          this.gaps++;
          this.requestSnapshot();
          return;
        }
        this.lastSeq = msg.seq;
        this.dispatchEvent(new CustomEvent('frame', { detail: msg }));
        break;
      case 'reply': {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        clearTimeout(p.timer);
        p.resolve(msg);
        break;
      }
      default:
        console.warn('playground: unknown message type', msg.type);
    }
  }
}

/** The room's WebSocket URL, from the page's own address (with the presenter's token, if any). */
export function roomUrl(room, token = null) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return `${scheme}//${location.host}/ws/${encodeURIComponent(room)}${query}`;
}

/** Where the presenter's token is kept for this tab, whichever room it opens. */
export const TOKEN_KEY = 'playground.token';

/**
 * The presenter's token. A `?token=` in the page's address is taken once, kept in this tab's
 * sessionStorage (so forks, other rooms and reloads keep it) and removed from the address bar at
 * once, so a projected address bar never shows it. An empty `?token=` forgets it.
 */
export function takeToken() {
  const url = new URL(location.href);
  const given = url.searchParams.get('token');
  if (given !== null) {
    try {
      if (given) sessionStorage.setItem(TOKEN_KEY, given); else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage disabled: the token lives as long as this page */ }
    url.searchParams.delete('token');
    history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
  }
  return storedToken() || given || null;
}

/** The token kept for this tab, or null. */
export function storedToken() {
  try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
}

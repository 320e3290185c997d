// localStorage that never throws: private windows and disabled storage just forget.

export function store(key, value) {
  try { localStorage.setItem(key, value); } catch (e) { /* private mode */ }
}

export function recall(key) {
  try { return localStorage.getItem(key); } catch (e) { return null; }
}

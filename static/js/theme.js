// Theme toggle (dark / light, remembered) and presenter mode (larger type, remembered). Without a
// remembered choice the page follows the OS (`prefers-color-scheme`); see also theme-init.js.

const THEME_KEY = 'playground.theme';
const PRESENTER_KEY = 'playground.presenter';

export function initTheme() {
  const root = document.documentElement;
  const button = document.getElementById('theme-toggle');
  const presenter = document.getElementById('presenter-toggle');
  const dark = matchMedia('(prefers-color-scheme: dark)');
  const current = () => root.dataset.theme || (dark.matches ? 'dark' : 'light');
  const label = () => {
    const next = current() === 'dark' ? 'light' : 'dark';
    button.textContent = current() === 'dark' ? '☀' : '☾';
    button.title = `Switch to the ${next} theme`;
    button.setAttribute('aria-label', `Switch to the ${next} theme`);
  };
  button.addEventListener('click', () => {
    root.dataset.theme = current() === 'dark' ? 'light' : 'dark';
    store(THEME_KEY, root.dataset.theme);
    label();
  });
  dark.addEventListener('change', label);
  label();

  const sync = () => presenter.setAttribute('aria-pressed', root.dataset.presenter === '1' ? 'true' : 'false');
  presenter.addEventListener('click', () => {
    if (root.dataset.presenter === '1') delete root.dataset.presenter; else root.dataset.presenter = '1';
    store(PRESENTER_KEY, root.dataset.presenter === '1' ? '1' : '0');
    sync();
    // Type size changed: everything moved.
    dispatchEvent(new Event('resize'));
  });
  sync();
}

function store(key, value) {
  try { localStorage.setItem(key, value); } catch (e) { /* private mode */ }
}

// Theme toggle (dark / light, remembered). Without a remembered choice the page follows the OS
// (`prefers-color-scheme`); see also theme-init.js. Presenter mode lives in presenter.js.

import { store } from './storage.js';

const THEME_KEY = 'playground.theme';

export function initTheme() {
  const root = document.documentElement;
  const button = document.getElementById('theme-toggle');
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
}

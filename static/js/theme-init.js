// Runs before first paint (classic script in <head>): restore the remembered theme and presenter mode
// so the page never flashes the wrong colours.
(function () {
  try {
    var theme = localStorage.getItem('playground.theme');
    if (theme === 'dark' || theme === 'light') document.documentElement.dataset.theme = theme;
    if (localStorage.getItem('playground.presenter') === '1') document.documentElement.dataset.presenter = '1';
  } catch (e) { /* storage disabled: follow the OS */ }
})();

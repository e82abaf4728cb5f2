// A refused form page: focus its error summary, and let each of its links move focus to the field it
// names (a plain fragment link only scrolls there). The page works the same without this script.
(() => {
  const summary = document.getElementById('error-summary');
  if (!summary) return;
  summary.focus();
  summary.addEventListener('click', (event) => {
    const link = event.target instanceof Element ? event.target.closest('a[href^="#"]') : null;
    const field = link && document.getElementById(link.getAttribute('href').slice(1));
    if (!field) return;
    event.preventDefault();
    field.focus();
    field.scrollIntoView({ block: 'center' });
  });
})();

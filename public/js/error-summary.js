// A refused form page: focus its error summary, and let each of its links move focus to the field it
// names (a plain fragment link only scrolls there). A link to a group of fields (a fieldset) focuses
// the group's first input. The page works the same without this script.
(() => {
  const summary = document.getElementById('error-summary');
  if (!summary) return;
  summary.focus();
  summary.addEventListener('click', (event) => {
    const link = event.target instanceof Element ? event.target.closest('a[href^="#"]') : null;
    const target = link && document.getElementById(link.getAttribute('href').slice(1));
    if (!target) return;
    const field = target.matches('input, select, textarea')
      ? target
      : target.querySelector('input:not([type="hidden"]), select, textarea');
    event.preventDefault();
    target.scrollIntoView({ block: 'center' });
    (field ?? target).focus({ preventScroll: true });
  });
})();
